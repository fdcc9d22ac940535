"""orbitdc: design, simulate and operate AI data centers in orbit.

>>> import orbitdc
>>> scenario = orbitdc.load_scenario(orbitdc.preset_path("iss"))
>>> scenario.satellite_names
['iss']

``orbitdc.simulate(scenario)`` flies it; ``orbitdc.costs(scenario, results)`` prices it.
"""

from orbitdc._version import __version__
from orbitdc.econ import cost_section as costs
from orbitdc.model import ScenarioError, load_scenario, parse_scenario, preset_names, preset_path
from orbitdc.sim import Results, run_to_directory, simulate


def sweep(sweep_file, out_dir, *, scheduler=None, workers=None, resume=False):
    """Run a sweep file's variants on Dask (as ``orbitdc sweep``); returns the variants table
    (pyarrow) and writes ``variants.parquet`` and ``sweep.html`` into ``out_dir``."""
    from orbitdc.model.sweep import load_sweep
    from orbitdc.report import write_sweep_report
    from orbitdc.study import run_sweep

    spec = load_sweep(sweep_file)
    table, _ = run_sweep(spec, out_dir, scheduler=scheduler, workers=workers, resume=resume)
    write_sweep_report(out_dir, [a.path for a in spec.spec.axis], str(sweep_file))
    return table


def __getattr__(name):
    # ``orbitdc.Client`` (the live twin's API, ``orbitdc serve``): imported when first used.
    if name == "Client":
        from orbitdc.serve.client import Client

        return Client
    raise AttributeError(f"module 'orbitdc' has no attribute {name!r}")


__all__ = [
    "Client",
    "Results",
    "ScenarioError",
    "__version__",
    "costs",
    "load_scenario",
    "parse_scenario",
    "preset_names",
    "preset_path",
    "run_to_directory",
    "simulate",
    "sweep",
]
