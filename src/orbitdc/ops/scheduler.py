"""The orchestrator: jobs on the fleet's accelerators, decided step by step in one flight.

At each scheduling step the orchestrator sees the fleet as an operator would
(:class:`orbitdc.sim.engine.FleetView`: accelerators that can run now, state of charge,
temperature headroom, the outlook over the policy's horizon from the ephemeris, round trips
to users) and decides: it places queued jobs, moves gangs (power-aware), serves inference,
and asks the bus to run the share of each satellite's accelerators it placed. The bus flies
that step under that demand and reports the share that ran; the jobs advance on exactly
that. One flight, no replay: the jobs, the time series and the energy are the same run.

Rules (deterministic; ties broken by job order (arrival, then id), then satellite index):

- A job is a **gang**: all its accelerators run or none. Members may span satellites of one
  group (a fleet whose links carry the job's bandwidth), else they sit on one satellite.
- An accelerator that can run at all can take work (capacity 3.96 holds a 4-accelerator
  gang, which runs at 99 %); whole accelerators down with a fault or failure cannot.
- A running gang runs at the pace of its slowest member: the share of what it was given that
  the satellite could run. The members that could run faster wait at the barrier, and the
  bus is flown again at what the gang really ran (so their idle time draws idle power); a
  job finishing within a step runs only until it finishes.
- Every ``checkpoint_interval`` of running time it stops for ``checkpoint_s`` to checkpoint.
- An upset hits **one accelerator**: the job holding it (accelerators on a satellite are
  held in job order, inference after the gangs) rolls back to its last checkpoint, the work
  since recorded as lost; the satellite's other jobs go on. A hard failure removes an
  accelerator for good; the gang holding it goes back to the queue from its last checkpoint
  (keeping its first start; its last restart and the time it waited are recorded).
- A policy may stop running gangs (``preempt``): each saves a checkpoint, frees its
  accelerators and waits in the queue (not placed again before the next step), paying the
  checkpoint's time when it restarts.
- A job that could never fit (more accelerators than any group has) is ``unschedulable``; a
  job that arrives after the run's end is not in the table (the summary counts it).
- At the end every job is in exactly one state: ``finished``, ``running``, ``queued`` or
  ``unschedulable``.

Policies follow :class:`SchedulingPolicy`: ``score(view)`` ranks satellites (None: index
order); groups are tried best member first. ``first-fit`` takes satellites in index order;
``power-aware`` ranks by the outlook (battery now and sunlight ahead: a rested satellite has
charge) and moves running gangs, through a checkpoint, when their members' outlook is clearly
worse than free satellites'; ``thermal-aware`` prefers the satellites furthest below their
temperature limit now; ``latency-aware`` serves inference before placing any gang, each user
region from the satellites with the shortest round trip to it.

Inference is a demand in accelerators per user region and step (requests x work per request /
(peak x mfu)), served from the capacity the gangs leave, in satellite index order (latency-
aware: before the gangs, nearest first), at the round trip from its region to the satellite
that serves it; a satellite a region cannot reach does not serve it.

Everything per step is arrays over satellites and jobs: placement runs in a compiled kernel
(:mod:`orbitdc.ops.placement`), progress, checkpoints and rollbacks are numpy over jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from orbitdc.core._jit import kernel
from orbitdc.core.links import ring_allreduce_s, ring_bottleneck_bps
from orbitdc.model.errors import ScenarioError
from orbitdc.ops import placement

__all__ = ["POLICY_CLASSES", "Job", "Orchestrator", "RunningJobs", "ScheduleResult",
           "SchedulingPolicy", "drive", "schedule", "step"]

QUEUED, RUNNING, FINISHED, UNSCHEDULABLE = 0, 1, 2, 3
#: A job withdrawn by its owner (``Orchestrator.cancel``: the live twin, ``orbitdc serve``).
CANCELLED = 4
STATE_NAMES = np.array(["queued", "running", "finished", "unschedulable", "cancelled"],
                       dtype=object)

#: A gang moves only to satellites whose outlook beats its current members' by this much.
MIGRATE_GAIN = 0.2
#: Most flights of one step while gangs wait for their slowest member (it settles in one or
#: two: each flight can only lower what the others wait for).
SETTLE_PASSES = 16
#: Groups first sorted for placement (or twice the accelerators queued, if more): the head of
#: the policy's order, enough where the fleet has room (see ``Orchestrator.decide``).
HEAD_GROUPS = 4096


@dataclass
class Job:
    """A job as a workload submits it (input of :class:`Orchestrator`)."""

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
    #: Training across satellites: the work of one optimiser step and the gradient bytes
    #: all-reduced after it over the gang's links (0: no all-reduce).
    step_flops: float = 0.0
    gradient_bytes: float = 0.0


@dataclass
class ScheduleResult:
    """The jobs' outcome, arrays (J,) in queue order (``jobs``: the input records)."""

    jobs: list[Job]
    state: np.ndarray  # str
    first_start_s: np.ndarray  # nan: never started
    last_start_s: np.ndarray  # the latest (re)start
    end_s: np.ndarray  # nan: not finished
    queued_s: np.ndarray  # time spent waiting in the queue
    done_flops: np.ndarray
    lost_flops: np.ndarray
    overhead_flops: np.ndarray  # checkpoint, move and all-reduce time, at the gang's rate
    checkpoints: np.ndarray
    migrations: np.ndarray
    requeues: np.ndarray
    placement: list[dict[int, int]]  # where each job ran last: satellite -> accelerators
    busy_acc_s: float  # accelerator-seconds allocated to running jobs and inference
    available_acc_s: float  # accelerator-seconds the fleet could run
    useful_acc_s: float  # work done (not lost) and inference served, accelerator-seconds
    inference_flops: float  # work of the inference served
    #: Where inference was served: arrays (step, region, satellite, round trip ms,
    #: accelerators), one row per region and satellite that served it at that step.
    inference_pieces: tuple[np.ndarray, ...] | None = None
    inference_served: np.ndarray | None = None  # (K-1, R) accelerators serving each region
    not_submitted: int = 0  # jobs whose arrival falls after the run's end
    preemptions: np.ndarray | None = None  # times the policy stopped each job
    #: Silent data corruptions that hit each job's accelerators while it held them (not
    #: rolled back: the orchestrator cannot see them).
    silent_corruptions: np.ndarray | None = None


class SchedulingPolicy(Protocol):
    """What a policy decides; the orchestrator does the rest (queue order, gangs, accounting).

    ``score(view)`` ranks satellites at the step ``view`` shows (an
    :class:`orbitdc.sim.engine.FleetView`; higher first, ties by index; None keeps index
    order); ``migrates``: move running gangs through a checkpoint to satellites whose
    outlook (``view.outlook``, whatever ``score`` ranks by) is clearly better, taking them in
    the order ``score`` gives (no moves when it returns None); ``inference_first``: serve
    inference before gangs.

    Optional: ``preempt(view, running)`` with ``running`` a :class:`RunningJobs` returns a
    bool array over the running gangs (or None): those to stop now. A stopped gang saves a
    checkpoint (its work so far is kept; the checkpoint's time is paid when it restarts, as
    after a move), gives its accelerators back and waits in the queue in its arrival order;
    it is not placed again before the next step. None of the shipped four preempt."""

    name: str
    migrates: bool
    inference_first: bool

    def score(self, view) -> np.ndarray | None: ...


