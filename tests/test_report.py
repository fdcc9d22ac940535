"""report.html: built by orbitdc run, rebuilt by orbitdc report, self-contained, bounded in
size, with a section for each kind of data the run has; bad folders exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import orbitdc
from orbitdc.cli import app
from orbitdc.report import build_report

SCENARIO = """
name = "report"
start = 2026-06-21T00:00:00Z
duration_h = 3.0
step_s = 30.0

[satellite.edge]
accelerator = "nvidia-h100-sxm"
accelerators = 2
bus_load_w = 200.0
solar = { rated_power_w = 4000.0 }
battery = { capacity_wh = 4000.0 }
radiator = { area_m2 = 6.0 }

[[fleet]]
name = "shell"
kind = "walker"
altitude_km = 550.0
inclination_deg = 53.0
planes = 6
per_plane = 5
satellite = "edge"

[network]
[[network.isl]]
fleet = "shell"
topology = "+grid"

[[ground_station]]
name = "Madrid"
lat_deg = 40.43
lon_deg = -4.25

[[user_region]]
name = "London"
lat_deg = 51.51
lon_deg = -0.13

[output]
satellites = "all"
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    (folder / "s.toml").write_text(SCENARIO)
    result = CliRunner().invoke(app, ["run", str(folder / "s.toml"), "--out",
                                      str(folder / "run")])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    return folder / "run"


