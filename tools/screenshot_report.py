"""Screenshot a run's report.html, section by section, so anyone can look at it.

    python tools/screenshot_report.py RUN_DIR [OUT_DIR]

Needs Playwright (``pip install playwright``) and Debian's chromium
(``apt-get install chromium``); writes ``OUT_DIR/report-full.png`` and one PNG per section.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(run_dir: str, out_dir: str | None = None) -> int:
    report = Path(run_dir) / "report.html"
    out = Path(out_dir or run_dir)
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(report.resolve().as_uri(), wait_until="load")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')]"
            ".every(d => d.querySelector('.main-svg'))", timeout=60_000)
        page.screenshot(path=str(out / "report-full.png"), full_page=True)
        for section in page.locator("section").all():
            name = section.get_attribute("id")
            section.screenshot(path=str(out / f"report-{name}.png"))
            print(out / f"report-{name}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
