"""Calibration: targets respect the data's basis, nothing after 2017 is used, runs resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from zgcsim.calibration.moments import load_moments
from zgcsim.inputs.calibration_file import load_calibration
from zgcsim.running.runs import run_replicate

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
    table, _, _ = run_replicate(
        __import__("zgcsim.inputs.scenario", fromlist=["resolve_scenario"]).resolve_scenario("no_new_policy"),
        3,
        0,
        {"n_firms_2017": 2000},
        cal,
    )
    assert set(table["year"]) == set(range(2017, 2023))


def _quadratic_loss(centre):
    """A cheap stand-in for the spin-up: squared distance from ``centre`` in units of each parameter's range."""
    from zgcsim.calibration.search import bounds

    low, high = np.array(bounds()).T

    def evaluate(points):
        return list((((np.atleast_2d(points) - centre) / (high - low)) ** 2).sum(axis=1) * 100)

    return evaluate


def test_posterior_sampler_recovers_a_known_posterior():
    """With loss = 100 sum(((x - c) / width)^2), prior x exp(-loss / 2) is normal around c with s.d. width / 10."""
    from zgcsim.calibration.search import Settings, bounds, sample_posterior, walkers

    low, high = np.array(bounds()).T
    width = high - low
    centre = low + 0.4 * width
    rng = np.random.default_rng(0)
    start = centre + 0.05 * width * rng.standard_normal((walkers(), len(low)))
    settings = Settings(seed=11, replicates=1, optimiser_evaluations=0, sampler_steps=600)
    posterior = sample_posterior(_quadratic_loss(centre), start, settings)
    assert np.all((posterior.particles >= low) & (posterior.particles <= high))
    scaled = (posterior.particles - centre) / width
    assert np.all(np.abs(scaled.mean(axis=0)) < 0.03)  # centred on c
    assert np.all((scaled.std(axis=0) > 0.07) & (scaled.std(axis=0) < 0.13))  # s.d. about width / 10
    assert 0.1 < posterior.acceptance < 0.6


def test_posterior_sampler_replays_exactly_from_the_same_settings():
    from zgcsim.calibration.search import Settings, bounds, sample_posterior, walkers

    low, high = np.array(bounds()).T
    centre = low + 0.6 * (high - low)
    start = centre + 0.01 * (high - low) * np.random.default_rng(1).standard_normal((walkers(), len(low)))
    settings = Settings(seed=3, replicates=1, optimiser_evaluations=0, sampler_steps=20)
    a = sample_posterior(_quadratic_loss(centre), start, settings)
    b = sample_posterior(_quadratic_loss(centre), start, settings)
    np.testing.assert_array_equal(a.particles, b.particles)


def test_walkers_start_at_the_optimisers_best_distinct_points():
    from zgcsim.calibration.search import starting_walkers, walkers

    points = [(float(i), 0.0) for i in range(3 * walkers())]
    losses = [float(-i) for i in range(3 * walkers())]  # the last points are the best
    points.append(points[-1])  # a repeated point is taken once
    losses.append(losses[-1])
    start = starting_walkers(points, losses)
    assert len(start) == walkers()
    assert start[0][0] == 3 * walkers() - 1
    assert len({tuple(x) for x in start}) == walkers()


def test_weighted_quantiles_follow_the_weights():
    from zgcsim.calibration.report import weighted_quantiles

    values = np.array([1.0, 2.0, 3.0, 4.0])
    assert list(weighted_quantiles(values, np.ones(4), [0.25, 0.5, 1.0])) == [1.0, 2.0, 4.0]
    # nearly all the weight on 4: every quantile above 1 % is 4
    assert list(weighted_quantiles(values, np.array([0.001, 0.001, 0.001, 0.997]), [0.05, 0.5])) == [4.0, 4.0]


def test_burn_in_thinning_and_the_rejection_floor_on_known_answers():
    from zgcsim.calibration.search import burn_and_thin, rejection_floor

    assert rejection_floor(0.5) == pytest.approx(3.0)  # (2 - a) / a
    assert rejection_floor(0.06) == pytest.approx(1.94 / 0.06)
    assert burn_and_thin(10.0, 400) == (25, 5)  # 2.5 tau burn-in, thinned by tau / 2
    assert burn_and_thin(100.0, 122) == (61, 30)  # burn-in at most half the chain
    assert burn_and_thin(float("nan"), 122) == (61, 1)  # tau unknown: half the chain, no thinning


def test_the_posterior_reports_tau_and_effective_sample_size():
    from zgcsim.calibration.search import Settings, bounds, sample_posterior, walkers

    low, high = np.array(bounds()).T
    centre = low + 0.5 * (high - low)
    start = centre + 0.02 * (high - low) * np.random.default_rng(2).standard_normal((walkers(), len(low)))
    posterior = sample_posterior(
        _quadratic_loss(centre), start, Settings(seed=4, replicates=1, optimiser_evaluations=0, sampler_steps=120)
    )
    assert len(posterior.taus) == len(low) and np.isfinite(posterior.taus).all()
    assert (posterior.taus >= (2 - posterior.acceptance) / posterior.acceptance - 1e-9).all()
    ess = posterior.effective_sample_size(walkers())
    assert ess == pytest.approx(walkers() * (120 - posterior.burn_in) / posterior.taus)
    kept = len(range(posterior.burn_in + posterior.thin - 1, 120, posterior.thin))  # emcee keeps each thin-th
    assert len(posterior.particles) == walkers() * kept


def test_replicates_draw_ensemble_members_by_their_weights(tmp_path):
    """A calibration's weights decide how often each parameter set is used, the same in every scenario."""
    record = {
        "id": "weights",
        "data_sha256": "-",
        "ensemble": [{"values": {"a": 1.0}, "weight": 9.0}, {"values": {"a": 2.0}, "weight": 1.0}],
    }
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    cal = load_calibration(path)
    assert cal.weights == pytest.approx((0.9, 0.1))
    draws = np.array([cal.values_for(7, r)["a"] for r in range(2000)])
    assert 0.87 < np.mean(draws == 1.0) < 0.93  # 0.9, binomial s.d. 0.007
    assert [cal.values_for(7, r) for r in range(5)] == [cal.values_for(7, r) for r in range(5)]


def test_a_checkpoint_of_another_model_version_is_not_reused(monkeypatch):
    from zgcsim.calibration.search import Settings
    from zgcsim.experiments import store

    settings, moments = Settings(seed=1, replicates=3, optimiser_evaluations=10, sampler_steps=4), load_moments()
    before = settings.fingerprint(moments)
    assert settings.fingerprint(moments) == before  # the same code: a killed calibration resumes
    monkeypatch.setattr(store, "code_version", lambda: "an edited model")
    assert settings.fingerprint(moments) != before  # an edited model starts afresh
