"""The orchestrator applied to a run: jobs from ``[[workload]]``, capacity and upsets from the
simulation, groups from the network; ``jobs.parquet`` and the summary's ``jobs`` section."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orbitdc.model.scenario import Scenario
from orbitdc.ops.scheduler import Job, schedule

__all__ = ["ARRIVALS_STREAM", "FAILURES_STREAM", "JOBS_SCHEMA", "fly", "make_jobs",
           "orchestrate", "schedule_run"]

#: Random streams of the orchestrator, keyed with the scenario's seed (named, so that adding a
#: stream never shifts another).
ARRIVALS_STREAM = 0x10B5
FAILURES_STREAM = 0xFA11

TIME = pa.timestamp("us", tz="UTC")
JOBS_SCHEMA = pa.schema([
    ("id", pa.int64()), ("workload", pa.string()), ("kind", pa.string()),
    ("submitted", TIME), ("started", TIME), ("finished", TIME), ("state", pa.string()),
    ("placement", pa.string()), ("accelerators", pa.int64()), ("work_flops", pa.float64()),
    ("work_done_flops", pa.float64()), ("work_lost_flops", pa.float64()),
    ("checkpoints", pa.int64()), ("queued_s", pa.float64()), ("run_s", pa.float64()),
])


def make_jobs(scenario: Scenario, periods_s: np.ndarray | None = None,
              fleet_index: np.ndarray | None = None, contacts=None) -> list[Job]:
    """The jobs of every workload, with seeded Poisson arrivals where asked for; data-driven
    batch gives one job per satellite and orbit (``periods_s``: each satellite's period)."""
    rng = np.random.default_rng([scenario.seed, ARRIVALS_STREAM])
    jobs: list[Job] = []
    types = scenario.fleet_types()
    for w in scenario.workload:
        if w.kind == "inference":
            continue
        if w.data_driven:
            wanted = set(w.fleets) or {f.name for f, t in zip(scenario.fleet, types)
                                       if t is not None and t.spec.accelerators > 0}
            fleet_of = np.array([scenario.fleet[i].name for i in fleet_index])
            members = np.nonzero(np.isin(fleet_of, list(wanted)))[0]
            if w.gb_uplinked_per_day is not None:
                jobs += _uplinked_jobs(scenario, w, members, contacts, len(jobs))
                continue
            for s in members:
                for t in np.arange(periods_s[s], scenario.duration_s, periods_s[s]):
                    jobs.append(Job(
                        id=len(jobs), workload=w.name, kind=w.kind, submit_s=float(t),
                        accelerators=w.accelerators, work_flops=w.work_flops,
                        checkpoint_interval_s=None, checkpoint_s=0.0, pinned=int(s),
                        result_bytes=w.gb_per_orbit * w.result_fraction * 1e9,
                    ))
            continue
        if w.arrival == "poisson":
            gaps = rng.exponential(3600.0 / w.rate_per_h, size=w.jobs)
            submits = np.cumsum(gaps) - gaps[0]
        else:
            submits = np.zeros(w.jobs)
        for t in submits:
            jobs.append(Job(
                id=len(jobs), workload=w.name, kind=w.kind, submit_s=float(t),
                accelerators=w.accelerators, work_flops=w.work_flops,
                checkpoint_interval_s=(w.checkpoint_interval_h * 3600.0
                                       if w.checkpoint_interval_h else None),
                checkpoint_s=w.checkpoint_time_s, bandwidth_bps=w.bandwidth_bps,
            ))
    return jobs


def _groups(scenario: Scenario, fleet_index: np.ndarray, network: dict | None):
    """Satellites that may share a gang: each fleet with links (their worst capacity as the
    bandwidth a gang gets), every other satellite on its own."""
    groups, bandwidth = [], []
    linked = {}
    if network:
        for name, isl in network.get("isl", {}).items():
            linked[name] = isl.get("allreduce_bps_min", isl.get("capacity_min_bps", 0.0))
    for i, f in enumerate(scenario.fleet):
        members = np.nonzero(fleet_index == i)[0]
        if f.name in linked:
            groups.append(members)
            bandwidth.append(float(linked[f.name]))
        else:
            groups += [np.array([m]) for m in members]
            bandwidth += [0.0] * members.size
    return groups, bandwidth


def orchestrate(scenario: Scenario, results, policy: str | None = None):
    """Schedule the scenario's jobs on what its run found. Returns ``(jobs table, section)``."""
    table, section, _ = schedule_run(scenario, results, policy)
    return table, section


def schedule_run(scenario: Scenario, results, policy: str | None = None):
    """:func:`orchestrate`, also returning the demand it places: the share of each satellite's
    accelerators allocated at each scheduling step (S, K), for the next closed-loop pass."""
    raw = results.raw_stats
    capacity, t = raw.get("capacity"), raw.get("schedule_times")
    names = scenario.satellite_names
    types = [scenario.fleet_types()[i] for i in raw["fleet_index"]]
    flops = np.array([t_.accelerator.bf16_dense_flops if t_ else 0.0 for t_ in types])
    periods = None
    if any(w.data_driven for w in scenario.workload):
        from orbitdc.sim.fleet import build_fleet

        periods = np.array([2.0 * np.pi / s.no_kozai * 60.0
                            for s in build_fleet(scenario).satrec_list])
    contacts = _contact_table(scenario, results) if periods is not None else None
    jobs = make_jobs(scenario, periods, raw["fleet_index"], contacts)
    policy = policy or scenario.policy.name
    ev = results.events
    kind = np.asarray(ev.column("kind").to_pylist(), dtype=object)
    faults = ev.filter(pa.array(kind == "fault"))
    index = {n: i for i, n in enumerate(names)}
    up_sat = np.array([index[n] for n in faults.column("satellite").to_pylist()], int)
    start_us = int(round(scenario.start.timestamp() * 1e6))
    up_t = (faults.column("start").cast(pa.int64()).to_numpy() - start_us) / 1e6
    groups, bandwidth = _groups(scenario, raw["fleet_index"], results.summary.get("network"))
    inference = [w for w in scenario.workload if w.kind == "inference"]
    per_acc = float(np.mean(flops[flops > 0])) if (flops > 0).any() else 1.0
    demand = rates = None
    if inference:
        rates = _request_rates(scenario, inference, t)  # (W, K, R) requests/s
        demand = sum(  # (K, R) accelerators
            rates[i] * w.flops_per_request for i, w in enumerate(inference)
        ) / (per_acc * scenario.policy.mfu)
    res = schedule(t, capacity, groups, bandwidth, flops, jobs, (up_sat, up_t),
                   policy=policy, mfu=scenario.policy.mfu, horizon_s=scenario.policy.horizon_s,
                   headroom=raw.get("headroom"), planned=raw.get("planned"),
                   inference_demand=demand[:-1] if demand is not None else None,
                   failures=_hard_failures(scenario, capacity, t),
                   downlink=_downlink_windows(scenario, results) if periods is not None else None,
                   inference_rtt=_rtt_lookup(raw, t))
    table = _table(scenario, res.jobs, names)
    n_acc = np.array([t_.spec.accelerators if t_ else 0 for t_ in types], float)
    placed = np.where(n_acc[:, None] > 0, res.allocation / np.maximum(n_acc, 1.0)[:, None], 0.0)
    finished = [j for j in res.jobs if j.state == "finished"]
    states = {s: sum(j.state == s for j in res.jobs)
              for s in ("finished", "running", "queued", "unschedulable")}
    done = sum(j.done_flops for j in res.jobs)
    energy = results.summary.get("bus", {}).get("energy_used_kwh")
    section = {
        "policy": policy,
        "jobs": len(res.jobs),
        "states": states,
        "goodput_accelerator_hours": round(res.useful_acc_s / 3600.0, 6),
        "utilisation": round(res.busy_acc_s / res.available_acc_s, 6)
        if res.available_acc_s else 0.0,
        "work_done_flops": done,
        "work_lost_flops": sum(j.lost_flops for j in res.jobs),
        "completion_h_mean": round(float(np.mean([(j.end_s - j.submit_s) / 3600 for j in finished])), 6)
        if finished else None,
        "queueing_h_mean": round(float(np.mean([(j.start_s - j.submit_s) / 3600 for j in res.jobs
                                                if j.start_s is not None])), 6)
        if any(j.start_s is not None for j in res.jobs) else None,
        "energy_kwh_per_exaflop": round(energy / (done / 1e18), 6) if energy and done else None,
        "unschedulable": [j.id for j in res.jobs if j.state == "unschedulable"],
        "requeued_by_hard_failures": sum(j.requeues for j in res.jobs),
        "migrations": sum(j.migrations for j in res.jobs),
    }
    if inference:
        section["inference"] = _inference_section(inference, rates, demand,
                                                  res.inference_pieces, t)
    return table, section, placed


def _uplinked_jobs(scenario: Scenario, w, members, contacts, first_id: int) -> list[Job]:
    """Data from the ground: the run's total (gb_uplinked_per_day x days) shared by the members'
    contacts in proportion to their length, each capped by what its station can uplink in it;
    a job on the satellite as each contact ends."""
    sats, starts, ends, uplink, _ = contacts
    keep = np.isin(sats, members)
    sats, starts, ends, uplink = sats[keep], starts[keep], ends[keep], uplink[keep]
    total_gb = w.gb_uplinked_per_day * scenario.duration_s / 86400.0
    dur = ends - starts
    if dur.sum() <= 0:
        return []
    gb = np.minimum(total_gb * dur / dur.sum(), uplink * dur / 8e9)
    jobs = []
    for s, end, size in sorted(zip(sats, ends, gb), key=lambda x: (x[1], x[0])):
        if size <= 0:
            continue
        jobs.append(Job(
            id=first_id + len(jobs), workload=w.name, kind=w.kind, submit_s=float(end),
            accelerators=w.accelerators, work_flops=float(size * w.flops_per_gb),
            checkpoint_interval_s=None, checkpoint_s=0.0, pinned=int(s),
            result_bytes=float(size * w.result_fraction * 1e9),
        ))
    return jobs


def _contact_table(scenario: Scenario, results):
    """Every contact: (satellite, start s, end s, station uplink b/s, station downlink b/s)."""
    ev = results.events
    kind = np.asarray(ev.column("kind").to_pylist(), dtype=object)
    c = ev.filter(pa.array(kind == "contact"))
    names = {n: i for i, n in enumerate(scenario.satellite_names)}
    up = {g.name: g.uplink_bps for g in scenario.ground_station}
    down = {g.name: g.downlink_bps for g in scenario.ground_station}
    start_us = int(round(scenario.start.timestamp() * 1e6))
    sats = np.array([names[n] for n in c.column("satellite").to_pylist()], int)
    a = (c.column("start").cast(pa.int64()).to_numpy() - start_us) / 1e6
    b = (c.column("end").cast(pa.int64()).to_numpy() - start_us) / 1e6
    targets = c.column("target").to_pylist()
    return (sats, a, b, np.array([up[n] for n in targets], float),
            np.array([down[n] for n in targets], float))


def _downlink_windows(scenario: Scenario, results) -> dict:
    """Per satellite: its contact windows (s from the start) and the best downlink rate of the
    stations it meets (one station at a time)."""
    sats, a, b, _, r = _contact_table(scenario, results)
    out = {}
    for s in np.unique(sats):
        m = sats == s
        order = np.argsort(a[m])
        out[int(s)] = (a[m][order], b[m][order], float(r[m].max()))
    return out


def _hard_failures(scenario: Scenario, capacity, t):
    """Accelerators that fail for good, at the cost model's ``failure_rate_per_year``: each
    accelerator's lifetime is exponential, drawn from the scenario's seed."""
    rate = scenario.economics.failure_rate_per_year / (365.25 * 86400.0)
    if rate <= 0 or capacity is None:
        return None
    rng = np.random.default_rng([scenario.seed, FAILURES_STREAM])
    nameplate = np.floor(capacity.max(axis=1) + 1e-9).astype(int)
    sats, times = [], []
    for s, n in enumerate(nameplate):
        life = rng.exponential(1.0 / rate, size=n)
        hit = life[life < t[-1]]
        sats += [s] * hit.size
        times += list(hit)
    return np.array(sats, int), np.array(times, float)


def _request_rates(scenario: Scenario, inference, t) -> np.ndarray:
    """Requests per second (workloads, steps, regions): each workload's peak shared by the
    regions' weights, on a daily profile 0.6 + 0.4 cos(2 pi (local hour - 20) / 24)."""
    regions = scenario.user_region
    weights = np.array([u.weight for u in regions], float)
    share = weights / weights.sum() if weights.sum() > 0 else np.full(len(regions), 1 / len(regions))
    utc_h = (scenario.start.hour + scenario.start.minute / 60.0 + t / 3600.0) % 24.0
    local = (utc_h[:, None] + np.array([u.lon_deg for u in regions])[None, :] / 15.0) % 24.0
    profile = 0.6 + 0.4 * np.cos(2.0 * np.pi * (local - 20.0) / 24.0)
    return np.stack([w.requests_per_s * share[None, :] * profile for w in inference])


def _rtt_lookup(raw: dict, t: np.ndarray):
    """``k -> (R, S)`` round trips (ms) from each user region to each satellite at scheduling
    step ``k``: those of the routing step in force then. None without a routed network."""
    sat_rtt, rtt = raw.get("sat_rtt"), raw.get("rtt")
    if sat_rtt is None or rtt is None:
        return None
    idx = np.clip(np.searchsorted(rtt[0], t, side="right") - 1, 0, sat_rtt.shape[0] - 1)
    return lambda k: sat_rtt[idx[k]].astype(float)


def _inference_section(inference, rates, demand, pieces, t) -> dict:
    """Per inference workload: requests, the share served, latency-objective attainment and
    round-trip percentiles of the requests served, each at the round trip from its region to
    the satellite that served it. Workloads of one region share its servers in proportion."""
    k_n = t.size - 1
    dt = np.diff(t)
    pk, pr, _, prtt, pamt = pieces
    out = {}
    for i, w in enumerate(inference):
        req = rates[i][:k_n] * dt[:, None]  # requests in each step, per region
        total = float(req.sum())
        # Requests served by each piece: the region's requests in proportion to the piece.
        share = np.where(demand[pk, pr] > 0, pamt / np.maximum(demand[pk, pr], 1e-300), 0.0)
        weights = req[pk, pr] * share
        within = weights * (prtt <= w.latency_slo_ms)

        def pct(q, weights=weights):
            if weights.sum() <= 0:
                return None
            order = np.argsort(prtt, kind="stable")
            cum = np.cumsum(weights[order]) / weights.sum()
            return round(float(prtt[order][min(np.searchsorted(cum, q / 100.0),
                                                prtt.size - 1)]), 3)

        out[w.name] = {
            "requests": round(total, 3),
            "served_fraction": round(float(weights.sum() / total), 6) if total else None,
            "slo_ms": w.latency_slo_ms,
            "slo_attainment": round(float(within.sum() / total), 6) if total else None,
            "rtt_ms_p50": pct(50),
            "rtt_ms_p99": pct(99),
        }
    return out


def _table(scenario, jobs, names) -> pa.Table:
    start_us = int(round(scenario.start.timestamp() * 1e6))

    def ts(seconds):
        return None if seconds is None else start_us + int(round(seconds * 1e6))

    rows = {
        "id": [j.id for j in jobs], "workload": [j.workload for j in jobs],
        "kind": [j.kind for j in jobs], "submitted": [ts(j.submit_s) for j in jobs],
        "started": [ts(j.start_s) for j in jobs], "finished": [ts(j.end_s) for j in jobs],
        "state": [j.state for j in jobs],
        "placement": [",".join(f"{names[s]}:{n}" for s, n in sorted(j.placement.items()))
                      for j in jobs],
        "accelerators": [j.accelerators for j in jobs],
        "work_flops": [j.work_flops for j in jobs],
        "work_done_flops": [j.done_flops for j in jobs],
        "work_lost_flops": [j.lost_flops for j in jobs],
        "checkpoints": [j.checkpoints for j in jobs],
        "queued_s": [None if j.start_s is None else j.start_s - j.submit_s for j in jobs],
        "run_s": [None if j.start_s is None else (j.end_s or 0.0) - j.start_s
                  if j.end_s is not None else None for j in jobs],
    }
    arrays = []
    for f in JOBS_SCHEMA:
        if f.type == TIME:
            arrays.append(pa.array(rows[f.name], pa.int64()).cast(TIME))
        else:
            arrays.append(pa.array(rows[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=JOBS_SCHEMA)


def fly(scenario: Scenario, simulate, policy: str | None = None, passes: int = 2):
    """Fly a scenario with workloads in closed loop: the first pass flies the bus at full
    demand, the scheduler plans on what it allows, and each later pass flies the plan made on
    the pass before. ``simulate(scenario, demand)`` runs the engine (in memory or to a
    folder). Returns ``(results, jobs table, section)``: the last pass and the plan it flew,
    so that the jobs, the time series and the energy describe one schedule (its progress is
    computed on the capacity of the pass it was planned on)."""
    passes = max(2, passes)
    demand = table = section = None
    for _ in range(passes):
        results = simulate(scenario, demand)
        if _ < passes - 1:
            table, section, demand = schedule_run(scenario, results, policy)
    energy = results.summary.get("bus", {}).get("energy_used_kwh")
    done = section["work_done_flops"]
    section["energy_kwh_per_exaflop"] = round(energy / (done / 1e18), 6) if energy and done \
        else None
    section["closed_loop_passes"] = passes
    return results, table, section
