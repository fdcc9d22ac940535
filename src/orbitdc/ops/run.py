"""The orchestrator applied to a run: jobs from ``[[workload]]``, driving the flight step by
step (``orbitdc.sim.engine.Flight``), groups from the network; ``jobs.parquet`` and the
summary's ``jobs`` section."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orbitdc.core._jit import kernel
from orbitdc.core.links import antenna_windows
from orbitdc.model.scenario import Scenario
from orbitdc.ops.policies import resolve_policy
from orbitdc.ops.scheduler import Job, Orchestrator, drive

__all__ = ["ACCELERATORS_STREAM", "ARRIVALS_STREAM", "FAILURES_STREAM", "JOBS_SCHEMA",
           "Operations", "make_jobs"]

#: Random streams of the orchestrator, keyed with the scenario's seed (named, so that adding a
#: stream never shifts another).
ARRIVALS_STREAM = 0x10B5
FAILURES_STREAM = 0xFA11
ACCELERATORS_STREAM = 0xFA12

TIME = pa.timestamp("us", tz="UTC")
JOBS_SCHEMA = pa.schema([
    ("id", pa.int64()), ("workload", pa.string()), ("kind", pa.string()),
    ("submitted", TIME), ("started", TIME), ("restarted", TIME), ("finished", TIME),
    ("state", pa.string()),
    ("placement", pa.string()), ("accelerators", pa.int64()), ("work_flops", pa.float64()),
    ("work_done_flops", pa.float64()), ("work_lost_flops", pa.float64()),
    ("checkpoints", pa.int64()), ("requeues", pa.int64()), ("preemptions", pa.int64()),
    ("queued_s", pa.float64()), ("run_s", pa.float64()), ("silent_corruptions", pa.int64()),
])


def _members(scenario: Scenario, w, fleet_index: np.ndarray) -> np.ndarray:
    """The satellites of a data-driven workload: its ``fleets``, or those with accelerators."""
    types = scenario.fleet_types()
    wanted = set(w.fleets) or {f.name for f, t in zip(scenario.fleet, types)
                               if t is not None and t.spec.accelerators > 0}
    fleet_of = np.array([scenario.fleet[i].name for i in fleet_index])
    return np.nonzero(np.isin(fleet_of, list(wanted)))[0]


def make_jobs(scenario: Scenario, periods_s: np.ndarray | None = None,
              fleet_index: np.ndarray | None = None) -> list[Job]:
    """The jobs of every workload known at the start, with seeded Poisson arrivals where asked
    for; data-driven batch gives one job per satellite and orbit (``periods_s``: each
    satellite's period); data uplinked from the ground arrives with contacts (``_Uplink``)."""
    rng = np.random.default_rng([scenario.seed, ARRIVALS_STREAM])
    jobs: list[Job] = []
    for w in scenario.workload:
        if w.kind == "inference":
            continue
        if w.data_driven:
            members = _members(scenario, w, fleet_index)
            if w.gb_uplinked_per_day is not None:
                continue  # arrives with contacts (_Uplink)
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
                step_flops=w.step_flops, gradient_bytes=w.gradient_bytes,
            ))
    return jobs


def _groups(scenario: Scenario, fleet_index: np.ndarray, network):
    """Satellites that may share a gang, as ``((members, sizes), bandwidth, fleets)``: each
    fleet with links is one group, every other satellite a group of its own (bandwidth 0);
    ``fleets``: linked group index -> fleet name. A linked group's ``bandwidth`` is the most
    its links could ever give (a link's ceiling times its transceivers: a job needing more
    is unschedulable); placement follows what they give at each routing step (the view's
    ``fleet_bandwidth_bps``: the all-reduce bottleneck of a formation's maximum spanning
    tree, or the weakest link)."""
    linked = {}
    for isl in (network.isls if network is not None else []):
        linked[isl.fleet] = float(isl.ceiling_bps * isl.transceivers)
    members, sizes, bandwidth, fleets = [], [], [], {}
    n_groups = 0
    for i, f in enumerate(scenario.fleet):  # fleets: a handful
        m = np.nonzero(fleet_index == i)[0]
        members.append(m)
        if f.name in linked and m.size > 1:
            sizes.append(np.array([m.size]))
            bandwidth.append(np.array([linked[f.name]]))
            fleets[n_groups] = f.name
            n_groups += 1
        else:
            sizes.append(np.ones(m.size, np.int64))
            bandwidth.append(np.zeros(m.size))
            n_groups += m.size
    return ((np.concatenate(members), np.concatenate(sizes)), np.concatenate(bandwidth),
            fleets)


