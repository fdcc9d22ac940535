"""``orbitdc bench``: how fast orbitdc flies a large constellation, against raw SGP4.

One run on one machine measures, on the same satellites and steps:

1. **the yardsticks**: each installed propagator alone (``orbitdc.core.propagators``), one
   thread, in the same chunks the engine uses: raw ``sgp4.SatrecArray.sgp4`` (the issue's
   yardstick) and the fastest installed (astroz's SIMD SGP4 where it has a wheel);
2. **the full simulation**: ``run_to_directory`` into a temporary folder, i.e. propagation,
   shadow and eclipse events, station contacts, the bus, and writing every output file.

All are reported as satellite-steps per second (satellites x samples / seconds). The full
simulation runs on several workers (processes, one per core) while the yardsticks run on
one thread, so the honest comparison is **per worker**: the full rate divided by the
workers, against each yardstick (``per_worker_vs_sgp4``, ``per_worker_vs_fastest``), and
per CPU-second of all the run's processes (``cpu_vs_sgp4``). ``ratio`` (full over raw, all
workers against one thread) is kept for the history tables. Also: the peak resident memory
of the run (main process and worker processes), and the engine's per-stage breakdown in CPU
seconds. Ratios measured in one run are what to compare: the machines are shared and their
absolute speed varies.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import platform
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from orbitdc._version import __version__
from orbitdc.core import propagators
from orbitdc.core.time import epoch_jd, jd_pair
from orbitdc.model.scenario import Scenario, parse_scenario
from orbitdc.sim import engine
from orbitdc.sim.fleet import build_fleet
from orbitdc.sim.results import run_to_directory

__all__ = ["BenchResult", "bench_scenario", "run_bench"]

BENCH_START = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)


@dataclass
class BenchResult:
    satellites: int
    stations: int
    hours: float
    step_s: float
    sat_steps: int
    workers: int
    #: Raw ``sgp4.SatrecArray`` (one thread): seconds and satellite-steps per second.
    raw_s: float
    full_s: float
    raw_rate: float
    full_rate: float
    #: Full rate (all workers) over raw sgp4 (one thread): not a per-core figure.
    ratio: float
    peak_rss_mib: float
    #: The propagator the full simulation used.
    propagator: str = "sgp4"
    #: Each installed propagator alone, one thread: ``wall_s``, ``cpu_s`` (this process's
    #: CPU seconds: a propagator that used more than one thread shows here) and ``rate``
    #: (satellite-steps per second of the larger of the two).
    raw_propagators: dict[str, dict[str, float]] = field(default_factory=dict)
    #: The fastest propagator measured (its ``rate`` is the highest).
    fastest: str = "sgp4"
    #: CPU seconds of the full simulation, this process and its workers.
    full_cpu_s: float = 0.0
    #: Full rate per worker (per core), and over each yardstick's one-thread rate.
    per_worker_rate: float = 0.0
    per_worker_vs_sgp4: float = 0.0
    per_worker_vs_fastest: float = 0.0
    #: Satellite-steps per CPU-second of the full simulation, over raw sgp4's.
    cpu_vs_sgp4: float = 0.0
    #: The same full simulation flown again in one process (where it used more), in this
    #: run: its wall seconds and the speed-up of ``workers`` over it (None: one worker).
    one_worker_s: float | None = None
    workers_speedup: float | None = None
    stages_cpu_s: dict[str, float] = field(default_factory=dict)
    #: Seconds per routing step (links, routes, flows) of a 72 x 22 +grid shell with 100 user
    #: regions: the network issue's yardstick.
    network_step_s: float = 0.0
    #: One scheduling step for 1,000,000 satellites and 10,000 jobs (the scheduler's
    #: yardstick): seconds per phase (:func:`scheduling_step_seconds`).
    scheduling_step: dict[str, float] = field(default_factory=dict)
    #: The same with every satellite free (the policy orders a million of them).
    scheduling_step_free: dict[str, float] = field(default_factory=dict)
    #: The Starlink-like preset for 2 h with its workloads and without: what scheduling
    #: costs on top of the same flight, the fastest of interleaved repeats of each
    #: (:func:`workload_overhead`).
    workload_overhead: dict[str, float] = field(default_factory=dict)
    machine: dict[str, str] = field(default_factory=dict)
    command: str = ""
    version: str = __version__

    def to_dict(self) -> dict:
        return asdict(self)


def _fibonacci_stations(count: int, max_lat_deg: float = 70.0) -> list[dict]:
    """``count`` stations spread evenly over the globe between +-``max_lat_deg``
    (a Fibonacci lattice), at sea level, 10 deg minimum elevation."""
    golden = (1.0 + math.sqrt(5.0)) / 2.0
    z_max = math.sin(math.radians(max_lat_deg))
    out = []
    for i in range(count):
        z = z_max * (1.0 - 2.0 * (i + 0.5) / count)
        lon = math.degrees((2.0 * math.pi * i / golden) % (2.0 * math.pi)) - 180.0
        out.append(
            {
                "name": f"gs-{i:03d}",
                "lat_deg": round(math.degrees(math.asin(z)), 4),
                "lon_deg": round(lon, 4),
                "min_elevation_deg": 10.0,
            }
        )
    return out


def bench_scenario(satellites: int, hours: float, step_s: float, stations: int) -> Scenario:
    """A Walker-delta shell (550 km, 53 deg) of at least ``satellites`` satellites in about
    sqrt(N) planes, each a bus with one H100 (so power, heat and radiation run too), with
    ``stations`` ground stations spread over the globe."""
    per_plane = max(1, math.ceil(math.sqrt(satellites)))
    planes = max(1, math.ceil(satellites / per_plane))
    return parse_scenario(
        {
            "name": "bench",
            "description": "orbitdc bench: Walker shell with stations spread over the globe",
            "start": BENCH_START,
            "duration_h": hours,
            "step_s": step_s,
            "satellite": {
                "compute": {
                    "accelerator": "nvidia-h100-sxm",
                    "accelerators": 1,
                    "bus_load_w": 150.0,
                    "solar": {"rated_power_w": 2000.0},
                    "battery": {"capacity_wh": 2000.0},
                    "radiator": {"area_m2": 3.0},
                }
            },
            "fleet": [
                {
                    "name": "shell",
                    "satellite": "compute",
                    "kind": "walker",
                    "altitude_km": 550.0,
                    "inclination_deg": 53.0,
                    "planes": planes,
                    "per_plane": per_plane,
                    "phasing": 1 % planes,
                }
            ],
            "ground_station": _fibonacci_stations(stations),
            "output": {"satellites": "auto"},
        },
        source="orbitdc bench",
    )


def _raw_propagation_seconds(scenario: Scenario, chunk_sat_steps: int,
                             name: str) -> tuple[float, float]:
    """Wall and CPU seconds of propagator ``name`` alone over the scenario's satellites and
    samples, one thread, in chunks of about ``chunk_sat_steps`` (positions and velocities,
    as the engine asks for them). ``"sgp4"`` is plain ``SatrecArray.sgp4``."""
    fleet = build_fleet(scenario)
    epoch = epoch_jd(scenario.start)
    sats = propagators.batch(fleet.satrec_list, name, reference_jd=epoch)
    times = engine.sample_times(scenario)
    chunk = max(2, chunk_sat_steps // fleet.size)
    c0, t0 = time.process_time(), time.perf_counter()
    for k in range(0, times.size, chunk):
        jd, fr = jd_pair(epoch, times[k : k + chunk])
        sats.sgp4(jd, fr)
    return time.perf_counter() - t0, time.process_time() - c0


def raw_propagators(scenario: Scenario, chunk_sat_steps: int) -> dict[str, dict[str, float]]:
    """Each installed propagator alone over the scenario (:func:`_raw_propagation_seconds`):
    ``wall_s``, ``cpu_s`` and ``rate``, satellite-steps per second of the larger of the two
    (a propagator that used more threads than one is charged for them)."""
    sat_steps = len(scenario.satellite_names) * scenario.n_steps
    out = {}
    for name in propagators.installed():
        wall, cpu = _raw_propagation_seconds(scenario, chunk_sat_steps, name)
        out[name] = {"wall_s": wall, "cpu_s": cpu, "rate": sat_steps / max(wall, cpu, 1e-12)}
    return out


def _peak_rss_mib() -> float:
    scale = 1024.0 if sys.platform != "darwin" else 1024.0 * 1024.0  # KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024.0 / scale / 1024.0


def scheduling_step_seconds(satellites: int = 1_000_000, jobs: int = 10_000,
                            policy: str = "power-aware", seed: int = 7,
                            busy: float = 0.97) -> dict[str, float]:
    """Wall time of one scheduling step of the orchestrator for ``satellites`` satellites of
    4 accelerators (one 10,000-satellite linked group, the rest on their own) and ``jobs``
    jobs of 1-8 accelerators, half running, half queued on a fleet whose satellites are
    ``busy`` (that share of them full with work of others; 0: all free): the decision
    (placement, moves), settling on what ran (the bus's answer stood in by a throttled share
    on a tenth of the fleet) and the advance (progress, checkpoints, upsets), after a step
    that placed the running half. Returns seconds per phase and in all."""
    from types import SimpleNamespace

    from orbitdc.core._alloc import keep_freed_memory
    from orbitdc.ops.placement import warm_up
    from orbitdc.ops.policies import resolve_policy
    from orbitdc.ops.scheduler import Job, Orchestrator

    keep_freed_memory()  # as the command does: the step's temporaries reused, not faulted in
    rng = np.random.default_rng(seed)
    n_acc = np.full(satellites, 4, np.int64)
    linked = min(10_000, satellites)
    groups = (np.arange(satellites), np.r_[linked, np.ones(satellites - linked, np.int64)])
    bandwidth = np.r_[1e12, np.zeros(satellites - linked)]
    size = rng.integers(1, 9, jobs)
    work = rng.uniform(1e18, 1e20, jobs)
    job_list = [Job(i, "w", "training", 0.0 if i < jobs // 2 else 60.0, int(size[i]),
                    float(work[i]), 1800.0, 30.0, 1e9) for i in range(jobs)]
    orch = Orchestrator(job_list, groups, bandwidth, n_acc, np.full(satellites, 1e15),
                        resolve_policy(policy), t_end_s=86_400.0)
    warm_up()

    def view(k, capacity):
        return SimpleNamespace(k=k, t_s=60.0 * k, capacity=capacity,
                               soc=rng.uniform(0.3, 1.0, satellites),
                               headroom_k=rng.uniform(0, 50, satellites),
                               outlook=rng.uniform(0.5, 1.0, satellites), rtt_ms=None)

    # Step 0: the first half goes in; the fleet is then nearly full with background capacity.
    capacity = np.full(satellites, 4.0)
    capacity[rng.random(satellites) < busy] = 0.0  # satellites busy elsewhere: full
    orch.decide(view(0, capacity), 60.0)
    orch.settle(np.where(n_acc > 0, 1.0, 0.0))
    orch.advance(np.ones(satellites), (np.empty(0, np.int64),) * 3)
    ran = np.ones(satellites)
    ran[rng.random(satellites) < 0.1] = 0.8
    faults = (rng.integers(0, satellites, 50), np.full(50, 90.0), rng.integers(0, 4, 50))
    t = [time.perf_counter()]
    demand = orch.decide(view(1, capacity), 120.0)
    t.append(time.perf_counter())
    orch.settle(np.minimum(ran, demand))
    t.append(time.perf_counter())
    orch.advance(np.minimum(ran, demand), faults)
    t.append(time.perf_counter())
    running = int((orch.state == 1).sum())
    return {"decide_s": t[1] - t[0], "settle_s": t[2] - t[1], "advance_s": t[3] - t[2],
            "step_s": t[3] - t[0], "running": running,
            "queued": int((orch.state == 0).sum())}


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its children that have ended (a flight's
    workers end with it)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def workload_overhead(preset: str = "starlink", hours: float | None = None,
                      workers: int | None = None, repeats: int = 3) -> dict[str, float]:
    """What scheduling costs: the preset flown for ``hours`` with its workloads (the
    orchestrator deciding every step) and without them, in this run. On a shared machine one
    pair of runs varies by tens of per cent, so the two are flown ``repeats`` times each,
    interleaved (without then with, then with then without, ...) so that a slow spell
    weighs on both, after a short flight with workloads (the compiled kernels loaded) and a
    whole one without (a first full run is slower); each takes its fastest run (timeit's
    convention: the others are the machine's noise, not the code's). Returns those two wall
    times, their ratio, the least and greatest ratio of a pair (the spread), the ratio of the
    least CPU seconds of each (``cpu_ratio``), the repeats and the scheduling steps flown."""
    from orbitdc.econ.pipeline import run_scenario
    from orbitdc.model.presets import preset_path
    from orbitdc.model.scenario import load_scenario

    scenario = load_scenario(preset_path(preset))
    if hours is not None:  # default: the preset as shipped (6 h: two workers, where forked)
        scenario = scenario.model_copy(update={"duration_h": min(hours, scenario.duration_h)})
    bare = scenario.model_copy(update={"workload": []})
    # The flight and its jobs, not the economics' Monte Carlo (the same on both sides).
    fly = functools.partial(run_scenario, workers=workers, uncertainty=False)
    # Warm: the kernels loaded (a short flight with workloads) and the memory a whole run
    # takes mapped (a first full run is slower, whoever flies it).
    fly(scenario.model_copy(update={"duration_h": 0.1}), None)
    fly(bare, None)
    runs: dict[str, list[float]] = {"without_s": [], "with_s": []}
    cpu: dict[str, list[float]] = {"without_s": [], "with_s": []}
    for i in range(max(1, int(repeats))):
        pair = (("without_s", bare), ("with_s", scenario))
        for label, sc in (pair if i % 2 == 0 else pair[::-1]):
            c0 = _cpu_seconds()
            t0 = time.perf_counter()
            fly(sc, None)
            runs[label].append(time.perf_counter() - t0)
            cpu[label].append(_cpu_seconds() - c0)
    pairs = [w / b for w, b in zip(runs["with_s"], runs["without_s"])]
    out = {label: min(v) for label, v in runs.items()}
    out["ratio"] = out["with_s"] / out["without_s"]
    # CPU seconds (this process and its workers): the work done, which other processes on
    # the machine disturb less than the wall time (though it is not the wall's critical path).
    out["cpu_ratio"] = min(cpu["with_s"]) / max(min(cpu["without_s"]), 1e-9)
    out["ratio_pair_min"] = min(pairs)
    out["ratio_pair_max"] = max(pairs)
    out["repeats"] = len(pairs)
    out["scheduling_steps"] = scenario.n_steps // scenario.schedule_every
    out["hours"] = scenario.duration_h
    return out


def network_step_seconds(steps: int = 10, regions: int = 100) -> float:
    """Mean wall time of one routing step for a 72 x 22 Walker shell at 550 km / 53 deg with
    +grid laser links, ``regions`` user regions and 50 stations, over ``steps`` steps."""
    from orbitdc.core.frames import teme_to_ecef
    from orbitdc.core.time import gmst_rad
    from orbitdc.sim.fleet import build_stations
    from orbitdc.sim.network import NetworkModel

    users = [
        {"name": f"city-{i:03d}", "lat_deg": g["lat_deg"], "lon_deg": g["lon_deg"]}
        for i, g in enumerate(_fibonacci_stations(regions, max_lat_deg=60.0))
    ]
    scenario = parse_scenario(
        {
            "name": "bench-network",
            "start": BENCH_START,
            "duration_h": 1.0,
            "step_s": 60.0,
            "fleet": [{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                       "inclination_deg": 53.0, "planes": 72, "per_plane": 22, "phasing": 1}],
            "ground_station": _fibonacci_stations(50),
            "user_region": users,
            "network": {"isl": [{"fleet": "shell", "topology": "+grid"}]},
        },
        source="<bench-network>",
    )
    fleet = build_fleet(scenario)
    t = np.arange(steps + 1) * 60.0
    jd, fr = jd_pair(epoch_jd(scenario.start), t)
    _, r, _ = fleet.satrecs.sgp4(jd, fr)
    r_ecef = teme_to_ecef(r, gmst_rad(jd, fr))
    model = NetworkModel(scenario, fleet, build_stations(scenario), r_ecef[:, 0])
    t0 = time.perf_counter()
    for k in range(1, steps + 1):
        model.step(float(t[k]), r_ecef[:, k])
    return (time.perf_counter() - t0) / steps


def run_bench(
    satellites: int,
    hours: float,
    step_s: float,
    stations: int,
    workers: int | None = None,
    progress=None,
    command: str = "",
) -> BenchResult:
    scenario = bench_scenario(satellites, hours, step_s, stations)
    n_s = len(scenario.satellite_names)
    sat_steps = n_s * scenario.n_steps
    raws = raw_propagators(scenario, engine.CHUNK_SAT_STEPS)
    raw_s = max(raws["sgp4"]["wall_s"], raws["sgp4"]["cpu_s"])
    fastest = max(raws, key=lambda k: raws[k]["rate"])
    with tempfile.TemporaryDirectory(prefix="orbitdc-bench-") as tmp:
        # A few steps first: the compiled kernels loaded, so that neither timed flight pays
        # for it (the one-process flight comes second).
        run_to_directory(scenario.model_copy(update={"duration_h": 3 * scenario.step_s / 3600}),
                         Path(tmp) / "warm", workers=workers)
        c0 = _cpu_seconds()
        t0 = time.perf_counter()
        results = run_to_directory(scenario, Path(tmp) / "run", progress=progress, workers=workers)
        full_s = time.perf_counter() - t0
        full_cpu_s = _cpu_seconds() - c0
        raw = results.raw_stats
        one_s = None
        if raw["workers"] > 1:
            # The same flight in one process, right after: what the extra workers buy, as a
            # ratio measured in one run (the machines are shared and noisy).
            t0 = time.perf_counter()
            run_to_directory(scenario, Path(tmp) / "one", workers=1)
            one_s = time.perf_counter() - t0
    stages = {k: round(v, 3) for k, v in raw["stage_s"].items()}
    stages["write outputs (wall)"] = round(full_s - raw["stage_s"]["wall"], 3)
    per_worker = sat_steps / full_s / raw["workers"]
    return BenchResult(
        satellites=n_s,
        stations=stations,
        hours=hours,
        step_s=step_s,
        sat_steps=sat_steps,
        workers=raw["workers"],
        raw_s=raw_s,
        full_s=full_s,
        raw_rate=round(sat_steps / raw_s),
        full_rate=round(sat_steps / full_s),
        ratio=raw_s / full_s,
        peak_rss_mib=round(_peak_rss_mib(), 1),
        propagator=results.summary.get("propagator", "sgp4"),
        raw_propagators=raws,
        fastest=fastest,
        full_cpu_s=full_cpu_s,
        per_worker_rate=round(per_worker),
        per_worker_vs_sgp4=per_worker / raws["sgp4"]["rate"],
        per_worker_vs_fastest=per_worker / raws[fastest]["rate"],
        cpu_vs_sgp4=(sat_steps / max(full_cpu_s, 1e-12)) / raws["sgp4"]["rate"],
        one_worker_s=one_s,
        workers_speedup=one_s / full_s if one_s is not None else None,
        stages_cpu_s=stages,
        network_step_s=network_step_seconds(),
        scheduling_step=scheduling_step_seconds(),
        scheduling_step_free=scheduling_step_seconds(busy=0.0),
        workload_overhead=workload_overhead(workers=workers),
        machine={
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": str(engine.default_workers()),
            "platform": platform.platform(),
        },
        command=command,
    )


#: ``orbitdc bench --scaling``: (satellites, hours) flown at 10 s with 50 stations, about
#: 9-90 million satellite-steps each; the larger fleets at shorter spans.
SCALING_SIZES = ((1_000, 24.0), (10_000, 24.0), (100_000, 2.0), (1_000_000, 0.25))


def scaling(sizes=SCALING_SIZES, step_s: float = 10.0, stations: int = 50,
            workers: int | None = None, progress=None) -> list[dict]:
    """How the cost grows with the fleet: the bench's shell of each ``(satellites, hours)``
    flown whole (``run_to_directory`` into a temporary folder), one after the other.
    Returns per size: satellite-steps, wall and CPU seconds (this process and its workers),
    workers, and satellite-steps per second per worker (per core) and per CPU-second."""
    out = []
    for satellites, hours in sizes:
        scenario = bench_scenario(satellites, hours, step_s, stations)
        sat_steps = len(scenario.satellite_names) * scenario.n_steps
        with tempfile.TemporaryDirectory(prefix="orbitdc-bench-scaling-") as tmp:
            c0 = _cpu_seconds()
            t0 = time.perf_counter()
            res = run_to_directory(scenario, Path(tmp) / "run", workers=workers,
                                   progress=progress)
            wall = time.perf_counter() - t0
            cpu = _cpu_seconds() - c0
        n_w = res.raw_stats["workers"]
        out.append({"satellites": len(scenario.satellite_names), "hours": hours,
                    "step_s": step_s, "stations": stations, "sat_steps": sat_steps,
                    "wall_s": wall, "cpu_s": cpu, "workers": n_w,
                    "propagator": res.summary["propagator"],
                    "per_worker_rate": sat_steps / wall / n_w,
                    "per_cpu_s_rate": sat_steps / max(cpu, 1e-12)})
    return out


SWEEP_BASE = """
name = "bench-sweep"
start = 2026-03-20T00:00:00Z
duration_h = {hours}
step_s = 60.0

