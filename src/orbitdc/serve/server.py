"""``orbitdc serve``: the store, the twin in a thread of its own, the API on uvicorn.

SIGTERM (or Ctrl-C) stops uvicorn gracefully; the twin finishes the step under way, commits
it (the checkpoint), saves its state and stops. A ``kill -9`` loses at most the step under
way, which the restart flies again (its admissions were not committed, so its jobs are
admitted again), from the last state saved. The database's lease keeps a second server
off it."""

from __future__ import annotations

import contextlib
import errno
import gc
import signal
import socket
import sys
import threading

from orbitdc.model.scenario import Scenario
from orbitdc.serve.api import BURST, RATE_PER_S, create_app
from orbitdc.serve.store import Store
from orbitdc.serve.twin import Twin

__all__ = ["PortInUse", "check_port", "prepare", "run_server"]


class PortInUse(Exception):
    """The port cannot be bound: a user error."""


def check_port(host: str, port: int) -> None:
    """Raise :class:`PortInUse` if ``host:port`` cannot be bound now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(f"port {port} on {host} is in use; choose another with "
                                "--port") from None
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def prepare(scenario: Scenario, db_url: str, speed: float | None, *,
            rate_per_s: float = RATE_PER_S, burst: float = BURST):
    """The store, the twin and the app (the twin not started). The store is checked to hold
    this scenario's twin (or none) before anything flies."""
    from orbitdc.serve.twin import fingerprint

    store = Store(db_url)
    try:
        store.acquire_lease()  # one server per database
        store.claim(fingerprint(scenario), scenario.name)
    except BaseException:
        store.close()
        raise
    twin = Twin(scenario, store, speed)
    app = create_app(scenario, store, twin, rate_per_s=rate_per_s, burst=burst)
    return store, twin, app


@contextlib.contextmanager
def flying(twin: Twin):
    """The twin flying in a thread while the body runs; stopped and checkpointed after."""
    stop = threading.Event()
    thread = threading.Thread(target=twin.run, args=(stop,), name="orbitdc-twin", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join()


def run_server(scenario: Scenario, db_url: str, host: str, port: int, speed: float | None,
               *, rate_per_s: float = RATE_PER_S, burst: float = BURST,
               log_level: str = "info") -> None:
    import uvicorn

    check_port(host, port)
    store, twin, app = prepare(scenario, db_url, speed, rate_per_s=rate_per_s, burst=burst)
    class _Server(uvicorn.Server):
        """Uvicorn, but a SIGTERM or SIGINT is not raised again after the graceful shutdown
        (uvicorn's default), so the twin is stopped and checkpointed before the exit."""

        @contextlib.contextmanager
        def capture_signals(self):
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            old = {sig: signal.signal(sig, self.handle_exit)
                   for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in old.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off",
                            timeout_graceful_shutdown=3)
    server = _Server(config)
    # What start-up built (the scenario, the twin's flight, the app, the libraries) lives as
    # long as the server: moved out of the garbage collector's generations, so a full
    # collection scans only what requests made since. Measured: the collections were the
    # submit latency's tail (p99 109-116 ms without, 53-73 ms with; docs/serve.md "Load").
    gc.collect()
    gc.freeze()
    try:
        with flying(twin):
            server.run()
        step, t_s = store.checkpoint()
        print(f"orbitdc serve: stopped; checkpoint at step {step} (simulated "
              f"{t_s:g} s from the start)", file=sys.stderr)
    finally:
        store.close()
