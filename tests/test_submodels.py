"""Each behaviour of the model on a few hand-built firms whose answers are known."""

import datetime as dt
import itertools

import mesa
import numpy as np
import pytest

from zgcsim.inputs.parameters import defaults
from zgcsim.inputs.scenario import Event, resolve_scenario
from zgcsim.inputs.seeds import KeyedStream
from zgcsim.model import (
    accounts,
    contracts,
    entry,
    events,
    exit,
    growth,
    knowledge,
    listing,
    platforms,
    rd,
    talent,
    venture,
)
from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.firms import GRANT_PIPELINE_QUARTERS, grant_lag
from zgcsim.model.institutions import University, assign_funding, research_quarter
from zgcsim.model.park import STREAMS

from conftest import make_firms


@pytest.fixture(scope="module")
def levers_2018():
    return resolve_scenario("no_new_policy").levers_on(dt.date(2018, 2, 15))


def context(levers, quarter=1, step=0, **params):
    """A quarter's context with the table's central parameters, the given overrides and fixed streams."""
    seed = np.random.SeedSequence(99)
    return StepContext(
        year=2018 + step // 4,
        quarter=quarter,
        step=step,
        levers=dict(levers),
        params=defaults() | params,
        streams={name: KeyedStream(seed, name) for name in STREAMS},
        derived={"vc_round_median": 0.2, "ipo_filing_rate": 0.1},
    )


# ----- R&D and the HTE notch -----------------------------------------------------------------------------------
def _notch_firms(profit):
    # revenue 1 亿元: the 4 % threshold; real intensity 3.5 %, within the notch window below it
    return make_firms(
        revenue=[1.0],
        rd_intensity=[0.035],
        profit_last=[profit],
        hte_eligible=[True],
        patent_fe=[1.0],
    )


def test_a_firm_jumps_the_notch_when_the_tax_saving_exceeds_the_cost(levers_2018):
    ctx = context(levers_2018, rd_shock_sd=1e-9)  # no shock: the firm stays at its target but for the jump
    firms = _notch_firms(profit=10.0)  # saving 0.10 x 10 亿元 = 1 亿元, far above the cost of 0.6 % of revenue
    rd.set_rd_fixed_effects(firms, ctx)
    rd.decide_rd(firms, ctx)
    p = ctx.params
    reported = firms.rd_intensity[0] + firms.relabel_intensity[0]
    assert reported == pytest.approx(0.04 + p["notch_margin"], abs=1e-6)
    assert firms.relabel_intensity[0] == pytest.approx(p["relabel_share"] * (0.04 + p["notch_margin"] - 0.035), 1e-3)
    assert firms.hte[0]


def test_a_firm_without_profit_does_not_jump_the_notch(levers_2018):
    ctx = context(levers_2018, rd_shock_sd=1e-9)
    firms = _notch_firms(profit=0.0)  # no tax to save
    rd.set_rd_fixed_effects(firms, ctx)
    rd.decide_rd(firms, ctx)
    assert firms.rd_intensity[0] == pytest.approx(0.035, rel=1e-6)
    assert firms.relabel_intensity[0] == 0.0
    assert not firms.hte[0]


def test_user_cost_follows_the_tax_rules(levers_2018):
    ctx = context(levers_2018)
    firms = make_firms(
        hte=[True, False, False],
        profit_last=[1.0, 1.0, -1.0],
        manufacturer=[False, False, False],
        employees=[1000.0, 1000.0, 1000.0],  # above the technology-based-SME size: the general rate applies
    )
    uc = rd.user_cost(firms, ctx)
    s, p = levers_2018["rd_super_deduction"], ctx.params
    assert uc[0] == pytest.approx(1 - levers_2018["hte_tax_rate"] * (1 + s))
    assert uc[1] == pytest.approx(1 - p["cit_standard"] * (1 + s))
    assert uc[2] == pytest.approx(1 - p["cit_standard"] * (1 + s) * p["loss_deduction_value"])
    manufacturing = levers_2018 | {"rd_super_deduction": 0.75, "rd_super_deduction_manufacturing": 1.0}
    large = make_firms(manufacturer=[True, False], employees=[1000.0, 1000.0], revenue=[5.0, 5.0])
    assert rd.super_deduction(large, manufacturing, p).tolist() == [1.0, 0.75]