@dataclass(frozen=True)
class RunningJobs:
    """The gangs running at a step, for a policy's ``preempt``: arrays (N,) in queue order
    (``ids``: the jobs' ids, as in the jobs table), their ``accelerators``, ``submitted_s``,
    ``started_s`` (the latest start), ``progress`` (work done / work) and ``since_checkpoint_s``
    (running time since their last checkpoint), and where they run: rows (``row_job``: index
    into these arrays, ``row_satellite``, ``row_accelerators``), sorted by job."""

    ids: np.ndarray
    accelerators: np.ndarray
    submitted_s: np.ndarray
    started_s: np.ndarray
    progress: np.ndarray
    since_checkpoint_s: np.ndarray
    row_job: np.ndarray
    row_satellite: np.ndarray
    row_accelerators: np.ndarray


@dataclass(frozen=True)
class FirstFit:
    name: str = "first-fit"
    migrates: bool = False
    inference_first: bool = False

    def score(self, view):
        return None


@dataclass(frozen=True)
class PowerAware:
    name: str = "power-aware"
    migrates: bool = True
    inference_first: bool = False

    def score(self, view):
        return np.round(view.outlook, 6)


@dataclass(frozen=True)
class ThermalAware:
    name: str = "thermal-aware"
    migrates: bool = False
    inference_first: bool = False

    def score(self, view):
        # Coolest first, among satellites that can run now.
        return np.where(view.capacity > 0, np.round(np.nan_to_num(view.headroom_k), 3), -np.inf)


@dataclass(frozen=True)
class LatencyAware:
    name: str = "latency-aware"
    migrates: bool = False
    inference_first: bool = True

    def score(self, view):
        return None


#: The shipped policies by name (``[policy] name``); the orchestrator also takes any object
#: that follows :class:`SchedulingPolicy`.
POLICY_CLASSES = {p.name: p for p in (FirstFit(), PowerAware(), ThermalAware(), LatencyAware())}


def _serve(need: np.ndarray, free: np.ndarray, rtt: np.ndarray, nearest: bool):
    """Serve each region's inference demand ``need`` (R,) accelerators from ``free`` (S,)
    ones, region by region in their order: from the satellites with the shortest round trip
    ``rtt`` (R, S) first when ``nearest`` (ties by index), else in satellite index order.
    Satellites a region cannot reach (infinite round trip) do not serve it. Returns ``(taken
    (S,), served (R,), pieces)``, ``pieces`` the (region, satellite, rtt, amount) arrays of
    each satellite serving a region, by region."""
    need = np.ascontiguousarray(need, float)
    rtt = np.ascontiguousarray(rtt, float)
    taken, served, p_region, p_sat, p_amount = _serve_kernel(
        need, np.ascontiguousarray(free, float), rtt, bool(nearest))
    return taken, served, (p_region, p_sat, rtt[p_region, p_sat], p_amount)


#: Nearest-first serving sorts a region's satellites a block at a time: the nearest this many
#: first (a region's demand is usually met from a few dozen), then four times as many.
SERVE_BLOCK = 64


@kernel
def _serve_kernel(need, free, rtt, nearest):
    """:func:`_serve` compiled: the regions in order, each from its satellites in order
    (nearest first, ties by index; or by index), taking what each has free.

    Only satellites it can reach and that have something free can serve a region, so only
    they are ordered. Nearest first, the nearest ``SERVE_BLOCK`` are picked in the pass that
    finds the candidates (a bounded heap on (round trip, index)); where they do not meet the
    demand, the others are taken a block at a time (every candidate up to a threshold,
    sorted stably, each block four times the last): the order is that of one stable sort of
    them all."""
    n_r, n_s = rtt.shape
    free = free.copy()
    taken = np.zeros(n_s)
    served = np.zeros(n_r)
    room = 256
    p_region = np.empty(room, np.int64)
    p_sat = np.empty(room, np.int64)
    p_amount = np.empty(room)
    n_p = 0
    cand = np.empty(n_s, np.int64)
    heap_v = np.empty(SERVE_BLOCK)
    heap_s = np.empty(SERVE_BLOCK, np.int64)
    for r in range(n_r):
        want = need[r]
        if not want > 0:
            continue
        n_c = 0  # the candidates, by index; nearest first: the nearest SERVE_BLOCK in a heap
        n_h = 0  # whose root is the farthest of them (ties: the greatest index)
        for s in range(n_s):
            v = rtt[r, s]
            if not (np.isfinite(v) and free[s] > 0):
                continue
            cand[n_c] = s
            n_c += 1
            if not nearest:
                continue
            if n_h < SERVE_BLOCK:  # sift up
                p = n_h
                n_h += 1
                while p > 0:
                    q = (p - 1) >> 1
                    if heap_v[q] < v or (heap_v[q] == v and heap_s[q] < s):
                        heap_v[p], heap_s[p] = heap_v[q], heap_s[q]
                        p = q
                    else:
                        break
                heap_v[p], heap_s[p] = v, s
            elif v < heap_v[0]:  # (a tie comes later in index order: farther)
                p = 0
                while True:  # the root replaced, sifted down
                    c = 2 * p + 1
                    if c >= n_h:
                        break
                    if c + 1 < n_h and (heap_v[c + 1] > heap_v[c] or (
                            heap_v[c + 1] == heap_v[c] and heap_s[c + 1] > heap_s[c])):
                        c += 1
                    if heap_v[c] > v or (heap_v[c] == v and heap_s[c] > s):
                        heap_v[p], heap_s[p] = heap_v[c], heap_s[c]
                        p = c
                    else:
                        break
                heap_v[p], heap_s[p] = v, s
        if nearest:
            by_index = np.argsort(heap_s[:n_h])
            first = heap_s[:n_h][by_index]
            order = first[np.argsort(heap_v[:n_h][by_index], kind="mergesort")]
            if n_h < n_c:
                last_v, last_s = heap_v[0], heap_s[0]
                keep = np.empty(n_c - n_h, np.int64)
                n_k = 0
                for i in range(n_c):
                    s = cand[i]
                    v = rtt[r, s]
                    if v > last_v or (v == last_v and s > last_s):
                        keep[n_k] = s
                        n_k += 1
                rest = keep[:n_k]
            else:
                rest = cand[:0]
        else:
            order = cand[:n_c].copy()
            rest = cand[:0]
        block = 4 * SERVE_BLOCK
        while True:
            for s in order:
                if want <= 0:
                    break
                take = min(want, free[s])
                free[s] -= take
                taken[s] += take
                served[r] += take
                want -= take
                if n_p == room:
                    room *= 2
                    p_region = np.concatenate((p_region, np.empty(room - n_p, np.int64)))
                    p_sat = np.concatenate((p_sat, np.empty(room - n_p, np.int64)))
                    p_amount = np.concatenate((p_amount, np.empty(room - n_p)))
                p_region[n_p] = r
                p_sat[n_p] = s
                p_amount[n_p] = take
                n_p += 1
            if not (want > 0 and rest.size):
                break
            vals = rtt[r, rest]
            if rest.size > block:
                threshold = np.partition(vals, block - 1)[block - 1]
                near = vals <= threshold
                chosen = rest[near]
                rest = rest[~near]
                vals = vals[near]
            else:
                chosen = rest
                rest = rest[:0]
            order = chosen[np.argsort(vals, kind="mergesort")]
            block *= 4
    return taken, served, p_region[:n_p], p_sat[:n_p], p_amount[:n_p]


