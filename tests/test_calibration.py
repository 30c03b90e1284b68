"""Calibration: targets respect the data's basis, nothing after 2017 is used, runs resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from zgcsim.calibration.moments import load_moments
from zgcsim.calibration.use import load_calibration
from zgcsim.runner import run_replicate

ARGS = ["--small", "--budget", "8", "--replicates", "1", "--workers", "1", "--seed", "5", "--quiet"]


def _calibrate(out, wait_for_kill=False):
    cmd = [sys.executable, "-m", "zgcsim.cli", "calibrate", *ARGS, "--out", str(out)]
    if not wait_for_kill:
        subprocess.run(cmd, check=True, capture_output=True, timeout=300)
        return
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = out / "checkpoint.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if checkpoint.exists() and len(checkpoint.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "calibration.json").exists(), "the kill came too late to test a resume"


def test_moments_respect_basis_scope_and_period():
    moments = load_moments()
    assert moments, "no calibration targets"
    assert all(2014 <= m.year <= 2017 for m in moments)  # 2013 is the starting point; nothing after 2017
    keys = {m.key for m in moments}
    assert "total_revenue@2014-FY" in keys and "invention_patents_held@2016-Jul" in keys
    assert not any("rd_intensity@2017" in k for k in keys)  # 2017 intensities are partial-year BMSB figures
    bounds = [m for m in moments if m.basis == "lower_bound"]
    assert bounds and all(m.one_sided for m in bounds)
    revenue_2014 = next(m for m in moments if m.key == "total_revenue@2014-FY")
    assert revenue_2014.distance(40000) == 0 and revenue_2014.distance(30000) > 0
    july = next(m for m in moments if m.key == "invention_patents_held@2016-Jul")
    assert july.quarter == 2


@pytest.mark.slow
def test_killed_calibration_resumes_to_the_same_result(tmp_path):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    _calibrate(whole)
    _calibrate(resumed, wait_for_kill=True)
    _calibrate(resumed)
    a = json.loads((whole / "calibration.json").read_text())
    b = json.loads((resumed / "calibration.json").read_text())
    assert a["id"] == b["id"]
    assert a["best"] == b["best"]
    assert a["ensemble"] == b["ensemble"]
    assert len((resumed / "checkpoint.jsonl").read_text().splitlines()) == len(
        (whole / "checkpoint.jsonl").read_text().splitlines()
    )
    for name in ["fit.csv", "fit.png", "fit_report.md"]:
        assert (resumed / name).stat().st_size > 0
    facts = a["stylised_facts"]
    assert {f["fact"].split(" (")[0] for f in facts} >= {"Fat-tailed yearly growth rates"}

    # a run takes its replicate's parameter set from the ensemble, the same in every scenario
    cal = load_calibration(whole / "calibration.json")
    values = cal.values_for(3, 0)
    assert values in [dict(m) for m in cal.members]
    assert values == cal.values_for(3, 0)
    table, _ = run_replicate(
        __import__("zgcsim.runner", fromlist=["resolve_scenario"]).resolve_scenario("no_new_policy"),
        3,
        0,
        {"n_firms_2017": 2000},
        cal,
    )
    assert set(table["year"]) == set(range(2017, 2023))
