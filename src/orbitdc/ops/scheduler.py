"""The orchestrator: jobs on the fleet's accelerators, step by step.

Given, at every scheduling step, how many accelerators each satellite can run
(``capacity[s, k] = accelerators x compute_available`` from the bus model) and when upsets
happen, the scheduler places queued jobs with a policy and advances running ones. It works on
arrays and plain records, not on orbits: the physics is already in the capacity.

Rules (deterministic; ties broken by job id, then satellite index):

- A job is a **gang**: all its accelerators run or none. Members may span satellites of one
  group (a fleet whose links carry the job's bandwidth), else they sit on one satellite.
- An accelerator that can run at all can take work (capacity 3.96 holds a 4-accelerator
  gang, which runs at 99 %); whole accelerators down with a fault or failure cannot.
- A running job progresses at ``accelerators x peak FLOP/s x mfu x pace``, where ``pace`` is
  the smallest share of its allocation that any member satellite can run this step (the gang
  runs at the pace of its slowest member); with no capacity, it stalls.
- Every ``checkpoint_interval`` of running time it stops for ``checkpoint_s`` to checkpoint.
- An upset on a member satellite rolls the job back to its last checkpoint; the work since is
  recorded as lost. A hard failure removes an accelerator for good; a gang that no longer fits
  goes back to the queue from its last checkpoint.
- A job that could never fit (more accelerators than any group has) is ``unschedulable``.
- At the end every job is in exactly one state: ``finished``, ``running``, ``queued`` or
  ``unschedulable``.

The loop with the bus is closed by passes (``orbitdc.ops.run.fly``): the first capacity comes
from the bus at full demand, the scheduler plans on it, and the next pass flies the bus at
the allocations of that plan (idle accelerators draw nothing); the plan reported is the one
flown. Within a pass the schedule does not react to its own effect on batteries and
temperatures; two passes are the default.

Policies (``POLICIES``): ``first-fit`` takes satellites in index order; ``power-aware`` ranks
them by their predicted capacity over the next ``horizon_s`` (eclipses and battery are
deterministic, so an operator knows them ahead; the outages of random upsets and failures are
not, so the prediction leaves them out), prefers those that will keep running, and
moves running gangs (through a checkpoint, at its cost) when their members' outlook is
clearly worse than free satellites';
``thermal-aware`` prefers the satellites furthest below their temperature limit now;
``latency-aware`` serves inference before placing any gang, each user region from the
satellites with the shortest round trip to it (first-fit for the gangs).

Inference is a demand in accelerators per user region and step (requests x work per request /
(peak x mfu)), served from the capacity the gangs leave, in satellite index order (latency-
aware: before the gangs, nearest first). Its latency is the network's round trip from the
region to the satellite that serves it (user -> compute -> user over the routed links, at
the routing step in force), so where it is placed decides whether it meets its objective; a
satellite a region cannot reach does not serve it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

__all__ = ["POLICY_CLASSES", "Job", "ScheduleResult", "SchedulingPolicy", "schedule"]


@dataclass
class Job:
    id: int
    workload: str
    kind: str
    submit_s: float
    accelerators: int
    work_flops: float
    checkpoint_interval_s: float | None
    checkpoint_s: float
    bandwidth_bps: float = 0.0
    #: Data-driven batch: the satellite holding the data (the job runs there) and the bytes of
    #: results it must downlink before it is finished.
    pinned: int | None = None
    result_bytes: float = 0.0
    # outcome
    state: str = "queued"
    start_s: float | None = None
    end_s: float | None = None
    placement: dict[int, int] = field(default_factory=dict)  # satellite -> accelerators
    done_flops: float = 0.0
    saved_flops: float = 0.0
    lost_flops: float = 0.0
    checkpoints: int = 0
    migrations: int = 0
    requeues: int = 0
    since_checkpoint_s: float = 0.0
    busy_acc_s: float = 0.0
    #: Time still owed to a checkpoint being written or a move (the job makes no progress).
    stall_s: float = 0.0


@dataclass
class ScheduleResult:
    jobs: list[Job]
    busy_acc_s: float  # accelerator-seconds allocated to running jobs and serving inference
    available_acc_s: float  # accelerator-seconds the fleet could run
    useful_acc_s: float  # work done (not lost) in accelerator-seconds at peak x mfu, and
    # inference served
    peak_allocation: np.ndarray  # (S,) most accelerators ever allocated on each satellite
    nameplate: np.ndarray  # (S,) accelerators each satellite has
    inference_served: np.ndarray | None = None  # (K-1, R) accelerators serving each region
    allocation: np.ndarray | None = None  # (S, K) accelerators allocated at each step
    #: Where inference was served: arrays (step, region, satellite, round trip ms,
    #: accelerators), one row per region and satellite that served it at that step.
    inference_pieces: tuple[np.ndarray, ...] | None = None


def _outlook(capacity: np.ndarray, k: int, horizon: int) -> np.ndarray:
    """Each satellite's mean share of its own capacity over the next ``horizon`` steps."""
    ahead = capacity[:, k: k + max(1, horizon)]
    return np.round(np.mean(ahead, axis=1) / np.maximum(capacity.max(axis=1), 1e-9), 6)


