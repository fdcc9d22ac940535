"""The live twin's store: API keys (their hash only), jobs, idempotency keys, events and the
twin's checkpoint, in SQLAlchemy Core tables (a SQLite file by default, PostgreSQL by URL).

The store is event-sourced in what matters for recovery: a job is a row committed before its
``201``; the twin admits queued rows at a scheduling-step boundary and records that step
(``admitted_step``) in the same transaction as the step's events and the checkpoint (the step
reached). A restart loads the twin's saved state (``orbitdc_twin_state``) and re-flies from it
(or, without a usable one, from the scenario's start) admitting the same rows at the same
steps (and applying cancellations at theirs) up to the checkpoint, then goes on live: a job
accepted is never lost (its row is there before the answer) and never duplicated (its id is
the row's, and an ``Idempotency-Key`` is unique per API key).

A running server writes only through its one writer thread (:class:`_Writer`, group commit)
and holds the database's lease (``orbitdc_lease``): one server per database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from concurrent.futures import Future

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

__all__ = ["Store", "StoreError", "hash_key"]

#: Bumped when the tables change (a database of another version is refused, naming it).
SCHEMA_VERSION = 1

metadata = sa.MetaData()

keys = sa.Table(
    "orbitdc_keys", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)

jobs = sa.Table(
    "orbitdc_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_id", sa.Integer, sa.ForeignKey("orbitdc_keys.id"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),  # the request as accepted, JSON
    sa.Column("accelerators", sa.Integer, nullable=False),
    sa.Column("work_flops", sa.Float, nullable=False),
    sa.Column("checkpoint_interval_s", sa.Float, nullable=True),
    sa.Column("checkpoint_s", sa.Float, nullable=False),
    sa.Column("bandwidth_bps", sa.Float, nullable=False),
    sa.Column("submitted_s", sa.Float, nullable=False),  # simulated, from the scenario start
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("unschedulable", sa.Text, nullable=True),  # the reason, if it can never fit
    sa.Column("admitted_step", sa.Integer, nullable=True, index=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("cancel_step", sa.Integer, nullable=True),
)

idempotency = sa.Table(
    "orbitdc_idempotency", metadata,
    sa.Column("key_id", sa.Integer, sa.ForeignKey("orbitdc_keys.id"), primary_key=True),
    sa.Column("idem_key", sa.String(255), primary_key=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("orbitdc_jobs.id"), nullable=False),
)

events = sa.Table(
    "orbitdc_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("t_s", sa.Float, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("job_id", sa.Integer, nullable=True, index=True),
    sa.Column("satellite", sa.String(200), nullable=True),
    sa.Column("data", sa.Text, nullable=False),
)

twin = sa.Table(
    "orbitdc_twin", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("scenario", sa.String(64), nullable=False),  # the scenario's fingerprint
    sa.Column("scenario_name", sa.String(200), nullable=False),
    sa.Column("step", sa.Integer, nullable=False),  # steps flown and committed
    sa.Column("t_s", sa.Float, nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

#: The twin's saved state (one row): what a restart loads to go on from ``step`` without
#: flying the span again (``orbitdc.serve.twin``). In a table of its own so that databases of
#: an earlier orbitdc gain it without a schema change.
twin_state = sa.Table(
    "orbitdc_twin_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("step", sa.Integer, nullable=False),  # the step the state is at
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("orbitdc_version", sa.String(64), nullable=False),
    sa.Column("scenario", sa.String(64), nullable=False),  # the scenario's fingerprint
    sa.Column("blob", sa.LargeBinary, nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
)

#: The lease of the one server that may fly the twin of this database (one row): who holds
#: it and when it last said so. A second server is refused while the lease is alive; one
#: killed (``kill -9``) stops renewing it, and it expires after ``LEASE_S``.
lease = sa.Table(
    "orbitdc_lease", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),  # a random token per server
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("heartbeat", sa.Float, nullable=False),  # UNIX seconds (the holder's clock)
)

#: Seconds a lease lives without a heartbeat; the writer renews it with every transaction
#: and at least every ``LEASE_S / 5`` when idle.
LEASE_S = 15.0


class StoreError(Exception):
    """A database that cannot be used (bad URL, unreachable, another twin's): a user error."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: SQLite's ``synchronous`` settings a store URL may ask for (``?synchronous=...``), in WAL
#: mode. ``FULL`` (the default): the WAL is fsynced at every commit, so a job answered
#: ``201`` survives a kill of the server, an OS crash and a power loss. ``NORMAL``: the WAL is
#: written (to the OS) at every commit and fsynced only at checkpoints, so an answered job
#: survives a kill of the server (``kill -9``: the OS still writes it) but the last commits
#: before an OS crash or a power loss may be lost; the database is never corrupted either way.
SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}


