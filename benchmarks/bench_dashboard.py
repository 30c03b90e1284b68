"""Benchmark the live what-if in a real browser: change one lever, wait for 100 paired full-scale replicates.

Starts ``zgcsim dashboard`` on a free localhost port and drives it with Playwright and Debian's Chromium, as
tests/test_dashboard_browser.py does. It loads the page, turns the live what-if on and waits while the parent's
100 runs are made and cached (timed separately: it includes starting and warming the process pool), then changes
one lever and times until the page shows all 100 pairs in the table and the fan chart. It prints the load, the
server's log line for each live job (where the time went) and, last, ``what_if_seconds=<float>``.

Run: python benchmarks/bench_dashboard.py [--lever tto_funded --value 150] [--quick]
Needs the dev extra (Playwright) and Debian's chromium.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARENT_TIMEOUT_MS = 900_000  # 100 full-scale runs of the parent on a busy 2-core machine
WHAT_IF_TIMEOUT_MS = 600_000
# Records, in the page, when the live progress line changes (a MutationObserver costs the browser next to nothing,
# where polling from here would compete with the model for the two cores).
WATCH_JS = """
() => {
  window.zgcLive = [];
  const note = () => {
    const el = document.querySelector('.zgc-live-progress');
    const text = el ? el.textContent : '';
    const last = window.zgcLive[window.zgcLive.length - 1];
    if (!last || last[1] !== text) window.zgcLive.push([Date.now() / 1000, text]);
  };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
  note();
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_http(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the dashboard exited with {server.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    sys.exit(f"the dashboard did not answer at {url} within {seconds} s")


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    """Run the benchmark and print its figures; the last line is ``what_if_seconds=<float>``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lever", default="tto_funded", help="the lever changed (default %(default)s)")
    parser.add_argument("--value", default="150", help="its new value (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help="3 000 firms instead of full scale (a quick check)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        sys.exit("install Debian's chromium (see .ci/run)")
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        tmp_path = Path(tmp)
        port, log = _free_port(), tmp_path / "server.log"
        command = [sys.executable, "-m", "zgcsim.cli", "dashboard", "--port", str(port)]
        command += ["--results-root", str(tmp_path / "root")]
        with log.open("w") as out:
            server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            _wait_for_http(url, server)
            print(f"load before: {_load()}", flush=True)
            with sync_playwright() as p:
                context = p.chromium.launch_persistent_context(
                    str(tmp_path / "chromium-profile"),
                    executable_path=str(CHROMIUM),
                    headless=True,
                    args=CHROMIUM_FLAGS,
                    viewport={"width": 1500, "height": 2400},
                )
                page = context.new_page()
                try:
                    began = time.monotonic()
                    page.goto(url)
                    page.locator(".zgc-live-switch").wait_for(timeout=120_000)
                    print(f"page_load_seconds={time.monotonic() - began:.2f}", flush=True)
                    if args.quick:
                        page.get_by_text("Quick test: only 3 000 firms").click()
                    began = time.monotonic()
                    page.locator(".zgc-live-switch").get_by_text("Live what-if").click()
                    page.locator(".zgc-live-parent-100.zgc-live-done").wait_for(timeout=PARENT_TIMEOUT_MS)
                    page.locator(".zgc-live-fan-parent-100").wait_for(timeout=60_000)
                    print(
                        f"parent_seconds={time.monotonic() - began:.2f} (pool start and warm-up, 100 parent runs, "
                        "cached; not part of what_if_seconds)",
                        flush=True,
                    )
                    time.sleep(2)  # let the page settle
                    print(f"load at change: {_load()}", flush=True)
                    page.evaluate(WATCH_JS)
                    lever = page.locator(f".zgc-lever-{args.lever} input")
                    changed_at = time.time()
                    began = time.monotonic()
                    lever.fill(args.value)
                    page.locator(".zgc-live-pairs-100.zgc-live-done").wait_for(timeout=WHAT_IF_TIMEOUT_MS)
                    table_seconds = time.monotonic() - began
                    page.locator(".zgc-live-fan-pairs-100").wait_for(timeout=60_000)
                    what_if = time.monotonic() - began
                    rows = page.locator("#live-table tbody tr").count()
                    timeline = page.evaluate("window.zgcLive")
                    page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
                except Exception:
                    page.screenshot(path="bench_dashboard_failure.png", full_page=True)
                    print(log.read_text()[-5000:], file=sys.stderr)
                    raise
                finally:
                    context.close()
            print(f"load after: {_load()}")
            print(f"table rows: {rows}; table with 100 pairs after {table_seconds:.2f} s")
            print("progress line in the browser (seconds after the change):")
            for stamp, text in timeline:
                print(f"  {stamp - changed_at:6.2f}  {text}")
            print(f"server log (wall-clock stamps; change made at {changed_at:.3f}):")
            lines = [line for line in log.read_text().splitlines() if "live job" in line]
            for line in lines:
                print(f"  {line}")
            tail = lines[-1].split("per run)", 1)[1]
            stamps = {k.strip(): float(v) for k, v in re.findall(r"([a-z ]+) at ([\d.]+)", tail)}
            runs_line = re.search(r"(\d+) runs .* model ([\d.]+) s in workers \(([\d.]+) s per run", lines[-1])
            shown = [s for s, text in timeline if text.startswith("100 of 100")]
            print("breakdown of what_if_seconds (from the change):")
            marks = [
                ("page event -> live task started (Solara re-render, effect)", "task started"),
                ("task started -> runs submitted (pool check, scenario file, cache key)", "submitted"),
                ("runs submitted -> first result", "first"),
                ("first result -> last result (model runs on the pool)", "last"),
                ("last result -> table set in the session (snapshot, table)", "shown"),
            ]
            previous = changed_at
            for label, key in marks:
                if key in stamps:
                    print(f"  {label:<72} {stamps[key] - previous:6.2f}")
                    previous = stamps[key]
            if shown:
                print(f"  {'table set -> browser shows 100 of 100 paired runs':<72} {shown[0] - previous:6.2f}")
            print(f"  {'-> fan chart of 100 pairs shown (total)':<72} {what_if:6.2f}")
            if runs_line:
                runs, model = int(runs_line.group(1)), float(runs_line.group(2))
                print(
                    f"  model: {runs} runs, {model:.1f} s in workers ({float(runs_line.group(3)):.3f} s per run), "
                    f"{model / 2:.1f} s on 2 cores if perfectly shared"
                )
            print(f"cores: {os.cpu_count()}; model scale: {'3 000 firms (quick)' if args.quick else 'full'}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"what_if_seconds={what_if:.2f}")


if __name__ == "__main__":
    main()