class SchedulingPolicy(Protocol):
    """What a policy decides; the scheduler does the rest (queue order, gangs, accounting).

    ``score(k, capacity, headroom, horizon)`` ranks satellites at step ``k`` (higher first,
    ties by index; None keeps index order); ``migrates``: move running gangs to clearly better
    satellites through a checkpoint; ``inference_first``: serve inference before gangs."""

    name: str
    migrates: bool
    inference_first: bool

    def score(self, k: int, capacity: np.ndarray, headroom: np.ndarray | None,
              horizon: int) -> np.ndarray | None: ...


@dataclass(frozen=True)
class FirstFit:
    name: str = "first-fit"
    migrates: bool = False
    inference_first: bool = False

    def score(self, k, capacity, headroom, horizon):
        return None


@dataclass(frozen=True)
class PowerAware:
    name: str = "power-aware"
    migrates: bool = True
    inference_first: bool = False

    def score(self, k, capacity, headroom, horizon):
        return _outlook(capacity, k, horizon)


@dataclass(frozen=True)
class ThermalAware:
    name: str = "thermal-aware"
    migrates: bool = False
    inference_first: bool = False

    def score(self, k, capacity, headroom, horizon):
        if headroom is None:
            return None
        # Coolest first, among satellites that can run now.
        return np.where(capacity[:, k] > 0, np.round(headroom[:, k], 3), -np.inf)


@dataclass(frozen=True)
class LatencyAware:
    name: str = "latency-aware"
    migrates: bool = False
    inference_first: bool = True

    def score(self, k, capacity, headroom, horizon):
        return None


#: The shipped policies by name (``[policy] name``); ``schedule`` also takes any object that
#: follows :class:`SchedulingPolicy`.
POLICY_CLASSES = {p.name: p for p in (FirstFit(), PowerAware(), ThermalAware(), LatencyAware())}


def _rank(policy, score: np.ndarray | None, members: np.ndarray):
    """Satellites of ``members`` in the order the policy tries them (best score first, then
    by index)."""
    if score is not None:
        return members[np.lexsort((members, -score[members]))]
    return members


def _serve(need: np.ndarray, free: np.ndarray, rtt: np.ndarray, nearest: bool):
    """Serve each region's inference demand ``need`` (R,) accelerators from ``free`` (S,)
    ones, region by region in their order: from the satellites with the shortest round trip
    ``rtt`` (R, S) first when ``nearest`` (ties by index), else in satellite index order.
    Satellites a region cannot reach (infinite round trip) do not serve it. Returns ``(taken
    (S,), served (R,), pieces)``, ``pieces`` a list of (region, satellites, rtt, amounts)."""
    free = free.astype(float).copy()
    taken = np.zeros_like(free)
    served = np.zeros(need.size)
    pieces = []
    for r in range(need.size):
        if need[r] <= 0:
            continue
        ok = np.nonzero(np.isfinite(rtt[r]) & (free > 0))[0]
        if nearest:
            ok = ok[np.lexsort((ok, rtt[r, ok]))]
        have = free[ok]
        before = np.cumsum(have) - have
        take = np.clip(need[r] - before, 0.0, have)
        used = take > 0
        sats, amounts = ok[used], take[used]
        free[sats] -= amounts
        taken[sats] += amounts
        served[r] = float(amounts.sum())
        if sats.size:
            pieces.append((r, sats, rtt[r, sats], amounts))
    return taken, served, pieces


