"""The Voila app in a real browser: Debian chromium driven by Playwright against Voila on localhost.

Changes a widget (fairness off), clicks Solve, waits for the results table and the map image, and saves a
screenshot under the test's tmp dir (and a copy at /tmp/planner_browser.png to look at); then solves the
asset plan in its tab and waits for the coverage map. The app speaks Vietnamese by default: the labels
clicked and expected are taken from planner.ui.text, the same table the app uses.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from planner.kpis import kpi_label
from planner.ui.text import LANG_ENV, ui_text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEPT_SCREENSHOT = Path("/tmp/planner_browser.png")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Voila stopped (exit {process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "voila/static/", timeout=2):
                return
        except urllib.error.HTTPError:  # the server answers (an error page is fine): it is up
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"Voila did not answer on {url} within {seconds} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila_app(tmp_path):
    """Voila serving notebooks/app.ipynb on a free port; always terminated afterwards."""
    port = _free_port()
    log = tmp_path / "voila.log"
    env = dict(os.environ, PLANNER_DATA=str(ROOT / "data" / "lang_son.xlsx"), PLANNER_OUT=str(tmp_path / "out"))
    env.pop(LANG_ENV, None)  # the default language
    voila = Path(sys.executable).with_name("voila")
    with log.open("w") as handle:
        process = subprocess.Popen(
            [str(voila), str(ROOT / "notebooks" / "app.ipynb"), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for_server(url, process, log)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_app_solves_in_a_real_browser(voila_app, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed ({CHROMIUM} missing; `make system-deps` installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    url, log = voila_app
    screenshot = tmp_path / "app.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=180_000)
            staffing = page.locator(".planner-staffing")
            solve = staffing.locator(".planner-solve")
            solve.wait_for(state="visible", timeout=180_000)

            assert solve.inner_text().strip() == ui_text("solve", "vi")
            fairness = staffing.locator(".widget-checkbox", has_text=ui_text("fairness_long", "vi")).locator("input")
            assert fairness.is_checked()
            fairness.uncheck()
            assert not fairness.is_checked()
            solve.click()

            outcome = staffing.locator(".planner-ok, .planner-error").first
            outcome.wait_for(timeout=300_000)  # the solve ends with a success or an error message
            page.screenshot(path=str(screenshot), full_page=True)
            shutil.copy(screenshot, KEPT_SCREENSHOT)
            assert "planner-ok" in outcome.get_attribute("class"), (
                f"Solve failed in the app: {outcome.inner_text()}\nVoila log:\n{log.read_text()[-2000:]}")
            done = ui_text("task_done", "vi", label=ui_text("staffing_solving", "vi"), seconds="§").split("§")[0]
            assert outcome.inner_text().startswith(done)
            table = staffing.locator(".planner-results table.planner-table").first
            picture = staffing.locator(".planner-results img.planner-map").first
            table.wait_for(state="visible", timeout=10_000)
            picture.wait_for(state="visible", timeout=10_000)
            assert kpi_label("total_shortage", "vi") in table.inner_text()
            natural_width = picture.evaluate("img => img.naturalWidth")
            assert natural_width > 300  # a real image, not a broken one
            picture.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))  # settings, status, map and key figures in one view

            page.get_by_text(ui_text("tab_assets", "vi")).click()  # the asset plan: service-point coverage map
            assets = page.locator(".planner-assets")
            assets.locator(".planner-solve").click()
            outcome = assets.locator(".planner-ok, .planner-error").first
            outcome.wait_for(timeout=300_000)
            assert "planner-ok" in outcome.get_attribute("class"), outcome.inner_text()
            coverage = assets.locator(".planner-results img.planner-map").first
            coverage.wait_for(state="visible", timeout=10_000)
            assert coverage.evaluate("img => img.naturalWidth") > 300
            coverage.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "assets.png"))
        finally:
            browser.close()
    assert screenshot.stat().st_size > 50_000
    shutil.copy(screenshot, KEPT_SCREENSHOT)