class Orchestrator:
    """Decides each scheduling step of a flight and advances the jobs on what ran.

    ``groups``: satellites that may share a gang (arrays of indices, disjoint, covering the
    fleet; or ``(members, sizes)``: them concatenated and their sizes), with the bandwidth
    their links give (``group_bandwidth``, (G,)); ``n_acc`` (S,)
    accelerators each satellite has; ``flops_per_acc`` (S,) their dense peak.
    ``inference_demand(k)``: accelerators wanted by each region at step ``k`` (R,) (None: no
    inference). ``failures``: (satellite, time, accelerator) arrays of hard failures."""

    def __init__(self, jobs: list[Job], groups: list[np.ndarray], group_bandwidth: list[float],
                 n_acc: np.ndarray, flops_per_acc: np.ndarray, policy, *, mfu: float = 0.4,
                 t_end_s: float = np.inf, inference_demand=None,
                 failures: tuple[np.ndarray, ...] | None = None, source: str = "<policy>",
                 group_fleets: dict[int, str] | None = None, on_served=None,
                 policy_key: str = "policy.name"):
        self.policy = policy
        #: Where the policy was named (the scenario file and its key, or ``--policies``), for
        #: errors in what it returns.
        self.source = source
        self.policy_key = policy_key
        self.mfu = float(mfu)
        n_s = int(np.asarray(n_acc).size)
        self.n_s = n_s
        self.n_acc = np.asarray(n_acc, np.int64)
        self.flops = np.asarray(flops_per_acc, float)
        # Groups as contiguous ranges of one array of members (in group order); ``groups``
        # may be given so already, as ``(members, sizes)``.
        if isinstance(groups, tuple):
            members, sizes = (np.asarray(x, np.int64) for x in groups)
        else:
            sizes = np.array([len(g) for g in groups], np.int64)
            members = (np.concatenate([np.asarray(g, np.int64) for g in groups])
                       if groups else np.empty(0, np.int64))
        self.members = members
        self.group_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.group_bw = np.where(sizes > 1, np.asarray(group_bandwidth, float), -1.0)
        # Each satellite's group, for the bandwidth a gang's all-reduce gets.
        self.sat_group = np.zeros(n_s, np.int64)
        self.sat_group[members] = np.repeat(np.arange(sizes.size), sizes)
        # Whether a job could ever fit is judged on the bandwidth given (the links' most);
        # placement on what they give at each step (``view.fleet_bandwidth_bps``, by the
        # groups' fleets), where the view says.
        self.nameplate_bw = self.group_bw.copy()
        self.group_fleets = dict(group_fleets or {})
        self.linked = np.nonzero(sizes > 1)[0]
        self.t_end_s = float(t_end_s)
        self.not_submitted = 0
        self.jobs: list[Job] = []
        i64, f64 = np.int64, float
        for name, dtype in (("submit", f64), ("acc", i64), ("work", f64), ("bw", f64),
                            ("pinned", i64), ("interval", f64), ("ckpt_s", f64),
                            ("state", i64), ("done", f64), ("saved", f64), ("lost", f64),
                            ("overhead", f64), ("since", f64), ("stall", f64),
                            ("queued_s", f64), ("first_start", f64), ("last_start", f64),
                            ("end", f64), ("waiting_since", f64), ("checkpoints", i64),
                            ("migrations", i64), ("requeues", i64), ("preemptions", i64),
                            ("silent", i64), ("ids", i64), ("stepf", f64), ("grad", f64)):
            setattr(self, name, np.empty(0, dtype))
        self.last_placement: list[dict[int, int]] = []
        # Running placements: rows (job, satellite, accelerators), sorted by job.
        self.p_job = np.empty(0, np.int64)
        self.p_sat = np.empty(0, np.int64)
        self.p_n = np.empty(0, np.int64)
        self.used_acc_s = np.zeros(n_s)
        self.add(jobs)
        self.failed = np.zeros(n_s, np.int64)
        if failures is not None and len(failures[0]):
            order = np.argsort(failures[1], kind="stable")
            self.f_sat = np.asarray(failures[0], np.int64)[order]
            self.f_t = np.asarray(failures[1], float)[order]
            self.f_acc = np.asarray(failures[2], np.int64)[order]
        else:
            self.f_sat = self.f_acc = np.empty(0, np.int64)
            self.f_t = np.empty(0)
        self.inference_demand = inference_demand
        self.served: list[np.ndarray] = []
        self.pieces: list[tuple] = []
        #: ``on_served(k, region, rtt_ms, accelerators)``, if given, takes each step's
        #: inference as it ran (arrays, one entry per satellite serving a region: the region,
        #: the round trip, the accelerators) instead of the result keeping every piece.
        self.on_served = on_served
        self.busy = self.avail = self.useful = self.inference_flops = 0.0
        self._step: dict | None = None
        self._isl_links = None

    # --- jobs ---------------------------------------------------------------------------------
    def add(self, jobs: list[Job]) -> None:
        """Submit ``jobs`` (queued from their arrival; those arriving after the run's end are
        only counted). Jobs are kept in the order they are added; the queue is served by
        (arrival, id)."""
        jobs = sorted(jobs, key=lambda j: (j.submit_s, j.id))
        late = np.array([j.submit_s >= self.t_end_s for j in jobs], bool)
        self.not_submitted += int(late.sum())
        jobs = [j for j, x in zip(jobs, late) if not x]
        if not jobs:
            return
        n = len(jobs)
        new = {
            "ids": np.array([j.id for j in jobs], np.int64),
            "submit": np.array([j.submit_s for j in jobs], float),
            "acc": np.array([j.accelerators for j in jobs], np.int64),
            "work": np.array([j.work_flops for j in jobs], float),
            "bw": np.array([j.bandwidth_bps for j in jobs], float),
            "pinned": np.array([-1 if j.pinned is None else j.pinned for j in jobs], np.int64),
            "interval": np.array([np.inf if j.checkpoint_interval_s is None
                                  else j.checkpoint_interval_s for j in jobs], float),
            "ckpt_s": np.array([j.checkpoint_s for j in jobs], float),
            "stepf": np.array([j.step_flops for j in jobs], float),
            "grad": np.array([j.gradient_bytes for j in jobs], float),
        }
        new["state"] = np.where(self._fits(new["acc"], new["bw"], new["pinned"]), QUEUED,
                                UNSCHEDULABLE).astype(np.int64)
        new["waiting_since"] = new["submit"].copy()
        for name in ("done", "saved", "lost", "overhead", "since", "stall", "queued_s"):
            new[name] = np.zeros(n)
        for name in ("first_start", "last_start", "end"):
            new[name] = np.full(n, np.nan)
        # ``silent``: the silent data corruptions each job took.
        for name in ("checkpoints", "migrations", "requeues", "preemptions", "silent"):
            new[name] = np.zeros(n, np.int64)
        for name, value in new.items():
            setattr(self, name, np.concatenate([getattr(self, name), value]))
        self.jobs += jobs
        self.last_placement += [{} for _ in jobs]

    def cancel(self, rows: np.ndarray) -> None:
        """Withdraw the jobs at ``rows`` (indices into the job arrays) between steps: their
        accelerators are freed, their work so far kept as it stands, their state
        ``cancelled`` (finished and unschedulable jobs stay as they are)."""
        rows = np.asarray(rows, np.int64)
        rows = rows[(self.state[rows] == QUEUED) | (self.state[rows] == RUNNING)]
        if not rows.size:
            return
        self._remember(rows)
        self.state[rows] = CANCELLED
        keep = ~np.isin(self.p_job, rows)
        self._set_rows(self.p_job[keep], self.p_sat[keep], self.p_n[keep])

    def _fits(self, acc, bw, pinned) -> np.ndarray:
        """Whether each job fits the fleet's nameplate in some group."""
        n = self.n_acc
        single = int(n.max()) if n.size else 0
        ok = acc <= single
        for g in np.nonzero(self.group_bw >= 0)[0]:  # linked groups: one per linked fleet
            total = int(n[self.members[self.group_start[g]:self.group_start[g + 1]]].sum())
            ok |= (bw <= self.nameplate_bw[g]) & (acc <= total)
        pin = pinned >= 0
        ok[pin] = acc[pin] <= n[pinned[pin]]
        return ok

    # --- one step ----------------------------------------------------------------------------
    def decide(self, view, t1: float) -> np.ndarray:
        """The demand (S,) (share of each satellite's accelerators) for the step from
        ``view.t_s`` to ``t1``: queued jobs placed, gangs moved, inference served."""
        t0 = float(view.t_s)
        rules = self.policy
        n_s = self.n_s
        # What can run now, less the accelerators failed for good (the bus does not know of
        # them); whole accelerators that can run at all (a throttled one still takes work).
        can = np.clip(np.minimum(np.asarray(view.capacity, float), self.n_acc - self.failed),
                      0.0, None)
        cap = np.ceil(can - 1e-6).astype(np.int64)
        self.avail += float(can.sum()) * (t1 - t0)
        now_bw = getattr(view, "fleet_bandwidth_bps", None)
        # The links in force, for each gang's own ring (None: its group's bandwidth).
        self._isl_links = getattr(view, "isl_links", None)
        if now_bw:
            for g, fleet in self.group_fleets.items():  # linked fleets: a handful
                if fleet in now_bw and self.group_bw[g] >= 0:
                    self.group_bw[g] = now_bw[fleet]
        stopped = self._preempt(view, t0)
        score = self._score(view)
        # Inference first (latency-aware): each region from its nearest satellites.
        need = (np.asarray(self.inference_demand(view.k), float)
                if self.inference_demand is not None else np.zeros(0))
        rtt = None
        if need.sum() > 0:
            rtt = view.rtt_ms if view.rtt_ms is not None else np.zeros((need.size, n_s))
        infer = np.zeros(n_s)
        served = np.zeros(need.size)
        pieces: list[tuple] = []  # (region, satellite, rtt, amount) arrays of each serving
        allocated = self._allocated()
        if rules.inference_first and rtt is not None:
            infer, got, parts = _serve(need, np.maximum(can - allocated, 0.0), rtt, nearest=True)
            served += got
            pieces.append(parts)
        reserved = np.ceil(infer - 1e-9).astype(np.int64)
        # Queued jobs that have arrived, in queue order.
        queue = np.nonzero((self.state == QUEUED) & (self.submit <= t0))[0]
        if stopped.size:  # not placed again before the next step
            queue = queue[~np.isin(queue, stopped)]
        queue = queue[np.argsort(self.submit[queue], kind="stable")]
        if queue.size:
            free = np.maximum(cap - allocated - reserved, 0).astype(np.int64)
            acc_q, bw_q, pin_q = self.acc[queue], self.bw[queue], self.pinned[queue]
            # The policy's order is a sort of every group with something free: a million at
            # most. First fit over its head alone places the jobs as over all of it if they
            # all find room there (the head is where each one's walk stops), so the head is
            # tried first, and the whole order where a job left over could fit the rest.
            head = max(HEAD_GROUPS, 2 * int(acc_q.sum()))
            seq, gstart, gbw, whole = self._sequence(score, free > 0, head)
            trial = free if whole else free.copy()
            job, sat, n = placement.place(trial, seq, gstart, gbw, acc_q, bw_q, pin_q)
            if not whole:
                left = np.ones(queue.size, bool)
                left[job] = False
                left &= pin_q < 0
                if left.any() and self._rest_could_take(acc_q[left], bw_q[left], free, seq).any():
                    seq, gstart, gbw, _ = self._sequence(score, free > 0)
                    job, sat, n = placement.place(free, seq, gstart, gbw, acc_q, bw_q, pin_q)
            if job.size:
                placed = np.unique(queue[job])
                self.state[placed] = RUNNING
                self.first_start[placed] = np.where(np.isnan(self.first_start[placed]), t0,
                                                    self.first_start[placed])
                self.last_start[placed] = t0
                self.queued_s[placed] += t0 - self.waiting_since[placed]
                self._set_rows(np.concatenate([self.p_job, queue[job]]),
                               np.concatenate([self.p_sat, sat]),
                               np.concatenate([self.p_n, n]))
        # Power-aware: move running gangs, through a checkpoint, to clearly better satellites.
        moved = np.zeros(self.acc.size, bool)
        if rules.migrates and score is not None and self.p_job.size:
            outlook = np.asarray(view.outlook, float)
            jobs, first = np.unique(self.p_job, return_index=True)
            worst = np.minimum.reduceat(outlook[self.p_sat], first)
            cand = jobs[(worst < 1.0 - 1e-9) & (self.pinned[jobs] < 0)]
            if cand.size:
                # Unclamped: a candidate's own accelerators return to its satellites' count.
                free = (cap - self._allocated() - reserved).astype(np.int64)
                keep = ~np.isin(self.p_job, cand)
                rows = np.nonzero(~keep)[0]
                mask = free > 0
                mask[self.p_sat[rows]] = True
                ptr = np.concatenate([[0], np.cumsum(np.bincount(
                    np.searchsorted(cand, self.p_job[rows]), minlength=cand.size))])
                # Each candidate's accelerators go back into free inside the kernel, in turn;
                # each is planned as first fit would place it: over the head of the order
                # first (as for placing), over all of it if a plan lies beyond the head.
                head = max(HEAD_GROUPS, 2 * int(self.acc[cand].sum()))
                for full in (False, True):
                    seq, gstart, gbw, whole = self._sequence(score, mask, None if full else head)
                    planned = np.zeros(cand.size, bool)
                    trial = free.copy()
                    n_ptr, n_sat, n_n, did = placement.plan_moves(
                        trial, seq, gstart, gbw, outlook, MIGRATE_GAIN, self.acc[cand],
                        self.bw[cand], ptr.astype(np.int64), self.p_sat[rows], self.p_n[rows],
                        planned)
                    if whole or planned.all():
                        break
                new_job = np.repeat(cand, np.diff(n_ptr))
                self._set_rows(np.concatenate([self.p_job[keep], new_job]),
                               np.concatenate([self.p_sat[keep], n_sat]),
                               np.concatenate([self.p_n[keep], n_n]))
                mv = cand[did]
                moved[mv] = True
                self.migrations[mv] += 1
                self.checkpoints[mv] += 1
                self.saved[mv] = self.done[mv]
                self.since[mv] = 0.0
                self.stall[mv] += self.ckpt_s[mv]
        allocated = self._allocated()
        if rtt is not None and (need - served).max() > 1e-12:
            # Inference not served yet takes what the gangs left.
            more, got, parts = _serve(need - served, np.maximum(can - allocated - infer, 0.0),
                                      rtt, nearest=rules.inference_first)
            served += got
            infer = infer + more
            pieces.append(parts)
        ask = allocated + infer
        demand = np.where(self.n_acc > 0, ask / np.maximum(self.n_acc, 1), 0.0)
        pieces = (tuple(np.concatenate(c) for c in zip(*pieces)) if len(pieces) > 1
                  else pieces[0] if pieces else None)
        self._step = {"t0": t0, "t1": t1, "k": view.k, "infer": infer, "flown": demand,
                      "pieces": pieces, "n_regions": need.size}
        return demand

    def settle(self, ran: np.ndarray) -> np.ndarray | None:
        """Given the share of accelerators that ran on each satellite (S,) under the demand
        last flown: each gang's pace (its slowest member's) and how long it runs (until it
        finishes). Returns the demand the bus should fly instead where the jobs use less
        than what ran (members waiting for a slower one, jobs finishing within the step), or
        None when the flight agrees with the jobs. The first flight sets each satellite's
        share of what it was asked; a flight again at a lower demand can only lower paces
        further (where even that was not all served)."""
        st = self._step
        dt = st["t1"] - st["t0"]
        flown = st["flown"]
        # The share of the demand flown that ran, per satellite.
        g = _ran_of_flown(np.asarray(ran, float), flown)
        if "pace" not in st:
            jobs, first = (np.unique(self.p_job, return_index=True) if self.p_job.size
                           else (np.empty(0, np.int64), np.empty(0, np.int64)))
            rate = (np.add.reduceat(self.p_n * self.flops[self.p_sat], first) * self.mfu
                    if jobs.size else np.empty(0))
            compute = self._compute_share(jobs, first, rate)
            # Time each job needs: its stall paid, then its work done (never, inf, for a gang
            # whose links do not join its satellites: no compute share).
            with np.errstate(over="ignore"):
                need_s = self.stall[jobs] + (self.work[jobs] - self.done[jobs]) / np.maximum(
                    rate * compute, 1e-300)
            st.update(jobs=jobs, first=first, rate=rate, need_s=need_s, compute=compute,
                      pace=np.ones(jobs.size), f=np.ones(self.n_s),
                      row_job=np.searchsorted(jobs, self.p_job))
        jobs = st["jobs"]
        if jobs.size:
            st["pace"] = st["pace"] * np.minimum.reduceat(g[self.p_sat], st["first"])
        st["f"] = st["f"] * g
        span = np.minimum(dt * st["pace"], st["need_s"])  # its accelerators' share-seconds
        st["span"] = span
        eff = span / dt if dt > 0 else np.zeros(jobs.size)  # mean share of its allocation
        use = np.bincount(self.p_sat, self.p_n * eff[st["row_job"]] if jobs.size else None,
                          minlength=self.n_s) + st["infer"] * st["f"]
        share, covered = _share_used(use, self.n_acc, np.asarray(ran, float))
        if covered:
            return None
        st["flown"] = share
        return share

    def advance(self, ran: np.ndarray, faults: tuple[np.ndarray, ...]) -> None:
        """Advance the step on what ran (as :meth:`settle` last saw it): progress,
        checkpoints and finishes, the upsets ``faults`` (satellite, time, accelerator) and
        the hard failures of the step. A job hit in a step neither checkpoints nor finishes
        in it: it rolls back to the checkpoint it had before the step (steps are the
        granularity: the work of the whole step is lost with the rest since that
        checkpoint)."""
        st = self._step
        t0, t1 = st["t0"], st["t1"]
        dt = t1 - t0
        jobs, span, rate = st["jobs"], st["span"], st["rate"]
        # Work is credited at the compute share of the gang's rate; the rest is all-reduce.
        compute = st["compute"] if jobs.size else np.empty(0)
        f_sat, f_t, f_acc = self._rollback_upsets(faults)
        none = np.empty(0, np.int64)
        upset = (self._holder(np.asarray(f_sat, np.int64), np.asarray(f_acc, np.int64))
                 if len(f_sat) else none)
        now = (self.f_t >= t0) & (self.f_t < t1)
        failed = self._holder(self.f_sat[now], self.f_acc[now]) if now.any() else none
        # A job that finishes in the step before the fault no longer holds the accelerator.
        if jobs.size:
            done_by = t0 + np.where(
                self.done[jobs] + np.minimum(rate * compute
                                             * np.maximum(span - self.stall[jobs], 0.0),
                                             self.work[jobs] - self.done[jobs])
                >= self.work[jobs] * (1 - 1e-12),
                np.minimum(span / np.maximum(st["pace"], 1e-12), dt), np.inf)
        else:
            done_by = np.empty(0)

        def still_held(holder, when):
            keep = holder >= 0
            i = np.searchsorted(jobs, holder[keep])
            ok = np.zeros(holder.size, bool)
            ok[keep] = when[keep] < done_by[np.clip(i, 0, max(jobs.size - 1, 0))] \
                if jobs.size else True
            return holder[ok]

        failed_held = still_held(failed, self.f_t[now]) if failed.size else none
        hit = (np.unique(np.concatenate([still_held(upset, np.asarray(f_t, float)),
                                         failed_held])) if upset.size or failed.size else none)
        infer_run = st["infer"] * st["f"]
        if self.inference_demand is not None:
            # Inference as it ran: each piece at the share of its satellite the bus carried.
            served = np.zeros(st["n_regions"])
            if st["pieces"] is not None and st["pieces"][0].size:  # regions served this step
                region, sats, rtt, amounts = st["pieces"]
                ran_amounts = amounts * st["f"][sats]
                served += np.bincount(region, ran_amounts, minlength=served.size)
                if self.on_served is not None:
                    self.on_served(st["k"], region, rtt, ran_amounts)
                else:
                    self.pieces.append((st["k"], region, sats, rtt, ran_amounts))
            self.served.append(served)
        if jobs.size:
            eff = span / dt if dt > 0 else np.zeros(jobs.size)
            self.used_acc_s += np.bincount(self.p_sat, self.p_n * eff[st["row_job"]] * dt,
                                           minlength=self.n_s)
        self.used_acc_s += infer_run * dt
        self.inference_flops += float((infer_run * self.flops).sum()) * self.mfu * dt
        self.busy += float(infer_run.sum()) * dt
        self.useful += float(infer_run.sum()) * dt
        if jobs.size:
            self.busy += float((self.acc[jobs] * span).sum())
            paid = np.minimum(self.stall[jobs], span)
            self.stall[jobs] -= paid
            self.overhead[jobs] += paid * rate
            run_s = span - paid
            gained = np.minimum(rate * compute * run_s, self.work[jobs] - self.done[jobs])
            # All-reduce time counts as busy: the accelerators are held and powered, waiting
            # on the links; at the gang's rate it is overhead, as checkpoints are.
            self.overhead[jobs] += rate * (1.0 - compute) * run_s
            self.done[jobs] += gained
            self.since[jobs] += run_s
            was_hit = np.isin(jobs, hit) if hit.size else np.zeros(jobs.size, bool)
            finished = (self.done[jobs] >= self.work[jobs] * (1 - 1e-12)) & ~was_hit
            ck = ~finished & ~was_hit & (self.since[jobs] >= self.interval[jobs])
            c = jobs[ck]
            self.checkpoints[c] += 1
            self.since[c] = 0.0
            self.saved[c] = self.done[c]
            self.stall[c] += self.ckpt_s[c]
            fin = jobs[finished]
            if fin.size:
                pace = st["pace"][finished]
                self.end[fin] = t0 + np.minimum(span[finished] / np.maximum(pace, 1e-12), dt)
                self.state[fin] = FINISHED
                self._remember(fin)
                # The rows are in job order, as ``jobs``: a row's job is jobs[row_job].
                stay = ~finished[st["row_job"]]
                self._set_rows(self.p_job[stay], self.p_sat[stay], self.p_n[stay])
        # Upsets: the job holding the accelerator hit rolls back to its last checkpoint.
        if hit.size:
            self.lost[hit] += self.done[hit] - self.saved[hit]
            self.done[hit] = self.saved[hit]
            self.since[hit] = 0.0
        # Hard failures: an accelerator lost for good; its gang goes back to the queue.
        if now.any():
            np.add.at(self.failed, self.f_sat[now], 1)
            gone = np.unique(failed_held)
            if gone.size:
                self._remember(gone)
                self.stall[gone] = 0.0
                self.state[gone] = QUEUED
                self.requeues[gone] += 1
                self.waiting_since[gone] = t1
                self._set_rows(*(a_[~np.isin(self.p_job, gone)] for a_ in
                                 (self.p_job, self.p_sat, self.p_n)))
        self._step = None

    def _compute_share(self, jobs, first, rate) -> np.ndarray:
        """Share of each running gang's time spent computing, (J,): a step's work at the
        gang's rate, then the ring all-reduce of its gradients among the satellites it spans
        at the slowest link of its own ring: over the laser links in force (the view's
        ``isl_links``), the ring through the gang's satellites as placed, hops not linked
        directly routed at their path's bottleneck
        (:func:`orbitdc.core.links.ring_bottleneck_bps`); without them (a flight that gives
        none), its group's bandwidth. ``t_c / (t_c + t_ar)``, with ``t_ar = 2 (N - 1) / N x
        gradient bytes / slowest link`` (``orbitdc.core.links.ring_allreduce_s``). No
        overlap of compute and communication; the accelerators of one satellite reduce among
        themselves for free (their own interconnect is not modelled)."""
        if not jobs.size or not np.any(self.grad[jobs] > 0):
            return np.ones(jobs.size)
        pairs = np.unique(self.p_job * self.n_s + self.p_sat)
        n_sat = np.bincount(np.searchsorted(jobs, pairs // self.n_s), minlength=jobs.size)
        if self._isl_links is not None:
            a, b, c = self._isl_links
            # The rows are in job order: job i's satellites are rows first[i]:first[i + 1];
            # only gangs that all-reduce across satellites need their ring.
            rows = np.diff(np.r_[first, self.p_sat.size])
            ring = (self.grad[jobs] > 0) & (n_sat > 1)
            bw = np.full(jobs.size, np.inf)
            if ring.any():
                bw[ring] = ring_bottleneck_bps(a, b, c, self.n_s, np.r_[0, np.cumsum(rows[ring])],
                                               self.p_sat[np.repeat(ring, rows)])
        else:
            bw = self.group_bw[self.sat_group[self.p_sat[first]]]
        t_ar = ring_allreduce_s(self.grad[jobs], n_sat, np.maximum(bw, 0.0))
        t_c = self.stepf[jobs] / np.maximum(rate, 1e-300)
        with np.errstate(invalid="ignore"):
            share = np.where(np.isinf(t_ar), 0.0, t_c / np.maximum(t_c + t_ar, 1e-300))
        return np.where(t_ar > 0, share, 1.0)

    # --- radiation effects (issue 15): which upsets roll a job back ---------------------------
    def _rollback_upsets(self, faults: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """The upsets of ``faults`` that roll back the job holding the accelerator: all of
        them without a kind (three arrays), else uncorrectable memory errors and crashes
        (kinds 1, 2). A silent data corruption (kind 0) is not seen: the job holding the
        accelerator goes on and its count of silent corruptions (``silent``) goes up."""
        if len(faults) < 4:
            return tuple(faults[:3])
        f_sat, f_t, f_acc, f_kind = (np.asarray(f) for f in faults)
        silent = f_kind == 0
        if silent.any():
            held = self._holder(f_sat[silent].astype(np.int64), f_acc[silent].astype(np.int64))
            np.add.at(self.silent, held[held >= 0], 1)
        return f_sat[~silent], f_t[~silent], f_acc[~silent]

    # --- the policy ----------------------------------------------------------------------------
    def _policy_error(self, what: str) -> ScenarioError:
        return ScenarioError(self.source, [(self.policy_key, f"{self.policy.name}: {what}")])

    def _call(self, method: str, *args):
        """A policy method called; what a user's policy raises is reported as its error."""
        try:
            return getattr(self.policy, method)(*args)
        except ScenarioError:
            raise
        except Exception as exc:
            import traceback

            where = traceback.extract_tb(exc.__traceback__)[-1]
            raise self._policy_error(
                f"{method}() raised {type(exc).__name__}: {exc} (at {where.filename}:"
                f"{where.lineno})") from None

    def _score(self, view) -> np.ndarray | None:
        got = self._call("score", view)
        if got is None:
            return None
        try:
            score = np.asarray(got, float)
        except (TypeError, ValueError):
            score = None
        if score is None or score.shape != (self.n_s,):
            what = (f"shape {score.shape}" if score is not None
                    else f"{type(got).__name__} {_short(got)}")
            raise self._policy_error(
                f"score(view) must return None or an array of numbers over the {self.n_s} "
                f"satellites, got {what}")
        return score

    def _preempt(self, view, t0: float) -> np.ndarray:
        """The gangs the policy stops now (see :class:`SchedulingPolicy`), stopped."""
        none = np.empty(0, np.int64)
        if not self.p_job.size or getattr(self.policy, "preempt", None) is None:
            return none
        jobs, first = np.unique(self.p_job, return_index=True)
        running = RunningJobs(
            ids=self.ids[jobs].copy(),
            accelerators=self.acc[jobs].copy(), submitted_s=self.submit[jobs].copy(),
            started_s=self.last_start[jobs].copy(),
            progress=self.done[jobs] / np.maximum(self.work[jobs], 1e-300),
            since_checkpoint_s=self.since[jobs].copy(),
            row_job=np.searchsorted(jobs, self.p_job), row_satellite=self.p_sat.copy(),
            row_accelerators=self.p_n.copy(),
        )
        got = self._call("preempt", view, running)
        if got is None:
            return none
        try:
            mask = np.asarray(got)
        except (TypeError, ValueError):
            mask = None
        if mask is None or mask.shape != (jobs.size,) or mask.dtype != bool:
            what = (f"{mask.dtype} of shape {mask.shape}" if mask is not None
                    else f"{type(got).__name__} {_short(got)}")
            raise self._policy_error(
                f"preempt(view, running) must return None or a bool array over the "
                f"{jobs.size} running gangs, got {what}")
        stop = jobs[mask]
        if stop.size:
            self._remember(stop)
            self.checkpoints[stop] += 1
            self.saved[stop] = self.done[stop]
            self.since[stop] = 0.0
            self.stall[stop] += self.ckpt_s[stop]
            self.state[stop] = QUEUED
            self.preemptions[stop] += 1
            self.waiting_since[stop] = t0
            keep = ~np.isin(self.p_job, stop)
            self._set_rows(self.p_job[keep], self.p_sat[keep], self.p_n[keep])
        return stop

    # --- bookkeeping -------------------------------------------------------------------------
    def _allocated(self) -> np.ndarray:
        return np.bincount(self.p_sat, self.p_n, minlength=self.n_s).astype(np.int64)

    def _set_rows(self, job, sat, n) -> None:
        order = np.argsort(job, kind="stable")
        self.p_job, self.p_sat, self.p_n = job[order], sat[order], n[order]

    def _remember(self, jobs: np.ndarray) -> None:
        """Keep where ``jobs`` ran (for the table) before their rows go."""
        rows = np.nonzero(np.isin(self.p_job, jobs))[0]  # sorted by job
        if not rows.size:
            return
        job, sat, n = self.p_job[rows], self.p_sat[rows].tolist(), self.p_n[rows].tolist()
        cut = (np.flatnonzero(np.diff(job)) + 1).tolist()
        for j, a, b in zip(job[np.array([0, *cut], np.int64)].tolist(), [0, *cut],
                           [*cut, len(sat)]):
            self.last_placement[j] = dict(zip(sat[a:b], n[a:b]))  # the table's records

    def _holder(self, sat: np.ndarray, acc: np.ndarray) -> np.ndarray:
        """The job holding accelerator ``acc`` of satellite ``sat`` (-1: idle or
        inference): a satellite's accelerators are held in job order from index 0."""
        if not self.p_job.size:
            return np.full(sat.size, -1, np.int64)
        order = np.lexsort((self.p_job, self.p_sat))
        ps, pj, pn = self.p_sat[order], self.p_job[order], self.p_n[order]
        end = np.cumsum(pn)
        seg0 = np.searchsorted(ps, ps, side="left")
        before = end - pn - (end[seg0] - pn[seg0])  # slots held before this row on its sat
        # Rows of satellite s: [lo, hi); the holder is the row whose slots cover acc.
        lo = np.searchsorted(ps, sat, side="left")
        hi = np.searchsorted(ps, sat, side="right")
        key = ps.astype(float) * (1 << 32) + before
        i = np.searchsorted(key, sat.astype(float) * (1 << 32) + acc, side="right") - 1
        ok = (i >= lo) & (i < hi)
        i = np.clip(i, 0, max(ps.size - 1, 0))
        ok &= acc < before[i] + pn[i]
        return np.where(ok, pj[i], -1)

    def _rest_could_take(self, acc, bw, free, head_seq) -> np.ndarray:
        """Whether each job (accelerators ``acc``, bandwidth ``bw``) might fit the satellites
        with something ``free`` outside ``head_seq``: on one of them, or spanning a linked
        group there (a necessary condition: False means it cannot)."""
        rest = free > 0
        rest[head_seq] = False
        ok = np.zeros(acc.size, bool)
        if not rest.any():
            return ok
        ok |= acc <= free[rest].max()
        for g in self.linked:  # linked groups: one per linked fleet
            m = self.members[self.group_start[g]:self.group_start[g + 1]]
            if rest[m].any():
                # As the placement reads them: a NaN bandwidth limits nothing.
                ok |= (acc <= free[m][free[m] > 0].sum()) & ~(bw > self.group_bw[g])
        return ok

    def _sequence(self, score: np.ndarray | None, keep: np.ndarray, head: int | None = None):
        """The satellites of ``keep`` (S,) bool in the order the policy tries them: groups
        by their best member's score (over all members; ties: group order), members best
        first (ties: index). Satellites left out (nothing free) could take nothing, so the
        placement is the same as over the whole fleet; only fewer are sorted. ``head``: at
        most that many groups, the first of that order (found without sorting the rest).
        Returns ``(seq, group_start, group_bandwidth, whole)``, ``whole`` False where groups
        were left out."""
        scored = score is not None
        score = np.asarray(score, float) if scored else np.empty(0)
        kept, within, local, key = _kept_groups(np.asarray(keep, np.bool_), self.members,
                                                self.group_start, score, scored)
        if not scored:
            if head is not None and head < kept.size:  # in group order: the first groups
                end = int(local[head])
                return within[:end], local[:head + 1], self.group_bw[kept[:head]], False
            return within, local, self.group_bw[kept], True
        for g in self.linked:  # linked groups (one per linked fleet): members best first
            i = int(np.searchsorted(kept, g))
            if i >= kept.size or kept[i] != g:
                continue
            seg = within[local[i]:local[i + 1]]
            within[local[i]:local[i + 1]] = seg[np.argsort(-score[seg], kind="stable")]
        # Groups by best score, ties by group order: a stable sort on the scores as ordered
        # integers (IEEE bits; exact for every float, NaN last).
        whole = head is None or head >= kept.size
        if whole:
            by_rank = np.argsort(key, kind="stable")
        else:
            # The head of that stable order: every group keyed below the head-th key, then
            # those keyed at it in group order until there are ``head``.
            kth = np.partition(key, head - 1)[head - 1]
            below = np.flatnonzero(key < kth)
            at = np.flatnonzero(key == kth)[:head - below.size]
            chosen = np.concatenate([below, at])
            by_rank = chosen[np.argsort(key[chosen], kind="stable")]
        start = np.concatenate([[0], np.cumsum(np.diff(local)[by_rank])]).astype(np.int64)
        return _gather(within, local, by_rank), start, self.group_bw[kept][by_rank], whole

    def used_share(self, duration_s: float) -> np.ndarray:
        """(S,) the mean share of each satellite's accelerators that ran jobs or inference."""
        return np.where(self.n_acc > 0, self.used_acc_s / np.maximum(
            self.n_acc * duration_s, 1e-300), 0.0)

    def result(self) -> ScheduleResult:
        """The outcome once the flight is over."""
        running = np.unique(self.p_job)
        self._remember(running)
        # A gang requeued and still waiting at the end has waited until the end.
        waiting = (self.state == QUEUED) & ~np.isnan(self.first_start)
        self.queued_s[waiting] += self.t_end_s - self.waiting_since[waiting]
        self.waiting_since[waiting] = self.t_end_s
        per_acc = np.array([np.mean([self.flops[s] for s in p]) if p else 1.0
                            for p in self.last_placement])
        useful = self.useful + float(np.sum(self.done / np.maximum(self.mfu * per_acc, 1e-300)))
        pieces = None
        if self.inference_demand is not None:
            p = self.pieces
            cols = [np.concatenate([np.full(len(x[2]), x[0]) if i == 0 else x[i] for x in p])
                    if p else np.empty(0) for i in range(5)]
            pieces = (cols[0].astype(int), cols[1].astype(int), cols[2].astype(int),
                      cols[3].astype(float), cols[4].astype(float))
        return ScheduleResult(
            jobs=self.jobs, state=STATE_NAMES[self.state], first_start_s=self.first_start,
            last_start_s=self.last_start, end_s=self.end, queued_s=self.queued_s,
            done_flops=self.done, lost_flops=self.lost, overhead_flops=self.overhead,
            checkpoints=self.checkpoints, migrations=self.migrations, requeues=self.requeues,
            placement=self.last_placement, busy_acc_s=self.busy, available_acc_s=self.avail,
            useful_acc_s=useful, inference_flops=self.inference_flops, inference_pieces=pieces,
            inference_served=np.array(self.served) if self.inference_demand is not None
            else None, not_submitted=self.not_submitted, preemptions=self.preemptions,
            silent_corruptions=self.silent,
        )


def _short(x, limit: int = 40) -> str:
    """``repr(x)``, cut to ``limit`` characters (for error messages)."""
    text = repr(x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@kernel
def _ran_of_flown(ran, flown):
    """(S,) the share of the demand flown that ran: ``ran / flown`` within 0..1 where
    something was flown, 1 elsewhere (NaN stays NaN, as ``np.clip`` leaves it)."""
    g = np.empty(ran.size)
    for i in range(ran.size):
        f = flown[i]
        if f > 0:
            x = ran[i] / max(f, 1e-300)
            g[i] = x if np.isnan(x) else min(max(x, 0.0), 1.0)
        else:
            g[i] = 1.0
    return g


@kernel
def _share_used(use, n_acc, ran):
    """(S,) accelerators used as a share of each satellite's (0 without any), and whether
    that share covers what ran everywhere (to 1e-9)."""
    share = np.empty(use.size)
    covered = True
    for i in range(use.size):
        share[i] = use[i] / n_acc[i] if n_acc[i] > 0 else 0.0
        if not share[i] >= ran[i] - 1e-9:
            covered = False
    return share, covered


@kernel
def _kept_groups(keep, members, group_start, score, scored):
    """The groups with a member in ``keep`` (S,) bool, in group order: their ids, their kept
    members (``within``, in member order; ``local``: where each group's start) and, where
    ``scored``, a key per group whose ascending order is the descending order of the group's
    best ``score`` (its only member's; a linked group's best over all its members), NaN
    after everything (a linked group with a NaN member is NaN, as NumPy's max reads it)."""
    n_groups = group_start.size - 1
    n_kept = 0
    n_with = 0
    for g in range(n_groups):
        any_kept = False
        for p in range(group_start[g], group_start[g + 1]):
            if keep[members[p]]:
                n_kept += 1
                any_kept = True
        if any_kept:
            n_with += 1
    kept = np.empty(n_with, np.int64)
    within = np.empty(n_kept, np.int64)
    local = np.empty(n_with + 1, np.int64)
    best = np.empty(n_with if scored else 0, np.float64)
    local[0] = 0
    i = 0
    j = 0
    for g in range(n_groups):
        start = j
        for p in range(group_start[g], group_start[g + 1]):
            if keep[members[p]]:
                within[j] = members[p]
                j += 1
        if j == start:
            continue
        kept[i] = g
        local[i + 1] = j
        if scored:
            if group_start[g + 1] - group_start[g] == 1:
                b = score[within[start]]
            else:
                b = -np.inf
                for p in range(group_start[g], group_start[g + 1]):
                    x = score[members[p]]
                    if np.isnan(x):
                        b = np.nan
                        break
                    b = max(b, x)
            best[i] = (-np.inf if np.isnan(b) else b) + 0.0  # -0.0 == 0.0
        i += 1
    # IEEE bits as signed integers ascend with the floats once negatives' are flipped.
    bits = best.view(np.int64)
    key = np.empty(bits.size, np.int64)
    for i in range(bits.size):
        up = bits[i] ^ np.int64(0x7FFFFFFFFFFFFFFF) if bits[i] < 0 else bits[i]
        key[i] = ~up
    return kept, within, local, key


@kernel
def _gather(within, group_start, by_rank):
    """The members of the groups in the order ``by_rank``, concatenated."""
    total = 0
    for g in by_rank:
        total += group_start[g + 1] - group_start[g]
    out = np.empty(total, np.int64)
    i = 0
    for g in by_rank:
        for p in range(group_start[g], group_start[g + 1]):
            out[i] = within[p]
            i += 1
    return out


def drive(flight, orchestrator: Orchestrator, arrivals=None) -> None:
    """Decide, fly, settle, commit: the whole loop, step by step until the flight ends.
    ``arrivals()``, if given, returns jobs to submit before each decision."""
    view = flight.view()
    while not flight.done:
        view, _, _ = step(flight, orchestrator, view, arrivals)


def step(flight, orchestrator: Orchestrator, view, arrivals=None):
    """One scheduling step of :func:`drive` from ``view`` (the flight's view now): the jobs
    ``arrivals()`` returns added, decide, fly, settle (flying again under a lower demand as
    often as it asks, up to ``SETTLE_PASSES``), advance, commit. Returns the next view (None
    at the end), and the share that ran and the upsets of the step kept."""
    if arrivals is not None:
        orchestrator.add(arrivals())
    demand = orchestrator.decide(view, float(flight.schedule_times[flight.k + 1]))
    ran, faults = flight.fly(demand)
    for _ in range(SETTLE_PASSES):
        lower = orchestrator.settle(ran)
        if lower is None:
            break
        ran, faults = flight.fly(lower)
    else:
        orchestrator.settle(ran)
    orchestrator.advance(ran, faults)
    return flight.commit(), ran, faults


class _FixedFlight:
    """A flight whose capacity is given (S, K) and does not answer to the load: for
    :func:`schedule`, the orchestrator's unit tests and the scheduling bench."""

    def __init__(self, t_s, capacity, n_acc, upsets, headroom=None, outlook=None, rtt=None):
        self.schedule_times = np.asarray(t_s, float)
        self.capacity = np.asarray(capacity, float)
        self.n_acc = np.asarray(n_acc, float)
        self.up_sat, self.up_t = (np.asarray(upsets[0], np.int64), np.asarray(upsets[1], float))
        self.up_acc = np.asarray(upsets[2], np.int64) if len(upsets) > 2 else np.zeros(
            self.up_sat.size, np.int64)
        self.up_kind = np.asarray(upsets[3], np.int8) if len(upsets) > 3 else None
        self.headroom, self.outlook, self.rtt = headroom, outlook, rtt
        self.k = 0

    @property
    def done(self):
        return self.k >= self.schedule_times.size - 1

    def view(self):
        from types import SimpleNamespace

        k, n_s = self.k, self.capacity.shape[0]
        outlook = (self.outlook(k) if callable(self.outlook) else
                   self.capacity[:, k] / np.maximum(self.n_acc, 1e-9))
        return SimpleNamespace(
            k=k, t_s=float(self.schedule_times[k]), capacity=self.capacity[:, k],
            soc=np.full(n_s, np.nan), outlook=outlook,
            headroom_k=self.headroom[:, k] if self.headroom is not None else np.zeros(n_s),
            rtt_ms=self.rtt(k) if self.rtt is not None else None)

    def fly(self, demand):
        k = self.k
        t0, t1 = self.schedule_times[k], self.schedule_times[k + 1]
        limit = np.where(self.n_acc > 0, self.capacity[:, k] / np.maximum(self.n_acc, 1), 0.0)
        hit = (self.up_t >= t0) & (self.up_t < t1)
        faults = (self.up_sat[hit], self.up_t[hit], self.up_acc[hit])
        if self.up_kind is not None:
            faults += (self.up_kind[hit],)
        return np.minimum(demand, limit), faults

    def commit(self):
        self.k += 1
        return None if self.done else self.view()


def schedule(t_s, capacity, groups, group_bandwidth, flops_per_acc, jobs, upsets,
             policy="first-fit", mfu=0.4, n_acc=None, failures=None, inference_demand=None,
             inference_rtt=None, headroom=None, outlook=None) -> ScheduleResult:
    """Run ``jobs`` over steps ``t_s`` (K,) on a fleet whose accelerators that can run are
    given, ``capacity`` (S, K), whatever the load (no bus): the orchestrator on its own.
    ``upsets``: (satellite, time[, accelerator[, kind]]) arrays (kind 0: silent);
    ``inference_demand`` (K-1, R)."""
    capacity = np.asarray(capacity, float)
    if n_acc is None:
        n_acc = np.ceil(capacity.max(axis=1) - 1e-6) if capacity.size else np.zeros(0)
    rules = POLICY_CLASSES[policy] if isinstance(policy, str) else policy
    demand = None
    if inference_demand is not None:
        d = np.asarray(inference_demand, float)
        d = d[:, None] if d.ndim == 1 else d
        demand = lambda k: d[k]  # noqa: E731
    orch = Orchestrator(jobs, groups, group_bandwidth, np.asarray(n_acc, np.int64),
                        np.asarray(flops_per_acc, float), rules, mfu=mfu,
                        t_end_s=float(np.asarray(t_s)[-1]), inference_demand=demand,
                        failures=failures)
    drive(_FixedFlight(t_s, capacity, n_acc, upsets, headroom, outlook, inference_rtt), orch)
    return orch.result()