def _downlink(jobs, downlink) -> None:
    """Finish data-driven jobs when their results are down: contact time after the compute
    ends, window by window, until the result bytes have passed at the station's rate. Jobs
    whose results are still aboard at the end are ``running``."""
    for j in jobs:
        if j.state != "finished" or j.pinned is None or j.result_bytes <= 0:
            continue
        starts, ends, rate = downlink.get(j.pinned, (np.empty(0), np.empty(0), 0.0))
        need_s = j.result_bytes * 8.0 / rate if rate > 0 else np.inf
        t = j.end_s
        for a, b in zip(starts, ends):
            if b <= t:
                continue
            begin = max(a, t)
            if b - begin >= need_s:
                t = begin + need_s
                need_s = 0.0
                break
            need_s -= b - begin
            t = b
        if need_s > 0:
            j.state = "running"  # computed, results still aboard
            j.end_s = None
        else:
            j.end_s = float(t)


#: A gang moves only to satellites whose outlook beats its current members' by this much.
MIGRATE_GAIN = 0.2


def _plan(job, groups, bandwidth, order, free, policy, score) -> dict[int, int]:
    """Where the policy would put ``job`` with ``free`` accelerators: {satellite: count}."""
    if job.pinned is not None:
        s = job.pinned
        return {int(s): job.accelerators} if free[s] >= job.accelerators else {}
    for gi in order:
        g, bw = groups[gi], bandwidth[gi]
        ranked = _rank(policy, score, g)
        if len(g) == 1 or bw < job.bandwidth_bps:
            for s in ranked:
                if free[s] >= job.accelerators:
                    return {int(s): job.accelerators}
            continue
        plan: dict[int, int] = {}
        need = job.accelerators
        for s in ranked:
            take = int(min(free[s], need))
            if take > 0:
                plan[int(s)] = take
                need -= take
            if need == 0:
                return plan
    return {}


