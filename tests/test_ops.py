"""The orchestrator: conservation (hypothesis), a hand-solvable completion time, power-aware
placement beating first-fit, unschedulable jobs, jobs.parquet and orbitdc compare."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.ops.run import orchestrate
from orbitdc.ops.scheduler import Job, schedule

STATES = {"finished", "running", "queued", "unschedulable"}


def test_one_job_on_one_satellite_finishes_at_the_closed_form_time():
    """Capacity 1 for the sunlit (1 - f) of each period P, 0 in eclipse: a job needing
    N (1 - f) P + x seconds of running finishes at N P + x."""
    period, f = 5400.0, 0.35
    t = np.arange(0.0, 10 * period + 1, 10.0)
    cap = ((t % period) < (1 - f) * period).astype(float)[None, :]
    n, x = 3, 1000.0
    job = Job(0, "w", "training", 0.0, 1, 1e12 * 0.4 * (n * (1 - f) * period + x), None, 0.0)
    schedule(t, cap, [np.array([0])], [0.0], np.array([1e12]), [job],
             (np.array([]), np.array([])), mfu=0.4)
    assert job.state == "finished"
    assert job.end_s == pytest.approx(n * period + x, abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n_sat=st.integers(1, 4),
    n_steps=st.integers(2, 50),
    n_jobs=st.integers(0, 8),
    policy=st.sampled_from(["first-fit", "power-aware", "thermal-aware"]),
)
def test_conservation(data, n_sat, n_steps, n_jobs, policy):
    """Every job ends in exactly one state; no satellite is booked beyond its accelerators;
    work done never exceeds the work asked nor the capacity available."""
    t = np.arange(n_steps) * 60.0
    cap = np.array(data.draw(st.lists(st.lists(st.integers(0, 8), min_size=n_steps,
                                                max_size=n_steps),
                                       min_size=n_sat, max_size=n_sat)), float)
    jobs = [
        Job(i, "w", "training", data.draw(st.floats(0.0, t[-1])), data.draw(st.integers(1, 12)),
            data.draw(st.floats(1e12, 1e16)),
            data.draw(st.one_of(st.none(), st.floats(60.0, 1800.0))),
            data.draw(st.floats(0.0, 30.0)))
        for i in range(n_jobs)
    ]
    up_sat = np.array(data.draw(st.lists(st.integers(0, n_sat - 1), max_size=5)), int)
    up_t = np.array([data.draw(st.floats(0.0, t[-1])) for _ in up_sat])
    together = data.draw(st.booleans())
    groups = [np.arange(n_sat)] if together else [np.array([s]) for s in range(n_sat)]
    headroom = np.array(data.draw(st.lists(st.floats(-20.0, 80.0), min_size=n_sat,
                                           max_size=n_sat)))[:, None] * np.ones(n_steps)
    f_sat = np.array(data.draw(st.lists(st.integers(0, n_sat - 1), max_size=4)), int)
    f_t = np.array([data.draw(st.floats(0.0, t[-1])) for _ in f_sat])
    res = schedule(t, cap, groups, [1e12] * len(groups), np.full(n_sat, 1e14), jobs,
                   (up_sat, up_t), policy=policy, mfu=0.5, headroom=headroom,
                   failures=(f_sat, f_t))
    assert sorted(j.id for j in res.jobs) == list(range(n_jobs))
    for j in res.jobs:
        assert j.state in STATES
        assert 0.0 <= j.done_flops <= j.work_flops * (1 + 1e-9)
        if j.state == "finished":
            assert j.submit_s <= j.start_s <= j.end_s
            assert j.done_flops == pytest.approx(j.work_flops, rel=1e-9)
        if j.state == "unschedulable" or (j.state == "queued" and not j.requeues):
            assert not j.placement and j.done_flops == 0.0
        if j.state == "queued":
            assert not j.placement
        if j.placement:
            assert sum(j.placement.values()) == j.accelerators
    assert np.all(res.peak_allocation <= res.nameplate)
    assert res.useful_acc_s <= res.available_acc_s + 1e-6


def _two_fleets(policy):
    """The same satellites in a noon orbit (eclipses, too little battery for compute in them)
    listed first, and in a dawn-dusk orbit (no eclipse at the March equinox) second."""
    sat = {"accelerator": "nvidia-h100-sxm", "accelerators": 4, "bus_load_w": 300.0,
           "solar": {"rated_power_w": 6000.0}, "battery": {"capacity_wh": 1500.0},
           "radiator": {"area_m2": 10.0}}
    return orbitdc.parse_scenario({
        "name": "two", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 12.0,
        "step_s": 30.0, "satellite": {"sat": sat},
        "fleet": [{"name": "noon", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0,
                   "count": 2, "satellite": "sat"},
                  {"name": "dawn", "kind": "sso", "altitude_km": 550.0, "ltan_h": 18.0,
                   "count": 2, "satellite": "sat"}],
        "workload": [{"name": "train", "kind": "training", "jobs": 2, "flops": 2e19,
                      "accelerators": 4, "checkpoint_interval_h": 0.5, "checkpoint_s": 10.0}],
        "policy": {"name": policy},
    })


def test_power_aware_beats_first_fit_when_orbits_differ():
    sc = _two_fleets("first-fit")
    res = orbitdc.simulate(sc)
    _, naive = orchestrate(sc, res, "first-fit")
    table, aware = orchestrate(sc, res, "power-aware")
    assert naive["states"]["finished"] == aware["states"]["finished"] == 2
    assert aware["completion_h_mean"] < naive["completion_h_mean"] * 0.9
    assert all(p.startswith("dawn") for p in table.column("placement").to_pylist())


def test_jobs_that_can_never_fit_are_reported(tmp_path):
    sc = _two_fleets("first-fit")
    data = sc.model_dump()
    data["workload"].append({"name": "huge", "kind": "training", "jobs": 1, "flops": 1e18,
                             "accelerators": 64})
    sc = orbitdc.parse_scenario(data)
    res = orbitdc.simulate(sc.model_copy(update={"duration_h": 1.0}))
    table, section = orchestrate(sc, res)
    assert section["states"]["unschedulable"] == 1
    assert section["unschedulable"] == [2]
    assert sum(section["states"].values()) == table.num_rows == 3


def test_run_writes_jobs_and_compare_prints_policies(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("""
name = "cmp"
start = 2026-06-21T00:00:00Z
duration_h = 4.0
step_s = 60.0
[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 4
bus_load_w = 300.0
solar = { rated_power_w = 6000.0 }
battery = { capacity_wh = 5000.0 }
radiator = { area_m2 = 10.0 }
[[fleet]]
name = "s"
kind = "sso"
altitude_km = 550.0
ltan_h = 12.0
count = 2
satellite = "sat"
[[workload]]
name = "train"
kind = "training"
jobs = 3
flops = 5e18
accelerators = 2
""")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    jobs = pq.read_table(tmp_path / "run" / "jobs.parquet")
    assert jobs.num_rows == 3
    assert set(jobs.column("state").to_pylist()) <= STATES
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["jobs"]["jobs"] == 3
    result = CliRunner().invoke(app, ["compare", str(path), "--json", str(tmp_path / "c.json")])
    assert result.exit_code == 0, result.output
    assert "first-fit" in result.output and "power-aware" in result.output
    assert set(json.loads((tmp_path / "c.json").read_text())) == {
        "first-fit", "power-aware", "thermal-aware", "latency-aware"}
    bad = CliRunner().invoke(app, ["compare", str(path), "--policies", "random"])
    assert bad.exit_code == 2
    none = CliRunner().invoke(app, ["compare", "preset:iss"])
    assert none.exit_code == 2 and "nothing to schedule" in none.output


def test_thermal_aware_prefers_the_coolest_satellite():
    t = np.arange(0.0, 601.0, 60.0)
    cap = np.full((3, t.size), 4.0)
    headroom = np.array([[5.0], [40.0], [20.0]]) * np.ones(t.size)
    job = Job(0, "w", "training", 0.0, 4, 1e15, None, 0.0)
    schedule(t, cap, [np.array([s]) for s in range(3)], [0.0] * 3, np.full(3, 1e14), [job],
             (np.array([]), np.array([])), policy="thermal-aware", headroom=headroom)
    assert job.placement == {1: 4}


def test_latency_aware_serves_inference_nearer_its_users():
    """A sparse shell full of training gangs: first-fit serves inference from whatever the
    gangs leave, in satellite order; latency-aware serves each region from its nearest
    satellites first, so its round trips are shorter and more requests meet the objective."""
    sc = orbitdc.parse_scenario({
        "name": "inf", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 3.0,
        "step_s": 30.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 4,
                              "bus_load_w": 300.0, "solar": {"rated_power_w": 6000.0},
                              "battery": {"capacity_wh": 8000.0},
                              "radiator": {"area_m2": 10.0}}},
        "fleet": [{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                   "inclination_deg": 53.0, "planes": 12, "per_plane": 12, "phasing": 1,
                   "satellite": "sat"}],
        "network": {"isl": [{"fleet": "shell", "topology": "+grid"}]},
        "user_region": [{"name": "London", "lat_deg": 51.5, "lon_deg": -0.13, "weight": 9.0},
                        {"name": "Tokyo", "lat_deg": 35.7, "lon_deg": 139.7, "weight": 37.0}],
        "workload": [{"name": "chat", "kind": "inference", "requests_per_s": 2000.0,
                      "flops_per_request": 2e13, "latency_slo_ms": 40.0},
                     {"name": "train", "kind": "training", "jobs": 130, "flops": 1e20,
                      "accelerators": 4}],
    })
    res = orbitdc.simulate(sc)
    _, naive = orchestrate(sc, res, "first-fit")
    _, aware = orchestrate(sc, res, "latency-aware")
    a, b = naive["inference"]["chat"], aware["inference"]["chat"]
    assert b["served_fraction"] >= a["served_fraction"] > 0.5
    assert b["slo_attainment"] > a["slo_attainment"] + 0.05
    assert b["rtt_ms_p50"] < a["rtt_ms_p50"] - 20.0
    for r in (a, b):
        assert 0.0 <= r["slo_attainment"] <= r["served_fraction"] <= 1.0
        assert r["rtt_ms_p50"] >= 2 * 550.0 / 299_792.458 * 1000.0
        # Served round trips are never shorter than the nearest compute's.
        nearest = np.vstack([res.summary["network"]["user_rtt"][n]["rtt_ms_p50"]
                             for n in ("London", "Tokyo")])
        assert r["rtt_ms_p50"] >= nearest.min() - 1e-6


def test_inference_placement_by_round_trip():
    """One region, three satellites with one free accelerator each: 50 ms, 10 ms and
    unreachable. First-fit serves in satellite order, latency-aware nearest first, and no
    policy serves from a satellite the region cannot reach."""
    t = np.array([0.0, 60.0, 120.0])
    capacity = np.ones((3, 3))
    rtt = np.array([[50.0, 10.0, np.inf]])
    groups = [np.array([i]) for i in range(3)]
    for policy, first in (("first-fit", 0), ("latency-aware", 1)):
        res = schedule(t, capacity, groups, [0.0] * 3, np.full(3, 1e15), [], (np.empty(0),
                       np.empty(0)), policy=policy, inference_demand=np.array([[0.5], [3.0]]),
                       inference_rtt=lambda k: rtt)
        k, region, sat, ms, amount = res.inference_pieces
        assert sat[k == 0].tolist() == [first] and amount[k == 0].tolist() == [0.5]
        assert ms[k == 0].tolist() == [rtt[0, first]]
        # Step 1 wants 3 but only two satellites are reachable.
        assert res.inference_served[1, 0] == pytest.approx(2.0)
        assert 2 not in sat
        assert res.allocation[2].max() == 0.0


def test_inference_needs_user_regions():
    with pytest.raises(orbitdc.ScenarioError, match="user_region"):
        orbitdc.parse_scenario({
            "name": "x", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 1.0,
            "step_s": 60.0,
            "fleet": [{"name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0}],
            "workload": [{"name": "chat", "kind": "inference", "requests_per_s": 1.0,
                          "flops_per_request": 1e12, "latency_slo_ms": 50.0}],
        })


def test_a_hard_failure_sends_a_gang_back_to_the_queue():
    t = np.arange(0.0, 3601.0, 60.0)
    cap = np.full((2, t.size), 4.0)
    job = Job(0, "w", "training", 0.0, 4, 4 * 1e14 * 0.4 * 2400.0, 600.0, 0.0)
    res = schedule(t, cap, [np.array([0]), np.array([1])], [0.0, 0.0], np.full(2, 1e14), [job],
                   (np.array([]), np.array([])), failures=(np.array([0]), np.array([900.0])))
    assert job.requeues == 1
    assert job.placement == {1: 4}  # re-placed on the healthy satellite
    assert job.lost_flops > 0 and job.state == "finished"
    assert res.peak_allocation[0] <= 4


def test_batch_on_collected_data_runs_where_the_data_is_and_waits_for_a_contact():
    sc = orbitdc.parse_scenario({
        "name": "eo", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 12.0,
        "step_s": 30.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 2,
                              "bus_load_w": 300.0, "solar": {"rated_power_w": 4000.0},
                              "battery": {"capacity_wh": 6000.0},
                              "radiator": {"area_m2": 8.0}}},
        "fleet": [{"name": "eo", "kind": "sso", "altitude_km": 600.0, "ltan_h": 10.5,
                   "count": 3, "satellite": "sat"}],
        "ground_station": [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41,
                            "downlink_bps": 1e9}],
        "workload": [{"name": "imagery", "kind": "batch", "gb_per_orbit": 50.0,
                      "flops_per_gb": 2e16, "result_fraction": 0.05}],
    })
    res = orbitdc.simulate(sc)
    table, section = orchestrate(sc, res)
    period = 2 * np.pi / np.sqrt(398600.8 / (6378.135 + 600.0) ** 3)
    per_sat = int(np.ceil(12 * 3600.0 / period)) - 1
    assert section["jobs"] == 3 * per_sat
    ev = res.events.to_pylist()
    contacts = [(e["satellite"], e["start"], e["end"]) for e in ev if e["kind"] == "contact"]
    compute_s = 50.0 * 2e16 / (989e12 * 0.4)
    downlink_s = 50.0 * 0.05 * 8e9 / 1e9
    for row in table.to_pylist():
        sat = row["placement"].split(":")[0]
        assert sat.startswith("eo-")
        if row["state"] == "finished":
            end = row["finished"]
            assert (end - row["started"]).total_seconds() >= compute_s + downlink_s - 1.0
            # The results left during one of that satellite's contacts.
            assert any(s == sat and a <= end <= b for s, a, b in contacts)
    assert section["states"]["finished"] > 0


def test_closed_loop_runs_the_bus_at_the_scheduled_load():
    """With the scheduler's demand fed back, idle accelerators draw nothing: less energy is
    used than at full demand, utilisation never exceeds what could run, and a policy that
    spreads work onto the best-charged satellites finishes sooner than first-fit."""
    from orbitdc.ops.run import fly

    sc = _two_fleets("first-fit")
    full = orbitdc.simulate(sc)
    res, table, section = fly(sc, lambda s, d: orbitdc.simulate(s, demand=d), "first-fit")
    assert section["closed_loop_passes"] == 2
    assert res.summary["bus"]["energy_used_kwh"] < 0.5 * full.summary["bus"]["energy_used_kwh"]
    ts = res.timeseries
    u = ts.column("utilisation").to_numpy()
    a = ts.column("compute_available").to_numpy()
    assert np.all(u <= a + 1e-9)
    assert sum(section["states"].values()) == table.num_rows
    _, _, aware = fly(sc, lambda s, d: orbitdc.simulate(s, demand=d), "power-aware")
    assert aware["completion_h_mean"] < section["completion_h_mean"]


@pytest.mark.parametrize("preset", ["suncatcher", "starlink"])
def test_power_aware_is_no_worse_than_first_fit_on_the_presets(preset):
    """The comparison orbitdc compare prints: power-aware finishes at least as many jobs,
    delivers at least the goodput and loses no more work than first-fit."""
    from orbitdc.ops.run import fly

    sc = orbitdc.load_scenario(orbitdc.preset_path(preset))
    sims = {}
    for policy in ("first-fit", "power-aware"):
        sims[policy] = fly(sc, lambda s, d: orbitdc.simulate(s, demand=d), policy)[2]
    naive, aware = sims["first-fit"], sims["power-aware"]
    assert aware["states"]["finished"] >= naive["states"]["finished"]
    assert aware["goodput_accelerator_hours"] >= naive["goodput_accelerator_hours"] - 1e-6
    assert aware["work_lost_flops"] < naive["work_lost_flops"]


def test_policies_are_pluggable():
    """Any object with the SchedulingPolicy fields and score() can drive the scheduler."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class LastFit:
        name: str = "last-fit"
        migrates: bool = False
        inference_first: bool = False

        def score(self, k, capacity, headroom, horizon):
            return np.arange(capacity.shape[0], dtype=float)  # highest index first

    t = np.arange(0.0, 601.0, 60.0)
    job = Job(0, "w", "training", 0.0, 2, 1e15, None, 0.0)
    schedule(t, np.full((3, t.size), 4.0), [np.array([s]) for s in range(3)], [0.0] * 3,
             np.full(3, 1e14), [job], (np.array([]), np.array([])), policy=LastFit())
    assert job.placement == {2: 2}


def test_batch_uplinked_from_the_ground_arrives_with_contacts():
    sc = orbitdc.parse_scenario({
        "name": "up", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 12.0,
        "step_s": 30.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 2,
                              "bus_load_w": 300.0, "solar": {"rated_power_w": 4000.0},
                              "battery": {"capacity_wh": 6000.0},
                              "radiator": {"area_m2": 8.0}}},
        "fleet": [{"name": "eo", "kind": "sso", "altitude_km": 600.0, "ltan_h": 10.5,
                   "count": 3, "satellite": "sat"}],
        "ground_station": [{"name": "Svalbard", "lat_deg": 78.23, "lon_deg": 15.41}],
        "workload": [{"name": "reprocess", "kind": "batch", "gb_uplinked_per_day": 500.0,
                      "flops_per_gb": 1e16},
                     {"name": "train", "kind": "training", "flops": 1e19, "accelerators": 2,
                      "checkpoint_interval_h": 0.5, "checkpoint_gb": 100.0}],
    })
    assert sc.workload[1].checkpoint_time_s == pytest.approx(20.0)  # 100 GB at 5 GB/s
    res = orbitdc.simulate(sc)
    table, _ = orchestrate(sc, res)
    rows = [r for r in table.to_pylist() if r["workload"] == "reprocess"]
    # All of half a day's 500 GB/day arrives (the contacts' uplink is far from full).
    assert sum(r["work_flops"] for r in rows) / 1e16 == pytest.approx(250.0)
    contacts = {(e["satellite"], e["end"]) for e in res.events.to_pylist()
                if e["kind"] == "contact"}
    for r in rows:
        sat = r["placement"].split(":")[0] if r["placement"] else None
        assert any(s == sat or sat is None for s, end in contacts if end == r["submitted"])