class Operations:
    """The scenario's jobs flown in one flight: ``drive(flight)`` decides every step, then
    ``table()`` and ``section(results)`` give ``jobs.parquet`` and the summary's ``jobs``."""

    def __init__(self, scenario: Scenario, policy=None,
                 policy_where: tuple[str, str] | None = None):
        self.scenario = scenario
        #: Where the policy was named, ``(source, key)``, for errors in what it does: the
        #: scenario's ``policy.name`` unless given (``orbitdc compare``'s ``--policies``).
        self.policy_where = policy_where or (str(scenario.source), "policy.name")
        self.policy = resolve_policy(policy if policy is not None else scenario.policy.name,
                                     self.policy_where[0], base_dir=scenario.base_dir,
                                     key=self.policy_where[1],
                                     settings=scenario.policy.phoenix)
        self.orchestrator: Orchestrator | None = None
        self.result = None
        self.rates = self.demand = self.tally = None

    def drive(self, flight) -> None:
        sc = self.scenario
        uplinked = [w for w in sc.workload if w.gb_uplinked_per_day is not None]
        flight.track_contacts = bool(uplinked)
        flight.view()  # the first chunk: events and routing known from here on
        names = sc.satellite_names
        fleet_index = flight.fleet.fleet_index
        types = [sc.fleet_types()[i] for i in fleet_index]
        flops = np.array([t_.accelerator.bf16_dense_flops if t_ else 0.0 for t_ in types])
        n_acc = np.array([t_.spec.accelerators if t_ else 0 for t_ in types], np.int64)
        periods = None
        if any(w.data_driven and w.gb_per_orbit is not None for w in sc.workload):
            periods = np.array([2.0 * np.pi / s.no_kozai * 60.0 for s in flight.fleet.satrec_list])
        jobs = make_jobs(sc, periods, fleet_index)
        groups, bandwidth, group_fleets = _groups(sc, fleet_index, flight.network)
        inference = [w for w in sc.workload if w.kind == "inference"]
        t = flight.schedule_times
        per_acc = float(np.mean(flops[flops > 0])) if (flops > 0).any() else 1.0
        demand = None
        if inference:
            self.rates = _request_rates(sc, inference, t)  # (W, K, R) requests/s
            self.demand = sum(  # (K, R) accelerators
                self.rates[i] * w.flops_per_request for i, w in enumerate(inference)
            ) / (per_acc * sc.policy.mfu)
            demand = self.demand.__getitem__
        if inference:
            self.tally = _InferenceTally(inference, self.rates, self.demand, t)
        self.orchestrator = Orchestrator(
            jobs, groups, bandwidth, n_acc, flops, self.policy, mfu=sc.policy.mfu,
            on_served=self.tally if inference else None,
            t_end_s=float(t[-1]), inference_demand=demand,
            failures=_hard_failures(sc, n_acc, float(t[-1])), source=self.policy_where[0],
            policy_key=self.policy_where[1], group_fleets=group_fleets)
        arrivals = None
        if uplinked:
            uplinks = [_Uplink(sc, w, _members(sc, w, fleet_index)) for w in uplinked]
            next_id = [len(jobs)]
            antennas = np.array([g.antennas for g in sc.ground_station], np.int64)
            # When each station's antennas free from the contacts served so far.
            free_at = np.full((antennas.size, int(antennas.max(initial=1))), -np.inf)

            def arrivals():
                sats, stations, starts, ends = flight.closed_contacts()
                # A station serves one satellite per antenna: each batch (the contacts
                # closed since the last) after the batches before, whose contacts keep
                # their antennas.
                starts, ends = antenna_windows(stations, starts, ends, antennas, sats, free_at)
                ok = starts < ends
                contacts = (sats[ok], stations[ok], starts[ok], ends[ok])
                new = []
                for u in uplinks:
                    new += u.jobs(contacts, next_id[0] + len(new))
                next_id[0] += len(new)
                return new

        drive(flight, self.orchestrator, arrivals)
        self.result = self.orchestrator.result()
        self.names = names
        self.times = t

    def table(self) -> pa.Table:
        return _table(self.scenario, self.result, self.names)

    def section(self, results) -> dict:
        """The summary's ``jobs`` section; data-driven jobs finish when their results are
        down (contacts from the run's events)."""
        sc = self.scenario
        res = self.result
        if any(w.data_driven for w in sc.workload):
            _downlink(res, _downlink_windows(sc, results))
        state = res.state
        finished = state == "finished"
        started = ~np.isnan(res.first_start_s)
        submit = np.array([j.submit_s for j in res.jobs], float)
        done = float(res.done_flops.sum())
        energy = results.summary.get("bus", {}).get("energy_used_kwh")
        section = {
            "policy": self.policy.name,
            "jobs": len(res.jobs),
            "not_yet_submitted": res.not_submitted,
            "states": {s: int((state == s).sum())
                       for s in ("finished", "running", "queued", "unschedulable")},
            "goodput_accelerator_hours": round(res.useful_acc_s / 3600.0, 6),
            "utilisation": round(res.busy_acc_s / res.available_acc_s, 6)
            if res.available_acc_s else 0.0,
            "work_done_flops": done,
            "work_lost_flops": float(res.lost_flops.sum()),
            "overhead_flops": float(res.overhead_flops.sum()),
            "inference_flops": res.inference_flops,
            "completion_h_mean": round(float(np.mean((res.end_s - submit)[finished]) / 3600), 6)
            if finished.any() else None,
            "queueing_h_mean": round(float(np.mean(res.queued_s[started]) / 3600), 6)
            if started.any() else None,
            "energy_kwh_per_exaflop": round(energy / (done / 1e18), 6) if energy and done
            else None,
            "unschedulable": [j.id for j, s in zip(res.jobs, state) if s == "unschedulable"],
            "requeued_by_hard_failures": int(res.requeues.sum()),
            "silent_corruptions": int(res.silent_corruptions.sum()),
            "jobs_with_silent_corruption": int((res.silent_corruptions > 0).sum()),
            "preemptions": int(res.preemptions.sum()),
            "migrations": int(res.migrations.sum()),
            "closed_loop": "one flight: decided step by step",
        }
        inference = [w for w in sc.workload if w.kind == "inference"]
        if inference:
            section["inference"] = self.tally.section(self.times)
        return section

    def used_share(self) -> np.ndarray:
        """(S,) the mean share of each satellite's accelerators the jobs and inference used."""
        return self.orchestrator.used_share(float(self.times[-1] - self.times[0]))


