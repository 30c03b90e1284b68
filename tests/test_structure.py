"""Structural uncertainty after the origin, the variance decomposition and the run's target table."""

import numpy as np
import pandas as pd
import pytest

from zgcsim.inputs import parameters
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.anchors import standards_anchor_flow
from zgcsim.model.park import ParkModel
from zgcsim.model.structure import CommonShocks, after_origin
from zgcsim.running.results_folder import target_table
from zgcsim.running.variance import decompose, input_component

from conftest import SMALL


def test_after_origin_scales_trends_headcount_and_policy_effects():
    p = parameters.defaults() | {"headcount_regime": 0.5, "policy_effect_tto": 2.0, "entry_rate_persistence": 0.6}
    q = after_origin(p)
    assert q["employment_elasticity"] == pytest.approx(0.5 * p["employment_elasticity"])
    assert q["startup_entry_rate"] == pytest.approx(0.6 * p["startup_entry_rate"])
    assert q["tto_funded_uptake"] == min(1.0, 2.0 * p["tto_funded_uptake"])  # a chance stays a chance
    assert p["employment_elasticity"] == parameters.defaults()["employment_elasticity"]  # the input is not changed


def test_common_shocks_have_the_stated_stationary_spread():
    p = {"common_shock_sd": 0.04, "common_shock_persistence": 0.6, "sector_shock_sd": 0.0}
    rng = np.random.default_rng(3)
    shocks = CommonShocks(p)
    shocks.level[0] = rng.normal(0, 0.04)  # start in the stationary distribution
    zone = np.array([shocks.next_year(rng)[0] for _ in range(20000)])
    assert zone.std() == pytest.approx(0.04, rel=0.05)
    assert np.corrcoef(zone[1:], zone[:-1])[0, 1] == pytest.approx(0.6, abs=0.03)


def test_standards_anchor_blends_the_five_year_average_and_the_2017_jump():
    base = {"standards": 330.0, "standards_prev": 229.0}
    p = {"standards_2012": 103.0, "standards_definition_change_2017": 0.0, "standards_anchor_years": 5}
    assert standards_anchor_flow(p, base, 2017) == pytest.approx((330 - 103) / 5)
    assert standards_anchor_flow(p | {"standards_definition_change_2017": 1.0}, base, 2017) == pytest.approx(101)
    assert standards_anchor_flow({"standards_anchor_years": 5}, base, 2013) == pytest.approx(
        101
    )  # no record five years back: last flow


def _run(values, origin=None, start=2017, end=2019, seed=5):
    model = ParkModel(
        resolve_scenario("no_new_policy"),
        replicate_seed(seed, 0),
        SMALL | values,
        start_year=start,
        end_year=end,
        origin_year=origin,
    )
    return model.run(), model


def test_headcount_regime_acts_only_after_the_origin():
    # parks with room to spare, so firms moving out of full parks (model/relocation.py) do not blur the comparison
    roomy = {"land_use_central_2017": 0.85, "land_use_outer_2017": 0.4}
    flat, _ = _run({"headcount_regime": 0.9} | roomy)
    trend, _ = _run({"headcount_regime": 0.0} | roomy)
    assert flat[2017]["employees"] == trend[2017]["employees"]  # same start, paired
    # headcount that follows revenue less falls short of the trend where revenue grows: over a few replicates (one
    # replicate's revenue path can be flat, and then so is the difference)
    flat_total = flat[2019]["employees"] + sum(
        _run({"headcount_regime": 0.9}, seed=s)[0][2019]["employees"] for s in (6, 7)
    )
    trend_total = trend[2019]["employees"] + sum(
        _run({"headcount_regime": 0.0}, seed=s)[0][2019]["employees"] for s in (6, 7)
    )
    assert flat_total < 0.97 * trend_total
    # with the origin at the end of the run, the regime has nothing to act on
    late_flat, _ = _run({"headcount_regime": 0.9}, origin=2019)
    late_trend, _ = _run({"headcount_regime": 0.0}, origin=2019)
    assert late_flat[2019]["employees"] == late_trend[2019]["employees"]


def test_common_shocks_move_revenue_and_are_recorded():
    calm, _ = _run({"common_shock_sd": 0.02, "sector_shock_sd": 0.01})
    _, model = _run({"common_shock_sd": 0.05, "sector_shock_sd": 0.06})
    assert calm[2017]["total_revenue"] == model.history[2017]["total_revenue"]
    assert model.drawn["common_shock_zone"] != 0.0
    assert {"common_shock_it", "headcount_regime", "policy_effect_tto"} <= set(model.drawn)


