"""Fly the epochs of a lifetime sample (``orbitdc.econ.lifetime``), and the cost Monte
Carlo's re-flights with drawn physical figures (``orbitdc.econ.uncertainty``), on the sweep
engine: each flight is one task on a ``dask.distributed`` cluster (a local one by default, an
existing one with ``scheduler`` or ``$ORBITDC_SCHEDULER``), running what ``orbitdc run`` runs.
Small samples (few satellite-steps in all) run in this process: starting worker processes
would cost more than the flights."""

from __future__ import annotations

import os
from pathlib import Path

from orbitdc.econ.lifetime import (
    DEFAULT_EPOCHS,
    LifetimeSample,
    bare,
    epoch_plan,
    representative,
)
from orbitdc.econ.uncertainty import physical_draws, physical_inputs, with_draws
from orbitdc.model.errors import ScenarioError
from orbitdc.model.scenario import Scenario

__all__ = ["run_epoch", "sample_lifetime"]

#: Below this many satellite-steps in all, the flights run in this process.
IN_PROCESS_SAT_STEPS = 200_000


def run_epoch(data: dict, base_dir: str, source: str, label: str = "",
              refuse: bool = True) -> dict:
    """One flight (in a worker): the run's per-type economics figures, its bus section and
    its warnings. A design the checks refuse at this flight's orbits is refused naming the
    flight (``label``): a design can fail in a season the scenario's own run does not fly.
    ``refuse=False`` (a re-flight with drawn figures): the refusal is returned instead, as
    ``{"refused": message}``; the design fails at those figures."""
    from orbitdc.econ.pipeline import run_scenario
    from orbitdc.model.scenario import parse_scenario

    try:
        scenario = parse_scenario(data, source=source, base_dir=Path(base_dir))
        results = run_scenario(scenario, None, workers=1, uncertainty=False)
    except ScenarioError as exc:
        if not refuse:
            return {"refused": str(exc)}
        if not label:
            raise
        raise ScenarioError(exc.source, [(key, f"{msg} (in {label})")
                                         for key, msg in exc.problems]) from None
    s = results.summary
    return {"fleet": s["economics"]["fleet"], "bus": s.get("bus"),
            "duration_h": s["duration_h"], "warnings": list(s.get("warnings", []))}