def schedule(
    t_s: np.ndarray,
    capacity: np.ndarray,
    groups: list[np.ndarray],
    group_bandwidth: list[float],
    flops_per_acc: np.ndarray,
    jobs: list[Job],
    upsets: tuple[np.ndarray, np.ndarray],
    policy: str | SchedulingPolicy = "first-fit",
    mfu: float = 0.4,
    horizon_s: float = 3600.0,
    headroom: np.ndarray | None = None,
    inference_demand: np.ndarray | None = None,
    failures: tuple[np.ndarray, np.ndarray] | None = None,
    downlink: dict[int, tuple[np.ndarray, np.ndarray, float]] | None = None,
    inference_rtt=None,
    planned: np.ndarray | None = None,
) -> ScheduleResult:
    """Run the jobs over the steps ``t_s`` (K,) with ``capacity`` (S, K) accelerators per
    satellite. ``groups``: satellites that may share a gang, with the bandwidth their links
    give; ``upsets``: (satellite, time) arrays. ``inference_demand``: accelerators of
    inference wanted by each user region at each step (K-1, R) (or (K-1,): one region);
    ``inference_rtt(k)``: the round trip (R, S) ms from each region to each satellite at step
    ``k`` (None: every satellite reachable, latency not tracked). ``planned`` (S, K): the
    capacity policies look ahead on, without the outages of random upsets and failures that
    nobody can foresee (default: ``capacity``). Returns the jobs with their outcome."""
    rules = POLICY_CLASSES[policy] if isinstance(policy, str) else policy
    n_s, n_k = capacity.shape
    # Whole accelerators that can run at all (a throttled one still takes work, at its pace).
    nameplate = np.ceil(capacity.max(axis=1) - 1e-6).astype(int) if n_k else np.zeros(n_s, int)
    step = float(np.median(np.diff(t_s))) if n_k > 1 else 1.0
    horizon = int(round(horizon_s / step))
    up_sat, up_t = upsets
    order = np.argsort(up_t, kind="stable")
    up_sat, up_t = np.asarray(up_sat)[order], np.asarray(up_t)[order]
    jobs = sorted(jobs, key=lambda j: (j.submit_s, j.id))
    for j in jobs:
        fits = any(nameplate[g].sum() >= j.accelerators and (
            len(g) == 1 or bw >= j.bandwidth_bps or j.accelerators <= nameplate[g].max())
            for g, bw in zip(groups, group_bandwidth))
        if not fits:
            j.state = "unschedulable"
    capacity = np.array(capacity, float, copy=True)
    lookahead = capacity if planned is None else np.asarray(planned, float)
    failed = np.zeros(n_s, int)
    f_sat, f_t = (np.asarray(failures[0], int), np.asarray(failures[1], float)) if failures \
        else (np.empty(0, int), np.empty(0))
    if f_sat.size:  # lost for good: fewer accelerators from the failure on
        for s_, t_ in zip(f_sat, f_t):
            capacity[s_, t_s > t_] = np.maximum(capacity[s_, t_s > t_] - 1.0, 0.0)
    allocated = np.zeros(n_s, int)
    peak = np.zeros(n_s, int)
    if inference_demand is not None:
        inference_demand = np.asarray(inference_demand, float)
        if inference_demand.ndim == 1:
            inference_demand = inference_demand[:, None]
    n_r = inference_demand.shape[1] if inference_demand is not None else 0
    served = np.zeros((max(n_k - 1, 0), n_r))
    pieces: list[tuple] = []
    allocation = np.zeros((n_s, n_k))
    busy = avail = useful = 0.0
    for k in range(n_k - 1):
        t0, t1 = t_s[k], t_s[k + 1]
        dt = t1 - t0
        cap = np.ceil(capacity[:, k] - 1e-6).astype(int)
        avail += float(capacity[:, k].sum()) * dt
        # Place queued jobs that have arrived, in order; power-aware tries the groups with the
        # best outlook first (ties: their order), first-fit takes them as they come.
        outlook = rules.score(k, lookahead, headroom, horizon)
        group_order = list(range(len(groups)))
        if outlook is not None:
            group_order.sort(key=lambda i: (-float(outlook[groups[i]].max()), i))
        # Latency-aware: inference takes its accelerators first, each region from the
        # satellites nearest to it; gangs get what is left (whole accelerators).
        need = inference_demand[k] if inference_demand is not None else np.zeros(0)
        rtt_k = None
        if need.sum() > 0:
            rtt_k = inference_rtt(k) if inference_rtt is not None else np.zeros((n_r, n_s))
        infer = np.zeros(n_s)
        reserved = np.zeros(n_s, int)
        if rules.inference_first and rtt_k is not None:
            infer, got, parts = _serve(need, np.maximum(capacity[:, k] - allocated, 0.0), rtt_k,
                                       nearest=True)
            served[k] += got
            pieces += [(k, *p) for p in parts]
            reserved = np.ceil(infer - 1e-9).astype(int)
        for j in jobs:
            if j.state != "queued" or j.submit_s > t0:
                continue
            free = np.maximum(cap - allocated - reserved, 0)
            plan = _plan(j, groups, group_bandwidth, group_order, free, policy, outlook)
            if plan:
                j.placement = plan
                j.state = "running"
                j.start_s = float(t0)
                for s, n in plan.items():
                    allocated[s] += n
                peak = np.maximum(peak, allocated)
        # Power-aware: move a running gang, through a checkpoint, to satellites whose outlook
        # is clearly better (ahead of an eclipse or an empty battery).
        moved: dict[int, float] = {}
        if rules.migrates and outlook is not None:
            for j in jobs:
                if j.state != "running":
                    continue
                current = min(float(outlook[s]) for s in j.placement)
                if current >= 1.0 - 1e-9:
                    continue
                for s, n in j.placement.items():
                    allocated[s] -= n
                free = np.maximum(cap - allocated - reserved, 0)
                plan = _plan(j, groups, group_bandwidth, group_order, free, policy, outlook)
                if plan and plan != j.placement and (
                    min(float(outlook[s]) for s in plan) >= current + MIGRATE_GAIN
                ):
                    j.placement = plan
                    j.migrations += 1
                    j.checkpoints += 1
                    j.saved_flops = j.done_flops
                    j.since_checkpoint_s = 0.0
                    moved[j.id] = j.checkpoint_s
                for s, n in j.placement.items():
                    allocated[s] += n
                peak = np.maximum(peak, allocated)
        allocation[:, k] = allocated + infer
        if rtt_k is not None and (need - served[k]).max() > 1e-12:
            # Inference not served yet takes what the gangs left: latency-aware still nearest
            # first, the other policies in satellite index order.
            more, got, parts = _serve(need - served[k],
                                      np.maximum(capacity[:, k] - allocated - infer, 0.0),
                                      rtt_k, nearest=rules.inference_first)
            served[k] += got
            pieces += [(k, *p) for p in parts]
            allocation[:, k] += more
        if n_r:
            # Inference served is accelerator time used, and useful.
            busy += float(served[k].sum()) * dt
            useful += float(served[k].sum()) * dt
        # Advance running jobs.
        hits = up_sat[(up_t >= t0) & (up_t < t1)]
        hit = set(int(s) for s in hits)
        # Hard failures in this step: gangs that no longer fit go back to the queue.
        for s in f_sat[(f_t >= t0) & (f_t < t1)]:
            failed[s] += 1
            left = max(int(nameplate[s]) - int(failed[s]), 0)
            for j in jobs:
                if j.state == "running" and allocated[s] > left and s in j.placement:
                    for m, n in j.placement.items():
                        allocated[m] -= n
                    j.lost_flops += j.done_flops - j.saved_flops
                    j.done_flops = j.saved_flops
                    j.since_checkpoint_s = 0.0
                    j.placement = {}
                    j.state = "queued"
                    j.requeues += 1
        for j in jobs:
            if j.state != "running":
                continue
            sats = np.fromiter(j.placement, int)
            want = allocated[sats]
            # The gang runs at its slowest member's share (fractional capacity counts).
            pace = float(np.min(np.clip(capacity[sats, k] / np.maximum(want, 1), 0.0, 1.0)))
            rate = sum(n * flops_per_acc[s] for s, n in j.placement.items()) * mfu
            busy += j.accelerators * dt
            j.busy_acc_s += j.accelerators * dt
            if hit.intersection(j.placement):
                j.lost_flops += j.done_flops - j.saved_flops
                j.done_flops = j.saved_flops
                j.since_checkpoint_s = 0.0
                continue
            # Time owed to checkpoints and moves is paid first, over as many steps as it takes.
            j.stall_s += moved.get(j.id, 0.0)
            avail_s = dt * pace
            paid = min(j.stall_s, avail_s)
            j.stall_s -= paid
            run_s = avail_s - paid
            gained = min(rate * run_s, j.work_flops - j.done_flops)
            j.done_flops += gained
            j.since_checkpoint_s += run_s
            finished = j.done_flops >= j.work_flops * (1 - 1e-12)
            if (not finished and j.checkpoint_interval_s is not None
                    and j.since_checkpoint_s >= j.checkpoint_interval_s):
                # A checkpoint of the state now; writing it stalls the job for checkpoint_s.
                j.checkpoints += 1
                j.since_checkpoint_s = 0.0
                j.saved_flops = j.done_flops
                j.stall_s += j.checkpoint_s
            if finished:
                used = paid + gained / max(rate, 1e-300)
                j.end_s = float(t0 + min(used / max(pace, 1e-12), dt))
                j.state = "finished"
                for s, n in j.placement.items():
                    allocated[s] -= n
    if downlink is not None:
        _downlink(jobs, downlink)
    for j in jobs:
        if j.placement:
            per_acc = float(np.mean([flops_per_acc[s] for s in j.placement]))
            useful += j.done_flops / max(mfu * per_acc, 1e-300)
    if n_k:
        allocation[:, -1] = allocation[:, -2] if n_k > 1 else 0.0
    result = ScheduleResult(jobs, busy, avail, useful, peak, nameplate,
                            served if inference_demand is not None else None, allocation)
    if inference_demand is not None:
        cols = [np.concatenate([np.full(len(p[2]), p[i]) if i < 2 else p[i] for p in pieces])
                if pieces else np.empty(0) for i in range(5)]
        result.inference_pieces = (cols[0].astype(int), cols[1].astype(int),
                                   cols[2].astype(int), cols[3].astype(float),
                                   cols[4].astype(float))
    return result