def _synchronous(url: str) -> tuple[str, str]:
    """The URL without its ``synchronous`` query parameter, and that setting."""
    from urllib.parse import parse_qsl, urlencode

    base, _, query = url.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    asked = [v for k, v in params if k == "synchronous"]
    rest = [(k, v) for k, v in params if k != "synchronous"]
    value = asked[-1].lower() if asked else "full"
    if value not in SYNCHRONOUS:
        raise StoreError(f"synchronous={asked[-1]!r} in the URL: expected full or normal")
    return base + ("?" + urlencode(rest) if rest else ""), SYNCHRONOUS[value]


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql://...``, which uses
    psycopg 3), checked by connecting. Raises :class:`StoreError` naming what is wrong.

    SQLite: ``?synchronous=full`` (the default) or ``?synchronous=normal`` on the URL sets
    what a commit waits for (:data:`SYNCHRONOUS`)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        if url.startswith("sqlite"):
            url, sync = _synchronous(url)
            engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                         "timeout": 30})

            @sa.event.listens_for(engine, "connect")
            def _pragmas(conn, _record):
                # WAL: readers do not wait for the writer; see SYNCHRONOUS for what a
                # commit waits for. The group commit of the writer (:class:`_Writer`) pays
                # a commit's fsync once per batch, not once per job.
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync}")
                cur.execute("PRAGMA busy_timeout=30000")
                # No checkpoint inside a commit (it would stall the submissions behind it by
                # a database-file fsync): the writer's checkpointer thread copies the WAL
                # into the database beside the commits (:class:`_Writer`).
                cur.execute("PRAGMA wal_autocheckpoint=0")
                cur.close()
        else:
            engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
        with engine.connect():
            pass
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"not a database URL ({exc}); expected sqlite:///FILE or "
                         "postgresql://USER@HOST/DB") from None
    except (OperationalError, sa.exc.DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open the database: {reason}") from None
    return engine


class Store:
    """The tables on one engine. Methods are transactions of their own."""

    def __init__(self, url: str):
        self.url = url
        self._writer: _Writer | None = None
        self._writer_lock = threading.Lock()
        self.lease_owner: str | None = None
        self.engine = engine_for(url)
        try:
            metadata.create_all(self.engine)
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"cannot create the tables: {exc.orig}") from None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self.lease_owner is not None:
            with self.engine.begin() as c:  # released: the next server need not wait
                c.execute(lease.delete().where(lease.c.owner == self.lease_owner))
            self.lease_owner = None
        self.engine.dispose()

    # --- keys ------------------------------------------------------------------------------
    def create_key(self, name: str) -> str:
        """A new API key for ``name``: returned once, stored as its SHA-256 only."""
        key = "odc_" + secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(keys.insert().values(name=name, hash=hash_key(key), created=_now()))
        return key

    def key_id(self, key: str) -> int | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(keys.c.id).where(keys.c.hash == hash_key(key))).first()
        return None if row is None else int(row[0])

    # --- the lease: one server per database ------------------------------------------------
    def acquire_lease(self) -> None:
        """Hold this database's lease for this process (renewed by the writer, released by
        :meth:`close`). Raises :class:`StoreError` if another server holds it: one whose
        heartbeat is younger than ``LEASE_S``, unless it is a process of this host that is
        gone (a ``kill -9`` leaves its lease behind)."""
        import os
        import socket
        import time

        token = secrets.token_hex(16)
        host = socket.gethostname()[:255]
        now = time.time()
        with self.engine.begin() as c:
            row = c.execute(sa.select(lease).where(lease.c.id == 1)).first()
            mine = dict(owner=token, host=host, pid=os.getpid(), heartbeat=now)
            if row is None:
                try:
                    c.execute(lease.insert().values(id=1, **mine))
                except sa.exc.IntegrityError:
                    raise StoreError("the database is in use by another orbitdc serve "
                                     "starting now") from None
            else:
                age = now - row.heartbeat
                gone = row.host == host and not _alive(row.pid)
                if age < LEASE_S and not gone:
                    raise StoreError(
                        f"the database is in use by another orbitdc serve (pid {row.pid} on "
                        f"{row.host}, its last heartbeat {max(age, 0.0):.1f} s ago); stop it "
                        f"first, or wait {LEASE_S:g} s if it was killed")
                # Expired (or its process is gone): taken over, unless another starting
                # server took it over first.
                took = c.execute(lease.update().where(
                    (lease.c.id == 1) & (lease.c.owner == row.owner)).values(**mine)).rowcount
                if took != 1:
                    raise StoreError("the database is in use by another orbitdc serve "
                                     "starting now")
        self.lease_owner = token
        self.writer.lease_owner = token

    # --- the twin's checkpoint -----------------------------------------------------------------
    def claim(self, fingerprint: str, name: str) -> tuple[int, float]:
        """The checkpoint ``(step, t_s)`` of the twin of this scenario (0, 0 on a new
        database); a database holding another scenario's twin is refused."""
        with self.engine.begin() as c:
            row = c.execute(sa.select(twin).where(twin.c.id == 1)).first()
            if row is None:
                c.execute(twin.insert().values(id=1, schema_version=SCHEMA_VERSION,
                                               scenario=fingerprint, scenario_name=name,
                                               step=0, t_s=0.0, updated=_now()))
                return 0, 0.0
        if row.schema_version != SCHEMA_VERSION:
            raise StoreError(f"the database is of store version {row.schema_version}; this "
                             f"orbitdc writes version {SCHEMA_VERSION}")
        if row.scenario != fingerprint:
            raise StoreError(f"the database holds the twin of another scenario "
                             f"({row.scenario_name!r}, or that file changed since); use a new "
                             "--db for this one")
        return int(row.step), float(row.t_s)

    def checkpoint(self) -> tuple[int, float]:
        with self.engine.connect() as c:
            row = c.execute(sa.select(twin.c.step, twin.c.t_s).where(twin.c.id == 1)).first()
        return (0, 0.0) if row is None else (int(row[0]), float(row[1]))

    def save_state(self, step: int, fmt: int, version: str, scenario: str,
                   blob: bytes) -> None:
        """Keep the twin's state at ``step`` (replacing the one kept), through the writer."""
        self.writer.put("state", (step, fmt, version, scenario, blob)).result()

    def saved_state(self) -> dict | None:
        """The twin's state kept (``step``, ``format``, ``orbitdc_version``, ``scenario``,
        ``blob``), or None."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(twin_state).where(twin_state.c.id == 1)).first()
        return None if row is None else dict(row._mapping)

    # --- jobs ------------------------------------------------------------------------------
    @property
    def writer(self) -> "_Writer":
        """The one thread that writes jobs, cancellations and the twin's steps (started on
        first use)."""
        with self._writer_lock:
            if self._writer is None:
                self._writer = _Writer(self.engine)
            return self._writer

    def submit_async(self, key_id: int, spec: dict, fields: dict, submitted_s: float,
                     unschedulable: str | None, idem_key: str | None) -> Future:
        """Queue a job (and its idempotency key) for the writer: a future of ``(row,
        created)``, set once the transaction that holds it is committed (with an
        idempotency key this API key used already: the job it made, and False)."""
        values = dict(key_id=key_id, name=spec["name"], kind=spec["kind"],
                      spec=json.dumps(spec, sort_keys=True), submitted_s=submitted_s,
                      created=_now(), unschedulable=unschedulable, cancel_requested=False,
                      **fields)
        return self.writer.put("job", (values, idem_key))

    def submit(self, key_id: int, spec: dict, fields: dict, submitted_s: float,
               unschedulable: str | None, idem_key: str | None) -> tuple[dict, bool]:
        """:meth:`submit_async`, waited for."""
        return self.submit_async(key_id, spec, fields, submitted_s, unschedulable,
                                 idem_key).result()

    def job(self, job_id: int) -> dict | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else dict(row._mapping)

    def jobs_of(self, key_id: int, limit: int, after: int = 0) -> list[dict]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(jobs).where((jobs.c.key_id == key_id)
                                                   & (jobs.c.id > after))
                             .order_by(jobs.c.id).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def last_jobs_of(self, key_id: int, n: int) -> list[dict]:
        """The ``n`` newest jobs of a key, in id order."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(jobs).where(jobs.c.key_id == key_id)
                             .order_by(jobs.c.id.desc()).limit(n)).all()
        return [dict(r._mapping) for r in reversed(rows)]

    def request_cancel(self, job_id: int) -> None:
        self.writer.put("cancel", (job_id,)).result()

    def pending(self) -> list[dict]:
        """Jobs accepted and not yet admitted (nor withdrawn before it), in id order."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(jobs).where(jobs.c.admitted_step.is_(None)
                                                   & ~jobs.c.cancel_requested)
                             .order_by(jobs.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def cancels_pending(self) -> list[int]:
        """Admitted jobs whose cancellation the twin has not applied yet."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(jobs.c.id).where(
                jobs.c.admitted_step.is_not(None) & jobs.c.cancel_requested
                & jobs.c.cancel_step.is_(None)).order_by(jobs.c.id)).all()
        return [int(r[0]) for r in rows]

    def history(self, up_to_step: int, from_step: int = 0
                ) -> tuple[list[dict], list[tuple[int, int]]]:
        """What the twin did from ``from_step`` to before ``up_to_step``: the jobs admitted
        (in step, id order) and the cancellations applied, ``(step, job id)``."""
        with self.engine.connect() as c:
            admitted = c.execute(sa.select(jobs).where(
                (jobs.c.admitted_step < up_to_step) & (jobs.c.admitted_step >= from_step))
                .order_by(jobs.c.admitted_step, jobs.c.id)).all()
            cancels = c.execute(sa.select(jobs.c.cancel_step, jobs.c.id).where(
                (jobs.c.cancel_step < up_to_step) & (jobs.c.cancel_step >= from_step))
                .order_by(jobs.c.cancel_step, jobs.c.id)).all()
        return [dict(r._mapping) for r in admitted], [(int(s), int(i)) for s, i in cancels]

    def commit_step(self, step: int, t_s: float, admitted: list[int], cancelled: list[int],
                    new_events: list[dict]) -> None:
        """One scheduling step kept: its admissions, cancellations, events and the
        checkpoint (``step`` steps flown, at ``t_s``), all or nothing (through the writer,
        in the transaction of the jobs submitted meanwhile)."""
        self.writer.put("step", (step, t_s, admitted, cancelled, new_events)).result()

    def last_event_id(self) -> int:
        """The id of the last event stored (0 without any): the twin numbers its events on
        from it, so the event stream's ids go on across restarts."""
        with self.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.max(events.c.id))).scalar() or 0)

    def events_after(self, event_id: int, limit: int) -> list[dict]:
        """Up to ``limit`` stored events after ``event_id``, in id order."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(events).where(events.c.id > event_id)
                             .order_by(events.c.id).limit(limit)).all()
        return [dict(r._mapping, data=json.loads(r.data)) for r in rows]

    def events_of(self, job_id: int) -> list[dict]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(events).where(events.c.job_id == job_id)
                             .order_by(events.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            total = c.execute(sa.select(sa.func.count()).select_from(jobs)).scalar_one()
            waiting = jobs.c.admitted_step.is_(None)
            pending = c.execute(sa.select(sa.func.count()).select_from(jobs).where(
                waiting & ~jobs.c.cancel_requested & jobs.c.unschedulable.is_(None))
            ).scalar_one()
            never = c.execute(sa.select(sa.func.count()).select_from(jobs).where(
                waiting & ~jobs.c.cancel_requested & jobs.c.unschedulable.is_not(None))
            ).scalar_one()
            withdrawn = c.execute(sa.select(sa.func.count()).select_from(jobs).where(
                waiting & jobs.c.cancel_requested)).scalar_one()
        return {"accepted": int(total), "waiting_admission": int(pending),
                "unschedulable_waiting": int(never), "cancelled_before_admission":
                int(withdrawn)}


#: Most writes one transaction of the writer takes (bounds a transaction's size and its
#: statement parameters).
MAX_BATCH = 512
#: Seconds between the SQLite checkpoints of a server's writer.
CHECKPOINT_S = 1.0


class _Writer:
    """The store's one writer: a thread that takes every write waiting (jobs submitted,
    cancellations, the twin's step), runs them in one transaction, commits it once (a group
    commit) and only then answers each with its result. A request thus waits for its own
    durable commit, while concurrent requests share one commit (and, on SQLite, one fsync);
    and the twin's step commits never compete with submissions for the database's write
    lock (one writer per process; a second server on the database is locked out).

    A write that fails (a database error) makes the writer retry the batch one write per
    transaction, so one bad write fails only its own request."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._queue: list[tuple[str, tuple, Future]] = []
        self._cv = threading.Condition()
        self._closed = False
        #: The lease this writer renews (``Store.acquire_lease``); None: no lease.
        self.lease_owner: str | None = None
        self._renewed = 0.0
        #: Transactions committed and writes they held (``/metrics``).
        self.batches = 0
        self.writes = 0
        self._thread = threading.Thread(target=self._loop, name="orbitdc-store-writer",
                                        daemon=True)
        self._thread.start()
        self._checkpointer = None
        self._stopped = threading.Event()
        if engine.dialect.name == "sqlite":
            self._checkpointer = threading.Thread(target=self._checkpoints,
                                                  name="orbitdc-store-checkpoint", daemon=True)
            self._checkpointer.start()

    def _checkpoints(self) -> None:
        """SQLite: copy the WAL into the database file every ``CHECKPOINT_S`` (a PASSIVE
        checkpoint: it waits for no one and no writer waits for it), instead of inside the
        commit that crosses the WAL's size limit."""
        while not self._stopped.wait(CHECKPOINT_S):
            try:
                with self.engine.connect() as c:
                    c.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except sa.exc.DBAPIError:  # busy: the next one copies it
                pass

    def put(self, kind: str, args: tuple) -> Future:
        fut: Future = Future()
        with self._cv:
            if self._closed:
                raise StoreError("the store is closed")
            self._queue.append((kind, args, fut))
            self._cv.notify()
        return fut

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self._cv:
            self._closed = True
            self._cv.notify()
        self._thread.join()
        self._stopped.set()
        if self._checkpointer is not None:
            self._checkpointer.join()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    if self.lease_owner is not None:
                        left = self._renewed + LEASE_S / 5 - time.monotonic()
                        if left <= 0:
                            break  # an idle heartbeat: an empty transaction renews it
                        self._cv.wait(left)
                    else:
                        self._cv.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            if batch:
                self._write(batch)
            else:
                try:
                    with self.engine.begin() as c:
                        self._renew(c)
                except Exception:  # noqa: BLE001 - the next write fails on it
                    self._renewed = time.monotonic()

    def _write(self, batch: list) -> None:
        try:
            with self.engine.begin() as c:
                results = self._apply(c, batch)
        except Exception as exc:  # noqa: BLE001 - handed to the request that made it
            if len(batch) == 1:
                batch[0][2].set_exception(exc)
                return
            for item in batch:  # each on its own: only the bad one fails
                self._write([item])
            return
        self.batches += 1
        self.writes += len(batch)
        for (_, _, fut), result in zip(batch, results):
            fut.set_result(result)

    def _renew(self, c) -> None:
        """Renew the lease in this transaction; one lost (another server took it over after
        this one stalled past ``LEASE_S``) fails the transaction, so nothing is written by
        two servers."""
        if self.lease_owner is None:
            return
        if c.execute(lease.update().where((lease.c.id == 1)
                                          & (lease.c.owner == self.lease_owner))
                     .values(heartbeat=time.time())).rowcount != 1:
            raise StoreError("this server lost the database's lease to another orbitdc "
                             "serve: it writes nothing more")
        self._renewed = time.monotonic()

    def _apply(self, c, batch: list) -> list:
        self._renew(c)
        results: list = [None] * len(batch)
        new = [i for i, (kind, _, _) in enumerate(batch) if kind == "job"]
        if new:
            self._jobs(c, batch, new, results)
        for i, (kind, args, _) in enumerate(batch):
            if kind == "cancel":
                c.execute(jobs.update().where(jobs.c.id == args[0])
                          .values(cancel_requested=True))
            elif kind == "step":
                _commit_step(c, *args)
            elif kind == "state":
                step, fmt, version, scenario, blob = args
                values = dict(step=step, format=fmt, orbitdc_version=version,
                              scenario=scenario, blob=blob, updated=_now())
                if c.execute(twin_state.update().where(twin_state.c.id == 1)
                             .values(**values)).rowcount == 0:
                    c.execute(twin_state.insert().values(id=1, **values))
        return results

    @staticmethod
    def _jobs(c, batch: list, items: list[int], results: list) -> None:
        """Insert the batch's jobs (one multi-row insert) and their idempotency keys. An
        idempotency key already used by the same API key (stored, or earlier in this
        batch) gets the job it made. The store has one writer, so looking the keys up
        first, in the same transaction, cannot race; the unique constraint stays as the
        guard (its violation fails the batch, retried one write at a time)."""
        wanted = {(batch[i][1][0]["key_id"], batch[i][1][1]) for i in items
                  if batch[i][1][1] is not None}
        known: dict[tuple[int, str], int] = {}
        if wanted:
            rows = c.execute(sa.select(idempotency.c.key_id, idempotency.c.idem_key,
                                       idempotency.c.job_id).where(
                sa.tuple_(idempotency.c.key_id, idempotency.c.idem_key).in_(sorted(wanted)))
            ).all()
            known = {(int(k), i): int(j) for k, i, j in rows}
        fresh: list[int] = []
        first: dict[tuple[int, str], int] = {}  # idempotency key -> item that makes its job
        again: list[tuple[int, int]] = []  # (item, the item whose job it is)
        for i in items:
            values, idem = batch[i][1]
            ik = (values["key_id"], idem)
            if idem is not None and ik in known:
                continue
            if idem is not None and ik in first:
                again.append((i, first[ik]))
                continue
            if idem is not None:
                first[ik] = i
            fresh.append(i)
        if fresh:
            ids = c.execute(jobs.insert().returning(jobs.c.id, sort_by_parameter_order=True),
                            [batch[i][1][0] for i in fresh]).scalars().all()
            idem_rows = []
            for i, job_id in zip(fresh, ids):
                values, idem = batch[i][1]
                results[i] = (dict(values, id=int(job_id), admitted_step=None,
                                   cancel_step=None), True)
                if idem is not None:
                    idem_rows.append(dict(key_id=values["key_id"], idem_key=idem,
                                          job_id=int(job_id)))
            if idem_rows:
                c.execute(idempotency.insert(), idem_rows)
        for i, j in again:
            results[i] = (results[j][0], False)
        old = {known[(batch[i][1][0]["key_id"], batch[i][1][1])] for i in items
               if results[i] is None}
        if old:
            rows = c.execute(sa.select(jobs).where(jobs.c.id.in_(sorted(old)))).all()
            found = {int(r.id): dict(r._mapping) for r in rows}
            for i in items:
                if results[i] is None:
                    job_id = known[(batch[i][1][0]["key_id"], batch[i][1][1])]
                    results[i] = (found[job_id], False)


def _commit_step(c, step: int, t_s: float, admitted: list[int], cancelled: list[int],
                 new_events: list[dict]) -> None:
    # Each as one cached statement run over many rows (the driver's executemany): a step may
    # admit a thousand jobs, and an IN list or a multi-row VALUES of that size is compiled
    # anew each time (measured: 130 ms of the writer's CPU for 1,043 jobs, against ~10 ms).
    if admitted:
        c.execute(_SET_ADMITTED, [{"job": i, "at": step - 1} for i in admitted])
    if cancelled:
        c.execute(_SET_CANCELLED, [{"job": i, "at": step - 1} for i in cancelled])
    if new_events:
        c.execute(events.insert(), [dict(e, data=json.dumps(e["data"])) for e in new_events])
    c.execute(twin.update().where(twin.c.id == 1).values(step=step, t_s=t_s, updated=_now()))


_SET_ADMITTED = (jobs.update().where(jobs.c.id == sa.bindparam("job"))
                 .values(admitted_step=sa.bindparam("at")))
_SET_CANCELLED = (jobs.update().where(jobs.c.id == sa.bindparam("job"))
                  .values(cancel_step=sa.bindparam("at")))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