class _Uplink:
    """Data from the ground for a batch workload: it reaches the ground at a steady
    ``gb_uplinked_per_day`` and waits there; each contact of a member satellite uplinks what
    waits, up to the station's uplink rate over the contact (as its antennas serve it), and a
    job on that satellite starts when the contact ends (contacts are the ephemeris: known
    ahead)."""

    def __init__(self, scenario: Scenario, w, members: np.ndarray):
        self.w = w
        self.members = members
        self.rate_gb_per_s = w.gb_uplinked_per_day / 86400.0
        self.uplink_bps = np.array([g.uplink_bps for g in scenario.ground_station], float)
        self.taken_gb = 0.0

    def jobs(self, contacts, first_id: int) -> list[Job]:
        sats, stations, starts, ends = contacts
        keep = np.isin(sats, self.members)
        order = np.lexsort((sats[keep], ends[keep]))
        sats, stations = sats[keep][order], stations[keep][order]
        starts, ends = starts[keep][order], ends[keep][order]
        out = []
        for s, g, a, b in zip(sats, stations, starts, ends):  # contacts: a few per orbit
            waiting = self.rate_gb_per_s * b - self.taken_gb
            size = min(waiting, self.uplink_bps[g] * (b - a) / 8e9)
            if size <= 0:
                continue
            self.taken_gb += size
            w = self.w
            out.append(Job(
                id=first_id + len(out), workload=w.name, kind=w.kind, submit_s=float(b),
                accelerators=w.accelerators, work_flops=float(size * w.flops_per_gb),
                checkpoint_interval_s=None, checkpoint_s=0.0, pinned=int(s),
                result_bytes=float(size * w.result_fraction * 1e9),
            ))
        return out


