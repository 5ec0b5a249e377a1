"""The Voila app in a real browser: Debian chromium driven by Playwright against Voila on localhost.

The journey of a planner: upload the province workbook, change a setting (fairness off), solve the staffing
plan, save it in the plan register, solve and save a second plan, reload the page, reopen the first plan, compare
the two, review and approve one (with a name), and download its workbook; the asset plan is solved too.
Screenshots of every tab in Vietnamese and English go to the test's tmp dir and /tmp/planner_screens/ (to look
at). The app speaks Vietnamese by default: the labels clicked and expected come from planner.ui.text.
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

from planner.labels import value_label
from planner.ui.text import LANG_ENV, ui_text

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KEPT_SCREENSHOT = Path("/tmp/planner_browser.png")
SCREENS = Path("/tmp/planner_screens")


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
    env = dict(os.environ, PLANNER_DATA=str(ROOT / "data" / "lang_son.xlsx"), PLANNER_OUT=str(tmp_path / "out"),
               PLANNER_DB=f"sqlite:///{tmp_path / 'plans.db'}")
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


def _run(panel, button, label_key: str, log: Path, timeout: float = 300_000) -> None:
    """Click a button of a tab and wait for its task to end (its "done" line, or an error, in the tab's status
    line); fail with the message unless it succeeded."""
    status = panel.locator(".planner-status").first
    before = status.inner_text()
    done = ui_text("task_done", "vi", label=ui_text(label_key, "vi"), seconds="§")
    prefix = done.split("§")[0].split("«")[0].split("{")[0]
    button.click()
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        text = status.inner_text()
        if status.locator(".planner-error").count() or (text != before and text.startswith(prefix)
                                                         and status.locator(".planner-ok").count()):
            break
        time.sleep(0.3)
    else:
        pytest.fail(f"{label_key}: no outcome within {timeout / 1000:.0f} s; status: {status.inner_text()}")
    assert not status.locator(".planner-error").count(), (
        f"{label_key} failed in the app: {status.inner_text()}\nVoila log:\n{log.read_text()[-2000:]}")


def _tab(page, key: str, lang: str = "vi") -> None:
    page.locator(".planner-app > .widget-tab .lm-TabBar-tab, .planner-app > .widget-tab .p-TabBar-tab",
                 has_text=ui_text(key, lang)).first.click()
    page.wait_for_timeout(400)


def _shoot(page, name: str, folder: Path) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENS.mkdir(exist_ok=True)
    shutil.copy(path, SCREENS / path.name)
    return path


def _save(panel, name: str, log: Path) -> None:
    """Type a plan name and save it in the register (with its workbook)."""
    box = panel.locator(".planner-save-name input")
    box.fill(name)
    box.press("Enter")
    _run(panel, panel.locator("button.planner-save"), "saving", log, 120_000)
    panel.locator(".planner-download .planner-ok", has_text=name).first.wait_for(timeout=10_000)


def test_app_journey_in_a_real_browser(voila_app, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium is not installed ({CHROMIUM} missing; `make system-deps` installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    url, log = voila_app
    screenshot = tmp_path / "app.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(url, timeout=180_000)
            staffing = page.locator(".planner-staffing")
            solve = staffing.locator(".planner-solve")
            page.locator(".planner-app").wait_for(timeout=180_000)

            # 1 · upload the province workbook: title, province menu and every tab follow it
            _tab(page, "tab_data")
            upload = tmp_path / "tinh_tai_len.xlsx"
            shutil.copy(ROOT / "data" / "lang_son.xlsx", upload)
            with page.expect_file_chooser() as chooser:
                page.locator(".planner-upload").first.click()
            chooser.value.set_files(str(upload))
            page.wait_for_function(  # the province menu names the uploaded file once it is checked and open
                "() => { const s = document.querySelector('.planner-province select');"
                " return s && s.options[s.selectedIndex].text.includes('tinh_tai_len.xlsx'); }", timeout=180_000)
            assert page.get_by_text(ui_text("workbook_valid", "vi", province="Lạng Sơn")).first.is_visible()
            assert "Lạng Sơn" in page.locator(".planner-title").inner_text()
            _shoot(page, "vi_1_data", tmp_path)
            with page.expect_download(timeout=120_000) as template:
                page.locator("button.planner-template").click()
                page.locator(".planner-data .planner-download a").first.click(timeout=120_000)
            assert template.value.suggested_filename.endswith(".xlsx")

            # 2 · settings in one place; 3 · solve and save two plans
            _tab(page, "tab_settings")
            fairness = page.locator(".planner-settings .widget-checkbox",
                                    has_text=ui_text("fairness_long", "vi")).locator("input")
            assert fairness.is_checked()
            _shoot(page, "vi_2_settings", tmp_path)
            _tab(page, "tab_staffing")
            assert solve.inner_text().strip() == ui_text("solve", "vi")
            _run(staffing, solve, "staffing_solving", log)
            table = staffing.locator(".planner-results table.planner-table").first
            picture = staffing.locator(".planner-results img.planner-map").first
            table.wait_for(state="visible", timeout=10_000)
            picture.wait_for(state="visible", timeout=10_000)
            assert picture.evaluate("img => img.naturalWidth") > 300  # a real image, not a broken one
            _shoot(page, "vi_3_staffing", tmp_path)
            shutil.copy(tmp_path / "vi_3_staffing.png", screenshot)
            page.locator(".planner-user input").fill("Nguyễn Văn An")
            _save(staffing, "Phương án A", log)

            _tab(page, "tab_settings")
            fairness.uncheck()
            _tab(page, "tab_staffing")
            _run(staffing, solve, "staffing_solving", log)
            _save(staffing, "Phương án B", log)

            _tab(page, "tab_assets")
            assets = page.locator(".planner-assets")
            _run(assets, assets.locator(".planner-solve"), "assets_solving", log)
            coverage = assets.locator(".planner-results img.planner-map").first
            coverage.wait_for(state="visible", timeout=10_000)
            assert coverage.evaluate("img => img.naturalWidth") > 300
            _shoot(page, "vi_4_assets", tmp_path)

            # reload the page: the plans are still in the register
            page.reload(timeout=180_000)
            page.locator(".planner-app").wait_for(timeout=180_000)
            _tab(page, "tab_scenarios")
            register = page.locator(".planner-register")
            register.get_by_text("Phương án A").first.wait_for(timeout=30_000)
            register.get_by_text("Phương án B").first.wait_for(timeout=30_000)
            plans = page.locator(".planner-scenario")
            plans.locator(".planner-plan-a select").select_option(label="Phương án A")
            plans.locator(".planner-plan-b select").select_option(label="Phương án B")
            _run(plans, plans.locator("button.planner-open-plan"), "opening", log, 120_000)
            _run(plans, plans.locator("button.planner-compare"), "comparing", log, 120_000)
            plans.locator(".planner-comparison img").first.wait_for(timeout=30_000)
            page.locator(".planner-user input").fill("Trần Thị Bình")
            page.locator(".planner-user input").press("Enter")
            _run(plans, plans.locator("button.planner-review"), "review", log, 60_000)
            _run(plans, plans.locator("button.planner-approve"), "approve", log, 60_000)
            approved = value_label("plan_status", "approved", "vi")
            register.get_by_text(approved).first.wait_for(timeout=30_000)
            with page.expect_download(timeout=60_000) as saved:
                plans.locator("button.planner-download-saved").click()
                plans.locator(".planner-download a").first.click(timeout=60_000)
            workbook = tmp_path / saved.value.suggested_filename
            saved.value.save_as(workbook)
            assert workbook.read_bytes()[:2] == b"PK" and workbook.suffix == ".xlsx"
            _shoot(page, "vi_5_plans", tmp_path)
            _tab(page, "tab_staffing")  # the reopened plan is on show
            staffing.locator(".planner-results img.planner-map").first.wait_for(state="visible", timeout=30_000)

            # every tab in English
            page.locator(".planner-language select").select_option(label="English")
            page.get_by_text(ui_text("tab_data", "en")).first.wait_for(timeout=60_000)
            _tab(page, "tab_staffing", "en")  # the plan on show is carried over into the English tabs
            staffing.locator(".planner-results img.planner-map").first.wait_for(state="visible", timeout=120_000)
            page.locator(".planner-comparison img").first.wait_for(state="attached", timeout=120_000)
            for number, key in enumerate(("tab_data", "tab_settings", "tab_staffing", "tab_assets", "tab_scenarios"), 1):
                _tab(page, key, "en")
                _shoot(page, f"en_{number}_{key.removeprefix('tab_')}", tmp_path)
            assert "Lạng Sơn" in page.locator(".planner-title").inner_text()
        finally:
            browser.close()
    assert screenshot.stat().st_size > 50_000
    shutil.copy(screenshot, KEPT_SCREENSHOT)
