"""The dashboard in a real browser: start ``zgcsim dashboard``, drive headless Chromium as a planner would.

Needs Debian's ``chromium`` (installed by .ci/run and the README's setup) and the Playwright package (dev extra);
Playwright drives the system Chromium and never downloads a browser of its own.
"""

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from zgcsim.cli import main
from zgcsim.dashboard.ensemble import QUICK_PARAMETERS
from zgcsim.running import runs as runner
from zgcsim.running.results_folder import build_manifest, write_results

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # the suite runs as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RUN_TIMEOUT_MS = 180_000  # a quick 2-replicate run of two scenarios takes seconds; allow for a busy machine

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard exited with {server.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"the dashboard did not answer at {url} within {seconds} s:\n{log.read_text()}")


@pytest.fixture
def dashboard(tmp_path):
    """A results folder, a dashboard serving it on a free localhost port, and its results root."""
    scenarios = [runner.resolve_scenario("no_new_policy"), runner.resolve_scenario("action_plan")]
    table, inputs, parks = runner.run_many(scenarios, 2, 9, parameter_values=dict(QUICK_PARAMETERS), progress=False)
    folder = tmp_path / "main"
    write_results(
        folder, table, inputs, build_manifest(scenarios, 2, 9, {}, {"parameter_values": QUICK_PARAMETERS}), parks
    )
    root, port, log = tmp_path / "dashboard_root", _free_port(), tmp_path / "server.log"
    command = [sys.executable, "-m", "zgcsim.cli", "dashboard", str(folder), "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen([*command, "--results-root", str(root)], stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for_http(url, server, log)
        yield url, root, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _pick(page, select_class: str, option: str) -> None:
    """Open a Vuetify select and click one of its options."""
    page.locator(f".{select_class}").click()
    page.locator(".menuable__content__active .v-list-item", has_text=option).first.click()
    page.keyboard.press("Escape")


def _data_columns(page) -> int:
    return page.locator("#attainment-table thead th").count() - 3  # '#', indicator, target


def test_planner_compares_edits_runs_and_downloads_in_a_real_browser(dashboard, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' brings Playwright")
    assert CHROMIUM.exists(), "install Debian's chromium (see .ci/run) to run the browser test"
    url, root, log = dashboard
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1500, "height": 2400},  # tall, so a screenshot shows the whole page
            accept_downloads=True,
        )
        page = context.new_page()
        try:
            page.goto(url)
            page.locator("#attainment-table").wait_for(timeout=60_000)
            assert _data_columns(page) == 2  # the results folder's two scenarios
            assert page.locator("#attainment-table tbody tr").count() == 16

            # Pick two library scenarios and run a small quick ensemble; the table gains their columns.
            page.locator(".zgc-replicates input").fill("2")
            page.keyboard.press("Tab")
            page.get_by_text("Quick test: only 3 000 firms").click()
            _pick(page, "zgc-library", "no_new_policy")
            assert "action_plan" in page.locator(".zgc-library").inner_text()
            page.locator(".zgc-run-library").click()
            page.locator(".zgc-message-success").wait_for(timeout=RUN_TIMEOUT_MS)
            assert _data_columns(page) == 4  # the folder's two and the page run's two
            assert "page run 1" in page.locator("#attainment-table thead").inner_text()

            # A lever value outside its bounds is refused in the page; a valid one is taken.
            lever = page.locator(".zgc-lever-tto_funded input")
            lever.fill("999")  # no Enter: the page checks as the planner types
            page.get_by_text("999 is outside the bounds [0, 250] offices").first.wait_for(timeout=10_000)
            assert page.locator(".zgc-run-edit").is_disabled()
            lever.fill("120")
            page.locator(".zgc-fix-inputs").wait_for(state="detached", timeout=10_000)

            # The edited scenario downloads as a TOML file that validates on its own.
            with page.expect_download() as download:
                page.get_by_text("Download scenario file (TOML)").click()
            toml_path = tmp_path / "downloads" / download.value.suggested_filename
            download.value.save_as(toml_path)
            assert main(["validate", str(toml_path)]) == 0

            # Run the edit paired with its parent: the paired-effect table appears.
            page.locator(".zgc-run-edit").click()
            page.locator("#effect-action_plan_edited").wait_for(timeout=RUN_TIMEOUT_MS)
            assert page.locator("#effect-action_plan_edited tbody tr").count() == 16
            assert "action_plan_edited" in page.locator("#attainment-table thead").inner_text()

            # The chart downloads as a PNG.
            with page.expect_download() as download:
                # the fan chart's button (the park card below has one of its own)
                page.get_by_text("Download chart (PNG)").first.click()
            png_path = tmp_path / "downloads" / "fan.png"
            download.value.save_as(png_path)
            assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

            # Chinese.
            page.locator(".zgc-lang").get_by_text("中文").click()
            page.get_by_text("2022 年目标实现概率").wait_for(timeout=10_000)
            page.screenshot(path=str(tmp_path / "dashboard_zh.png"), full_page=True)
            page.locator(".zgc-lang").get_by_text("English").click()

            # A run that fails (its folder has become a file) shows its error; the page stays usable.
            shutil.rmtree(root)
            root.write_text("not a folder any more")
            page.locator(".zgc-run-library").click()
            page.locator(".zgc-message-error").wait_for(timeout=RUN_TIMEOUT_MS)
            assert "The run failed" in page.locator(".zgc-message-error").inner_text()
            root.unlink()
            page.locator(".zgc-run-library").click()
            page.locator(".zgc-message-success").wait_for(timeout=RUN_TIMEOUT_MS)
            assert "page run 4" in page.locator("#attainment-table thead").inner_text()
            page.screenshot(path=str(tmp_path / "dashboard_en.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(tmp_path / "dashboard_failure.png"), full_page=True)
            print(log.read_text())
            raise
        finally:
            context.close()
    # Every file the page wrote is in its session folder under the results root.
    written = [p for p in root.rglob("*") if p.is_file()]
    assert written and all(p.relative_to(root).parts[0].startswith("session-") for p in written)


def test_live_what_if_fills_in_the_paired_table_and_fan_chart_in_a_real_browser(dashboard, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' brings Playwright")
    assert CHROMIUM.exists(), "install Debian's chromium (see .ci/run) to run the browser test"
    url, root, log = dashboard
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1500, "height": 2400},
        )
        page = context.new_page()
        try:
            page.goto(url)
            page.locator(".zgc-live-switch").wait_for(timeout=60_000)
            page.get_by_text("Quick test: only 3 000 firms").click()
            # Switching the live what-if on runs the parent's 100 replicates once and caches them.
            page.locator(".zgc-live-switch").get_by_text("Live what-if").click()
            page.locator(".zgc-live-parent-100.zgc-live-done").wait_for(timeout=RUN_TIMEOUT_MS * 3)
            assert page.locator("#live-table tbody tr").count() == 16
            # A lever change runs only the edited scenario; the table fills in to 100 pairs, with the fan chart.
            page.locator(".zgc-lever-tto_funded input").fill("150")
            page.locator(".zgc-live-pairs-100.zgc-live-done").wait_for(timeout=RUN_TIMEOUT_MS * 3)
            page.locator(".zgc-live-fan-pairs-100").wait_for(timeout=60_000)
            head = " ".join(page.locator("#live-table thead").inner_text().split())  # headers break at ' · '
            assert "Edited 100 paired runs" in head and "Parent 100 runs" in head
            assert page.locator("#live-table tbody tr").count() == 16
        except Exception:
            page.screenshot(path=str(tmp_path / "dashboard_live_failure.png"), full_page=True)
            print(log.read_text())
            raise
        finally:
            context.close()
    text = log.read_text()
    assert "live job" in text and "(1 of 2 ensembles cached)" in text  # the parent came from the cache
    # The page wrote only into its session folder and the shared cache (files named by their key's digest).
    written = [p.relative_to(root) for p in root.rglob("*") if p.is_file()]
    assert {p.parts[0].split("-")[0] for p in written} == {"session", "live"}
    cached = [p for p in written if p.parts[0] == "live-cache"]
    assert len(cached) == 4 and all(len(p.name.split(".")[0]) == 64 for p in cached)