def _contact_table(scenario: Scenario, results):
    """Every contact as its station serves it, one satellite per antenna
    (``orbitdc.core.links.antenna_windows``): (satellite, start s, end s, station uplink b/s,
    station downlink b/s); contacts no antenna was free for are left out."""
    c = results.events_of("contact")
    names = {n: i for i, n in enumerate(scenario.satellite_names)}
    stations = {g.name: i for i, g in enumerate(scenario.ground_station)}
    up = np.array([g.uplink_bps for g in scenario.ground_station], float)
    down = np.array([g.downlink_bps for g in scenario.ground_station], float)
    antennas = np.array([g.antennas for g in scenario.ground_station], np.int64)
    start_us = int(round(scenario.start.timestamp() * 1e6))
    sats = np.array([names[n] for n in c.column("satellite").to_pylist()], int)
    a = (c.column("start").cast(pa.int64()).to_numpy() - start_us) / 1e6
    b = (c.column("end").cast(pa.int64()).to_numpy() - start_us) / 1e6
    g = np.array([stations[n] for n in c.column("target").to_pylist()], np.int64)
    a, b = antenna_windows(g, a, b, antennas, sats)
    ok = a < b
    return sats[ok], a[ok], b[ok], up[g[ok]], down[g[ok]]


def _downlink_windows(scenario: Scenario, results) -> dict:
    """Per satellite: its contact windows (s from the start, as the stations' antennas serve
    them) and the best downlink rate of the stations it meets (one station at a time)."""
    sats, a, b, _, r = _contact_table(scenario, results)
    order = np.lexsort((a, sats))
    sats, a, b, r = sats[order], a[order], b[order], r[order]
    cut = np.flatnonzero(np.diff(sats)) + 1
    first = np.r_[0, cut] if sats.size else np.empty(0, np.int64)
    best = np.maximum.reduceat(r, first) if sats.size else np.empty(0)
    return {int(s): (a_, b_, float(m)) for s, a_, b_, m in
            zip(sats[first], np.split(a, cut), np.split(b, cut), best)}


def _hard_failures(scenario: Scenario, n_acc: np.ndarray, t_end_s: float):
    """Accelerators that fail for good, at the cost model's ``failure_rate_per_year``: each
    accelerator's lifetime is exponential, drawn from the scenario's seed. Returns
    ``(satellite, time_s, accelerator)`` arrays (the accelerator's index on its satellite at
    the time, among those still working)."""
    rate = scenario.economics.failure_rate_per_year / (365.25 * 86400.0)
    total = int(n_acc.sum())
    if rate <= 0 or total == 0:
        return None
    rng = np.random.default_rng([scenario.seed, FAILURES_STREAM])
    life = rng.exponential(1.0 / rate, size=total)
    sat = np.repeat(np.arange(n_acc.size), n_acc)
    hit = life < t_end_s
    sat, when = sat[hit], life[hit]
    order = np.lexsort((when, sat))
    sat, when = sat[order], when[order]
    # The k-th failure on a satellite takes one of its n - k working accelerators.
    nth = np.arange(sat.size) - np.searchsorted(sat, sat, side="left")
    pick = np.random.default_rng([scenario.seed, ACCELERATORS_STREAM]).random(sat.size)
    acc = np.floor(pick * (n_acc[sat] - nth)).astype(np.int64)
    return sat, when, acc


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


@kernel
def _add_at(hist, bins, weights):
    """``np.add.at(hist, bins, weights)``, in the same order, compiled (a step's serving
    satellites: a few dozen, where NumPy's call costs more than the sums)."""
    for i in range(bins.size):
        hist[bins[i]] += weights[i]