def test_user_cost_of_every_kind_of_firm_is_the_rule_applied_to_it(levers_2018):
    """Each firm's user cost is 1 - tau (1 + s) delta for its own tax status, deduction rate and profit."""
    levers = levers_2018 | {
        "rd_super_deduction": 0.5,
        "rd_super_deduction_manufacturing": 1.0,
        "rd_super_deduction_sme": 0.75,
    }
    ctx = context(levers)
    p = ctx.params
    kinds = list(itertools.product([False, True], repeat=4))  # HTE, manufacturer, technology-SME size, profitable
    firms = make_firms(
        hte=[k[0] for k in kinds],
        manufacturer=[k[1] for k in kinds],
        employees=[50.0 if k[2] else 1000.0 for k in kinds],
        revenue=[0.5] * len(kinds),
        profit_last=[1.0 if k[3] else -1.0 for k in kinds],
    )
    expected = []
    for hte, manufacturer, sme, profitable in kinds:
        s = max(0.5, 1.0) if manufacturer else 0.5
        if sme:
            s = max(s, 0.5 + p["tech_sme_registration_share"] * (0.75 - 0.5))
        tau = levers["hte_tax_rate"] if hte else p["cit_standard"]
        expected.append(1.0 - tau * (1.0 + s) * (1.0 if profitable else p["loss_deduction_value"]))
    assert rd.user_cost(firms, ctx).tolist() == expected


# ----- knowledge -------------------------------------------------------------------------------------------------
def _quiet_firms(n=1, **columns):
    """Firms with R&D stock but no propensity to patent: no new applications, so only the pipeline moves."""
    base = dict(revenue=np.ones(n), rd_stock=np.ones(n), knowledge0=np.ones(n), employees=np.full(n, 10.0))
    return make_firms(**(base | columns))


def test_grants_arrive_after_the_lag_and_not_before(levers_2018):
    params = {"grant_rate": 1.0, "patent_lapse_rate": 0.0}
    lag = grant_lag(defaults())
    firms = _quiet_firms()
    firms.pending[0, 0] = 7  # seven applications filed at step 0
    scale = {"applications": 1.0, "pct_share": 0.0, "standards": 0.0}
    granted = []
    for step in range(1, lag + 2):
        ctx = context(levers_2018, quarter=step % 4 + 1, step=step, **params)
        firms.y_grants = 0
        knowledge.produce_knowledge(firms, ctx, scale)
        granted.append(int(firms.y_grants[0]))
    assert granted == [0] * (lag - 1) + [7, 0]  # decided exactly `lag` quarters after filing
    assert firms.patents_held[0] == 7
    assert firms.pending.sum() == 0


def test_the_grant_rate_thins_the_decided_filings(levers_2018):
    lag = grant_lag(defaults())
    firms = _quiet_firms(2000)
    firms.pending[:, 0] = 10
    ctx = context(levers_2018, quarter=lag % 4 + 1, step=lag, grant_rate=0.47, patent_lapse_rate=0.0)
    knowledge.produce_knowledge(firms, ctx, {"applications": 1.0, "pct_share": 0.0, "standards": 0.0})
    assert firms.y_grants.sum() / 20000 == pytest.approx(0.47, abs=0.01)
    assert lag <= GRANT_PIPELINE_QUARTERS


def test_steady_state_stock_is_spend_over_growth_plus_depreciation():
    p = defaults()
    expected = 2.0 / (p["rd_growth_before_start"] + p["rd_depreciation"])
    assert knowledge.steady_stock(np.array([2.0]), p)[0] == pytest.approx(expected)


# ----- contracts -------------------------------------------------------------------------------------------------
def test_contract_values_lie_within_the_truncated_pareto_bounds_and_average_its_mean():
    p = defaults()
    values = contracts.contract_values(np.ones(400_000, np.int64), p, np.random.default_rng(3))
    assert values.min() >= p["contract_min_value"]
    assert values.max() <= p["contract_max_value"]
    assert values.mean() == pytest.approx(contracts.truncated_pareto_mean(p), rel=0.03)


def test_a_firm_without_contracts_sells_nothing_and_counts_add_up():
    p = defaults()
    values = contracts.contract_values(np.array([0, 3, 0]), p, np.random.default_rng(4))
    assert values[0] == values[2] == 0.0
    assert 3 * p["contract_min_value"] <= values[1] <= 3 * p["contract_max_value"]


# ----- venture ---------------------------------------------------------------------------------------------------
def _young_firms(n):
    rng = np.random.default_rng(5)
    return make_firms(
        revenue=rng.uniform(0.1, 2.0, n),
        team_quality=rng.standard_normal(n),
        age=np.full(n, 2.0),
        vc_last_year=np.full(n, np.nan),
        vc_first_year=np.full(n, np.nan),
    )


def test_a_fund_spends_its_budget_exactly_when_candidates_suffice(levers_2018):
    ctx = context(levers_2018)
    firms = _young_firms(3000)
    fund = venture.VentureFund(mesa.Model(), 1.0)
    available = np.ones(len(firms), bool)
    placed = fund.invest(firms, np.arange(len(firms)), available, 5.0, ctx, np.random.default_rng(6))
    assert placed == pytest.approx(5.0)
    assert firms.y_vc.sum() == pytest.approx(5.0)
    assert (~available).sum() == (firms.y_vc > 0).sum()  # the backed firms are taken for the quarter


