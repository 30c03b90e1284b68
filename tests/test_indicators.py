"""Indicator arithmetic on hand-built states whose answers are known."""

from types import SimpleNamespace

import numpy as np
import pytest

from zgcsim.inputs.parameters import defaults
from zgcsim.model.global_lists import fortune_threshold_usd_bn, fortune_threshold_yi
from zgcsim.model.indicators import REGISTRY, TARGET_KEYS, compute_all, on_global_list

from conftest import make_firms


def _state(firms, **kw):
    base = dict(
        firms=firms,
        institutions=[SimpleNamespace(tto=True), SimpleNamespace(tto=False), SimpleNamespace(tto=True)],
        year=2020,
        levers={"park_area": 500.0},
        area_km2=500.0,  # the sum of the parks' areas
        params=defaults(),
        standards_created=412,
        entrants_year=7,
        gi1000_cutoff_usd_m=100.0,  # 100 m US$ = 6.9 亿元 at the 2020 rate
        fiscal={},
    )
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.fixture
def state():
    firms = make_firms(
        sector=[0, 0, 1, 2],
        y_revenue=[100.0, 300.0, 600.0, 2000.0],  # 亿元; the last firm is above the Fortune threshold
        y_rd_reported=[5.0, 10.0, 45.0, 20.0],
        y_value_added=[20.0, 40.0, 90.0, 250.0],
        y_profit=[10.0, -5.0, 60.0, 135.0],
        y_energy=[1e4, 2e4, 3e4, 4e4],
        y_contracts=[1.5, 2.5, 0.0, 6.0],
        y_pct=[3, 0, 10, 7],
        y_applications=[10, 5, 20, 15],
        y_vc=[1.0, 0.0, 2.5, 0.0],
        employees=[1000.0, 3000.0, 6000.0, 10000.0],
        patents_held=[40, 60, 300, 600],
        returnees=[10.0, 20.0, 30.0, 40.0],
        listed=[False, True, True, True],
        listing_year=[0, 2012, 2020, 2020],
        platform=[False, False, True, True],
        standards=[0, 1, 5, 10],
    )
    return _state(firms)


def test_every_target_and_auxiliary_series_is_registered():
    assert len(TARGET_KEYS) == 16
    assert set(TARGET_KEYS) <= set(REGISTRY)
    for key in [
        "total_revenue",
        "value_added",
        "employees",
        "st_expenditure",
        "total_profit",
        "energy_use",
        "invention_patents_held",
        "invention_applications",
        "enterprises",
        "new_listings",
        "vc_investment",
        "startups_founded",
    ]:
        assert key in REGISTRY


def test_ratios_and_sums_follow_the_plan_definitions(state):
    v = compute_all(state)
    assert v["rd_intensity"] == pytest.approx(100 * 80 / 3000)
    assert v["profit_margin"] == pytest.approx(100 * 200 / 3000)
    assert v["invention_patents_per_10k"] == pytest.approx(1e4 * 1000 / 20000)
    assert v["labour_productivity"] == pytest.approx(1e4 * 400 / 20000)  # 万元 per person
    assert v["revenue_per_employee"] == pytest.approx(1e4 * 3000 / 20000)
    assert v["revenue_per_km2"] == pytest.approx(3000 / 500)
    assert v["energy_per_10k_va"] == pytest.approx(1e5 / (1e4 * 400))  # tce per 万元
    assert v["tech_contract_turnover"] == pytest.approx(10.0)
    assert v["pct_applications"] == 20
    assert v["international_standards"] == 412
    assert v["foreign_returnee_talent"] == pytest.approx(100.0)
    assert v["tech_transfer_offices"] == 2
    assert v["open_innovation_platforms"] == 2
    assert v["listed_companies"] == 3
    assert v["new_listings"] == 2
    assert v["startups_founded"] == 7
    assert v["vc_investment"] == pytest.approx(3.5)
    assert v["enterprises"] == 4


def test_stocks_count_only_firms_still_in_the_zone_but_flows_count_leavers(state):
    state.firms.active[1] = False  # left during the year: its revenue counts, its staff and patents do not
    v = compute_all(state)
    assert v["total_revenue"] == pytest.approx(3000.0)
    assert v["employees"] == pytest.approx(17000.0)
    assert v["invention_patents_held"] == 940
    assert v["listed_companies"] == 2


def test_global_lists_use_revenue_and_rd_thresholds(state):
    # firm 3 is on the Fortune list (2000 亿元 > 25.4 bn US$ x 6.9 = 1753 亿元); firm 2 on the innovation list
    # (45 亿元 of R&D >= 6.9 亿元); firm 1 (10 亿元 R&D) too; firm 0 (5 亿元) not
    assert fortune_threshold_usd_bn(2020) == pytest.approx(25.4)
    assert fortune_threshold_yi(2020) == pytest.approx(25.4 * 6.9 * 10)
    assert on_global_list(state).tolist() == [False, True, True, True]
    assert compute_all(state)["global_list_firms"] == 3


def test_fortune_threshold_is_interpolated_for_a_missing_year():
    assert fortune_threshold_usd_bn(2018) == pytest.approx((21.609 + 24.8) / 2)


def test_pillar_cluster_needs_scale_standards_share_and_leading_firms(state):
    # rescale so sector 2 has one trillion yuan of revenue, most standards and two listed leaders
    f = state.firms
    f.y_revenue[:] = [100.0, 300.0, 600.0, 12000.0]
    assert compute_all(state)["pillar_clusters"] == 0  # only one global-list firm in sector 2
    f.sector[2] = 2
    assert compute_all(state)["pillar_clusters"] == 1
    f.standards[:] = [10, 10, 0, 1]  # sector 2 now holds 1 of 21 standards, under 15 %
    assert compute_all(state)["pillar_clusters"] == 0


def test_attainment_respects_direction_and_strictness():
    from zgcsim.inputs.targets import target

    assert target("rd_intensity").attained(6.0)  # "达到" : reaching counts
    assert not target("tech_contract_turnover").attained(6000.0)  # "突破": must exceed
    assert target("tech_contract_turnover").attained(6000.1)
    assert target("energy_per_10k_va").attained(0.065)
    assert not target("energy_per_10k_va").attained(0.066)
    assert target("listed_companies").attained(475)
    assert np.isclose(target("pillar_clusters").threshold, 2)


def test_parameter_documentation_matches_the_parameter_table():
    from pathlib import Path

    from zgcsim.inputs.paramdoc import parameter_table_markdown

    doc = Path(__file__).resolve().parent.parent / "docs" / "parameters.md"
    assert doc.read_text(encoding="utf-8") == parameter_table_markdown(), (
        "run: python -m zgcsim.inputs.paramdoc > docs/parameters.md"
    )
