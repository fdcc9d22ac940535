"""Sweeps on a real dask.distributed LocalCluster with two workers: a variant equals the same
scenario run directly, the table is reproducible, a killed sweep resumes to the same table,
invalid variants are recorded, bad sweep files exit 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.model.sweep import load_sweep
from orbitdc.study import run_sweep
from orbitdc.study.sweep import variant_row

BASE = """
name = "base"
start = 2026-06-21T00:00:00Z
duration_h = 2.0
step_s = 60.0
seed = 5

[satellite.sat]
accelerator = "nvidia-h100-sxm"
accelerators = 2
bus_load_w = 200.0
solar = { rated_power_w = 4000.0 }
battery = { capacity_wh = 5000.0 }
radiator = { area_m2 = 6.0 }

[[fleet]]
name = "s"
kind = "sso"
altitude_km = 600.0
ltan_h = 10.0
count = 2
satellite = "sat"

[[ground_station]]
name = "Svalbard"
lat_deg = 78.23
lon_deg = 15.41
"""

SWEEP = """
base = "base.toml"
design = "grid"
repetitions = 2
seed = 11

[[axis]]
path = "fleet.0.altitude_km"
values = [100.0, 550.0, 700.0]

[[axis]]
path = "economics.launch_usd_per_kg"
range = { start = 500.0, stop = 1500.0, num = 2 }
"""


@pytest.fixture
def sweep_file(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    (tmp_path / "sweep.toml").write_text(SWEEP)
    return tmp_path / "sweep.toml"


def _same(a, b):
    assert a.column_names == b.column_names
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        for u, v in zip(x, y):
            if isinstance(u, float) and math.isnan(u):
                assert isinstance(v, float) and math.isnan(v), name
            else:
                assert u == v, name


def test_sweep_runs_on_dask_matches_direct_runs_and_records_invalid(sweep_file, tmp_path):
    spec = load_sweep(sweep_file)
    assert len(spec.variants()) == 3 * 2 * 2
    table, timing = run_sweep(spec, tmp_path / "out", workers=2)
    assert timing["complete"] and (tmp_path / "out" / "variants.parquet").is_file()
    rows = table.to_pylist()
    invalid = [r for r in rows if r["status"] == "invalid"]
    assert len(invalid) == 4  # 100 km: inside the atmosphere, refused, not run, not fatal
    assert all("fleet.0.altitude_km" in r["error"] for r in invalid)
    assert all(r["status"] == "ok" for r in rows if r["fleet.0.altitude_km"] != 100.0)
    # Each variant prices its own flight: the 550 km and 700 km variants, run directly as
    # orbitdc run would, give the same figures, and not the same as each other (the dose
    # each flight finds sets when the chips are replaced).
    priced = []
    for altitude in (550.0, 700.0):
        row = next(r for r in rows if r["status"] == "ok" and r["repetition"] == 0
                   and r["fleet.0.altitude_km"] == altitude
                   and r["economics.launch_usd_per_kg"] == 500.0)
        data = spec.scenario_data(spec.variants()[row["variant"]])
        sc = orbitdc.parse_scenario(data, base_dir=spec.base.base_dir)
        res = orbitdc.simulate(sc)
        direct = variant_row(res.summary, orbitdc.costs(sc, res))
        for key, value in direct.items():
            if math.isnan(value):
                assert math.isnan(row[key])
            else:
                assert row[key] == value, key
        priced.append(row["orbit_usd_per_accelerator_hour"])
    assert priced[0] != priced[1]
    # Repetitions change only the seed.
    reps = [r for r in rows if r["fleet.0.altitude_km"] == 550.0
            and r["economics.launch_usd_per_kg"] == 500.0]
    assert len({r["seed"] for r in reps}) == 2


def test_same_sweep_same_table_and_resume_after_a_kill(sweep_file, tmp_path):
    spec = load_sweep(sweep_file)
    whole, _ = run_sweep(spec, tmp_path / "a", workers=2)
    again, _ = run_sweep(spec, tmp_path / "b", workers=2)
    _same(whole, again)
    part, timing = run_sweep(spec, tmp_path / "c", workers=2, stop_after=5)
    assert not timing["complete"] and part.num_rows >= 5
    assert not (tmp_path / "c" / "variants.parquet").exists()
    resumed, timing = run_sweep(spec, tmp_path / "c", workers=2, resume=True)
    assert timing["ran"] == 12 - part.num_rows
    _same(whole, resumed)


def test_sweep_command_writes_table_and_report(sweep_file, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out),
                                      "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "12 variants: 8 ok, 4 invalid, 0 failed" in result.output
    text = (out / "sweep.html").read_text()
    for section in ("overview", "figures-against-parameters", "pareto-front", "sensitivity"):
        assert f"id='{section}'" in text, section
    again = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output


@pytest.mark.parametrize(
    ("axis", "key", "message"),
    [
        ('path = "fleet.0.altitud_km"\nvalues = [500.0]', "axis.0.path", "not in the scenario"),
        ('path = "fleet.3.altitude_km"\nvalues = [500.0]', "axis.0.path", "not in the scenario"),
        ('path = "fleet.0.altitude_km"\nvalues = ["high"]', "axis.0.values", "takes a number"),
        ('path = "fleet.0.altitude_km"\nvalues = []', "axis.0", "empty"),
        ('path = "fleet.0"\nvalues = [1.0]', "axis.0.path", "is a table"),
        ('path = "fleet.0.altitude_km"\ndistribution = { kind = "uniform", low = 1.0, high = 2.0 }',
         "", "grid needs discrete axes"),
    ],
)
def test_bad_sweeps_exit_2_naming_the_path(tmp_path, axis, key, message):
    (tmp_path / "base.toml").write_text(BASE)
    path = tmp_path / "bad.toml"
    path.write_text(f'base = "base.toml"\n[[axis]]\n{axis}\n')
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert f"{path}: {key}" in result.output
    assert not (tmp_path / "o").exists()


def test_lhs_and_random_designs_are_seeded_and_cover_the_axes(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    path = tmp_path / "lhs.toml"
    path.write_text(
        'base = "base.toml"\ndesign = "lhs"\nsamples = 20\nseed = 4\n'
        '[[axis]]\npath = "fleet.0.altitude_km"\n'
        'distribution = { kind = "uniform", low = 500.0, high = 700.0 }\n'
        '[[axis]]\npath = "satellite.sat.radiator.area_m2"\nvalues = [4.0, 6.0, 8.0, 10.0]\n'
    )
    a = [v.params for v in load_sweep(path).variants()]
    b = [v.params for v in load_sweep(path).variants()]
    assert a == b and len(a) == 20
    alt = np.array([p["fleet.0.altitude_km"] for p in a])
    # Latin hypercube: one sample in each of 20 equal strata.
    assert sorted(np.floor((alt - 500.0) / 10.0).astype(int).tolist()) == list(range(20))
    assert {p["satellite.sat.radiator.area_m2"] for p in a} == {4.0, 6.0, 8.0, 10.0}


def test_resume_refuses_another_sweep_and_out_must_be_a_folder(sweep_file, tmp_path):
    out = tmp_path / "o"
    spec = load_sweep(sweep_file)
    run_sweep(spec, out, workers=1, stop_after=1)
    other = sweep_file.with_name("other.toml")
    other.write_text(sweep_file.read_text().replace("seed = 11", "seed = 12"))
    result = CliRunner().invoke(app, ["sweep", str(other), "--out", str(out), "--resume"])
    assert result.exit_code == 2 and "different sweep" in result.output
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    result = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(afile)])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_a_seed_axis_sets_the_seed(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    path = tmp_path / "s.toml"
    path.write_text('base = "base.toml"\n[[axis]]\npath = "seed"\nvalues = [5, 6, 7]\n')
    spec = load_sweep(path)
    assert [v.seed for v in spec.variants()] == [5, 6, 7]
    assert [spec.scenario_data(v)["seed"] for v in spec.variants()] == [5, 6, 7]


def test_a_range_over_a_count_gives_integers(tmp_path):
    (tmp_path / "base.toml").write_text(BASE)
    path = tmp_path / "s.toml"
    path.write_text('base = "base.toml"\n[[axis]]\npath = "fleet.0.count"\n'
                    'range = { start = 1.0, stop = 3.0, num = 3 }\n')
    spec = load_sweep(path)
    counts = [spec.scenario_data(v)["fleet"][0]["count"] for v in spec.variants()]
    assert counts == [1, 2, 3] and all(isinstance(c, int) for c in counts)
    orbitdc.parse_scenario(spec.scenario_data(spec.variants()[0]), base_dir=tmp_path)


def test_a_variant_with_workloads_is_what_orbitdc_run_gives(tmp_path):
    """With [[workload]], a variant runs the closed loop and the orchestrator as `orbitdc run`
    does: the same jobs, energy and costs, and the delivered hours are the jobs' work."""
    import json

    from typer.testing import CliRunner

    from orbitdc.cli import app
    from orbitdc.study.sweep import run_variant

    text = (
        'name = "w"\nstart = 2026-03-20T00:00:00Z\nduration_h = 3.0\nstep_s = 60.0\n'
        '[satellite.sat]\naccelerator = "nvidia-h100-sxm"\naccelerators = 4\n'
        'bus_load_w = 300.0\nsolar = { rated_power_w = 4000.0 }\n'
        'battery = { capacity_wh = 3000.0 }\nradiator = { area_m2 = 8.0 }\n'
        '[[fleet]]\nname = "s"\nkind = "walker"\naltitude_km = 550.0\ninclination_deg = 53.0\n'
        'planes = 2\nper_plane = 3\nphasing = 1\nsatellite = "sat"\n'
        '[[workload]]\nname = "train"\nkind = "training"\njobs = 4\nflops = 2e19\n'
        'accelerators = 4\n[policy]\nname = "power-aware"\n'
    )
    path = tmp_path / "w.toml"
    path.write_text(text)
    # A variant prices its own flight; `orbitdc run` does so with --epochs 0 (by default it
    # flies a lifetime sample for the economics).
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "run"),
                                      "--epochs", "0"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    import tomllib

    got = run_variant(tomllib.loads(text), str(tmp_path), str(path))
    assert got["status"] == "ok", got["error"]
    want = variant_row(summary, summary["economics"])
    assert want["delivered_accelerator_hours"] == summary["jobs"]["goodput_accelerator_hours"]
    assert summary["economics"]["delivered_from"] == "workloads"
    for key, value in want.items():
        assert got["figures"][key] == pytest.approx(value, rel=1e-9, nan_ok=True), key


