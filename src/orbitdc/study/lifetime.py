"""Fly the epochs of a lifetime sample (``orbitdc.econ.lifetime``) on the sweep engine: each
epoch is one task on a ``dask.distributed`` cluster (a local one by default, an existing one
with ``scheduler`` or ``$ORBITDC_SCHEDULER``), running what ``orbitdc run`` runs. Small samples
(few satellite-steps in all) run in this process: starting worker processes would cost more
than the flights."""

from __future__ import annotations

import os
from pathlib import Path

from orbitdc.econ.lifetime import DEFAULT_EPOCHS, LifetimeSample, epoch_plan
from orbitdc.model.scenario import Scenario

__all__ = ["run_epoch", "sample_lifetime"]

#: Below this many satellite-steps in all, the epochs run in this process.
IN_PROCESS_SAT_STEPS = 200_000


def run_epoch(data: dict, base_dir: str, source: str) -> dict:
    """One epoch (in a worker): the run's per-type economics figures and its bus section."""
    from orbitdc.econ.pipeline import run_scenario
    from orbitdc.model.scenario import parse_scenario

    scenario = parse_scenario(data, source=source, base_dir=Path(base_dir))
    results = run_scenario(scenario, None, workers=1, uncertainty=False)
    s = results.summary
    return {"fleet": s["economics"]["fleet"], "bus": s.get("bus"), "duration_h": s["duration_h"]}


def sample_lifetime(scenario: Scenario, epochs: int = DEFAULT_EPOCHS, hours: float | None = None,
                    *, workers: int | None = None, scheduler: str | None = None,
                    progress=None) -> LifetimeSample:
    """Fly ``epochs`` short runs spread over the year and the design life; ``workers=1``
    runs them here, one after another. ``progress(done, total)`` follows them."""
    from orbitdc.study.sweep import SCHEDULER_ENV, _client

    plan = epoch_plan(scenario, epochs, hours)
    hours_each = plan[0].data["duration_h"]
    sat_steps = (len(scenario.satellite_names) * (hours_each * 3600.0 / scenario.step_s + 1)
                 * len(plan))
    remote = scheduler or os.environ.get(SCHEDULER_ENV)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n_workers = workers or min(len(plan), cpus or 1)
    base_dir, source = str(scenario.base_dir), scenario.source
    outcomes: list[dict | None] = [None] * len(plan)
    if progress is not None:
        progress(0, len(plan))
    if not remote and (n_workers <= 1 or len(plan) == 1 or sat_steps < IN_PROCESS_SAT_STEPS):
        for k, ep in enumerate(plan):
            outcomes[k] = run_epoch(ep.data, base_dir, source)
            if progress is not None:
                progress(k + 1, len(plan))
        how = "in process, one after another"
    else:
        from distributed import as_completed

        client, cluster = _client(scheduler, n_workers)
        try:
            futures = {client.submit(run_epoch, ep.data, base_dir, source,
                                     pure=False): k for k, ep in enumerate(plan)}
            for done, future in enumerate(as_completed(futures), start=1):
                outcomes[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(plan))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        how = (f"on the Dask scheduler {remote}" if remote
               else f"on a local Dask cluster of {n_workers} workers")
    return LifetimeSample(epochs_planned=plan, outcomes=outcomes, hours_each=hours_each,
                          parallel=how)
