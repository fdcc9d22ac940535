"""A whole run, as ``orbitdc run`` does it and as every sweep variant does it: one flight,
with the orchestrator deciding each scheduling step when the scenario has workloads, and
the economics.

Closed loop, step-coupled: before each scheduling step the orchestrator decides from the
fleet's state then (charge, temperature, capacity, the ephemeris ahead); the bus flies that
step under that load; the jobs advance on what ran. The jobs, the time series and the energy
are one flight, by construction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from orbitdc.econ.costs import cost_section
from orbitdc.model.scenario import Scenario
from orbitdc.ops.run import Operations
from orbitdc.sim.results import Results, run_to_directory, simulate

__all__ = ["run_scenario"]

#: ``progress_for(description, total_steps)``: a context manager yielding a progress callback.
ProgressFor = Callable[[str, int], contextlib.AbstractContextManager]


@contextlib.contextmanager
def _no_progress(_description: str, _total: int):
    yield None


def run_scenario(
    scenario: Scenario,
    out_dir: str | Path | None = None,
    *,
    workers: int | None = None,
    progress_for: ProgressFor | None = None,
    finish: Callable[[Path, Results], None] | None = None,
    policy=None,
    policy_where: tuple[str, str] | None = None,
    lifetime=None,
    uncertainty: bool = True,
    samples: int | None = None,
    scheduler: str | None = None,
) -> Results:
    """Fly ``scenario`` with its workloads and economics; write the run to ``out_dir`` (or
    keep it in memory when None). ``lifetime``: a lifetime sample (``orbitdc.study.lifetime``)
    whose epochs give the economics its flight figures instead of this one run;
    ``uncertainty``, ``samples``: the economics' Monte Carlo. ``finish(folder, results)`` may add files (the report)
    before the folder is moved into place. ``policy``: a policy name or object to use instead
    of the scenario's ``[policy] name`` (``policy_where``: where it was named, ``(source,
    key)``, for its errors). The results carry ``jobs_table`` (pyarrow) when the
    scenario has workloads. ``scheduler``: the address of a ``dask.distributed`` scheduler
    whose workers fly the satellites' blocks, step by step with the orchestrator here."""
    progress_for = progress_for or _no_progress
    if scenario.satellite:
        cost_section(scenario, samples=0)  # refuse unpriceable designs before flying them
    ops = Operations(scenario, policy, policy_where) if scenario.workload else None
    description = f"{scenario.name}: {len(scenario.satellite_names)} satellites"
    steps = scenario.n_steps - 1

    screened: dict = {}
    if scenario.screening is not None:
        # [screening]: close approaches over the run's span (conjunctions.parquet), before
        # the flight (it needs none of it, and bad input in it fails fast) under a bar of its
        # own; its worker threads are done before the flight forks its workers.
        from orbitdc.sim.screening import screen_scenario

        span = int(round(scenario.duration_s))
        with progress_for(f"{scenario.name}: screening", span) as screen_cb:
            screened["screen"] = screen_scenario(
                scenario, progress=None if screen_cb is None else (
                    lambda done, _total: screen_cb(int(round(done)), span)))

    def extend(res: Results) -> dict:
        sections: dict = {}
        if "screen" in screened:
            sections["screening"] = screened["screen"].summary
            res.summary["warnings"].extend(screened["screen"].warnings)
        if scenario.night_sky is not None:
            from orbitdc.sim.nightsky import night_sky_section

            sections["night_sky"] = night_sky_section(scenario)
        used = None
        if ops is not None:
            sections["jobs"] = ops.section(res)
            used = ops.used_share()
        if scenario.satellite:
            sections["economics"] = cost_section(scenario, res, used_share=used,
                                                 lifetime=lifetime, uncertainty=uncertainty,
                                                 samples=samples)
        if lifetime is not None:
            # A design can warn in a season this run does not fly: say so, with the epochs.
            own = set(res.summary["warnings"])
            for w in lifetime.warnings():
                if w["warning"] not in own:
                    res.summary["warnings"].append(
                        f"in the lifetime sample (epochs {', '.join(map(str, w['epochs']))} of "
                        f"{lifetime.epochs}), not in this run: {w['warning']}")
        return sections

    def write_jobs(folder: Path, res: Results) -> None:
        if "screen" in screened:
            from orbitdc.sim.screening import write_screen

            write_screen(screened["screen"], folder)
        if ops is not None:
            import pyarrow.parquet as pq

            pq.write_table(ops.table(), folder / "jobs.parquet")
        if finish is not None:
            finish(folder, res)

    drive = ops.drive if ops is not None else None
    with progress_for(description, steps) as cb:
        if out_dir is not None:
            results = run_to_directory(scenario, out_dir, progress=cb, workers=workers,
                                       extend=extend, finish=write_jobs, drive=drive,
                                       scheduler=scheduler)
        else:
            results = simulate(scenario, progress=cb, workers=workers, drive=drive,
                               scheduler=scheduler)
            results.summary.update(extend(results))
    results.jobs_table = ops.table() if ops is not None else None
    results.conjunctions = screened["screen"].table if "screen" in screened else None
    return results
