"""A whole run, as ``orbitdc run`` does it and as every sweep variant does it: the flight, the
orchestrator in closed loop with the bus when the scenario has workloads, and the economics.

Closed loop (two passes): the first pass flies the fleet at full demand and tells the
scheduler what the bus allows; the scheduler plans on it; the second pass flies the bus at
the load that plan places (idle accelerators draw nothing). The jobs reported are that plan,
the one flown: its placements, migrations and checkpoints are the load in the time series and
the energy in the summary. Its progress was computed on the first pass's capacity (full
demand), which the lighter flown load can only match or exceed, so completion times are, if
anything, pessimistic.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from orbitdc.econ.costs import cost_section
from orbitdc.model.scenario import Scenario
from orbitdc.ops.run import schedule_run
from orbitdc.sim.results import Results, run_to_directory, simulate

__all__ = ["CLOSED_LOOP_PASSES", "run_scenario"]

CLOSED_LOOP_PASSES = 2

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
) -> Results:
    """Fly ``scenario`` with its workloads and economics; write the run to ``out_dir`` (or
    keep it in memory when None). ``finish(folder, results)`` may add files (the report)
    before the folder is moved into place. The results carry ``jobs_table`` (pyarrow) when
    the scenario has workloads."""
    progress_for = progress_for or _no_progress
    if scenario.satellite:
        cost_section(scenario)  # refuse unpriceable designs before flying them
    description = f"{scenario.name}: {len(scenario.satellite_names)} satellites"
    steps = scenario.n_steps - 1
    demand = table = section = used = None
    if scenario.workload:
        with progress_for(f"{description} (pass 1 of {CLOSED_LOOP_PASSES})", steps) as cb:
            first = simulate(scenario, progress=cb, workers=workers)
        table, section, demand = schedule_run(scenario, first)
        t = first.raw_stats["schedule_times"]
        dt = np.diff(t)
        used = (demand[:, :-1] * dt).sum(axis=1) / dt.sum() if dt.size else None
        description += f" (pass {CLOSED_LOOP_PASSES} of {CLOSED_LOOP_PASSES})"

    def extend(res: Results) -> dict:
        sections: dict = {}
        if section is not None:
            jobs = dict(section)
            # Energy of the flown pass, per unit of the work the plan did.
            energy = res.summary.get("bus", {}).get("energy_used_kwh")
            done = jobs["work_done_flops"]
            jobs["energy_kwh_per_exaflop"] = (
                round(energy / (done / 1e18), 6) if energy and done else None)
            jobs["closed_loop_passes"] = CLOSED_LOOP_PASSES
            sections["jobs"] = jobs
        if scenario.satellite:
            sections["economics"] = cost_section(scenario, res, used_share=used)
        return sections

    def write_jobs(folder: Path, res: Results) -> None:
        if table is not None:
            import pyarrow.parquet as pq

            pq.write_table(table, folder / "jobs.parquet")
        if finish is not None:
            finish(folder, res)

    with progress_for(description, steps) as cb:
        if out_dir is not None:
            results = run_to_directory(scenario, out_dir, progress=cb, workers=workers,
                                       extend=extend, finish=write_jobs, demand=demand)
        else:
            results = simulate(scenario, progress=cb, workers=workers, demand=demand)
            results.summary.update(extend(results))
    results.jobs_table = table if isinstance(table, pa.Table) else None
    return results
