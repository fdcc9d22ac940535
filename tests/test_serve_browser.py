"""The dashboard of ``orbitdc serve`` in a real headless browser (Debian's chromium driven by
Playwright, as tests/test_report_browser.py): a job submitted from the page's form is placed
(the table shows its satellites) and finishes, the fleet map is drawn with every satellite,
the job's timeline shows its events, and the page raises no JavaScript error. plotly.js is
inlined (the page loads nothing from elsewhere).

Skipped without chromium or Playwright, except in CI (``ORBITDC_REQUIRE_BROWSER=1``)."""

from __future__ import annotations

import shutil

import httpx
import pytest
from test_report_browser import CHROMIUM, _need
from test_serve import SCENARIO, live


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "twin.toml"
    path.write_text(SCENARIO)
    return path


def test_submit_from_the_dashboard_see_it_placed_and_finish(tmp_path, scenario_file):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    _need(sync_playwright is not None, "playwright is not installed")
    _need(CHROMIUM is not None and shutil.which(CHROMIUM) is not None,
          "chromium is not installed (apt-get install chromium)")
    db = f"sqlite:///{tmp_path / 'twin.db'}"
    errors: list[str] = []
    outside: list[str] = []
    with live(scenario_file, db, 300.0) as (url, key, twin):
        page_html = httpx.get(url + "/").text
        assert "<script src" not in page_html and "plotly.js v" in page_html
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: outside.append(r.url)
                    if not r.url.startswith(url) else None)
            page.goto(url + "/", wait_until="load")
            page.fill("#key", key)
            page.click("#save-key")
            page.wait_for_function(
                "() => document.querySelector('#map')._fullData !== undefined", timeout=30_000)
            page.fill("input[name=name]", "from-the-page")
            page.fill("input[name=flops]", "3e17")
            page.click("#submit-button")
            page.wait_for_function(
                "() => /job \\d+: queued/.test(document.querySelector('#message').textContent)",
                timeout=10_000)
            row = page.locator("tr.job", has_text="from-the-page")
            page.wait_for_function(
                "() => [...document.querySelectorAll('tr.job')].some(r => "
                "r.textContent.includes('from-the-page') && "
                "r.querySelector('.placement').textContent.includes('shell-'))",
                timeout=30_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('tr.job')].some(r => "
                "r.textContent.includes('from-the-page') && "
                "r.querySelector('.state').textContent === 'finished')", timeout=60_000)
            row.click()
            page.wait_for_function(
                "() => { const d = document.querySelector('#timeline');"
                " return d._fullData && d._fullData.some(t => t.name === 'finished'); }",
                timeout=10_000)
            drawn = page.evaluate(
                "() => document.querySelector('#map')._fullData"
                ".filter(t => t.name !== 'coast').reduce((a, t) => a + t.x.length, 0)")
            browser.close()
    assert drawn == 4
    assert errors == []
    assert outside == []