[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 1
bus_load_w = 150.0
solar = {{ rated_power_w = 2000.0 }}
battery = {{ capacity_wh = 2000.0 }}
radiator = {{ area_m2 = 3.0 }}

[[fleet]]
name = "s"
kind = "sso"
altitude_km = 650.0
ltan_h = 10.0
count = {count}
satellite = "sat"
"""


def run_sweep_bench(small: int = 1000, heavy: int = 24, progress=None) -> dict:
    """Sweep overheads on a local Dask cluster: ``small`` tiny variants (one satellite, 15
    minutes) on one worker give the overhead per variant beyond the simulation itself;
    ``heavy`` larger variants (40 satellites, 48 hours) on one and on two workers give the
    speed-up of the second worker."""
    from orbitdc.model.sweep import load_sweep
    from orbitdc.study import run_sweep

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="orbitdc-bench-sweep-") as tmp:
        root = Path(tmp)

        def sweep_file(name, hours, count, n):
            (root / f"{name}.toml").write_text(SWEEP_BASE.format(hours=hours, count=count))
            path = root / f"{name}-sweep.toml"
            path.write_text(
                f'base = "{name}.toml"\n[[axis]]\npath = "fleet.0.ltan_h"\n'
                f"range = {{ start = 0.0, stop = 23.9, num = {n} }}\n"
            )
            return load_sweep(path)

        small_sweep = sweep_file("small", 0.25, 1, small)
        _, t = run_sweep(small_sweep, root / "small-out", workers=1, progress=progress)
        out["small_variants"] = small
        out["small_wall_s"] = t["wall_s"]
        out["small_sim_s"] = t["sim_s"]
        out["overhead_ms_per_variant"] = (t["wall_s"] - t["sim_s"]) / small * 1000.0
        heavy_sweep = sweep_file("heavy", 48.0, 40, heavy)
        rates = {}
        for workers in (1, 2):
            _, t = run_sweep(heavy_sweep, root / f"heavy-{workers}", workers=workers)
            rates[workers] = heavy / t["wall_s"]
        out["heavy_variants"] = heavy
        out["variants_per_s_1_worker"] = rates[1]
        out["variants_per_s_2_workers"] = rates[2]
        out["two_worker_speedup"] = rates[2] / rates[1]
    return out