def test_one_job_on_a_flown_satellite_finishes_when_its_sunlit_time_is_spent():
    """One satellite whose battery may not feed compute (reserve 99.9 %): it computes only in
    sunlight. A job needing 3 h of compute finishes when 3 h of sunlight have passed, counted
    from the run's own umbra windows (within the penumbrae and two scheduling steps)."""
    from orbitdc.ops.run import fly

    sc = orbitdc.parse_scenario({
        "name": "sun", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 8.0,
        "step_s": 30.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 1,
                              "bus_load_w": 200.0, "solar": {"rated_power_w": 3000.0},
                              "battery": {"capacity_wh": 4000.0, "min_soc": 0.999},
                              "radiator": {"area_m2": 6.0}}},
        "fleet": [{"name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0,
                   "satellite": "sat"}],
        "workload": [{"name": "w", "kind": "training", "flops": 989e12 * 0.4 * 3 * 3600.0,
                      "accelerators": 1}],
        "economics": {"failure_rate_per_year": 0.0},
    })
    res, table, section = fly(sc, lambda s, d: orbitdc.simulate(s, demand=d))
    assert section["states"]["finished"] == 1
    umbra = [(e["start"], e["end"]) for e in res.events.to_pylist() if e["kind"] == "umbra"]
    pen = [e["duration_s"] for e in res.events.to_pylist() if e["kind"] == "penumbra"]
    start = sc.start
    need, t, expected = 3 * 3600.0, 0.0, None
    edges = sorted(((a - start).total_seconds(), (b - start).total_seconds()) for a, b in umbra)
    for a, b in edges + [(8 * 3600.0, 8 * 3600.0)]:
        if a - t >= need:
            expected = t + need
            break
        need -= a - t
        t = b
    finished = (table.column("finished").to_pylist()[0] - start).total_seconds()
    assert finished == pytest.approx(expected, abs=sum(pen) + 120.0)


