"""Hindcasts: the naive trend and the scores on known answers, nothing read after the origin, the discrepancy."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zgcsim.calibration import moments as moments_module
from zgcsim.calibration.discrepancy import GROUPS, TERMS, build_record, coefficients, estimate
from zgcsim.calibration.hindcast import CSV_COLUMNS, held_out, origin_moments
from zgcsim.calibration.naive import (
    NAIVE_LOG_SD,
    Z90,
    full_year_record,
    naive_trend,
    random_walk_drift,
    yearly_values,
)
from zgcsim.calibration.scores import (
    covered,
    crps_fair,
    crps_normal,
    interval_score,
    pit_values,
    relative_interval_score,
    skill,
)
from zgcsim.inputs.discrepancy_file import draw_paths, load_discrepancy, parse
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.running.runs import run_replicate

CHECKER = Path("/work/shared/tools/check_hindcast.py")


# --- the naive trend and the random walk with drift -----------------------------------------------------------


def test_naive_trend_follows_the_log_linear_slope_from_the_last_figure():
    band = naive_trend({2013: 100.0, 2015: 121.0}, 2017)  # slope log(1.1) a year; two years past 2015
    assert band.p50 == pytest.approx(121.0 * 1.1**2)
    half = 1.645 * 0.05 * math.sqrt(2)
    assert band.p05 == pytest.approx(121.0 * 1.21 * math.exp(-half), rel=1e-4)
    assert band.p95 == pytest.approx(121.0 * 1.21 * math.exp(half), rel=1e-4)


def test_naive_trend_draws_from_the_last_value_not_the_fitted_line():
    band = naive_trend({2013: 100.0, 2014: 130.0, 2015: 121.0}, 2016)
    slope = np.polyfit([2013, 2014, 2015], np.log([100.0, 130.0, 121.0]), 1)[0]
    assert band.p50 == pytest.approx(121.0 * math.exp(slope))


def test_naive_trend_with_one_figure_is_flat_and_with_none_is_absent():
    band = naive_trend({2013: 50.0}, 2016)
    assert band.p50 == pytest.approx(50.0)
    assert math.log(band.p95 / band.p50) == pytest.approx(Z90 * NAIVE_LOG_SD * math.sqrt(3))
    assert naive_trend({}, 2016) is None


def test_naive_trend_on_the_zones_revenue_record():
    # origin 2016: sourced 2013 (30 497.4) and 2016 (46 000); 2014-2015 are lower bounds and are left out
    values = yearly_values("total_revenue", 2016)
    assert values == {2013: 30497.4, 2016: 46000.0}
    band = naive_trend(values, 2017)
    assert band.p50 == pytest.approx(46000.0 * (46000.0 / 30497.4) ** (1 / 3))


def test_two_figures_for_one_year_are_averaged_as_the_project_scorer_does():
    values = yearly_values("employees", 2016)
    assert values[2016] == pytest.approx((2479000 + 2480000) / 2)


def test_random_walk_with_drift_on_known_answers():
    values = {2013: 100.0, 2014: 110.0, 2015: 121.0, 2016: 133.1}  # a constant 10 % a year: zero step s.d.
    band = random_walk_drift(values, 2018)
    assert band.p50 == pytest.approx(133.1 * 1.21)
    assert band.p95 == pytest.approx(band.p50)
    two = random_walk_drift({2013: 100.0, 2015: 121.0}, 2016)  # too few for a step s.d.: 0.05
    assert math.log(two.p95 / two.p50) == pytest.approx(Z90 * 0.05)


# --- scores -----------------------------------------------------------------------------------------------------


def test_interval_score_on_known_answers():
    lo, hi = np.array([1.0, 1.0, 1.0]), np.array([2.0, 2.0, 2.0])
    y = np.array([1.5, 3.0, 0.5])
    # inside: the width; above by 1 at alpha 0.1: 1 + 20 x 1; below by 0.5: 1 + 20 x 0.5
    assert interval_score(lo, hi, y, 0.1) == pytest.approx([1.0, 21.0, 11.0])
    assert interval_score(lo, hi, y, 0.5) == pytest.approx([1.0, 5.0, 3.0])
    assert relative_interval_score(lo, hi, y, 0.1) == pytest.approx([1.0 / 1.5, 7.0, 22.0])


def test_fair_crps_on_known_answers():
    # members {0, 1, 2}, outcome 0: mean |x - y| = 1; pair sum 8 over 2 x M(M - 1) = 12 -> 1 - 8/12
    assert crps_fair(np.array([[0.0, 1.0, 2.0]]), np.array([0.0])) == pytest.approx([1.0 / 3.0])
    # a two-member ensemble straddling the outcome symmetrically scores 0 under the fair estimator
    assert crps_fair(np.array([[0.0, 1.0]]), np.array([0.5])) == pytest.approx([0.0])


def test_normal_crps_on_a_known_answer():
    # CRPS(N(0, 1), 0) = 2 phi(0) - 1/sqrt(pi)
    assert crps_normal(np.array([0.0]), np.array([0.0]), np.array([1.0])) == pytest.approx(
        [2 / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi)]
    )


def test_coverage_pit_and_skill():
    assert covered(np.array([1, 1]), np.array([2, 2]), np.array([2, 3])).tolist() == [True, False]
    pit = pit_values(np.arange(10.0)[None, :], np.array([4.5]), np.random.default_rng(0))
    assert pit == pytest.approx([5.5 / 11])
    assert skill(np.array([1.0, 1.0]), np.array([2.0, 2.0])) == pytest.approx(0.5)


# --- nothing after the origin ---------------------------------------------------------------------------------


def test_an_origins_calibration_sees_no_observation_after_it():
    for origin in (2014, 2015, 2016):
        moments = origin_moments(origin)
        assert moments and max(m.year for m in moments) == origin
    assert {m.key for m in origin_moments(2015)} < {m.key for m in origin_moments(2016)}


def test_the_naive_trend_reads_nothing_after_the_origin():
    record = full_year_record()
    perturbed = tuple(type(o)(o.series, o.year, o.value * (3.0 if o.year > 2015 else 1.0), o.basis) for o in record)
    for series in ("total_revenue", "international_standards", "invention_applications"):
        assert yearly_values(series, 2015, record) == yearly_values(series, 2015, perturbed)


def test_held_out_points_lie_after_the_origin_and_are_full_year_sourced_or_derived():
    points = held_out(2015)
    assert points and all(2015 < p.year <= 2017 and p.basis in ("sourced", "derived") for p in points)
    employees = [p for p in points if p.series == "employees" and p.year == 2016]
    assert len(employees) == 1 and employees[0].basis == "sourced"  # the sourced figure over the derived one


def _perturbed_csv(origin: int) -> str:
    """The packaged observations with every figure after ``origin`` doubled."""
    lines = moments_module.resources.files("zgcsim").joinpath("data/zgc_observed_to_2017.csv").read_text("utf-8")
    frame = pd.read_csv(__import__("io").StringIO(lines), dtype=str, keep_default_na=False)
    after = frame["year"].astype(int) > origin
    frame.loc[after, "value"] = (frame.loc[after, "value"].astype(float) * 2).map(str)
    return frame.to_csv(index=False)


class _FakeResources:
    def __init__(self, text: str) -> None:
        self.text = text

    def files(self, _package):
        return self

    def joinpath(self, _name):
        return self

    def read_text(self, encoding="utf-8"):
        return self.text


@pytest.mark.slow
def test_an_origins_fit_is_unchanged_when_observations_after_it_change(tmp_path, monkeypatch):
    from zgcsim.calibration.run import calibrate

    settings = {"budget": 8, "replicates": 1, "seed": 5, "small": True, "progress": False, "last_year": 2015}
    plain = calibrate(tmp_path / "plain", **settings)
    monkeypatch.setattr(moments_module, "resources", _FakeResources(_perturbed_csv(2015)))
    assert any(
        m.observed != n.observed for m, n in zip(moments_module.load_moments(), load_moments_unpatched(), strict=False)
    )
    perturbed = calibrate(tmp_path / "perturbed", **settings)
    assert plain["best"] == perturbed["best"]
    assert [m["values"] for m in plain["ensemble"]] == [m["values"] for m in perturbed["ensemble"]]


def load_moments_unpatched():
    """The moments from the real file (the module's resources may be patched)."""
    import importlib.resources

    saved = moments_module.resources
    moments_module.resources = importlib.resources
    try:
        return moments_module.load_moments()
    finally:
        moments_module.resources = saved


# --- discrepancy ------------------------------------------------------------------------------------------------


def test_discrepancy_estimator_recovers_a_known_random_walk_variance():
    rng = np.random.default_rng(1)
    n = 3000
    horizon = rng.integers(1, 4, n)
    spread = rng.uniform(0.0, 0.05, n) ** 2
    series = rng.choice(["total_revenue", "invention_grants"], n)
    sigma = np.where(series == "total_revenue", 0.08, 0.2)
    resid = rng.normal(0.0, np.sqrt(spread + horizon * sigma**2))
    res = pd.DataFrame(
        {
            "origin": 2015,
            "series": series,
            "year": 2015 + horizon,
            "horizon": horizon,
            "residual": resid,
            "spread_var": spread,
        }
    )
    groups = estimate(res)
    assert groups["output"]["sigma"] == pytest.approx(0.08, abs=0.01)
    assert groups["patents"]["sigma"] == pytest.approx(0.2, abs=0.02)
    assert groups["standards"]["pooled"] and groups["standards"]["points"] == 0


def test_residuals_the_spread_already_explains_give_no_discrepancy():
    res = pd.DataFrame(
        {
            "origin": 2015,
            "series": "total_revenue",
            "year": 2016,
            "horizon": 1,
            "residual": [0.01, -0.01, 0.0],
            "spread_var": 0.05**2,
        }
    )
    assert estimate(res)["output"]["sigma"] == pytest.approx(0.0, abs=1e-3)


def test_ratio_indicators_combine_numerator_and_denominator():
    assert coefficients("rd_intensity") == {"output": 2.0}
    assert coefficients("revenue_per_employee") == {"output": 1.0, "headcount": 1.0}
    paths = draw_paths(
        {"total_revenue": 0.1, "employees": 0.2},
        {
            "total_revenue": (("total_revenue", 1.0),),
            "employees": (("employees", 1.0),),
            "revenue_per_employee": (("total_revenue", 1.0), ("employees", -1.0)),
        },
        np.random.default_rng(3),
        [2017, 2018, 2019],
        2017,
    )
    assert paths["total_revenue"][0] == 0.0 and paths["employees"][0] == 0.0
    assert paths["revenue_per_employee"] == pytest.approx(paths["total_revenue"] - paths["employees"])


def test_discrepancy_paths_are_random_walks_whose_variance_grows_with_the_horizon():
    rng = np.random.default_rng(4)
    draws = np.array(
        [draw_paths({"x": 0.1}, {"x": (("x", 1.0),)}, rng, range(2017, 2023), 2017)["x"] for _ in range(4000)]
    )
    assert draws[:, 0] == pytest.approx(0.0)
    assert draws.var(axis=0)[1:] == pytest.approx(0.01 * np.arange(1, 6), rel=0.1)


def _record(sigma: float) -> dict:
    res = pd.DataFrame(columns=["origin", "series", "year", "horizon", "residual", "spread_var"])
    record = build_record(res, [2015], {"test": True}, "test")
    for b in record["base_series"].values():
        b["sigma"] = sigma
    return record


def test_every_target_has_a_stated_discrepancy_rule():
    from zgcsim.calibration.discrepancy import NOT_COVERED
    from zgcsim.inputs.targets import load_targets

    for t in load_targets():
        assert (t.key in TERMS) != (t.key in NOT_COVERED), t.key
    assert set(GROUPS) <= set(TERMS)


def test_run_applies_the_discrepancy_to_value_and_keeps_model_value(tmp_path):
    path = tmp_path / "discrepancy.json"
    path.write_text(json.dumps(_record(0.1)))
    disc = load_discrepancy(path)
    runs = {}
    for name in ("no_new_policy", "action_plan"):
        with_d, _, _ = run_replicate(resolve_scenario(name), 11, 0, {"n_firms_2013": 2500.0}, None, disc)
        without, _, _ = run_replicate(resolve_scenario(name), 11, 0, {"n_firms_2013": 2500.0}, None, None)
        assert (without["value"] == without["model_value"]).all()
        assert with_d["model_value"].tolist() == without["model_value"].tolist()  # the simulator is untouched
        runs[name] = with_d
    t = runs["no_new_policy"].set_index(["indicator", "year"])
    ratio = np.log(t["value"] / t["model_value"])
    assert ratio.xs(2017, level="year").abs().max() == 0.0  # 2017 is the observed baseline
    assert ratio.xs("total_revenue").iloc[1:].abs().min() > 0
    assert ratio.xs("tech_transfer_offices").abs().max() == 0.0  # not covered: the simulator's value
    other = runs["action_plan"].set_index(["indicator", "year"])
    # the same replicate gets the same discrepancy path in every scenario (paired differences)
    # (on the series with a non-zero value in both runs: a cost relative to the 2017 rules is 0 in no_new_policy)
    both = (t["model_value"] != 0) & (other["model_value"] != 0)
    paired = np.log(other["value"] / other["model_value"])[both].to_numpy()
    assert paired == pytest.approx(ratio[both].to_numpy())


def test_a_malformed_discrepancy_file_is_refused(tmp_path):
    from zgcsim.errors import UserInputError

    bad = _record(0.1)
    bad["indicators"]["total_revenue"]["terms"] = {"nonexistent": 1.0}
    with pytest.raises(ValueError):
        parse(bad)
    path = tmp_path / "d.json"
    path.write_text("{}")
    with pytest.raises(UserInputError):
        load_discrepancy(path)


# --- the command ------------------------------------------------------------------------------------------------


def test_hindcast_refuses_bad_input_in_one_line():
    for args in (["--origins", "2019"], ["--budget", "2"], ["--runs", "1"]):
        out = subprocess.run(
            [sys.executable, "-m", "zgcsim.cli", "hindcast", *args, "--no-progress"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_hindcast_writes_its_outputs_and_agrees_with_the_project_scorer(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "zgcsim.cli",
        "hindcast",
        "--small",
        "--budget",
        "8",
        "--replicates",
        "1",
        "--runs",
        "4",
        "--draws",
        "2",
        "--origins",
        "2016",
        "--workers",
        "1",
        "--no-progress",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    table = pd.read_csv(tmp_path / "hindcast.csv")
    assert list(table.columns) == CSV_COLUMNS
    assert (table["year"] > table["origin"]).all() and len(table) == len(held_out(2016))
    assert (table["p05"] <= table["p25"]).all() and (table["p75"] <= table["p95"]).all()
    disc = load_discrepancy(tmp_path / "discrepancy.json")
    assert disc.sigma_of("total_revenue") >= 0
    for name in ("hindcast_report.md", "hindcast.png"):
        assert (tmp_path / name).stat().st_size > 0
    ours = float(re.search(r"naive trend ([+-][0-9.]+)", done.stderr).group(1))
    if CHECKER.is_file():
        checked = subprocess.run(
            [sys.executable, str(CHECKER), str(tmp_path / "hindcast.csv")],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            timeout=60,
        )
        assert float(re.search(r"naive trend ([+-][0-9.]+)", checked.stdout).group(1)) == pytest.approx(ours)


def test_experiments_apply_the_discrepancy_they_name_and_record_it(tmp_path):
    from zgcsim.experiments.runner import run_experiment
    from zgcsim.experiments.spec import load_experiment
    from zgcsim.experiments.store import read_indicators, read_manifest

    disc = tmp_path / "disc.json"
    disc.write_text(json.dumps(_record(0.1)))
    tables, hashes = {}, {}
    for choice in ("none", "disc.json"):
        spec = tmp_path / f"{choice.split('.')[0]}.toml"
        spec.write_text(
            f'name = "d"\nscenarios = ["no_new_policy"]\nreplicates = 2\nseed = 11\ndiscrepancy = "{choice}"\n'
            "[design]\nconstants = { n_firms_2017 = 3000, n_institutes = 20 }\n",
            encoding="utf-8",
        )
        experiment = load_experiment(spec)
        hashes[choice] = experiment.config_hash()
        out = tmp_path / f"store_{choice.split('.')[0]}"
        run_experiment(experiment, out, workers=1, progress=False)
        tables[choice] = read_indicators(out)
        assert read_manifest(out)["discrepancy"]["sha256"] == experiment.discrepancy_sha256
    plain, shifted = tables["none"], tables["disc.json"]
    assert (plain["value"] == plain["model_value"]).all()
    assert plain["model_value"].tolist() == shifted["model_value"].tolist()
    revenue = shifted[(shifted["indicator"] == "total_revenue") & (shifted["year"] > 2017)]
    assert (revenue["value"] != revenue["model_value"]).all()
    assert hashes["none"] != hashes["disc.json"]  # a store refuses to mix runs of two discrepancy files