def test_the_documented_sweep_file_is_valid(tmp_path):
    import re

    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "sweeps.md").read_text()
    block = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)[0]
    (tmp_path / "doc.toml").write_text(block)
    spec = load_sweep(tmp_path / "doc.toml")
    assert len(spec.variants()) == 16 * 2


def test_counts_take_whole_numbers_and_errors_name_the_path(tmp_path):
    base = 'base = "preset:starlink"\n'
    (tmp_path / "a.toml").write_text(
        base + '[[axis]]\npath = "fleet.0.planes"\nvalues = [1, 2.5]\n')
    with pytest.raises(orbitdc.ScenarioError, match="fleet.0.planes takes a whole number"):
        load_sweep(tmp_path / "a.toml")
    (tmp_path / "b.toml").write_text(
        base + '[[axis]]\npath = "economics.launch_usd_per_kg"\nvalues = []\n')
    with pytest.raises(orbitdc.ScenarioError, match="economics.launch_usd_per_kg: the axis is"):
        load_sweep(tmp_path / "b.toml")
    (tmp_path / "c.toml").write_text(
        'base = "preset:starlink"\ndesign = "random"\nsamples = 4\n[[axis]]\n'
        'path = "satellite.edge.accelerators"\n'
        'distribution = { kind = "uniform", low = 2.0, high = 8.0 }\n')
    spec = load_sweep(tmp_path / "c.toml")
    counts = [spec.scenario_data(v)["satellite"]["edge"]["accelerators"]
              for v in spec.variants()]
    assert all(isinstance(c, int) and 2 <= c <= 8 for c in counts)


def test_a_bad_scheduler_address_is_a_clear_error_and_leaves_nothing(tmp_path):
    from typer.testing import CliRunner

    from orbitdc.cli import app

    (tmp_path / "s.toml").write_text(
        'base = "preset:iss"\n[[axis]]\npath = "economics.launch_usd_per_kg"\n'
        'values = [100.0, 200.0]\n')
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "s.toml"), "--out",
                                      str(tmp_path / "o"), "--scheduler", "notanaddress"])
    assert result.exit_code == 2, result.output
    assert "--scheduler notanaddress" in result.output
    assert not (tmp_path / "o").exists()