def test_inference_placement_refuses_runs_past_its_memory_budget(monkeypatch):
    """The per-satellite round trips are bounded: past the budget the run is refused up front,
    naming what to reduce, instead of filling memory."""
    from orbitdc.sim import design

    monkeypatch.setattr(design, "SAT_RTT_BUDGET_BYTES", 1000)
    sc = orbitdc.parse_scenario({
        "name": "big", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 1.0,
        "step_s": 60.0,
        "satellite": {"sat": {"accelerator": "nvidia-h100-sxm", "accelerators": 1,
                              "bus_load_w": 100.0, "solar": {"rated_power_w": 3000.0},
                              "battery": {"capacity_wh": 3000.0},
                              "radiator": {"area_m2": 6.0}}},
        "fleet": [{"name": "shell", "kind": "walker", "altitude_km": 550.0,
                   "inclination_deg": 53.0, "planes": 4, "per_plane": 4, "phasing": 1,
                   "satellite": "sat"}],
        "user_region": [{"name": "London", "lat_deg": 51.5, "lon_deg": -0.13}],
        "workload": [{"name": "chat", "kind": "inference", "requests_per_s": 10.0,
                      "flops_per_request": 1e12, "latency_slo_ms": 50.0}],
    })
    with pytest.raises(orbitdc.ScenarioError, match="user_region.*routing_step_s"):
        orbitdc.simulate(sc)


