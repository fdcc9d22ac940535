"""`orbitdc run --scheduler`: one run's satellite blocks flown by the workers of a real
``dask scheduler`` with two ``dask worker`` processes on loopback, step by step with the
orchestrator in the calling process. The same scenario gives the same bytes as the local
path; an unreachable scheduler is an exit-2 error naming it; a worker lost mid-run is a clear
error, not a hang, and nothing is written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbitdc.cli import app
from orbitdc.model.presets import preset_path

BIN = Path(sys.executable).parent
OUTPUTS = ("summary.json", "jobs.parquet", "timeseries.parquet", "events.parquet",
           "satellites.parquet")


def _wait_for(path: Path, timeout_s: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers (no nanny: a killed worker stays dead)."""
    tmp = tmp_path_factory.mktemp("dask")
    file = tmp / "scheduler.json"
    env = dict(os.environ)
    procs = [subprocess.Popen(
        [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp)]
    try:
        _wait_for(file)
        address = json.loads(file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--name", f"w{i}", "--local-directory", str(tmp / f"w{i}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield {"address": address, "workers": procs[1:]}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker closing slowly: stop it, and reap it
                p.kill()
                p.wait(timeout=10)


def _scenario(tmp_path: Path, hours: float) -> Path:
    """The Starlink-like preset (1,584 satellites, links, users, training and inference) for
    ``hours``."""
    text = preset_path("starlink").read_text()
    assert "duration_h = 6.0" in text
    path = tmp_path / "starlink.toml"
    path.write_text(text.replace("duration_h = 6.0", f"duration_h = {hours}"))
    return path


def test_a_run_on_the_cluster_writes_the_bytes_the_local_run_writes(cluster, tmp_path):
    path = _scenario(tmp_path, 0.5)
    runner = CliRunner()
    local = runner.invoke(app, ["run", str(path), "--epochs", "0", "--workers", "2",
                                "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(app, ["run", str(path), "--epochs", "0", "--scheduler",
                                 cluster["address"], "--out", str(tmp_path / "remote")])
    assert remote.exit_code == 0, remote.output
    for name in OUTPUTS:
        a = (tmp_path / "local" / name).read_bytes()
        b = (tmp_path / "remote" / name).read_bytes()
        assert a == b, name
    summary = json.loads((tmp_path / "remote" / "summary.json").read_text())
    assert summary["jobs"]["closed_loop"].startswith("one flight")
    assert summary["jobs"]["work_done_flops"] > 0


def test_a_flight_without_workloads_on_the_cluster_is_the_local_flight(cluster):
    """No orchestrator (each chunk flown whole on the workers): the same results as two local
    worker processes give (the same two blocks; other block layouts agree to the event
    tolerance, not bit for bit)."""
    import orbitdc

    sc = orbitdc.load_scenario(preset_path("suncatcher")).model_copy(
        update={"duration_h": 1.0})
    local = orbitdc.simulate(sc, workers=2)
    remote = orbitdc.simulate(sc, scheduler=cluster["address"])
    assert remote.raw_stats["workers"] == 2 and remote.raw_stats["blocks"] == 2
    assert json.dumps(local.summary, sort_keys=True) == json.dumps(remote.summary,
                                                                   sort_keys=True)
    assert local.events.equals(remote.events)
    assert local.timeseries.equals(remote.timeseries)


def test_an_unreachable_scheduler_is_exit_2_naming_it_and_leaves_no_folder(tmp_path):
    path = _scenario(tmp_path, 0.1)
    for address in ("notanaddress", "tcp://127.0.0.1:9", "tls://127.0.0.1:9"):
        result = CliRunner().invoke(app, ["run", str(path), "--epochs", "0", "--scheduler",
                                          address, "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert "--scheduler" in result.output and address in result.output
        assert "Traceback" not in result.output
        assert not (tmp_path / "o").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]


def test_workers_and_scheduler_together_are_refused(cluster, tmp_path):
    path = _scenario(tmp_path, 0.1)
    result = CliRunner().invoke(app, ["run", str(path), "--workers", "2", "--scheduler",
                                      cluster["address"], "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--workers" in result.output and "--scheduler" in result.output


def test_a_worker_lost_mid_run_is_a_clear_error_not_a_hang(cluster, tmp_path):
    """Runs last in this module: it kills one of the cluster's two workers."""
    path = _scenario(tmp_path, 6.0)
    victim = cluster["workers"][-1]

    def kill_soon():  # once the flight is under way (its temporary folder made), a second on
        t = time.monotonic()
        while not [p for p in tmp_path.iterdir() if p.name.startswith(".o.tmp")]:
            if time.monotonic() - t > 60:
                break
            time.sleep(0.05)
        time.sleep(1.0)
        os.kill(victim.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon, daemon=True)
    t0 = time.monotonic()
    killer.start()
    result = CliRunner().invoke(app, ["run", str(path), "--epochs", "0", "--scheduler",
                                      cluster["address"], "--out", str(tmp_path / "o")])
    killer.join()
    assert time.monotonic() - t0 < 60.0
    assert result.exit_code == 1, result.output
    assert "Dask worker" in result.output and "mid-run" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]


def test_a_flight_that_fails_to_build_after_connecting_closes_its_client(cluster,
                                                                         monkeypatch):
    """Connected to the scheduler, then the event log fails to build: the error comes
    through and the flight's client is gone from the scheduler (none left behind)."""
    import time

    import orbitdc
    from distributed import Client

    from orbitdc.sim import engine

    def clients(c):
        return c.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.clients))

    class Broken(RuntimeError):
        pass

    def fail(*args, **kwargs):
        raise Broken("event log")

    sc = orbitdc.load_scenario(preset_path("suncatcher")).model_copy(
        update={"duration_h": 0.2})
    with Client(cluster["address"], timeout="30s") as monitor:
        before = clients(monitor)
        monkeypatch.setattr(engine, "EventLog", fail)
        with pytest.raises(Broken):
            engine.Flight(sc, scheduler=cluster["address"])
        deadline = time.monotonic() + 20.0
        while clients(monitor) > before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert clients(monitor) == before