def test_private_funds_each_spend_their_budget(levers_2018):
    ctx = context(levers_2018)
    firms = _young_firms(5000)
    model = mesa.Model()
    funds = [venture.VentureFund(model, w) for w in (0.5, 0.3, 0.2)]
    budgets = np.array([4.0, 2.0, 1.0])
    placed = venture.invest_private(funds, firms, np.arange(len(firms)), budgets, ctx, np.random.default_rng(7))
    assert placed == pytest.approx(budgets.sum())
    assert firms.y_vc.sum() == pytest.approx(budgets.sum())


def test_expected_exit_value_adapts_at_the_stated_speed():
    p = defaults()
    market = venture.CapitalMarket(100.0, p)
    market.close_year(2.0)
    assert market.expected_exit_value == pytest.approx(1 + p["exit_expectation_speed"])
    grown = 100.0 * np.exp(p["demand_growth"]) ** 2
    assert market.deployment == pytest.approx(grown * market.expected_exit_value ** p["vc_return_response"])


# ----- exit ------------------------------------------------------------------------------------------------------
def _exits(levers, **columns):
    ctx = context(levers, exit_hazard_scale=3.0)
    firms = make_firms(**columns)
    return exit.exit_firms(firms, ctx)


def test_exit_hazard_falls_with_size(levers_2018):
    n = 20_000
    revenue = np.r_[np.full(n, 1.0), np.full(n, 100.0)]
    leaving = _exits(levers_2018, revenue=revenue, age=np.full(2 * n, 3.0))
    small, large = leaving[:n].mean(), leaving[n:].mean()
    assert large < small / 5  # the square root of 100: a tenth of the hazard
    assert large > 0


def test_listed_firms_exit_less(levers_2018):
    n = 20_000
    listed = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    leaving = _exits(levers_2018, revenue=np.ones(2 * n), age=np.full(2 * n, 3.0), listed=listed)
    assert leaving[n:].mean() < leaving[:n].mean() / 3


def test_the_exit_profile_peaks_at_age_two_to_three():
    p = defaults()
    hazard = exit.exit_hazard_by_age(np.array([0.0, 1.0, 2.0, 2.5, 3.0, 40.0, 60.0]), p)
    assert hazard[0] == p["exit_hazard_age_0"] and hazard[2] == p["exit_hazard_age_2"]
    assert hazard[2] == hazard.max()
    assert hazard[5] == hazard[6] == p["exit_hazard_age_40"]  # flat beyond the oldest point


# ----- entry -----------------------------------------------------------------------------------------------------
def test_entrants_get_new_uids_and_their_origins(levers_2018):
    ctx = context(levers_2018)
    incumbents = make_firms(sector=[0, 1], revenue=[1.0, 2.0], energy_intensity=[0.1, 0.1], va_ratio0=[0.2, 0.2])
    counts = {entry.DE_NOVO: 3, entry.SPIN_OFF: 2, entry.RETURNEE: 1, entry.INCUBATOR: 4}
    new = entry.make_entrants(counts, incumbents, 50, ctx)
    assert new["uid"].tolist() == list(range(50, 60))
    assert np.bincount(new["origin"], minlength=5).tolist() == [0, 3, 2, 1, 4]
    assert (new["patents_held"][new["origin"] == entry.SPIN_OFF] >= 1).all()
    assert (new["age"] < QUARTER).all() and new["active"].all()


def test_without_entry_rates_only_spinoffs_enter(levers_2018):
    ctx = context(levers_2018 | {"incubator_capacity": 0.0}, startup_entry_rate=0.0)
    assert entry.entrant_counts(1000, 5, ctx) == {
        entry.DE_NOVO: 0,
        entry.SPIN_OFF: 5,
        entry.RETURNEE: 0,
        entry.INCUBATOR: 0,
    }


# ----- growth, talent, accounts ----------------------------------------------------------------------------------
def test_without_shocks_revenue_grows_at_the_demand_rate(levers_2018):
    quiet = dict(
        growth_shock_scale=0.0,
        tfp_noise_sd=0.0,
        young_growth_premium=0.0,
        team_quality_growth=0.0,
        demand_growth_drift=0.0,  # the first quarter after the origin would otherwise drift
    )
    ctx = context(levers_2018, **quiet)
    firms = make_firms(revenue=[2.0], employees=[100.0], age=[20.0], va_ratio0=[0.2], energy_intensity=[0.1])
    growth.grow(firms, ctx, np.zeros(1))
    assert firms.revenue[0] == pytest.approx(2.0 * np.exp(ctx.params["demand_growth"] * QUARTER))
    assert firms.y_revenue[0] == pytest.approx(firms.revenue[0] * QUARTER)


