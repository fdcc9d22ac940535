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
