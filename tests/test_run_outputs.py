"""`orbitdc run` writes the contract's files and columns; runs are deterministic; chunking
does not change results; [output] selects what the time series records."""

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import orbitdc
from orbitdc.sim import engine
from orbitdc.sim.results import simulate

from conftest import fly_with_events

SCENARIO = {
    "name": "mixed",
    "start": "2026-03-20T00:00:00Z",
    "duration_h": 3.0,
    "step_s": 20.0,
    "seed": 7,
    "fleet": [
        {"name": "shell", "kind": "walker", "altitude_km": 550.0, "inclination_deg": 53.0,
         "planes": 3, "per_plane": 4, "phasing": 1},
        {"name": "polar", "kind": "sso", "altitude_km": 800.0, "ltan_h": 10.5},
        {"name": "cluster", "kind": "cluster", "altitude_km": 650.0, "ltan_h": 18.0,
         "count": 9, "radius_km": 1.0},
    ],
    "ground_station": [
        {"name": "Svalbard", "lat_deg": 78.229, "lon_deg": 15.407, "alt_m": 500.0},
        {"name": "Wallops", "lat_deg": 37.94, "lon_deg": -75.47, "min_elevation_deg": 10.0},
    ],
    "output": {"satellites": ["shell", "polar"], "every_s": 60.0},
}


def _scenario(**changes):
    import datetime as dt

    data = json.loads(json.dumps(SCENARIO))
    data["start"] = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    data.update(changes)
    return orbitdc.parse_scenario(data)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    path = folder / "s.toml"
    path.write_text(
        orbitdc.preset_path("iss").read_text().replace("duration_h = 24.0", "duration_h = 6.0")
    )
    out = folder / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "orbitdc.cli", "run", str(path), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout.replace("\n", "")
    return out


def test_run_writes_contract_files(run_dir: Path):
    for name in ("summary.json", "timeseries.parquet", "events.parquet", "satellites.parquet"):
        assert (run_dir / name).is_file()
    ts = pq.read_table(run_dir / "timeseries.parquet")
    for col in ("time", "satellite", "x_km", "y_km", "z_km", "shadow"):
        assert col in ts.column_names
    assert str(ts.schema.field("time").type) == "timestamp[us, tz=UTC]"
    ev = pq.read_table(run_dir / "events.parquet")
    for col in ("satellite", "kind", "target", "start", "end"):
        assert col in ev.column_names
    kinds = set(ev.column("kind").to_pylist())
    assert {"umbra", "penumbra", "contact"} <= kinds
    shadow = np.asarray(ts.column("shadow"))
    assert shadow.min() == 0.0 and shadow.max() == 1.0
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["scenario"] == "iss"
    assert summary["orbitdc_version"] == orbitdc.__version__
    sat = summary["satellites_detail"]["iss"]
    assert 0.5 < sat["sunlit_fraction"] < 0.8
    assert sat["eclipses"] >= 3
    assert 30 < sat["longest_eclipse_min"] < 40  # ISS eclipses last ~30-36 min
    assert set(sat["contact_min"]) == set(summary["ground_stations"])


def test_events_are_not_rounded_to_the_step(run_dir: Path):
    ev = pq.read_table(run_dir / "events.parquet").to_pandas() if False else pq.read_table(
        run_dir / "events.parquet"
    )
    start_us = np.asarray(ev.column("start").cast("int64"))
    off_grid = (start_us % 10_000_000) != 0
    assert off_grid.mean() > 0.9


def test_same_input_same_bytes(tmp_path):
    scenario = _scenario()
    a = orbitdc.run_to_directory(scenario, tmp_path / "a")
    b = orbitdc.run_to_directory(scenario, tmp_path / "b")
    assert a.summary == b.summary
    for name in ("summary.json", "timeseries.parquet", "events.parquet", "satellites.parquet"):
        digest = [hashlib.sha256((tmp_path / d / name).read_bytes()).hexdigest() for d in "ab"]
        assert digest[0] == digest[1], name