def test_returnee_hires_are_capped_and_staff_leave_at_the_attrition_rate(levers_2018):
    ctx = context(levers_2018, staff_turnover=0.0)
    firms = make_firms(employees=[100.0], returnees=[40.0], rd_intensity=[0.05])
    talent.hire_talent(firms, ctx, firms.employees.copy())  # no growth, no turnover: no hires
    assert firms.returnees[0] == pytest.approx(40.0 * (1 - ctx.params["returnee_attrition"] * QUARTER))


def test_year_end_makes_this_years_profit_last_years_and_year_start_zeroes_the_flows():
    firms = make_firms(y_profit=[3.0, -1.0], y_revenue=[10.0, 5.0], profit_last=[0.0, 0.0])
    accounts.close_year(firms)
    assert firms.profit_last.tolist() == [3.0, -1.0]
    accounts.reset_year(firms)
    assert firms.y_profit.tolist() == [0.0, 0.0] and firms.y_revenue.tolist() == [0.0, 0.0]
    assert firms.profit_last.tolist() == [3.0, -1.0]


# ----- platforms, events, listing, institutions (land: test_parks.py) --------------------------------------------
def test_platforms_open_for_supported_firms_first():
    p = defaults() | {"platform_supported_uptake": 1.0, "platform_open_hazard": 0.0, "platform_close_rate": 0.0}
    revenue = [500.0, 400.0, 300.0, 200.0, 0.1]  # the last is too small to run a platform
    firms = make_firms(revenue=revenue)
    platforms.open_platforms(firms, {"platform_support": 2.0}, p, np.random.default_rng(8))
    assert firms.platform.tolist() == [True, True, False, False, False]
    assert firms.platform_supported.tolist() == [True, True, False, False, False]


def test_an_export_control_event_names_each_firm_once():
    firms = make_firms(
        sector=[0, 0, 0, 0],
        revenue=[50.0, 60.0, 70.0, 500.0],  # the last is above the named firms' size range
        rd_intensity=[0.2, 0.1, 0.3, 0.5],
    )
    start = dt.date(2019, 5, 1)
    control = Event("export_control", start, quarters=4, magnitude=0.1, sectors=(), firms=2, source="test")
    applied: set[int] = set()
    events.apply_export_controls(firms, [control, control], applied, dt.date(2019, 6, 30), defaults())
    assert applied == {0, 1}
    assert firms.export_penalty.tolist() == [-0.1, -0.1, -0.1, 0.0]  # 2 + the one left; none named twice
    events.apply_export_controls(firms, [control, control], applied, dt.date(2019, 9, 30), defaults())
    assert firms.export_penalty.tolist() == [-0.1, -0.1, -0.1, 0.0]  # an event acts once


def test_a_due_filing_lists_in_its_quarter(levers_2018):
    ctx = context(levers_2018, step=5, listing_approval_rate=1.0, delisting_rate=0.0)
    ctx.derived["ipo_filing_rate"] = 0.0  # no new filings
    firms = make_firms(ipo_exchange=[0, 0, -1], ipo_due=[5, 7, 0], revenue=[1.0, 1.0, 1.0])
    exchanges = listing.build_exchanges(mesa.Model(), ctx.params)
    assert listing.file_and_list(firms, exchanges, ctx) == 1
    assert firms.listed.tolist() == [True, False, False]
    assert firms.listing_year[0] == ctx.year
    assert firms.ipo_exchange.tolist() == [-1, 0, -1]


def test_the_star_market_is_the_fastest_venue_once_open(levers_2018):
    p = defaults()
    exchanges = listing.build_exchanges(mesa.Model(), p)
    # an unprofitable R&D-intensive firm: only STAR admits it
    firms = make_firms(revenue=[2.0], rd_intensity=[0.12], profit_last=[-0.5], age=[5.0])
    assert listing.fastest_venue(firms, exchanges, levers_2018 | {"star_market": 0.0})[0] == -1
    assert listing.fastest_venue(firms, exchanges, levers_2018 | {"star_market": 1.0})[0] == 2


def test_institutions_without_research_disclose_nothing_and_funding_goes_to_the_largest():
    p = defaults()
    model = mesa.Model()
    unis = [University(model, "university", budget, 1.0, True, p["tto_base_staff"]) for budget in (0.0, 0.0, 0.0)]
    assert research_quarter(unis, p, np.random.default_rng(9)) == (0, 0)
    ranked = [University(model, "institute", budget, 1.0, False, p["tto_base_staff"]) for budget in (1.0, 5.0, 3.0)]
    assign_funding(ranked, 2)
    assert [u.funded for u in ranked] == [False, True, True]
