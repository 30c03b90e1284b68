"""Fiscal cost: tax-expenditure arithmetic on a hand-built firm table, zero cost at the 2017 settings, paired runs
in which the cost rises with the super-deduction and the funded TTOs, and the results folder's cost tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zgcsim.inputs.levers import LEVERS
from zgcsim.inputs.parameters import defaults
from zgcsim.inputs.scenario import resolve_scenario, with_levers
from zgcsim.model import fiscal
from zgcsim.model.indicators import COST_KEYS
from zgcsim.running.costs import cost_summary, cost_table, five_year_costs
from zgcsim.running.runs import run_many

from conftest import SMALL, make_firms

SEED = 20180101
YEARS = range(2018, 2023)


def _params(**over: float) -> dict[str, float]:
    # rd_concept_ratio 1: the whole reported R&D is the deduction's base (the R&D-expense share is tested apart)
    return defaults() | {"tech_sme_registration_share": 0.6, "cit_standard": 0.25, "rd_concept_ratio": 1.0} | over


@pytest.fixture
def firms():
    """Five firms with known profit (after R&D) and reported R&D, 亿元."""
    return make_firms(
        y_profit=[10.0, 10.0, 1.0, -2.0, 4.0],
        y_rd_reported=[8.0, 8.0, 4.0, 1.0, 2.0],
        hte=[False, True, False, False, False],
        # the last firm is of technology-based-SME size, the others are large
        employees=[5000.0, 5000.0, 5000.0, 5000.0, 100.0],
        revenue=[50.0, 50.0, 50.0, 50.0, 1.0],
    )


def _rules(**change: float) -> dict[str, float]:
    return fiscal.rules_2017() | change


def test_tax_expenditure_of_the_75_percent_deduction_by_hand(firms):
    p = _params()
    costs = fiscal.book_taxes(firms, [_rules(rd_super_deduction=0.75)] * 4, p, fiscal.rules_2017())
    # 2017 rules: s = 0.5 (large firms); the SME-size firm: 0.5 + 0.6 x (0.75 - 0.5) = 0.65
    # the third firm's profit 1 is below 0.5 x 4: nothing to tax under either rule; the fourth makes a loss
    expected_2017 = [0.25 * (10 - 4), 0.15 * (10 - 4), 0.0, 0.0, 0.25 * (4 - 1.3)]
    # new rules: s = 0.75 for all (the SME rate is no higher)
    expected_now = [0.25 * (10 - 6), 0.15 * (10 - 6), 0.0, 0.0, 0.25 * (4 - 1.5)]
    np.testing.assert_allclose(firms.y_tax_2017_rules, expected_2017)
    np.testing.assert_allclose(firms.y_tax, expected_now)
    total = sum(expected_2017) - sum(expected_now)  # 0.5 + 0.3 + 0.05 = 0.85
    assert total == pytest.approx(0.85)
    assert costs["rd_super_deduction"] == pytest.approx(total)
    assert costs["rd_super_deduction_sme"] == costs["hte_tax_rate"] == 0.0


def test_deduction_only_partly_usable_counts_the_usable_part():
    firms = make_firms(y_profit=[5.0], y_rd_reported=[8.0], employees=[5000.0], revenue=[50.0])
    fiscal.book_taxes(firms, [_rules(rd_super_deduction=1.0)] * 4, _params(), fiscal.rules_2017())
    # 2017: 0.25 x (5 - 4) = 0.25; at 100 %: 5 - 8 < 0, so no tax: the expenditure is 0.25, not 0.25 x 0.5 x 8
    assert firms.y_tax_2017_rules[0] == pytest.approx(0.25)
    assert firms.y_tax[0] == 0.0


def test_the_deduction_base_is_the_r_and_d_expense_share_of_reported_spending():
    firms = make_firms(y_profit=[10.0], y_rd_reported=[8.0], employees=[5000.0], revenue=[50.0])
    fiscal.book_taxes(firms, [_rules(rd_super_deduction=0.75)] * 4, _params(rd_concept_ratio=0.5), fiscal.rules_2017())
    # eligible R&D 4: 0.25 x (10 - 0.5 x 4) - 0.25 x (10 - 0.75 x 4) = 0.25 x 0.25 x 4
    assert firms.y_tax_2017_rules[0] - firms.y_tax[0] == pytest.approx(0.25)


def test_per_lever_shares_add_up_to_the_firm_by_firm_total(firms):
    quarters = [_rules(rd_super_deduction=0.75, hte_tax_rate=0.10, rd_super_deduction_sme=1.0)] * 4
    costs = fiscal.book_taxes(firms, quarters, _params(), fiscal.rules_2017())
    total = firms.y_tax_2017_rules.sum() - firms.y_tax.sum()
    assert sum(costs.values()) == pytest.approx(total)
    # the HTE rate, switched last, is worth 5 points of the HTE firm's taxable profit after the 75 % deduction
    assert costs["hte_tax_rate"] == pytest.approx(0.05 * (10 - 6))
    # the SME rate: the SME-size firm's s rises from 0.75 to 0.75 + 0.6 x 0.25 = 0.9 on 2 of R&D
    assert costs["rd_super_deduction_sme"] == pytest.approx(0.25 * 0.15 * 2)


def test_a_rule_in_force_for_one_quarter_counts_a_quarter(firms):
    quarters = [fiscal.rules_2017()] * 3 + [_rules(rd_super_deduction=1.0)]
    costs = fiscal.book_taxes(firms, quarters, _params(), fiscal.rules_2017())
    # s = 0.5 + 0.5 / 4 = 0.625 for the first, always-profitable firm: 0.25 x 0.125 x 8
    first = firms.y_tax_2017_rules[0] - firms.y_tax[0]
    assert first == pytest.approx(0.25 * 0.125 * 8)
    assert costs["rd_super_deduction"] > 0


def test_rules_2017_are_the_values_in_force_at_the_end_of_2017():
    rules = fiscal.rules_2017()
    assert rules["rd_super_deduction"] == 0.5 and rules["rd_super_deduction_sme"] == 0.75
    assert rules["hte_tax_rate"] == 0.15 and rules["tto_funded"] == 0


def test_every_cost_parameter_exists_with_a_source():
    from zgcsim.inputs.parameters import BY_NAME

    for item in fiscal.COST_ITEMS:
        for name in item.parameters:
            assert BY_NAME[name].source and BY_NAME[name].kind == "uncertain" and BY_NAME[name].group == "unit_cost"


def _settings_2017():
    """A scenario that sets every lever to its 2017 value from 2018 on, explicitly."""
    base = resolve_scenario("no_new_policy")
    return with_levers(base, {lever.name: lever.setting_2017 for lever in LEVERS}, name="settings_2017")


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    base = resolve_scenario("no_new_policy")
    scenarios = [
        base,
        _settings_2017(),
        resolve_scenario("action_plan"),
        with_levers(base, {"rd_super_deduction": 0.75}, name="deduction_75"),
        with_levers(base, {"rd_super_deduction": 1.0}, name="deduction_100"),
        with_levers(base, {"tto_funded": 20, "tto_subsidy": 5}, name="tto_20"),
        with_levers(base, {"tto_funded": 60, "tto_subsidy": 5}, name="tto_60"),
    ]
    table, _, _ = run_many(scenarios, 3, SEED, workers=1, parameter_values=SMALL, progress=False)
    return table


def _series(table: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = table[(table["indicator"] == key) & table["year"].isin(YEARS)]
    return rows.pivot_table(index=["replicate", "year"], columns="scenario", values="value")


def test_fiscal_cost_is_zero_at_the_2017_settings_in_every_replicate_and_year(runs):
    for key in ("fiscal_cost", "tax_expenditure", *COST_KEYS):
        values = _series(runs, key)
        assert len(values) == 3 * 5
        assert (values["no_new_policy"] == 0.0).all(), key
        assert (values["settings_2017"] == 0.0).all(), key


def test_action_plan_costs_something_every_year(runs):
    values = _series(runs, "fiscal_cost")["action_plan"]
    assert (values > 0).all()


def test_fiscal_cost_rises_with_the_super_deduction_rate(runs):
    values = _series(runs, "tax_expenditure")
    assert (values["deduction_75"] > 0).all()
    assert (values["deduction_100"] > values["deduction_75"]).all()
    cost = _series(runs, "fiscal_cost")
    assert (cost["deduction_100"] > cost["deduction_75"]).all()


def test_fiscal_cost_rises_with_the_funded_ttos(runs):
    cost = _series(runs, "fiscal_cost")
    assert (cost["tto_20"] > 0).all()
    assert (cost["tto_60"] > cost["tto_20"]).all()


def test_cost_table_sums_to_fiscal_cost(runs):
    costs = cost_table(runs)
    assert set(costs["kind"]) == {"tax_expenditure", "outlay"}
    by_run = costs.groupby(["scenario", "replicate", "year"])["cost"].sum()
    total = runs[runs["indicator"] == "fiscal_cost"].set_index(["scenario", "replicate", "year"])["value"]
    np.testing.assert_allclose(by_run.loc[total.index].to_numpy(), total.to_numpy(), rtol=1e-9, atol=1e-9)
    taxes = costs[costs["kind"] == "tax_expenditure"].groupby(["scenario", "replicate", "year"])["cost"].sum()
    te = runs[runs["indicator"] == "tax_expenditure"].set_index(["scenario", "replicate", "year"])["value"]
    np.testing.assert_allclose(taxes.loc[te.index].to_numpy(), te.to_numpy(), rtol=1e-9, atol=1e-9)


def test_cost_summary_gives_five_year_totals(runs):
    summary = cost_summary(runs).set_index(["scenario", "lever"])
    five = five_year_costs(runs).groupby("scenario")["cost"].median()
    assert summary.loc[("action_plan", "fiscal_cost"), "p50"] == pytest.approx(five["action_plan"])
    assert summary.loc[("no_new_policy", "fiscal_cost"), "p95"] == 0.0
    assert summary.loc[("action_plan", "fiscal_cost"), "p05"] > 0


def test_results_folder_holds_the_cost_tables(small_results):
    costs = pd.read_csv(small_results / "costs.csv")
    table = pd.read_parquet(small_results / "indicators.parquet")
    assert list(costs.columns) == ["scenario", "replicate", "year", "lever", "kind", "cost"]
    fc = table[table["indicator"] == "fiscal_cost"]
    assert set(fc["year"]) == set(range(2017, 2023))
    by_run = costs.groupby(["scenario", "replicate", "year"])["cost"].sum()
    np.testing.assert_allclose(by_run.loc[fc.set_index(["scenario", "replicate", "year"]).index], fc["model_value"])
    summary = pd.read_csv(small_results / "costs_summary.csv")
    assert {"fiscal_cost", "tax_expenditure", "guidance_fund"} <= set(summary["lever"])


def test_brief_headline_ends_with_each_scenarios_five_year_cost(small_results):
    from zgcsim.reporting import inputs
    from zgcsim.reporting.brief import headline_rows
    from zgcsim.reporting.style import format_value

    results = inputs.load_results(small_results)
    for lang, words in (("zh", "五年财政成本"), ("en", "Five-year fiscal cost")):
        row = headline_rows(results, lang)[-1]
        assert words in row["wording"]
        assert row["no_new_policy"] == {"text": "0 [0 - 0]"}
        median = five_year_costs(results.indicators).query("scenario == 'action_plan'")["cost"].median()
        assert row["action_plan"]["text"].startswith(format_value(median) + " [")


def test_levers_command_shows_each_unit_cost_and_its_source(capsys):
    from zgcsim.cli import main

    assert main(["levers"]) == 0
    out = capsys.readouterr().out
    assert "unit cost cost_tto_office = 0.006 亿元 per funded office-year" in out
    assert "costs.md row 3" in out and "costs.md row 11" in out
    assert out.count("Cost (tax expenditure") == 4 and "Cost: none counted" in out


def test_run_table_ends_with_each_scenarios_five_year_cost(small_results, capsys):
    from zgcsim import cli

    cli._print_attainment(small_results)
    out = capsys.readouterr().out.splitlines()
    at = out.index(next(line for line in out if line.startswith("fiscal_cost, five years 2018-2022")))
    assert out[at + 1].split()[:2] == ["no_new_policy", "0"]
    assert out[at + 2].split()[0] == "action_plan" and float(out[at + 2].split()[1].replace(",", "")) > 0


def test_land_renewal_set_park_by_park_is_priced_at_the_area_weighted_zone_rate():
    from zgcsim.inputs.parks import AREAS_KM2

    levers = fiscal.rules_2017()
    n = len(AREAS_KM2)
    same = {"land_renewal": np.full(n, 0.01), "park_area_change": np.ones(n)}
    # exactly: the 2017 settings cost exactly 0
    assert fiscal.priced_levers(levers, same, AREAS_KM2)["land_renewal"] == 0.01
    one = {"land_renewal": np.where(np.arange(n) == 0, 0.05, 0.01), "park_area_change": np.ones(n)}
    share = AREAS_KM2[0] / AREAS_KM2.sum()
    assert fiscal.priced_levers(levers, one, AREAS_KM2)["land_renewal"] == pytest.approx(0.01 + 0.04 * share)
