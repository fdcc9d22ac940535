"""The live twin: the scenario's fleet flown step by step (``orbitdc.sim.engine.Flight``) under
the orchestrator (``orbitdc.ops.scheduler.Orchestrator``), with the jobs of the API admitted
at step boundaries. The loop is ``orbitdc.ops.scheduler.drive``'s — decide, fly, settle,
advance, commit — paced against the wall clock (``speed`` simulated seconds per second, or
as fast as the engine goes) and, after each step, the step's admissions, cancellations and
events committed to the store with the checkpoint.

Span: the twin flies the scenario's own span (``start`` to ``start + duration_h``). When it
reaches the end it stops flying; ``/v1/health`` then says ``ended`` and new jobs are refused
(``409``). Jobs still running or queued at the end stay so.

Restart: the twin loads the state it saved (at every stop and every ``STATE_EVERY_S``:
:meth:`Twin.state`) and, if the checkpoint is past it (a ``kill -9``), re-flies from there at
full speed, admitting the jobs the store says were admitted at each step (and applying the
cancellations at theirs), up to the checkpoint; without a usable state (none, or of another
format, orbitdc version or scenario) it re-flies from the scenario's start, saying so. The
flight is a pure function of the scenario, its seed and those admissions, so it reaches the
same state either way, and goes on live from there. Events are not written again."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from orbitdc.core.orbits import propagate
from orbitdc.core.sun import shadow_fraction, sun_position_km
from orbitdc.core.time import epoch_jd, jd_pair
from orbitdc.model.scenario import Scenario
from orbitdc.ops.policies import resolve_policy
from orbitdc.ops.run import (
    _groups,
    _hard_failures,
    _InferenceTally,
    _members,
    _request_rates,
    _Uplink,
    make_jobs,
)
from orbitdc.ops.scheduler import STATE_NAMES, Job, Orchestrator, step
from orbitdc.serve.store import Store
from orbitdc.sim.engine import Flight

__all__ = ["API_ID_OFFSET", "Twin", "fingerprint"]

#: Jobs of the API run in the orchestrator as ``API_ID_OFFSET + id`` (the scenario's own
#: workloads keep their ids from 0).
API_ID_OFFSET = 1 << 40
#: Shadow above which a satellite counts as eclipsed (penumbra and umbra).
ECLIPSED = 0.5
#: Events kept in memory for the event stream (older ones are in the store).
EVENT_BUFFER = 10_000


def fingerprint(scenario: Scenario) -> str:
    """What identifies the twin of a scenario in a store: its validated content, and what
    the replay also depends on outside it: the contents of the files it names (element sets,
    spectra, ...), each element set as parsed, the source of a user's policy module and
    orbitdc's version. A restart that would re-fly to another state is thus refused."""
    import importlib.util
    import json

    from orbitdc import __version__

    h = hashlib.sha256(scenario.model_dump_json().encode())
    h.update(__version__.encode())
    base = Path(scenario.base_dir) if scenario.base_dir is not None else Path.cwd()

    def files(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k.endswith("_file") and isinstance(v, str):
                    yield v
                else:
                    yield from files(v)
        elif isinstance(node, list):
            for v in node:
                yield from files(v)

    for name in files(json.loads(scenario.model_dump_json())):
        path = Path(name) if Path(name).is_absolute() else base / name
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    for fleet in scenario.fleet:
        for label, sat in getattr(fleet, "records", ()):
            h.update(repr((label, sat.satnum, sat.jdsatepoch, sat.jdsatepochF, sat.no_kozai,
                           sat.ecco, sat.inclo, sat.nodeo, sat.argpo, sat.mo,
                           sat.bstar)).encode())
    module = scenario.policy.name.partition(":")[0] if ":" in scenario.policy.name else None
    if module is not None:
        local = base / f"{module.replace('.', '/')}.py"
        if local.is_file():
            h.update(local.read_bytes())
        else:
            spec = importlib.util.find_spec(module)
            if spec is not None and spec.origin and Path(spec.origin).is_file():
                h.update(Path(spec.origin).read_bytes())
            else:  # not importable: the run refuses it anyway
                h.update(module.encode())
    return h.hexdigest()


class _Arrivals:
    """The jobs the uplinked workloads make from the contact windows closed since the last
    call (an object, not a closure, so that the twin's state pickles)."""

    def __init__(self, flight: Flight, uplinks: list, next_id: int):
        self.flight, self.uplinks, self.next_id = flight, uplinks, next_id

    def __call__(self) -> list:
        contacts = self.flight.closed_contacts()
        new = []
        for u in self.uplinks:
            new += u.jobs(contacts, self.next_id + len(new))
        self.next_id += len(new)
        return new


#: Bumped when what :meth:`Twin.state` pickles changes (a state of another format, or of
#: another orbitdc version, is not loaded: the twin re-flies instead).
STATE_FORMAT = 1
#: Wall-clock seconds between the state saves of a twin flying (and one at every stop): a
#: ``kill -9`` re-flies at most the steps flown since the last one.
STATE_EVERY_S = 60.0


def _shared(twin: "Twin") -> list:
    """What the twin's state refers to rather than holds: objects built from the scenario
    alone (the scenario, the satellites' SGP4 records and their batches, the proton flux
    table), which a restart builds again. They are the state's persistent ids, in this order;
    SGP4 records do not pickle."""
    f = twin.flight
    inner = f._flight
    out = [twin.scenario, f.fleet.satrecs, *f.fleet.satrec_list, *inner.satrecs]
    table = getattr(inner, "proton_table", None)
    if table is not None:
        out.append(table)
    return out


class Twin:
    """The scenario flown live. ``run(stop)`` flies until the end or until ``stop`` is set
    (finishing the step under way and committing it). The API reads :meth:`snapshot_of`,
    :meth:`fleet` and :meth:`events_since`; it never touches the flight."""

    def __init__(self, scenario: Scenario, store: Store, speed: float | None, *,
                 log=None):
        self.scenario = scenario
        self.store = store
        self.speed = speed  # None: as fast as the engine goes
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.status = "starting"
        self.error: str | None = None
        self.k = 0
        self.t_s = 0.0
        self.steps_per_s = 0.0
        self.submitted = threading.Event()  # set by the API after a job's row is committed
        self.submitted.set()
        self.events: deque = deque(maxlen=EVENT_BUFFER)
        self.event_seq = 0
        self._index: dict[int, int] = {}  # API job id -> row in the orchestrator's arrays
        self._snap: dict | None = None
        self._fleet: dict | None = None
        #: Where the log lines go (resume, state saves): the server's stderr.
        self.log = log or (lambda line: print(f"orbitdc serve: {line}", file=sys.stderr,
                                              flush=True))
        #: Steps flown again at the start (from the saved state, or from the scenario's
        #: start without one) to reach the checkpoint; the step the state was loaded at.
        self.replayed_steps = 0
        self.resumed_from: int | None = None
        self.state_step: int | None = None  # the step of the state saved last
        self.state_every_s = STATE_EVERY_S
        self._fingerprint = fingerprint(scenario)
        self._build()

    # --- set-up (as orbitdc.ops.run.Operations.drive) -----------------------------------------
    def _build(self) -> None:
        sc = self.scenario
        self.policy = resolve_policy(sc.policy.name, str(sc.source), base_dir=sc.base_dir,
                                     key="policy.name")
        flight = Flight(sc, workers=1)
        self.flight = flight
        uplinked = [w for w in sc.workload if w.gb_uplinked_per_day is not None]
        flight.track_contacts = bool(uplinked)
        flight.view()
        fleet_index = flight.fleet.fleet_index
        types = [sc.fleet_types()[i] for i in fleet_index]
        self.types = types
        flops = np.array([t_.accelerator.bf16_dense_flops if t_ else 0.0 for t_ in types])
        n_acc = np.array([t_.spec.accelerators if t_ else 0 for t_ in types], np.int64)
        self.n_acc = n_acc
        self.t_max_k = np.array([t_.max_temperature_k if t_ else np.nan for t_ in types])
        periods = None
        if any(w.data_driven and w.gb_per_orbit is not None for w in sc.workload):
            periods = np.array([2.0 * np.pi / s.no_kozai * 60.0
                                for s in flight.fleet.satrec_list])
        jobs = make_jobs(sc, periods, fleet_index)
        groups, bandwidth, group_fleets = _groups(sc, fleet_index, flight.network)
        self.groups = groups
        self.group_bandwidth = bandwidth
        inference = [w for w in sc.workload if w.kind == "inference"]
        t = flight.schedule_times
        self.times = t
        per_acc = float(np.mean(flops[flops > 0])) if (flops > 0).any() else 1.0
        demand = tally = None
        if inference:
            rates = _request_rates(sc, inference, t)
            need = sum(rates[i] * w.flops_per_request
                       for i, w in enumerate(inference)) / (per_acc * sc.policy.mfu)
            demand = need.__getitem__
            tally = _InferenceTally(inference, rates, need, t)
        self.orchestrator = Orchestrator(
            jobs, groups, bandwidth, n_acc, flops, self.policy, mfu=sc.policy.mfu,
            on_served=tally, t_end_s=float(t[-1]), inference_demand=demand,
            failures=_hard_failures(sc, n_acc, float(t[-1])), source=str(sc.source),
            group_fleets=group_fleets)
        self.arrivals = None
        if uplinked:
            self.arrivals = _Arrivals(flight, [_Uplink(sc, w, _members(sc, w, fleet_index))
                                               for w in uplinked], len(jobs))
        self.names = np.array(sc.satellite_names, dtype=object)
        self.start_jd = epoch_jd(sc.start)
        self.eclipsed = None
        self._geometry()

    # --- the state a restart loads ---------------------------------------------------------
    def state(self) -> bytes:
        """The twin now, pickled (zlib-compressed): the flight, the orchestrator, the policy,
        the API jobs' index, the last snapshot and eclipse flags. Objects built from the
        scenario alone (:func:`_shared`) are referenced, not copied."""
        import io
        import pickle
        import zlib

        ids = {id(o): i for i, o in enumerate(_shared(self))}

        class _Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                return ids.get(id(obj))

        buf = io.BytesIO()
        with self.lock:
            index = dict(self._index)
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump({
            "k": self.flight.k, "flight": self.flight, "orchestrator": self.orchestrator,
            "policy": self.policy, "arrivals": self.arrivals, "index": index,
            "snap": self._snap, "fleet": self._fleet, "eclipsed": self.eclipsed,
            "r": self._r, "shadow": self._shadow, "faults": getattr(self, "_faults", None),
            "ran": getattr(self, "_ran", None)})
        return zlib.compress(buf.getvalue(), 1)

    def _save_state(self) -> None:
        from orbitdc import __version__

        try:
            blob = self.state()
        except Exception as exc:  # noqa: BLE001 - a restart then re-flies; said in the log
            self.log(f"the twin's state could not be saved ({type(exc).__name__}: {exc}); "
                     "a restart will fly the span again")
            return
        self.store.save_state(self.flight.k, STATE_FORMAT, __version__, self._fingerprint,
                              blob)
        self.state_step = self.flight.k

    def _restore(self, reached: int) -> str | None:
        """Load the state kept in the store, if it is of this scenario, format and orbitdc
        version and not past the checkpoint ``reached``. Returns why not (None: loaded)."""
        import io
        import pickle
        import zlib

        from orbitdc import __version__

        row = self.store.saved_state()
        if row is None:
            return "no saved state"
        if row["format"] != STATE_FORMAT or row["orbitdc_version"] != __version__:
            return (f"the saved state is of format {row['format']}, orbitdc "
                    f"{row['orbitdc_version']} (this is format {STATE_FORMAT}, orbitdc "
                    f"{__version__})")
        if row["scenario"] != self._fingerprint:
            return "the saved state is of another scenario"
        if row["step"] > reached:
            return f"the saved state (step {row['step']}) is past the checkpoint ({reached})"
        shared = _shared(self)

        class _Unpickler(pickle.Unpickler):
            def persistent_load(self, pid):
                return shared[pid]

        try:
            got = _Unpickler(io.BytesIO(zlib.decompress(row["blob"]))).load()
        except Exception as exc:  # noqa: BLE001 - re-flown instead; said in the log
            return f"the saved state could not be loaded ({type(exc).__name__}: {exc})"
        self.flight.close()
        self.flight, self.orchestrator = got["flight"], got["orchestrator"]
        self.policy, self.arrivals = got["policy"], got["arrivals"]
        self._snap, self._fleet, self.eclipsed = got["snap"], got["fleet"], got["eclipsed"]
        self._r, self._shadow = got["r"], got["shadow"]
        self._faults, self._ran = got["faults"], got["ran"]
        with self.lock:
            self._index = got["index"]
        self.state_step = self.resumed_from = int(got["k"])
        return None

    # --- what can ever fit -------------------------------------------------------------------
    def unschedulable_reason(self, accelerators: int, bandwidth_bps: float) -> str | None:
        """Why a job of ``accelerators`` (needing ``bandwidth_bps`` between them) can never
        run on this fleet, or None if it can (the orchestrator's rule: on one satellite, or
        spread over a linked fleet whose links can carry its bandwidth)."""
        o = self.orchestrator
        ok = o._fits(np.array([accelerators]), np.array([float(bandwidth_bps)]),
                     np.array([-1]))[0]
        if ok:
            return None
        single = int(self.n_acc.max()) if self.n_acc.size else 0
        linked = []
        for g in np.nonzero(o.group_bw >= 0)[0]:
            members = o.members[o.group_start[g]:o.group_start[g + 1]]
            linked.append((int(self.n_acc[members].sum()), float(o.nameplate_bw[g])))
        text = (f"needs {accelerators} accelerators as one gang; the largest satellite has "
                f"{single}")
        if linked:
            total, bw = max(linked)
            text += (f" and the largest linked fleet {total} (its links carry at most "
                     f"{bw / 1e9:g} Gb/s; the job needs {bandwidth_bps / 1e9:g} Gb/s)")
        else:
            text += " and no fleet has links to spread a gang over"
        return text

    # --- the loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event, until: int | None = None) -> None:
        """Fly until the end, until ``stop`` is set or (``until``) that many steps are flown;
        then commit the step under way and save the state."""
        try:
            self._run(stop, until)
        except Exception as exc:  # the API says so in /v1/health
            with self.lock:
                self.status = "failed"
                self.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if until is None or self.flight.done:
                self.flight.close()

    def _run(self, stop: threading.Event, until: int | None) -> None:
        reached, t_reached = self.store.claim(self._fingerprint, self.scenario.name)
        if reached > self.flight.k:
            with self.lock:
                # Jobs accepted while it resumes are stamped with the checkpoint's time.
                self.status = "replaying"
                self.k, self.t_s = reached, t_reached
            why = self._restore(reached) if self.flight.k == 0 else None
            if why is not None:
                self.log(f"re-flying the span from the start to step {reached}: {why}")
            start = self.flight.k
            admitted, cancels = self.store.history(reached, start)
            by_step: dict[int, list[dict]] = {}
            for row in admitted:
                by_step.setdefault(int(row["admitted_step"]), []).append(row)
            cancel_at: dict[int, list[int]] = {}
            for s, i in cancels:
                cancel_at.setdefault(s, []).append(i)
            while self.flight.k < reached and not self.flight.done:
                k = self.flight.k
                self._admit(by_step.get(k, []))
                self._cancel(cancel_at.get(k, []))
                self._step()
                self._after_step(record=False)
                self.replayed_steps += 1
            if why is None:
                self.log(f"resumed from the saved state at step {start}"
                         + (f", re-flew {reached - start} steps to the checkpoint"
                            if reached > start else ""))
        if self.event_seq == 0:
            self.event_seq = self.store.last_event_id()
        with self.lock:
            self.status = "running" if not self.flight.done else "ended"
            self.k, self.t_s = self.flight.k, float(self.times[self.flight.k])
        wall0, sim0 = time.monotonic(), float(self.times[self.flight.k])
        self._pace0 = (wall0, sim0)
        rate_t, rate_k = wall0, self.flight.k
        saved_at = wall0
        while (not self.flight.done and not stop.is_set()
               and (until is None or self.flight.k < until)):
            admitted = []
            if self.submitted.is_set():
                self.submitted.clear()
                rows = self.store.pending()
                admitted = self._admit(rows)
            cancelled = self._cancel(self.store.cancels_pending())
            self._step()
            new_events = self._after_step(record=True, admitted=admitted)
            t1 = float(self.times[self.flight.k])
            seq = self.event_seq
            for e in new_events:  # the store's event ids: they go on across restarts
                seq += 1
                e["id"] = seq
            self.store.commit_step(self.flight.k, t1, [r["id"] for r in admitted], cancelled,
                                   new_events)
            now = time.monotonic()
            with self.cond:
                self._snap, self._fleet = self._unpublished
                self.k, self.t_s = self.flight.k, t1
                for e in new_events:
                    self.events.append((e["id"], e))
                self.event_seq = seq
                if now - rate_t >= 1.0:
                    self.steps_per_s = (self.flight.k - rate_k) / (now - rate_t)
                    rate_t, rate_k = now, self.flight.k
                self.cond.notify_all()
            if now - saved_at >= self.state_every_s and not self.flight.done:
                self._save_state()
                saved_at = time.monotonic()
            if self.speed is not None:
                left = wall0 + (t1 - sim0) / self.speed - time.monotonic()
                if left > 0:
                    stop.wait(left)
        if self.state_step != self.flight.k:
            self._save_state()  # the stop's (SIGTERM's) state: a restart goes on from it
        with self.cond:
            self.status = ("ended" if self.flight.done else
                           "stopped" if until is None or self.flight.k < until else "paused")
            self.cond.notify_all()

    def _admit(self, rows: list[dict]) -> list[dict]:
        """Submit store rows to the orchestrator at the current step's time."""
        if not rows:
            return []
        t0 = float(self.times[self.flight.k])
        o = self.orchestrator
        before = o.ids.size
        o.add([Job(id=API_ID_OFFSET + int(r["id"]), workload=r["name"], kind=r["kind"],
                   submit_s=t0, accelerators=int(r["accelerators"]),
                   work_flops=float(r["work_flops"]),
                   checkpoint_interval_s=r["checkpoint_interval_s"],
                   checkpoint_s=float(r["checkpoint_s"]), bandwidth_bps=float(r["bandwidth_bps"]))
               for r in rows])
        new = o.ids[before:]
        with self.lock:
            for i, job_id in enumerate(new.tolist()):
                self._index[job_id - API_ID_OFFSET] = before + i
        return rows

    def _cancel(self, ids: list[int]) -> list[int]:
        rows = [self._index[i] for i in ids if i in self._index]
        if rows:
            self.orchestrator.cancel(np.array(rows, np.int64))
        return [i for i in ids if i in self._index]

    def _step(self) -> None:
        """One scheduling step: ``orbitdc.ops.scheduler.drive``'s (:func:`step`)."""
        flight = self.flight
        _, self._ran, self._faults = step(flight, self.orchestrator, flight.view(),
                                          self.arrivals)

    # --- what the API reads -------------------------------------------------------------------
    def _geometry(self) -> np.ndarray:
        """Positions and shadow at the current step (cheap: one SGP4 call over the fleet)."""
        t = np.array([float(self.times[self.flight.k])])
        jd, fr = jd_pair(self.start_jd, t)
        _, r, _ = propagate(self.flight.fleet.satrecs, jd, fr)
        r = r[:, 0]
        shadow = shadow_fraction(r, np.broadcast_to(sun_position_km(jd, fr)[0], r.shape))
        self._r, self._shadow = r, shadow
        return shadow

    def _after_step(self, record: bool, admitted: list[dict] | None = None) -> list[dict]:
        """The step's events (job transitions, upsets, eclipse entries and exits) and the
        snapshots the API reads."""
        o = self.orchestrator
        k = self.flight.k
        t1 = float(self.times[k])
        prev = self._snap  # the last step's (published before this one is computed)
        shadow = self._geometry()
        eclipsed = shadow >= ECLIPSED
        out: list[dict] = []
        ids = np.fromiter(self._index.keys(), np.int64, len(self._index))
        rows = np.fromiter(self._index.values(), np.int64, len(self._index))
        snap = {
            "ids": ids, "rows": rows, "state": o.state[rows].copy(), "done": o.done[rows].copy(),
            "lost": o.lost[rows].copy(), "checkpoints": o.checkpoints[rows].copy(),
            "requeues": o.requeues[rows].copy(), "first_start": o.first_start[rows].copy(),
            "end": o.end[rows].copy(), "work": o.work[rows].copy(),
            "p_job": o.p_job.copy(), "p_sat": o.p_sat.copy(), "p_n": o.p_n.copy(),
            "pos": dict(zip(ids.tolist(), range(ids.size))),
        }
        if record:
            t0 = float(self.times[k - 1])

            def ev(kind, job_id=None, sat=None, **data):
                # What the decision did is at the step's start; what the flight did, by its end.
                at = t0 if kind in ("admitted", "placed", "cancelled") else t1
                out.append({"step": k, "t_s": at, "kind": kind, "job_id": job_id,
                            "satellite": sat, "data": data})

            for r in admitted or []:
                ev("admitted", int(r["id"]))
            # The API jobs only grow, in admission order: the last snapshot's are a prefix.
            n_old = 0 if prev is None else prev["ids"].size
            was = {"state": np.zeros(ids.size, np.int64),
                   "checkpoints": np.zeros(ids.size, np.int64),
                   "lost": np.zeros(ids.size), "requeues": np.zeros(ids.size, np.int64)}
            if n_old:
                for name, arr in was.items():
                    arr[:n_old] = prev[name]
            moved = np.zeros(ids.size, bool)
            for name, arr in was.items():
                moved |= arr != snap[name]
            moved[n_old:] = True
            state_names = STATE_NAMES[snap["state"]]
            changed = [(i, STATE_NAMES[was["state"][i]], was["checkpoints"][i], was["lost"][i],
                        was["requeues"][i]) for i in np.nonzero(moved)[0].tolist()]
            for i, before, ck, lost, rq in changed:
                job_id = int(ids[i])
                now = state_names[i]
                if now == "unschedulable" and before == "queued":
                    ev("unschedulable", job_id)
                if now == "running" and before != "running":
                    ev("placed", job_id, placement=self._placement(snap, rows[i]))
                if snap["checkpoints"][i] > ck:
                    ev("checkpoint", job_id, checkpoints=int(snap["checkpoints"][i]))
                if snap["lost"][i] > lost:
                    ev("rollback", job_id, work_lost_flops=float(snap["lost"][i] - lost))
                if snap["requeues"][i] > rq:
                    ev("requeued", job_id)
                if now == "finished" and before != "finished":
                    ev("finished", job_id, finished_s=float(snap["end"][i]))
                if now == "cancelled" and before != "cancelled":
                    ev("cancelled", job_id)
            faults = getattr(self, "_faults", None)
            if faults is not None and len(faults[0]):
                sats, counts = np.unique(np.asarray(faults[0], np.int64), return_counts=True)
                for s, c in zip(sats.tolist(), counts.tolist()):
                    ev("upset", sat=str(self.names[s]), count=int(c))
            if self.eclipsed is not None:
                for s in np.nonzero(eclipsed & ~self.eclipsed)[0].tolist():
                    ev("eclipse_in", sat=str(self.names[s]))
                for s in np.nonzero(~eclipsed & self.eclipsed)[0].tolist():
                    ev("eclipse_out", sat=str(self.names[s]))
        self.eclipsed = eclipsed
        view = self.flight.view() if not self.flight.done else None
        fleet = {"t_s": t1, "r": self._r.copy(), "shadow": shadow.copy()}
        if view is not None:
            fleet.update(capacity=np.asarray(view.capacity, float).copy(),
                         soc=np.asarray(view.soc, float).copy(),
                         headroom_k=np.asarray(view.headroom_k, float).copy())
            fleet["contact"] = (None if view.contact is None
                                else np.asarray(view.contact, bool).copy())
        if record:
            # Published once the step's events are committed (:meth:`_run`): a job the API
            # shows finished has its finished event in the store.
            self._unpublished = (snap, fleet)
        else:
            with self.lock:
                self._snap, self._fleet = snap, fleet
        return out

    @staticmethod
    def _placement(snap, row) -> dict[str, int]:
        m = snap["p_job"] == row
        return dict(zip(snap["p_sat"][m].tolist(), snap["p_n"][m].tolist()))

    def job_status(self, job_id: int) -> dict | None:
        """The twin's view of an admitted API job (None if not admitted yet)."""
        with self.lock:
            snap = self._snap
            row = self._index.get(job_id)
        if snap is None or row is None:
            return None
        i = snap["pos"].get(job_id)
        if i is None:
            return None
        place = self._placement(snap, row)
        if not place:
            last = self.orchestrator.last_placement[row]
            place = dict(last)
        return {
            "state": str(STATE_NAMES[snap["state"][i]]),
            "placement": {str(self.names[s]): int(n) for s, n in sorted(place.items())},
            "progress": float(snap["done"][i] / snap["work"][i]) if snap["work"][i] else 1.0,
            "work_done_flops": float(snap["done"][i]),
            "work_lost_flops": float(snap["lost"][i]),
            "checkpoints": int(snap["checkpoints"][i]),
            "requeues": int(snap["requeues"][i]),
            "started_s": None if np.isnan(snap["first_start"][i])
            else float(snap["first_start"][i]),
            "finished_s": None if np.isnan(snap["end"][i]) else float(snap["end"][i]),
        }

    def job_states(self) -> dict[int, str]:
        with self.lock:
            snap = self._snap
        if snap is None:
            return {}
        return dict(zip(snap["ids"].tolist(), STATE_NAMES[snap["state"]].tolist()))

    def fleet(self) -> dict:
        """Each satellite now: position, sunlit, charge, temperature, accelerators, jobs."""
        with self.lock:
            f, snap = self._fleet, self._snap
        from orbitdc.core.frames import ecef_to_geodetic, teme_to_ecef
        from orbitdc.core.time import gmst_rad

        jd, fr = jd_pair(self.start_jd, np.array([f["t_s"]]))
        ecef = teme_to_ecef(f["r"], gmst_rad(jd, fr)[0])
        lat, lon, alt = ecef_to_geodetic(ecef)
        n = self.n_acc
        cap = f.get("capacity", np.zeros(n.size))
        failed = self.orchestrator.failed.copy()
        busy = np.zeros(n.size, np.int64)
        holds: list[list[int]] = [[] for _ in range(n.size)]
        if snap is not None:
            np.add.at(busy, snap["p_sat"], snap["p_n"])
            api = dict(zip(snap["rows"].tolist(), snap["ids"].tolist()))
            for j, s in zip(snap["p_job"].tolist(), snap["p_sat"].tolist()):  # placements
                if j in api:
                    holds[s].append(api[j])
        up = np.ceil(np.minimum(cap, n - failed) - 1e-6).astype(np.int64)
        down = np.maximum(n - np.maximum(up, busy), 0)
        soc = f.get("soc", np.full(n.size, np.nan))
        temp = self.t_max_k - f.get("headroom_k", np.full(n.size, np.nan))
        sats = []
        for i in range(n.size):  # the response: one record per satellite
            sats.append({
                "name": str(self.names[i]),
                "lat_deg": round(float(np.degrees(lat[i])), 4),
                "lon_deg": round(float(np.degrees(lon[i])), 4),
                "alt_km": round(float(alt[i]), 3),
                "x_km": float(f["r"][i, 0]), "y_km": float(f["r"][i, 1]),
                "z_km": float(f["r"][i, 2]),
                "shadow": round(float(f["shadow"][i]), 4),
                "sunlit": bool(f["shadow"][i] < ECLIPSED),
                "state_of_charge": None if not np.isfinite(soc[i]) else round(float(soc[i]), 4),
                "temperature_k": None if not np.isfinite(temp[i]) else round(float(temp[i]), 2),
                "accelerators": int(n[i]),
                "accelerators_busy": int(busy[i]),
                "accelerators_free": int(max(up[i] - busy[i], 0)),
                "accelerators_down": int(down[i]),
                "jobs": sorted(set(holds[i])),
            })
        return {"t_s": f["t_s"], "satellites": sats}

    def contact_now(self) -> tuple[float, np.ndarray | None] | None:
        """The latest step's time and (S,) whether each satellite sees a ground station then
        (``FleetView.contact``; None without stations), or None before the first step."""
        with self.lock:
            f = self._fleet
        return None if f is None else (float(f["t_s"]), f.get("contact"))

    def behind_s(self) -> float | None:
        """Simulated seconds the twin is behind its pace now (the step under way counts as
        behind until it is committed; None at full speed or before it flies live)."""
        pace0 = getattr(self, "_pace0", None)
        if self.speed is None or pace0 is None or self.status != "running":
            return None
        wall0, sim0 = pace0
        return max(0.0, (time.monotonic() - wall0) * self.speed - (self.t_s - sim0))

    def events_since(self, seq: int, timeout: float) -> list[tuple[int, dict]]:
        with self.cond:
            if self.event_seq <= seq:
                self.cond.wait(timeout)
            return [(s, e) for s, e in self.events if s > seq]