def test_run_writes_a_self_contained_report(run_dir):
    text = (run_dir / "report.html").read_text()
    # Offline: plotly.js inlined, no external scripts or stylesheets.
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=['\"]http", text)
    assert "Plotly" in text and len(text) > 3_000_000  # the library itself is in the page
    for section in ("overview", "ground-tracks", "orbits", "sun-and-shadow", "power-and-heat",
                    "fleet-utilisation", "contacts", "latency", "links", "cost"):
        assert f"id='{section}'" in text, section
    assert (run_dir / "report.html").stat().st_size < 12_000_000
    # 30 satellites recorded, 12 drawn: the page says so.
    assert "Per-satellite plots show 12 of the 30 satellites" in text


def test_sections_follow_the_data(tmp_path):
    res = orbitdc.run_to_directory(orbitdc.load_scenario(orbitdc.preset_path("iss")),
                                   tmp_path / "iss")
    del res
    text = build_report(tmp_path / "iss")
    assert "id='ground-tracks'" in text and "id='contacts'" in text
    for absent in ("power-and-heat", "latency", "cost", "links"):
        assert f"id='{absent}'" not in text


def test_report_command_rebuilds_it(run_dir):
    (run_dir / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.html").stat().st_size > 1_000_000


def test_report_refuses_what_is_not_a_run(tmp_path, run_dir):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not an orbitdc run" in result.output
    old = tmp_path / "old"
    old.mkdir()
    for name in ("summary.json", "timeseries.parquet", "events.parquet"):
        (old / name).write_bytes((run_dir / name).read_bytes())
    summary = json.loads((old / "summary.json").read_text())
    summary["orbitdc_version"] = "9.0.0"
    (old / "summary.json").write_text(json.dumps(summary))
    result = CliRunner().invoke(app, ["report", str(old)])
    assert result.exit_code == 2
    assert "cannot report on" in result.output
    # Before 1.0 a minor version may change the outputs.
    summary["orbitdc_version"] = "0.0.1"
    (old / "summary.json").write_text(json.dumps(summary))
    assert CliRunner().invoke(app, ["report", str(old)]).exit_code == 2
    # The right version, but missing what the report reads: refused, not a traceback.
    summary["orbitdc_version"] = orbitdc.__version__
    del summary["scenario"]
    (old / "summary.json").write_text(json.dumps(summary))
    result = CliRunner().invoke(app, ["report", str(old)])
    assert result.exit_code == 2, result.output
    assert "can report on" in result.output and "scenario" in result.output


def test_running_jobs_are_drawn_to_the_end_of_the_run():
    import datetime as dt

    import pyarrow as pa

    from orbitdc.report.html import _jobs

    start = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    jobs = pa.Table.from_pylist([
        {"id": 0, "workload": "w", "state": "running", "started": start, "finished": None,
         "placement": "s-0:4", "work_lost_flops": 0.0},
    ])
    fig = _jobs(jobs, start + dt.timedelta(hours=6))
    assert fig.data[0].x[0] == pytest.approx(6 * 3600 * 1000.0)


def test_results_render_in_notebooks():
    res = orbitdc.simulate(orbitdc.load_scenario(orbitdc.preset_path("iss")))
    html = res._repr_html_()
    assert "orbitdc results" in html and "sunlit fraction mean" in html


SUSTAIN = """
name = "sustain-report"
start = 2026-06-20T23:00:00Z
duration_h = 1.5
step_s = 60.0

[satellite.edge]
accelerator = "nvidia-h100-sxm"
accelerators = 2
bus_load_w = 200.0
solar = { rated_power_w = 4000.0 }
battery = { capacity_wh = 4000.0 }
radiator = { area_m2 = 6.0 }

[[fleet]]
name = "shell"
kind = "walker"
altitude_km = 550.0
inclination_deg = 53.0
planes = 12
per_plane = 20
phasing = 1
satellite = "edge"

[[fleet]]
name = "pack"
kind = "cluster"
altitude_km = 650.0
ltan_h = 18.0
count = 5
radius_km = 0.2

[screening]
threshold_km = 40.0
formation_threshold_km = 0.25
covariance = { sigma_km = 0.5, hard_body_radius_m = 20.0 }

[night_sky]
observatories = ["rubin"]
area_m2 = 4.0
step_s = 120.0
"""


def test_screening_night_sky_and_lifetime_sections_show_what_the_run_computed(tmp_path):
    """The close-approach, night-sky and lifetime sections appear with their sections of the
    run, and their figures are those of conjunctions.parquet and summary.json."""
    import numpy as np
    import pyarrow.parquet as pq

    (tmp_path / "s.toml").write_text(SUSTAIN)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(tmp_path / "s.toml"), "--out", str(out),
                                   "--epochs", "0"])
    assert res.exit_code == 0, res.output
    text = (out / "report.html").read_text()
    summary = json.loads((out / "summary.json").read_text())
    for section in ("close-approaches", "night-sky", "orbital-lifetime"):
        assert f"id='{section}'" in text, section
    table = pq.read_table(out / "conjunctions.parquet")
    assert table.num_rows > 0
    assert f"{table.num_rows:,} approaches below 40 km (0.25 km within a formation)" in text
    closest_m = float(np.min(table.column("miss_km").to_numpy())) * 1000.0
    assert f"<td>{closest_m:,.1f}</td>" in text
    for pair, v in summary["screening"]["per_group_pair"].items():
        assert f"<td>{pair}</td><td>{v['approaches']:,}</td>" in text
    assert "Close approaches: miss distance at TCA" in text
    assert "Probabilities assume an isotropic position error of 0.5 km" in text
    # Night sky: the mean over the night hours of the summary's per-hour counts.
    rubin = summary["night_sky"]["sites"]["rubin"]
    assert rubin["hours"], "a June night at Cerro Pachon"
    mean_lit = np.mean([h["sunlit_above_min_elevation_mean"] for h in rubin["hours"]])
    assert mean_lit > 0.05  # the first night hour, while a 550 km shell is still lit
    assert f"<td>rubin</td><td>-30.245, -70.749</td><td>{len(rubin['hours'])}</td>" \
           f"<td>{mean_lit:.1f}</td>" in text
    assert "Night sky per night hour" in text
    # Lifetime: the shell's decay times and verdict; the cluster has no type (no drag data).
    shell = summary["sustainability"]["fleets"]["shell"]
    years = " / ".join(format(shell["decay_years"][k], ".3g") for k in ("high", "moderate", "low"))
    assert f"<td>{years}</td>" in text
    assert "<td>pack</td><td>650</td><td>no drag data</td>" in text


def test_a_run_without_those_sections_has_none_of_them(run_dir):
    text = (run_dir / "report.html").read_text()
    assert "id='close-approaches'" not in text and "id='night-sky'" not in text
