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


class _Plain:
    """A submitting client on the standard library's ``http.client`` (one keep-alive
    connection), for loads where ``orbitdc.Client`` (httpx) would spend more CPU per request
    than the server does and so measure itself. Same contract as :meth:`Client.submit`: an
    ``Idempotency-Key`` per job, retried with it on a connection error."""

    def __init__(self, url: str, key: str, retries: int = 5):
        import http.client
        from urllib.parse import urlsplit

        u = urlsplit(url)
        self._connect = lambda: http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self._conn = self._connect()
        self._auth = f"Bearer {key}"
        self.retries = retries

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._conn.close()

    def _call(self, method: str, path: str, body: bytes | None = None,
              headers: dict | None = None) -> dict:
        import http.client

        h = {"Authorization": self._auth, **(headers or {})}
        if body is not None:
            h["Content-Type"] = "application/json"
        for attempt in range(self.retries + 1):
            try:
                self._conn.request(method, path, body=body, headers=h)
                r = self._conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException):
                self._conn.close()
                if attempt == self.retries:
                    raise
                time.sleep(0.2 * (attempt + 1))
                self._conn = self._connect()
                continue
            if r.status >= 400:
                raise RuntimeError(f"HTTP {r.status}: {data[:200]!r}")
            return json.loads(data)
        raise AssertionError("unreachable")

    def health(self) -> dict:
        return self._call("GET", "/v1/health")

    def submit(self, job: dict, *, idempotency_key: str) -> dict:
        return self._call("POST", "/v1/jobs", json.dumps(job).encode(),
                          {"Idempotency-Key": idempotency_key})


def _clients(url: str, key: str, job: dict, per: list[int], first: int, start,
             plain: bool = False) -> tuple:
    """Client threads, one connection each, submitting ``per[i]`` jobs each once ``start``
    (a barrier) lets them go: (latencies in s, accepted ids, failures, wall-clock end, this
    process's CPU seconds meanwhile)."""
    latencies: list[list[float]] = [[] for _ in per]
    accepted: list[list[int]] = [[] for _ in per]
    failures: list[str] = []

    def client(i: int) -> None:
        with (_Plain if plain else Client)(url, key, retries=5) as c:
            c.health()  # connected before the start
            start.wait()
            for n in range(per[i]):
                t0 = time.perf_counter()
                try:
                    got = c.submit(dict(job, name=f"load-{first + i}-{n}"),
                                   idempotency_key=str(uuid.uuid4()))
                except Exception as exc:  # counted: the figure says how many failed
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies[i].append(time.perf_counter() - t0)
                accepted[i].append(got["id"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(per))]
    for t in threads:
        t.start()
    cpu0 = time.process_time()
    for t in threads:
        t.join()
    return ([x for lat in latencies for x in lat], [i for a in accepted for i in a], failures,
            time.time(), time.process_time() - cpu0)


def _process(url, key, job, per, first, start, out, plain) -> None:  # pragma: no cover
    out.put(_clients(url, key, job, per, first, start, plain))


def _server_quantiles(text: str) -> dict[str, float]:
    """The submit-time quantiles of ``/metrics`` (ms)."""
    out = {}
    for line in text.splitlines():
        if line.startswith("orbitdc_submit_seconds{quantile="):
            q = line.split('"')[1]
            out[q] = round(float(line.rsplit(" ", 1)[1]) * 1e3, 2)
    return out