@pytest.mark.parametrize("checkpoint_s", [0.0, 60.0, 600.0, 1800.0])
def test_checkpoints_cost_their_full_time_whatever_the_step(checkpoint_s):
    """4 h of work, a checkpoint every 0.5 h of progress: seven checkpoints before the end,
    each stalling the job for checkpoint_s, even when that spans many scheduling steps."""
    t = np.arange(0.0, 12 * 3600.0 + 1.0, 60.0)
    job = Job(id=0, workload="w", kind="training", submit_s=0.0, accelerators=1,
              work_flops=4 * 3600.0 * 1e15 * 0.4, checkpoint_interval_s=1800.0,
              checkpoint_s=checkpoint_s)
    res = schedule(t, np.ones((1, t.size)), [np.array([0])], [0.0], np.array([1e15]), [job],
                   (np.empty(0), np.empty(0)), policy="first-fit", mfu=0.4)
    (j,) = res.jobs
    assert j.state == "finished" and j.checkpoints == 7
    assert j.end_s == pytest.approx(4 * 3600.0 + 7 * checkpoint_s, abs=1e-6)


def test_a_gang_runs_at_its_slowest_members_fractional_pace():
    """Capacity 3.96 of 4 accelerators all along: the 4-accelerator job is placed and runs at
    99 %, not refused and not at 3 of 4."""
    t = np.arange(0.0, 3 * 3600.0 + 1.0, 60.0)
    job = Job(id=0, workload="w", kind="training", submit_s=0.0, accelerators=4,
              work_flops=4 * 3600.0 * 4e14, checkpoint_interval_s=None, checkpoint_s=0.0)
    cap = np.full((1, t.size), 3.96)
    res = schedule(t, cap, [np.array([0])], [0.0], np.array([1e15]), [job],
                   (np.empty(0), np.empty(0)), policy="first-fit", mfu=0.4)
    (j,) = res.jobs
    assert j.state == "finished"
    assert j.end_s == pytest.approx(3600.0 / 0.99, rel=1e-6)