def test_decomposition_finds_the_only_source_of_spread():
    rng = np.random.default_rng(0)
    n = 200
    regime, chance = rng.uniform(0, 1, n), rng.normal(0, 0.01, n)
    noise_input = rng.uniform(0, 1, n)
    value = np.exp(0.5 * regime + chance)
    table = pd.DataFrame({"scenario": "s", "replicate": range(n), "year": 2022, "indicator": "x", "value": value})
    inputs = pd.concat(
        [
            pd.DataFrame({"scenario": "s", "replicate": range(n), "input": "headcount_regime", "value": regime}),
            pd.DataFrame({"scenario": "s", "replicate": range(n), "input": "employees_2017", "value": noise_input}),
        ]
    )
    shares = decompose(table, inputs).set_index("component")["share"]  # one scenario: levels only
    assert shares.sum() == pytest.approx(1.0)
    assert shares["structural_inputs"] > 0.95
    assert shares["baseline_inputs"] < 0.03
    assert input_component("policy_effect_tto") == "policy_effects"
    assert input_component("common_shock_zone") == "common_shocks"
    assert input_component("grant_rate") == "behavioural_parameters"


def test_target_table_pairs_runs_by_replicate():
    rows = []
    for r, base in enumerate([300.0, 400.0, 500.0, 600.0]):
        for scenario, value in (("a", base), ("b", base + 100)):
            rows.append((scenario, r, 2022, "tech_transfer_offices", value / 10))
    table = pd.DataFrame(rows, columns=["scenario", "replicate", "year", "indicator", "value"])
    out = target_table(table).set_index("scenario")
    # the paired difference is exactly +10 in every replicate; P moves where 50 offices is crossed (> 50)
    assert out.loc["b", "diff_p50"] == pytest.approx(10)
    assert out.loc["b", "diff_p05"] == pytest.approx(10)
    assert out.loc["a", "p_attain"] == pytest.approx(0.25)  # only 60
    assert out.loc["b", "p_attain"] == pytest.approx(0.5)  # 60 and 70
    assert out.loc["b", "diff_p"] == pytest.approx(0.25)


def test_sme_deduction_applies_to_sme_size_firms_from_2017(no_new_policy):
    from zgcsim.model.rd import super_deduction

    from conftest import make_firms

    firms = make_firms(
        employees=np.array([50.0, 50.0, 2000.0]),
        revenue=np.array([0.5, 5.0, 0.5]),
        manufacturer=np.array([False, False, False]),
    )
    p = parameters.defaults() | {"tech_sme_registration_share": 0.6}
    levers_2016 = no_new_policy.levers_on(__import__("datetime").date(2016, 6, 1))
    levers_2017 = no_new_policy.levers_on(__import__("datetime").date(2017, 6, 1))
    assert super_deduction(firms, levers_2016, p).tolist() == [0.5, 0.5, 0.5]
    # only the first firm is of SME size (staff and revenue); it takes 50 % + 0.6 x (75 % - 50 %) in expectation
    assert super_deduction(firms, levers_2017, p) == pytest.approx([0.65, 0.5, 0.5])
    # from 2018 the general rate is 75 % under the action plan: SMEs gain nothing more
    plan_2018 = levers_2017 | {"rd_super_deduction": 0.75}
    assert super_deduction(firms, plan_2018, p) == pytest.approx([0.75, 0.75, 0.75])


def test_decomposition_of_a_paired_difference_names_the_policy_effect():
    rng = np.random.default_rng(1)
    n = 200
    effect, regime = rng.uniform(0, 2, n), rng.uniform(0, 1, n)
    base = np.exp(regime + rng.normal(0, 0.01, n))
    plan = base * np.exp(0.2 * effect)  # the policy's effect scales with the drawn multiplier, nothing else
    table = pd.concat(
        [
            pd.DataFrame({"scenario": s, "replicate": range(n), "year": 2022, "indicator": "x", "value": v})
            for s, v in (("base", base), ("plan", plan))
        ]
    )
    inputs = pd.concat(
        [
            pd.DataFrame({"scenario": s, "replicate": range(n), "input": name, "value": v})
            for s in ("base", "plan")
            for name, v in (("policy_effect_tto", effect), ("headcount_regime", regime))
        ]
    )
    out = decompose(table, inputs)
    diff = out[out["of"] == "difference from base"].set_index("component")["share"]
    assert diff["policy_effects"] > 0.95
    level = out[(out["of"] == "value") & (out["scenario"] == "base")].set_index("component")["share"]
    assert level["structural_inputs"] > 0.95


def test_overshooting_first_order_shares_are_rescaled_but_the_measured_discrepancy_share_stays():
    from zgcsim.running.variance import COMPONENTS, _shares

    rng = np.random.default_rng(1)
    n = 300
    x = rng.uniform(0, 1, n)
    model = x + rng.normal(0, 0.01, n)
    value = model + rng.normal(0, 0.3, n)  # a discrepancy of its own, measured as value minus model
    drawn = pd.DataFrame({"headcount_regime": x, "employees_2017": x})  # two groups each "explain" all of it
    groups = {c: [] for c in COMPONENTS} | {
        "structural_inputs": ["headcount_regime"],
        "baseline_inputs": ["employees_2017"],
    }
    shares = _shares(value, model, drawn, groups)
    assert shares["discrepancy"] == pytest.approx((value - model).var() / value.var())
    assert sum(shares[c] for c in shares if c != "variance") == pytest.approx(1.0)
    assert shares["structural_inputs"] == pytest.approx(shares["baseline_inputs"])
