"""The twin's saved state: a twin stopped and started again loads it and goes on, and reaches
exactly the state (jobs, progress, fleet, events) of a twin of the same scenario and the same
admissions that was never stopped; with no state or a state of another version it re-flies
the span instead; after a ``kill -9`` (a state older than the checkpoint) it loads the state
and re-flies only the steps since."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import orbitdc
from orbitdc.serve.store import Store, twin_state
from orbitdc.serve.twin import Twin

SCENARIO = """
name = "state"
start = 2026-06-21T00:00:00Z
duration_h = 6.0
step_s = 30.0
seed = 5

[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 4
bus_load_w = 300.0
solar = { rated_power_w = 6000.0 }
battery = { capacity_wh = 2000.0 }
radiator = { area_m2 = 10.0 }

[[fleet]]
name = "shell"
kind = "walker"
altitude_km = 550.0
inclination_deg = 53.0
planes = 2
per_plane = 2
phasing = 1
satellite = "sat"

[[workload]]
name = "own"
kind = "training"
jobs = 3
arrival = "poisson"
rate_per_h = 2.0
flops = 3e18
accelerators = 2
checkpoint_interval_h = 0.25
checkpoint_s = 20.0
"""

FIELDS = {"accelerators": 2, "checkpoint_interval_s": 600.0, "checkpoint_s": 10.0,
          "bandwidth_bps": 0.0}


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "state.toml"
    path.write_text(SCENARIO)
    return orbitdc.load_scenario(path)


def _submit(store, key_id, names, flops=4e17):
    for n in names:
        store.submit(key_id, {"kind": "training", "name": n}, dict(FIELDS, work_flops=flops),
                     0.0, None, None)


def _twin(scenario, store, logs=None):
    return Twin(scenario, store, None, log=(logs.append if logs is not None else None))


def _fly(twin, until):
    twin.run(threading.Event(), until=until)
    assert twin.flight.k == until


def _state(twin, store):
    """Everything a user sees of the twin, and the orchestrator's arrays, exactly."""
    o = twin.orchestrator
    arrays = {name: getattr(o, name).copy() for name in
              ("state", "done", "lost", "checkpoints", "requeues", "first_start", "end",
               "work", "p_job", "p_sat", "p_n", "failed")}
    jobs = {i: twin.job_status(i) for i in sorted(twin._index)}
    fleet = twin.fleet()
    view = twin.flight.view()
    with store.engine.connect() as c:
        from orbitdc.serve.store import events

        evs = [tuple(r) for r in c.execute(events.select().order_by(events.c.id)).all()]
    return arrays, jobs, fleet, (view.soc.copy(), view.capacity.copy()), evs


def _same(a, b):
    for x, y in zip(a[0].values(), b[0].values()):
        np.testing.assert_array_equal(x, y)
    assert a[1] == b[1]
    assert a[2] == b[2]
    np.testing.assert_array_equal(a[3][0], b[3][0])
    np.testing.assert_array_equal(a[3][1], b[3][1])
    assert a[4] == b[4]


def _pair(scenario, tmp_path, name):
    store = Store(f"sqlite:///{tmp_path / name}.db")
    key = store.key_id(store.create_key("k"))
    return store, key


def test_a_twin_stopped_and_resumed_from_its_state_is_the_one_never_stopped(scenario,
                                                                           tmp_path):
    # The twin never stopped: jobs admitted at step 0 and at step 40, flown to 160.
    ref_store, ref_key = _pair(scenario, tmp_path, "ref")
    _submit(ref_store, ref_key, ["a", "b", "c"])
    ref = _twin(scenario, ref_store)
    _fly(ref, 40)
    _submit(ref_store, ref_key, ["d", "e"], flops=2e18)
    ref.submitted.set()
    _fly(ref, 160)
    # The same, stopped at 40 (its state saved), resumed in a new twin, flown to 160.
    store, key = _pair(scenario, tmp_path, "resumed")
    _submit(store, key, ["a", "b", "c"])
    first = _twin(scenario, store)
    _fly(first, 40)
    first.flight.close()
    assert store.saved_state()["step"] == 40
    _submit(store, key, ["d", "e"], flops=2e18)
    logs = []
    again = _twin(scenario, store, logs)
    _fly(again, 160)
    assert again.resumed_from == 40 and again.replayed_steps == 0
    assert any("resumed from the saved state at step 40" in line for line in logs)
    got, want = _state(again, store), _state(ref, ref_store)
    assert len(want[1]) == 5 and any(j["state"] == "finished" for j in want[1].values())
    assert any(j["checkpoints"] > 0 for j in want[1].values())
    _same(got, want)
    for t in (ref, again):
        t.flight.close()
    ref_store.close()
    store.close()


def test_after_a_kill_it_loads_the_older_state_and_re_flies_only_the_steps_since(scenario,
                                                                                 tmp_path):
    ref_store, ref_key = _pair(scenario, tmp_path, "ref")
    _submit(ref_store, ref_key, ["a", "b"])
    ref = _twin(scenario, ref_store)
    _fly(ref, 90)
    store, key = _pair(scenario, tmp_path, "killed")
    _submit(store, key, ["a", "b"])
    t = _twin(scenario, store)
    _fly(t, 30)
    old = store.saved_state()
    _fly(t, 90)  # a state at 90 is saved too: put back the one of step 30, as a kill -9
    t.flight.close()  # after a periodic save at 30 would leave it
    with store.engine.begin() as c:
        c.execute(twin_state.update().values(step=old["step"], blob=old["blob"]))
    logs = []
    again = _twin(scenario, store, logs)
    _fly(again, 90)
    assert again.resumed_from == 30 and again.replayed_steps == 60
    assert any("re-flew 60 steps" in line for line in logs)
    _same(_state(again, store), _state(ref, ref_store))
    for x in (ref, again):
        x.flight.close()
    ref_store.close()
    store.close()


def test_without_a_usable_state_it_re_flies_the_span_and_says_why(scenario, tmp_path):
    store, key = _pair(scenario, tmp_path, "s")
    _submit(store, key, ["a"])
    t = _twin(scenario, store)
    _fly(t, 20)
    t.flight.close()
    with store.engine.begin() as c:
        c.execute(twin_state.update().values(orbitdc_version="0.0.0-other"))
    logs = []
    again = _twin(scenario, store, logs)
    _fly(again, 25)
    assert again.resumed_from is None and again.replayed_steps == 20
    assert any("re-flying the span from the start to step 20" in line
               and "0.0.0-other" in line for line in logs)
    with store.engine.begin() as c:
        c.execute(twin_state.delete())
    logs.clear()
    third = _twin(scenario, store, logs)
    _fly(third, 30)
    assert third.replayed_steps == 25 and any("no saved state" in line for line in logs)
    for x in (again, third):
        x.flight.close()
    store.close()


def test_resume_time_does_not_grow_with_the_span_flown(scenario, tmp_path):
    """Loading the state is one unpickle, whatever the step: resumed at step 20 and at step
    340, it flies no step again, and takes about as long (a loose bound: the machine is
    shared)."""
    took = {}
    for until in (20, 340):
        store, key = _pair(scenario, tmp_path, f"span{until}")
        _submit(store, key, ["a", "b"])
        t = _twin(scenario, store)
        _fly(t, until)
        t.flight.close()
        t0 = time.process_time()
        again = _twin(scenario, store)
        _fly(again, until + 1)
        took[until] = time.process_time() - t0
        assert again.resumed_from == until and again.replayed_steps == 0
        again.flight.close()
        store.close()
    print("resume CPU s", took)
    assert took[340] < 3.0 * took[20] + 0.5, took