def sample_lifetime(scenario: Scenario, epochs: int = DEFAULT_EPOCHS, hours: float | None = None,
                    *, workers: int | None = None, scheduler: str | None = None,
                    progress=None, flights: int | None = None,
                    seed: int | None = None, physical_tornado: bool = False) -> LifetimeSample:
    """Fly ``epochs`` short runs spread over the year and the design life, and ``flights``
    re-flights (default: ``economics.uncertainty.flights``) of those epochs in turn with the
    estimated physical figures drawn afresh (seed: ``economics.uncertainty.seed``);
    ``workers=1`` runs them here, one after another. ``progress(done, total)`` follows them,
    counted in epochs. ``physical_tornado``: also fly epoch 0 bare with each estimated
    physical figure alone at its range's low and high end (2 flights a figure), for the
    tornado."""
    from orbitdc.study.sweep import SCHEDULER_ENV, _client

    unc = scenario.economics.uncertainty
    plan = epoch_plan(scenario, epochs, hours)
    draws = physical_draws(scenario, unc.flights if flights is None else flights,
                           unc.seed if seed is None else seed)
    flight_data = [with_draws(bare(plan[j % len(plan)].data), scenario, d)
                   for j, d in enumerate(draws)]
    phys = physical_inputs(scenario) if physical_tornado else {}
    reference = [bare(plan[k].data)
                 for k in range(max(min(len(draws), len(plan)), 1 if phys else 0))]
    ends = [(p, lo, hi) for p, (lo, hi, _v, _w) in phys.items()]
    tornado_data = [(with_draws(reference[0], scenario, {p: lo}),
                     with_draws(reference[0], scenario, {p: hi})) for p, lo, hi in ends]
    labels = [f"the lifetime sample's epoch {ep.index} ({ep.start:%Y-%m-%d}, satellites aged "
              f"+{ep.age_years:.2f} years)" for ep in plan]
    jobs = [(ep.data, labels[k], True) for k, ep in enumerate(plan)]
    jobs += [(d, f"the uncertainty re-flight {j} (drawn physical figures) of "
              + labels[j % len(plan)].removeprefix("the "), False)
             for j, d in enumerate(flight_data)]
    jobs += [(d, f"the uncertainty re-flights' reference for "
              + labels[k].removeprefix("the "), True) for k, d in enumerate(reference)]
    jobs += [(d, f"the physical tornado's flight of {p} at its {end} end", False)
             for (p, _lo, _hi), pair in zip(ends, tornado_data)
             for end, d in zip(("low", "high"), pair)]
    hours_each = plan[0].data["duration_h"]
    _data, thinned = representative(scenario.model_dump())
    steps = hours_each * 3600.0 / scenario.step_s + 1
    sat_steps = steps * (_flown(plan[0].data) * len(plan)
                         + _flown(bare(plan[0].data)) * (len(jobs) - len(plan)))
    remote = scheduler or os.environ.get(SCHEDULER_ENV)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    n_workers = workers or min(len(jobs), cpus or 1)
    base_dir, source = str(scenario.base_dir), scenario.source
    outcomes: list[dict | None] = [None] * len(jobs)

    def tick(done: int) -> None:
        if progress is not None:
            progress(round(done * len(plan) / len(jobs)), len(plan))

    tick(0)
    if not remote and (n_workers <= 1 or len(jobs) == 1 or sat_steps < IN_PROCESS_SAT_STEPS):
        for k, (data, label, refuse) in enumerate(jobs):
            outcomes[k] = run_epoch(data, base_dir, source, label, refuse)
            tick(k + 1)
        how = "in process, one after another"
    else:
        from distributed import as_completed

        client, cluster = _client(scheduler, n_workers)
        try:
            futures = {client.submit(run_epoch, data, base_dir, source, label, refuse,
                                     pure=False): k
                       for k, (data, label, refuse) in enumerate(jobs)}
            for done, future in enumerate(as_completed(futures), start=1):
                outcomes[futures[future]] = future.result()
                tick(done)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        how = (f"on the Dask scheduler {remote}" if remote
               else f"on a local Dask cluster of {n_workers} workers")
    t0 = len(plan) + len(draws) + len(reference)
    notes = []
    if thinned:
        notes.append("each flight flies a representative sample of each large fleet ("
                     + ", ".join(f"{name}: {n:,} of {of:,}" for name, (n, of) in thinned.items())
                     + "): no workloads or laser links tie the satellites together")
    elif scenario.workload or scenario.network.isl:
        notes.append("each flight flies the whole fleet: "
                     + ("its workloads place jobs and serve inference across it"
                        if scenario.workload else "its laser links route over every satellite"))
    if draws:
        notes.append(f"{len(draws)} re-flights with drawn physical figures, and "
                     f"{len(reference)} at the figures' values to compare them with, fly the "
                     f"bus alone (no workloads or links), {_flown(bare(plan[0].data)):,} of "
                     f"{len(scenario.satellite_names):,} satellites")
    return LifetimeSample(epochs_planned=plan, outcomes=outcomes[:len(plan)],
                          hours_each=hours_each, parallel=how, notes=notes,
                          flight_draws=draws, flight_data=flight_data,
                          flight_outcomes=outcomes[len(plan):len(plan) + len(draws)],
                          flight_reference=outcomes[len(plan) + len(draws):
                                                    len(plan) + len(draws) + len(reference)],
                          thinned=thinned,
                          tornado=[((p, (lo, hi), pair, tuple(outcomes[t0 + 2 * i:
                                                                       t0 + 2 * i + 2])))
                                   for i, ((p, lo, hi), pair) in enumerate(zip(ends,
                                                                              tornado_data))])


def _flown(data: dict) -> int:
    """Satellites a flight of ``data`` flies (element sets counted as one fleet of 100: the
    count only chooses between this process and the cluster)."""
    n = 0
    for f in data["fleet"]:
        n += (f["planes"] * f["per_plane"] if f["kind"] == "walker"
              else 100 if f["kind"] == "elements" else f.get("count", 1))
    return n
