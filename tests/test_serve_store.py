"""The live twin's store: the one writer's group commit (many submissions, one transaction),
idempotency inside a batch and against the stored keys, a bad write failing only itself,
and what a commit leaves on disk for another connection (the ``201`` is sent after it)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from orbitdc.serve.store import Store

FIELDS = {"accelerators": 1, "work_flops": 1e16, "checkpoint_interval_s": None,
          "checkpoint_s": 0.0, "bandwidth_bps": 0.0}


def _spec(name):
    return {"kind": "batch", "name": name, "accelerators": 1, "flops": 1e16}


PG_URL = os.environ.get("ORBITDC_PG_URL")
PG_REQUIRED = os.environ.get("ORBITDC_REQUIRE_PG") == "1"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A fresh store: a SQLite file, or a new database on the PostgreSQL server at
    ``ORBITDC_PG_URL`` (as tests/test_serve.py: skipped without it, except in CI)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.db'}")
        yield s
        s.close()
        return
    if not PG_URL:
        if PG_REQUIRED:
            pytest.fail("PostgreSQL tests required (ORBITDC_REQUIRE_PG=1) but ORBITDC_PG_URL "
                        "is not set")
        pytest.skip("no PostgreSQL server (set ORBITDC_PG_URL)")
    import psycopg

    name = f"orbitdc_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_URL.rpartition("/")
    s = Store(f"{base}/{name}")
    yield s
    s.close()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_waiting_submissions_share_one_commit_and_keep_idempotency(store, tmp_path):
    key = store.key_id(store.create_key("a"))
    other = store.key_id(store.create_key("b"))
    stored, created = store.submit(key, _spec("old"), FIELDS, 0.0, None, "k-old")
    assert created
    w = store.writer
    batches0 = w.batches
    # Held by this thread, the writer cannot take the queue: all of it is one batch.
    with w._cv:
        futs = [store.submit_async(key, _spec(f"j{i}"), FIELDS, 1.0, None, f"k{i % 5}")
                for i in range(20)]
        futs.append(store.submit_async(key, _spec("again"), FIELDS, 1.0, None, "k-old"))
        futs.append(store.submit_async(other, _spec("b"), FIELDS, 1.0, None, "k0"))
        futs.append(store.submit_async(key, _spec("plain"), FIELDS, 1.0, None, None))
    got = [f.result(30) for f in futs]
    assert w.batches == batches0 + 1
    # Five idempotency keys of key "a": five jobs, the first submission of each made it.
    made = {row["id"] for (row, c) in got[:20] if c}
    assert len(made) == 5
    for i, (row, c) in enumerate(got[:20]):
        assert c == (i < 5)
        assert row["id"] == got[i % 5][0]["id"] and row["name"] == f"j{i % 5}"
    assert got[20] == (store.job(stored["id"]), False)  # the stored key: the stored job
    assert got[21][1] and got[21][0]["id"] not in made  # another API key's "k0": its own
    assert got[22][1]
    # Each answer came after its commit: another connection sees every job.
    fresh = Store(store.url)
    try:
        assert {r["id"] for r in fresh.jobs_of(key, 100)} == made | {stored["id"],
                                                                     got[22][0]["id"]}
        assert len(fresh.jobs_of(other, 100)) == 1
    finally:
        fresh.close()


def test_a_bad_write_fails_only_its_own_request(store):
    key = store.key_id(store.create_key("a"))
    with store.writer._cv:
        good = store.submit_async(key, _spec("good"), FIELDS, 0.0, None, "g")
        bad = store.submit_async(key, _spec("bad"), dict(FIELDS, accelerators=None), 0.0,
                                 None, "b")  # NOT NULL
        also = store.submit_async(key, _spec("also"), FIELDS, 0.0, None, None)
    assert good.result(30)[1] and also.result(30)[1]
    with pytest.raises(Exception, match="(?i)not.null"):
        bad.result(30)
    assert [r["name"] for r in store.jobs_of(key, 10)] == ["good", "also"]


def test_concurrent_retries_with_one_idempotency_key_make_one_job(store):
    key = store.key_id(store.create_key("a"))
    ids, start = [], threading.Barrier(16)

    def retry():
        start.wait()
        ids.append(store.submit(key, _spec("same"), FIELDS, 0.0, None, "one")[0]["id"])

    threads = [threading.Thread(target=retry) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 16 and len(set(ids)) == 1
    assert len(store.jobs_of(key, 100)) == 1


def test_one_server_per_database_with_a_lease_that_expires(tmp_path):
    from orbitdc.serve.store import LEASE_S, StoreError, lease

    url = f"sqlite:///{tmp_path / 'lease.db'}"
    first = Store(url)
    first.acquire_lease()
    second = Store(url)
    with pytest.raises(StoreError, match=r"in use by another orbitdc serve \(pid \d+ on "):
        second.acquire_lease()
    # A holder on another host that stopped renewing: refused until its lease expires.
    with first.engine.begin() as c:
        c.execute(lease.update().values(host="elsewhere", pid=1))
    with pytest.raises(StoreError, match="in use"):
        second.acquire_lease()
    with first.engine.begin() as c:
        import time

        c.execute(lease.update().values(heartbeat=time.time() - LEASE_S - 1))
    second.acquire_lease()  # expired: taken over
    # The first server lost it: its writes fail, nothing is written by two servers.
    key = first.key_id(first.create_key("a"))
    with pytest.raises(StoreError, match="lost the database's lease"):
        first.submit(key, _spec("late"), FIELDS, 0.0, None, None)
    assert first.jobs_of(key, 10) == []
    assert second.submit(key, _spec("ok"), FIELDS, 0.0, None, None)[1]
    first.close()
    second.close()  # released: a third starts at once
    third = Store(url)
    third.acquire_lease()
    third.close()


def test_a_second_serve_on_a_database_in_use_exits_2_saying_so(tmp_path):
    import socket

    from typer.testing import CliRunner

    from orbitdc.cli import app

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder = Store(url)
    holder.acquire_lease()
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nstart = 2026-06-21T00:00:00Z\nduration_h = 0.5\n'
                        'step_s = 60.0\n[[fleet]]\nname = "w"\nkind = "walker"\n'
                        'altitude_km = 550.0\ninclination_deg = 53.0\nplanes = 1\n'
                        'per_plane = 2\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = CliRunner().invoke(app, ["serve", str(scenario), "--db", url, "--port", str(port)])
    holder.close()
    assert r.exit_code == 2, r.output
    assert "--db" in r.output and "in use by another orbitdc serve" in r.output
