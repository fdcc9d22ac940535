"""Load on a live twin: ``clients`` concurrent clients submit ``jobs`` jobs (each with its own
``Idempotency-Key``) and we check that none is lost or duplicated, the submit latency, and
that the twin keeps its pace meanwhile.

``python -m orbitdc.serve.load SCENARIO --clients 50 --jobs 2000 [--speed 60]`` starts
``orbitdc serve`` on a free loopback port with a fresh SQLite store in a temporary folder,
runs the load and prints the result as JSON (docs/serve.md quotes it)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np

from orbitdc.serve.client import Client

__all__ = ["run_load", "start_server"]

JOB = {"kind": "batch", "name": "load", "accelerators": 1, "flops": 1e16}


def start_server(scenario: str | Path, db: str, speed: str, *, log: Path,
                 rate_limit: float = 10_000.0, timeout_s: float = 180.0):
    """``orbitdc serve`` in a subprocess on a free loopback port; returns (process, url) once
    its health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orbitdc", "serve", str(scenario), "--db", db, "--port",
             str(port), "--speed", speed, "--rate-limit", str(rate_limit)],
            stdout=sink, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/v1/health", timeout=2).json()["status"] == "running":
                return proc, url
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(Path(log).read_text()) from None
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"orbitdc serve did not start in {timeout_s:g} s")


def run_load(url: str, key: str, clients: int, jobs: int, job: dict | None = None,
             ) -> dict:
    """Submit ``jobs`` jobs from ``clients`` threads, each its own connection; then list them
    back. Returns the figures (latencies in ms)."""
    job = dict(job or JOB)
    per = [jobs // clients + (1 if i < jobs % clients else 0) for i in range(clients)]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    accepted: list[list[int]] = [[] for _ in range(clients)]
    failures: list[str] = []
    start = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        with Client(url, key, retries=5) as c:
            start.wait()
            for n in range(per[i]):
                t0 = time.perf_counter()
                try:
                    got = c.submit(dict(job, name=f"load-{i}-{n}"),
                                   idempotency_key=str(uuid.uuid4()))
                except Exception as exc:  # counted: the figure says how many failed
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies[i].append(time.perf_counter() - t0)
                accepted[i].append(got["id"])

    behind: list[float] = []
    done = threading.Event()

    def monitor() -> None:
        with Client(url, key) as c:
            while not done.is_set():
                b = c.health()["behind_s"]
                if b is not None:
                    behind.append(b)
                done.wait(0.1)

    watcher = threading.Thread(target=monitor)
    with Client(url, key) as c:
        h0 = c.health()
        watcher.start()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        start.wait()
        wall0 = time.monotonic()
        for t in threads:
            t.join()
        wall = time.monotonic() - wall0
        done.set()
        watcher.join()
        h1 = c.health()
        listed = [j["id"] for j in c.list()]
    lat = np.concatenate([np.asarray(x) for x in latencies]) * 1e3 if jobs else np.zeros(1)
    ids = [i for a in accepted for i in a]
    speed = h0["speed"]
    return {
        "clients": clients, "jobs": jobs, "accepted": len(ids), "failed": len(failures),
        "failures": failures[:5],
        "listed": len(listed), "lost": len(set(ids) - set(listed)),
        "duplicated": len(listed) - len(set(listed)),
        "submit_ms_p50": round(float(np.percentile(lat, 50)), 2),
        "submit_ms_p99": round(float(np.percentile(lat, 99)), 2),
        "submit_ms_max": round(float(lat.max()), 2),
        "wall_s": round(wall, 3), "submits_per_s": round(len(ids) / wall, 1) if wall else None,
        "speed": speed,
        # How far the twin fell behind its pace while it took the load (simulated seconds;
        # the step under way counts as behind until committed, so up to one step is on time).
        "behind_s_max": round(max(behind), 3) if behind else None,
        "steps_per_s": h1["steps_per_s"],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m orbitdc.serve.load", description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--speed", default="60")
    ap.add_argument("--db", default=None, help="default: SQLite in a temporary folder")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'load.db'}"
        from orbitdc.serve.store import Store

        store = Store(db)
        key = store.create_key("load")
        store.close()
        proc, url = start_server(args.scenario, db, args.speed, log=Path(tmp) / "serve.log")
        try:
            time.sleep(2.0)  # the twin's pace settles
            result = run_load(url, key, args.clients, args.jobs)
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