def _cpu_s(pid: int | None) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux ``/proc``; None
    elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(url: str, key: str, clients: int, jobs: int, job: dict | None = None, *,
             processes: int = 1, server_pid: int | None = None,
             client: str = "orbitdc") -> dict:
    """Submit ``jobs`` jobs from ``clients`` client threads, each its own connection, spread
    over ``processes`` client processes (1: threads of this process; more: processes
    started for it, so the clients' own work and GIL wait are not one process's), each an
    ``orbitdc.Client`` (``client="orbitdc"``, httpx) or a plain ``http.client`` connection
    (``client="plain"``, a third of the CPU per request); then list them back. Returns the
    figures (latencies in ms)."""
    if client not in ("orbitdc", "plain"):
        raise ValueError(f"client: 'orbitdc' or 'plain' (got {client!r})")
    plain = client == "plain"
    import multiprocessing as mp

    job = dict(job or JOB)
    processes = max(1, min(processes, clients))
    per = [jobs // clients + (1 if i < jobs % clients else 0) for i in range(clients)]
    groups = [list(range(clients))[p::processes] for p in range(processes)]

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
        if processes == 1:
            start = threading.Barrier(clients + 1)
            box: list = []
            runner = threading.Thread(target=lambda: box.append(
                _clients(url, key, job, per, 0, start, plain)))
            runner.start()
            start.wait()
            wall0, cpu0 = time.time(), _cpu_s(server_pid)
            runner.join()
            results = box
        else:
            ctx = mp.get_context("spawn")
            start = ctx.Barrier(clients + 1)
            out = ctx.Queue()
            procs = [ctx.Process(target=_process, args=(
                url, key, job, [per[i] for i in g], g[0] * 1_000_000, start, out, plain))
                for g in groups]
            for p in procs:
                p.start()
            start.wait()
            wall0, cpu0 = time.time(), _cpu_s(server_pid)
            results = [out.get() for _ in procs]
            for p in procs:
                p.join()
        wall = max(r[3] for r in results) - wall0
        cpu1 = _cpu_s(server_pid)
        done.set()
        watcher.join()
        h1 = c.health()
        served = _server_quantiles(c._http.get("/metrics").text)
        listed = [j["id"] for j in c.list()]
    lat = np.asarray([x for r in results for x in r[0]]) * 1e3 if jobs else np.zeros(1)
    ids = [i for r in results for i in r[1]]
    failures = [f for r in results for f in r[2]]
    speed = h0["speed"]
    return {
        "clients": clients, "processes": processes, "client": client, "jobs": jobs, "accepted": len(ids),
        "failed": len(failures), "failures": failures[:5],
        "listed": len(listed), "lost": len(set(ids) - set(listed)),
        "duplicated": len(listed) - len(set(listed)),
        "submit_ms_p50": round(float(np.percentile(lat, 50)), 2),
        "submit_ms_p99": round(float(np.percentile(lat, 99)), 2),
        "submit_ms_max": round(float(lat.max()), 2),
        # The same as the server timed it (from its handler's start to its answer, the
        # group commit included; the last 10,000 submits): the rest of the client's figure
        # is HTTP, the event loop's queue and the clients' own processes.
        "server_submit_ms_p50": served.get("0.5"), "server_submit_ms_p99": served.get("0.99"),
        "wall_s": round(wall, 3), "submits_per_s": round(len(ids) / wall, 1) if wall else None,
        # The server process's CPU time per job submitted (its twin included), while the
        # clients ran: a figure the machine's other load hardly moves, unlike the latency.
        "server_cpu_ms_per_submit": (round((cpu1 - cpu0) / len(ids) * 1e3, 3)
                                     if cpu0 is not None and cpu1 is not None and ids
                                     else None),
        # The client processes' CPU time per job (their threads together, from the start).
        "client_cpu_ms_per_submit": (round(sum(r[4] for r in results) / len(ids) * 1e3, 3)
                                     if ids else None),
        "speed": speed,
        # How far the twin fell behind its pace while it took the load (simulated seconds;
        # the step under way counts as behind until committed, so up to one step is on time).
        "behind_s_max": round(max(behind), 3) if behind else None,
        "steps_per_s": h1["steps_per_s"],
        # The machine's 1-minute load average as the load ended (others' work included).
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m orbitdc.serve.load", description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--speed", default="60")
    ap.add_argument("--processes", type=int, default=1,
                    help="client processes the clients are spread over (default 1: threads "
                         "of this process)")
    ap.add_argument("--client", choices=("orbitdc", "plain"), default="orbitdc",
                    help="orbitdc.Client (httpx; default) or a plain http.client connection "
                         "(less CPU per request on the client side)")
    ap.add_argument("--db", default=None, help="default: SQLite in a temporary folder")
    ap.add_argument("--synchronous", choices=("full", "normal"), default="full",
                    help="the default SQLite store's synchronous setting (docs/serve.md)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'load.db'}?synchronous={args.synchronous}"
        from orbitdc.serve.store import Store

        store = Store(db)
        key = store.create_key("load")
        store.close()
        proc, url = start_server(args.scenario, db, args.speed, log=Path(tmp) / "serve.log")
        try:
            time.sleep(2.0)  # the twin's pace settles
            result = run_load(url, key, args.clients, args.jobs,
                              processes=args.processes, server_pid=proc.pid,
                              client=args.client)
        finally:
            proc.terminate()
            proc.wait(30)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":  # pragma: no cover
    main()
