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

__all__ = [
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
]
