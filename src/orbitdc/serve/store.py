"""The live twin's store: API keys (their hash only), jobs, idempotency keys, events and the
twin's checkpoint, in SQLAlchemy Core tables (a SQLite file by default, PostgreSQL by URL).

The store is event-sourced in what matters for recovery: a job is a row committed before its
``201``; the twin admits queued rows at a scheduling-step boundary and records that step
(``admitted_step``) in the same transaction as the step's events and the checkpoint (the step
reached). A restart re-flies the scenario from its start admitting the same rows at the same
steps (and applying cancellations at theirs) up to the checkpoint, then goes on live: a job
accepted is never lost (its row is there before the answer) and never duplicated (its id is
the row's, and an ``Idempotency-Key`` is unique per API key)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError

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


class StoreError(Exception):
    """A database that cannot be used (bad URL, unreachable, another twin's): a user error."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql://...``, which uses
    psycopg 3), checked by connecting. Raises :class:`StoreError` naming what is wrong."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                         "timeout": 30})

            @sa.event.listens_for(engine, "connect")
            def _pragmas(conn, _record):  # WAL: readers do not wait for the twin's writes
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA busy_timeout=30000")
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
        self.engine = engine_for(url)
        try:
            metadata.create_all(self.engine)
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"cannot create the tables: {exc.orig}") from None

    def close(self) -> None:
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

    # --- jobs ------------------------------------------------------------------------------
    def submit(self, key_id: int, spec: dict, fields: dict, submitted_s: float,
               unschedulable: str | None, idem_key: str | None) -> tuple[dict, bool]:
        """Insert a job (and its idempotency key) in one transaction. Returns ``(row,
        created)``: with an idempotency key already used by this API key, the job it made
        and False."""
        # The insert is tried first (one round trip for a new job); a used idempotency key
        # fails its unique constraint, the transaction (the job too) rolls back, and the job
        # it made is returned.
        values = dict(key_id=key_id, name=spec["name"], kind=spec["kind"],
                      spec=json.dumps(spec, sort_keys=True), submitted_s=submitted_s,
                      created=_now(), unschedulable=unschedulable, cancel_requested=False,
                      **fields)
        try:
            with self.engine.begin() as c:
                job_id = c.execute(jobs.insert().values(**values)).inserted_primary_key[0]
                if idem_key is not None:
                    c.execute(idempotency.insert().values(key_id=key_id, idem_key=idem_key,
                                                          job_id=job_id))
            return dict(values, id=int(job_id), admitted_step=None, cancel_step=None), True
        except IntegrityError:
            found = self._by_idem(key_id, idem_key) if idem_key is not None else None
            if found is None:
                raise
            return found, False  # a concurrent retry won the race

    def _by_idem(self, key_id: int, idem_key: str) -> dict | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(idempotency.c.job_id).where(
                (idempotency.c.key_id == key_id) & (idempotency.c.idem_key == idem_key))).first()
        return None if row is None else self.job(int(row[0]))

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

    def request_cancel(self, job_id: int) -> None:
        with self.engine.begin() as c:
            c.execute(jobs.update().where(jobs.c.id == job_id).values(cancel_requested=True))

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

    def history(self, up_to_step: int) -> tuple[list[dict], list[tuple[int, int]]]:
        """What the twin did before ``up_to_step``: the jobs admitted (in step, id order) and
        the cancellations applied, ``(step, job id)``."""
        with self.engine.connect() as c:
            admitted = c.execute(sa.select(jobs).where(jobs.c.admitted_step < up_to_step)
                                 .order_by(jobs.c.admitted_step, jobs.c.id)).all()
            cancels = c.execute(sa.select(jobs.c.cancel_step, jobs.c.id).where(
                jobs.c.cancel_step < up_to_step).order_by(jobs.c.cancel_step, jobs.c.id)).all()
        return [dict(r._mapping) for r in admitted], [(int(s), int(i)) for s, i in cancels]

    def commit_step(self, step: int, t_s: float, admitted: list[int], cancelled: list[int],
                    new_events: list[dict]) -> None:
        """One scheduling step kept: its admissions, cancellations, events and the
        checkpoint (``step`` steps flown, at ``t_s``), all or nothing."""
        with self.engine.begin() as c:
            if admitted:
                c.execute(jobs.update().where(jobs.c.id.in_(admitted))
                          .values(admitted_step=step - 1))
            if cancelled:
                c.execute(jobs.update().where(jobs.c.id.in_(cancelled))
                          .values(cancel_step=step - 1))
            if new_events:
                c.execute(events.insert(), [dict(e, data=json.dumps(e["data"]))
                                            for e in new_events])
            c.execute(twin.update().where(twin.c.id == 1)
                      .values(step=step, t_s=t_s, updated=_now()))

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
