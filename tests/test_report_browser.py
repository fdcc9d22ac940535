"""The report in a real headless browser (Debian's chromium driven by Playwright): it loads
with no JavaScript errors and every plot is drawn.

Without chromium or Playwright the test is skipped, except in CI: ``.ci/run`` installs
chromium and sets ``ORBITDC_REQUIRE_BROWSER=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_report import SCENARIO
from typer.testing import CliRunner

from orbitdc.cli import app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("ORBITDC_REQUIRE_BROWSER") == "1"


def _need(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRED:
            pytest.fail(f"browser test required in CI but {why}")
        pytest.skip(why)


def test_report_loads_without_errors_and_draws_every_plot(tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    _need(sync_playwright is not None, "playwright is not installed")
    _need(CHROMIUM is not None, "chromium is not installed (apt-get install chromium)")
    (tmp_path / "s.toml").write_text(SCENARIO)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "s.toml"), "--out",
                                      str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    report = Path(tmp_path / "run" / "report.html")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(d => d.querySelector('.main-svg'))",
            timeout=60_000,
        )
        plots = page.locator(".plotly-graph-div").count()
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(d => d._fullData && d._fullData.length > 0).length"
        )
        browser.close()
    assert errors == []
    # Ground tracks, orbits, shadow, power, utilisation, contacts, latency, cost.
    assert plots == 8
    assert drawn == plots