class _InferenceTally:
    """The inference served, tallied as the run goes (memory: a histogram per workload, not
    a row per region, satellite and step): per workload the requests served at each round
    trip. Round trips come as float16 values (the network keeps them so), so a histogram over
    float16's 65,536 values holds them exactly, in ascending order for the positive ones."""

    def __init__(self, inference, rates, demand, t):
        self.inference = inference
        self.rates, self.demand = rates, demand
        self.dt = np.diff(t)
        self.hist = np.zeros((len(inference), 1 << 16))

    def __call__(self, k: int, region: np.ndarray, rtt_ms: np.ndarray,
                 amounts: np.ndarray) -> None:
        """A step's inference as it ran: per satellite serving a region, the region, its
        round trip and the accelerators it gave."""
        d = self.demand[k, region]
        ok = d > 0
        if not ok.all():
            region, rtt_ms, amounts, d = region[ok], rtt_ms[ok], amounts[ok], d[ok]
        bins = np.asarray(rtt_ms, np.float16).view(np.uint16)
        share = amounts / d  # of the region's requests at this step, per serving satellite
        for i in range(len(self.inference)):  # workloads: a handful
            _add_at(self.hist[i], bins, self.rates[i][k, region] * self.dt[k] * share)

    def section(self, t) -> dict:
        """Per workload: requests, the share served, latency-objective attainment and
        round-trip percentiles of the requests served, each at the round trip from its
        region to the satellite that served it. Workloads of one region share its servers in
        proportion."""
        k_n = t.size - 1
        values = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(float)
        positive = np.arange(0x7C01)  # +0 .. +inf, in ascending order of value
        out = {}
        for i, w in enumerate(self.inference):
            total = float((self.rates[i][:k_n] * self.dt[:, None]).sum())
            hist = self.hist[i][positive]
            served = float(hist.sum())
            within = float(hist[values[positive] <= w.latency_slo_ms].sum())

            def pct(q, hist=hist, served=served):
                if served <= 0:
                    return None
                cum = np.cumsum(hist) / served
                return round(float(values[positive][min(np.searchsorted(cum, q / 100.0),
                                                        positive.size - 1)]), 3)

            out[w.name] = {
                "requests": round(total, 3),
                "served_fraction": round(served / total, 6) if total else None,
                "slo_ms": w.latency_slo_ms,
                "slo_attainment": round(within / total, 6) if total else None,
                "rtt_ms_p50": pct(50),
                "rtt_ms_p99": pct(99),
            }
        return out


def _table(scenario, res, names) -> pa.Table:
    start_us = int(round(scenario.start.timestamp() * 1e6))

    def ts(seconds):
        return [None if not np.isfinite(x) else start_us + int(round(x * 1e6)) for x in seconds]

    jobs = res.jobs
    ended = np.where(np.isfinite(res.end_s), res.end_s, np.nan)
    rows = {
        "id": [j.id for j in jobs], "workload": [j.workload for j in jobs],
        "kind": [j.kind for j in jobs], "submitted": ts([j.submit_s for j in jobs]),
        "started": ts(res.first_start_s), "restarted": ts(
            np.where((res.requeues > 0) | (res.preemptions > 0), res.last_start_s, np.nan)),
        "finished": ts(res.end_s), "state": list(res.state),
        "placement": [",".join(f"{names[s]}:{n}" for s, n in sorted(p.items()))
                      for p in res.placement],
        "accelerators": [j.accelerators for j in jobs],
        "work_flops": [j.work_flops for j in jobs],
        "work_done_flops": list(res.done_flops), "work_lost_flops": list(res.lost_flops),
        "checkpoints": list(res.checkpoints), "requeues": list(res.requeues),
        "preemptions": list(res.preemptions),
        "queued_s": [None if np.isnan(a) else float(q)
                     for a, q in zip(res.first_start_s, res.queued_s)],
        "run_s": [None if np.isnan(e) else float(e - a)
                  for a, e in zip(res.first_start_s, ended)],
        "silent_corruptions": list(res.silent_corruptions),
    }
    arrays = []
    for f in JOBS_SCHEMA:
        if f.type == TIME:
            arrays.append(pa.array(rows[f.name], pa.int64()).cast(TIME))
        else:
            arrays.append(pa.array(rows[f.name], f.type))
    return pa.Table.from_arrays(arrays, schema=JOBS_SCHEMA)


def _downlink(res, downlink) -> None:
    """Finish data-driven jobs when their results are down: contact time after the compute
    ends, window by window, until the result bytes have passed at the station's rate. Jobs
    whose results are still aboard at the end are ``running``."""
    for i, j in enumerate(res.jobs):  # data-driven jobs finished in compute only
        if res.state[i] != "finished" or j.pinned is None or j.result_bytes <= 0:
            continue
        starts, ends, rate = downlink.get(j.pinned, (np.empty(0), np.empty(0), 0.0))
        need_s = j.result_bytes * 8.0 / rate if rate > 0 else np.inf
        # Contact time after the compute ends, cumulated: the first window where it suffices.
        begin = np.maximum(starts, res.end_s[i])
        have = np.cumsum(np.maximum(ends - begin, 0.0))
        w = int(np.searchsorted(have, need_s - 1e-9))
        if w >= have.size:
            res.state[i] = "running"  # computed, results still aboard
            res.end_s[i] = np.nan
        else:
            before = have[w - 1] if w else 0.0
            res.end_s[i] = float(begin[w] + need_s - before)