def test_rerun_replaces_an_earlier_run(tmp_path):
    scenario = _scenario()
    orbitdc.run_to_directory(scenario, tmp_path / "a")
    orbitdc.run_to_directory(scenario, tmp_path / "a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_chunking_does_not_change_results():
    scenario = _scenario()
    _, whole, whole_order = fly_with_events(scenario, chunk=10_000)
    _, small, small_order = fly_with_events(scenario, chunk=7)
    assert set(whole) == set(small) == {"contact", "penumbra", "umbra"}
    for kind in whole:
        w, s = whole[kind], small[kind]
        assert len(w[0]) == len(s[0]) > 0, kind
        np.testing.assert_array_equal(w[0], s[0])
        np.testing.assert_array_equal(w[1], s[1])
        np.testing.assert_allclose(w[2], s[2], atol=2e-3)  # seconds
        np.testing.assert_allclose(w[3], s[3], atol=2e-3)
        np.testing.assert_array_equal(w[4], s[4])
        np.testing.assert_array_equal(w[5], s[5])
    # Written as they end: in the same order whatever the chunks.
    assert np.all(np.diff(whole_order[:, 3]) >= 0)
    np.testing.assert_array_equal(whole_order[:, :3], small_order[:, :3])


def test_output_selection_and_interval():
    res = simulate(_scenario())
    ts = res.timeseries
    names = set(ts.column("satellite").to_pylist())
    assert names == {f"shell-{i}" for i in range(12)} | {"polar"}
    times = np.unique(np.asarray(ts.column("time").cast("int64")))
    assert np.all(np.diff(times) == 60_000_000)
    assert len(times) == 3 * 60 + 1
    # Events and the summary still cover every satellite.
    assert set(res.events.column("satellite").to_pylist()) >= {"cluster-0", "cluster-8"}
    assert res.satellites.num_rows == 22
    assert any("records 13 of 22" in w for w in res.summary["warnings"])


def test_an_interval_longer_than_the_run_is_warned_about():
    sc = orbitdc.parse_scenario({
        "name": "w", "start": dt.datetime(2026, 3, 20, tzinfo=dt.UTC), "duration_h": 1.0,
        "step_s": 60.0,
        "output": {"every_s": 7200.0},
        "fleet": [{"name": "s", "kind": "sso", "altitude_km": 550.0, "ltan_h": 12.0}],
    })
    res = simulate(sc)
    assert res.timeseries.num_rows == 1
    assert [w for w in res.summary["warnings"] if "output.every_s (7200 s)" in w] == [
        "output.every_s (7200 s) is not shorter than the run (3600 s): the time series holds "
        "only its first sample"]


def test_auto_output_limits_large_fleets():
    big = _scenario(
        fleet=[{"name": "s", "kind": "walker", "altitude_km": 550.0, "inclination_deg": 53.0,
                "planes": 15, "per_plane": 10}],
        output={},
        duration_h=0.1,
    )
    assert len(big.recorded_satellites()) == 100
    small = _scenario(output={})
    assert len(small.recorded_satellites()) == 22


def test_satellite_naming():
    sc = _scenario()
    assert sc.satellite_names[:2] == ["shell-0", "shell-1"]
    assert "polar" in sc.satellite_names
    assert sc.satellite_names[-1] == "cluster-8"


def test_a_design_without_a_battery_runs_and_says_so(tmp_path):
    """A battery of 0 Wh is allowed (an array that carries the bus in sunlight): the run
    completes, and the lowest state of charge is reported as absent, not as a number. (Its
    own span only, ``--epochs 0``: the dawn-dusk orbit has eclipses in June, where no battery
    is refused; tests/test_economics.py checks that refusal.)"""
    path = tmp_path / "nobat.toml"
    path.write_text(
        'name = "nobat"\nstart = 2026-03-20T00:00:00Z\nduration_h = 2.0\nstep_s = 60.0\n'
        '[satellite.sat]\naccelerator = "nvidia-h100-sxm"\naccelerators = 1\n'
        'bus_load_w = 100.0\nsolar = { rated_power_w = 3000.0 }\n'
        'battery = { capacity_wh = 0.0 }\nradiator = { area_m2 = 4.0 }\n'
        '[[fleet]]\nname = "s"\nkind = "sso"\naltitude_km = 1000.0\nltan_h = 18.0\n'
        'satellite = "sat"\n'
    )
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "orbitdc.cli", "run", str(path), "--out", str(out),
         "--epochs", "0"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "no battery" in proc.stdout
    assert json.loads((out / "summary.json").read_text())["bus"]["soc_min"] is None


def _union_s(start, end):
    """Length of the union of intervals (plain Python)."""
    total, hi = 0.0, -np.inf
    for a, b in sorted(zip(start, end)):
        if a > hi:
            total, hi = total + (b - a), b
        elif b > hi:
            total, hi = total + (b - hi), b
    return total


def test_totals_kept_as_the_run_goes_match_its_written_windows():
    """The summary's figures are accumulated chunk by chunk (station coverage from a count of
    satellites in view); recomputed here from the windows written, they agree."""
    res = simulate(_scenario(), workers=1)
    ev = res.events.to_pydict()
    dur = np.asarray(ev["duration_s"])
    kind = np.asarray(ev["kind"], dtype=object)
    sat = np.asarray(ev["satellite"], dtype=object)
    target = np.asarray(ev["target"], dtype=object)
    t0 = res.events.column("start").cast("int64").to_numpy() / 1e6
    t1 = res.events.column("end").cast("int64").to_numpy() / 1e6
    for name, st in res.summary["fleet"]["stations"].items():
        m = (kind == "contact") & (target == name)
        assert st["passes"] == m.sum() > 0
        assert st["contact_min_total"] == pytest.approx(dur[m].sum() / 60.0, abs=1e-6)
        assert st["coverage_min"] == pytest.approx(_union_s(t0[m], t1[m]) / 60.0, abs=1e-5)
        assert st["coverage_min"] < st["contact_min_total"]  # satellites overlap here
    table = res.satellites.to_pydict()
    for i, name in enumerate(table["satellite"]):
        um = (kind == "umbra") & (sat == name)
        assert table["eclipses"][i] == um.sum()
        assert table["umbra_min"][i] == pytest.approx(dur[um].sum() / 60.0, rel=1e-9)
        pm = (kind == "penumbra") & (sat == name)
        assert table["penumbra_min"][i] == pytest.approx(dur[pm].sum() / 60.0, rel=1e-9)
    assert res.event_rows == res.events.num_rows
