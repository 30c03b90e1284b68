"""The zone as 16 sub-parks: every results folder has parks.parquet, and the parks add up to the zone."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from zgcsim.errors import UserInputError
from zgcsim.inputs.parameters import BY_NAME, defaults, draw_uncertain
from zgcsim.inputs.parks import AREA_INPUTS, AREAS_KM2, CENTRAL, PARK_KEYS, PARKS, SOURCED, TOTAL_AREA_KM2, area_range
from zgcsim.inputs.scenario import load_scenario, resolve_scenario
from zgcsim.model.parks import PARK_INDICATORS, ParkSpace, planned_areas, zone_levers
from zgcsim.model.relocation import relocate
from zgcsim.running.runs import run_replicate
from zgcsim.running.variance import input_component

from conftest import make_firms

PARK_KEYS_EXPECTED = [
    "haidian",
    "changping",
    "shunyi",
    "daxing_yizhuang",
    "fangshan",
    "tongzhou",
    "dongcheng",
    "xicheng",
    "chaoyang",
    "fengtai",
    "shijingshan",
    "mentougou",
    "pinggu",
    "huairou",
    "miyun",
    "yanqing",
]


def test_the_sixteen_parks_have_their_keys_names_and_the_approved_488_km2():
    assert sorted(PARK_KEYS) == sorted(PARK_KEYS_EXPECTED)
    assert {p.key: p.name_zh for p in PARKS}["daxing_yizhuang"] == "大兴-亦庄园"
    assert pytest.approx(488.0) == TOTAL_AREA_KM2
    for kind in ("revenue", "firm", "employee"):
        assert sum(getattr(p, f"{kind}_share") for p in PARKS) == pytest.approx(1.0)
    assert {p.key for p in PARKS if p.central} == {
        "haidian",
        "dongcheng",
        "xicheng",
        "chaoyang",
        "fengtai",
        "shijingshan",
    }


@pytest.fixture(scope="module")
def folder(small_results):
    return small_results


def test_parks_parquet_has_every_park_every_year_in_the_tidy_format(folder):
    parks = pd.read_parquet(folder / "parks.parquet")
    assert list(parks.columns) == ["scenario", "replicate", "seed", "year", "park", "indicator", "value"]
    assert {"revenue", "employees", "enterprises", "area", "revenue_per_km2", "land_use"} <= set(parks["indicator"])
    assert set(parks["indicator"]) == set(PARK_INDICATORS)
    counts = parks.groupby(["scenario", "replicate", "year", "indicator"])["park"].agg(["nunique", "size"])
    assert (counts["nunique"] == 16).all() and (counts["size"] == 16).all()
    assert set(parks["year"]) == set(range(2017, 2023))
    assert set(parks["park"]) == set(PARK_KEYS_EXPECTED)


def test_park_sums_equal_the_zone_totals_every_year(folder):
    parks = pd.read_parquet(folder / "parks.parquet")
    zone = pd.read_parquet(folder / "indicators.parquet").set_index(["scenario", "replicate", "year", "indicator"])
    sums = parks.pivot_table(
        index=["scenario", "replicate", "year"], columns="indicator", values="value", aggfunc="sum"
    )
    for park_key, zone_key in (
        ("revenue", "total_revenue"),
        ("employees", "employees"),
        ("enterprises", "enterprises"),
    ):
        expected = zone.xs(zone_key, level="indicator")["value"]
        assert (sums[park_key] / expected - 1).abs().max() < 1e-3  # the bar: within 0.1 %
        assert (sums[park_key] / expected - 1).abs().max() < 1e-5  # in fact exactly, up to float32 rounding
    per_km2 = zone.xs("revenue_per_km2", level="indicator")["value"]
    assert ((sums["revenue"] / sums["area"]) / per_km2 - 1).abs().max() < 1e-5


# ----- planned areas: eight sourced, eight drawn and rescaled to the approved 488 km² -----------------------------
UNSOURCED_RANGES = {
    "haidian": (160, 200),
    "changping": (40, 60),
    "daxing_yizhuang": (60, 90),
    "tongzhou": (20, 40),
    "shijingshan": (8, 16),
    "huairou": (6, 15),
    "miyun": (5, 14),
    "yanqing": (3, 8),
}


def test_eight_areas_are_sourced_and_the_other_eight_are_uncertain_inputs_with_their_ranges():
    sourced = {p.key: p.area_km2 for p in PARKS if p.area_basis == "sourced"}
    assert sourced == {
        "shunyi": 12.08,
        "fangshan": 15.73,
        "dongcheng": 5.35,
        "xicheng": 10.0,
        "chaoyang": 26.1,
        "fengtai": 17.63,
        "mentougou": 1.89,
        "pinggu": 5.08,
    }
    assert sum(sourced.values()) == pytest.approx(93.86)
    assert {key: area_range(key) for key in AREA_INPUTS} == UNSOURCED_RANGES
    for name in AREA_INPUTS.values():
        assert BY_NAME[name].kind == "uncertain" and BY_NAME[name].unit == "km²"
        assert BY_NAME[name].source.startswith("ours, bounded by") and "488" in BY_NAME[name].source
        assert input_component(name) == "park_areas"  # a group of its own in the variance decomposition
    # the file's central value of an unsourced park is its range midpoint, rescaled with the others to 488 km²
    assert planned_areas(defaults()) == pytest.approx(AREAS_KM2, abs=0.005)


def test_the_area_inputs_are_drawn_last_so_they_leave_every_other_draw_unchanged():
    assert list(draw_uncertain(np.random.default_rng(0)))[-len(AREA_INPUTS) :] == list(AREA_INPUTS.values())


def test_drawn_areas_lie_in_their_ranges_keep_the_sourced_ones_and_sum_to_488_km2():
    draws = [draw_uncertain(np.random.default_rng(seed)) for seed in range(50)]
    areas = np.array([planned_areas(defaults() | d) for d in draws])
    assert np.allclose(areas.sum(axis=1), 488.0, rtol=0, atol=1e-9)
    assert (areas[:, SOURCED] == AREAS_KM2[SOURCED]).all()
    for key, name in AREA_INPUTS.items():
        low, high = UNSOURCED_RANGES[key]
        values = np.array([d[name] for d in draws])
        assert ((values >= low) & (values <= high)).all() and len(set(values)) == len(draws)
    assert len({tuple(row) for row in areas}) == len(draws)


def test_every_run_uses_its_drawn_areas_rescaled_to_488_km2(folder):
    parks = pd.read_parquet(folder / "parks.parquet")
    drawn = pd.read_parquet(folder / "uncertain_inputs.parquet")
    start = parks[(parks["indicator"] == "area") & (parks["year"] == 2017)]
    area = start.pivot_table(index=["scenario", "replicate"], columns="park", values="value")
    inputs = drawn.pivot_table(index=["scenario", "replicate"], columns="input", values="value")
    assert set(AREA_INPUTS.values()) <= set(inputs.columns)
    assert np.allclose(area.sum(axis=1), 488.0)
    for key, sourced_area in zip(PARK_KEYS, AREAS_KM2, strict=True):
        if key not in AREA_INPUTS:  # sourced: never drawn, the file's value in every run
            assert np.allclose(area[key], sourced_area)
    names = list(AREA_INPUTS.values())
    raw = inputs.loc[area.index, names]
    expected = raw.to_numpy() * (488.0 - 93.86) / raw.to_numpy().sum(axis=1, keepdims=True)
    assert np.allclose(area[list(AREA_INPUTS)].to_numpy(), expected)
    assert area["haidian"].nunique() == len(set(area.index.get_level_values("replicate")))  # runs differ


# ----- land, entry and relocation, on hand-built parks ------------------------------------------------------------
def _space(employees_by_park, use):
    """Two firms per park with the given park employees, and a ParkSpace at the given 2017 land use."""
    p = defaults() | {"land_use_central_2017": use, "land_use_outer_2017": use}
    n = len(PARK_KEYS)
    firms = make_firms(
        park=np.repeat(np.arange(n), 2).astype(np.int16),
        employees=np.repeat(np.asarray(employees_by_park, float) / 2, 2),
        sector=np.zeros(2 * n, np.int16),
    )
    return firms, p


def _levers(**park_values):
    scenario = resolve_scenario("no_new_policy")
    on = dt.date(2019, 3, 1)
    park_levers = scenario.park_levers_on(on)
    for name, value in park_values.items():
        park_levers[name] = np.asarray(value, float)
    return scenario.levers_on(on), park_levers


def test_congestion_is_zero_below_capacity_grows_above_it_and_renewal_lowers_it():
    n = len(PARK_KEYS)
    firms, p = _space([1000.0] * n, 0.8)
    levers, park_levers = _levers(land_renewal=np.zeros(n))
    space = ParkSpace(firms, p, levers, park_levers)
    space.start_year(firms, levers, park_levers, p, past_origin=False)
    assert (space.drag == 0).all() and space.use == pytest.approx(0.8)
    firms.employees *= 2.5  # use 2.0: the drag is land_congestion x log 2
    space.start_year(firms, levers, park_levers, p, past_origin=False)
    assert space.drag == pytest.approx(p["land_congestion"] * np.log(2.0))
    renewal = np.zeros(n)
    renewal[0] = 0.1
    renewed = _levers(land_renewal=renewal)
    space.start_year(firms, renewed[0], renewed[1], p, past_origin=False)
    assert space.drag[0] < space.drag[1]


def test_before_2018_land_keeps_pace_with_employees_so_a_spin_up_has_no_drag_and_no_moves():
    n = len(PARK_KEYS)
    firms, p = _space([1000.0] * n, 0.95)
    levers, park_levers = _levers(land_renewal=np.zeros(n))
    space = ParkSpace(firms, p, levers, park_levers)
    firms.employees *= 1.6  # a 2013 population grown to 2017: 0.95 x 1.6 would be well above capacity
    space.start_year(firms, levers, park_levers, p, past_origin=False, land_binds=False)
    assert (space.drag == 0).all() and space.use == pytest.approx(0.95)
    space.start_year(firms, levers, park_levers, p, past_origin=False, land_binds=True)
    assert (space.drag == 0).all()  # the capacity set before 2018 carries on; only later growth crowds it
    firms.employees *= 1.6
    space.start_year(firms, levers, park_levers, p, past_origin=False, land_binds=True)
    assert (space.drag > 0).all()


def test_a_spin_up_from_2013_relocates_no_firm_before_2018():
    from zgcsim.calibration.spinup import SMALL_SPINUP
    from zgcsim.inputs.seeds import replicate_seed
    from zgcsim.model.park import ParkModel

    scenario = resolve_scenario("no_new_policy")
    model = ParkModel(scenario, replicate_seed(3, 0), dict(SMALL_SPINUP), start_year=2013, end_year=2019)
    model.run()
    assert min(model.relocations) == 2018  # the relocation stage runs from 2018 only


def test_the_central_parks_lose_capacity_after_the_origin_as_strongly_as_the_headcount_regime():
    n = len(PARK_KEYS)
    firms, p = _space([1000.0] * n, 0.9)
    levers, park_levers = _levers(land_renewal=np.zeros(n))
    for regime, expect_cut in ((0.0, False), (0.9, True)):
        space = ParkSpace(firms, p | {"headcount_regime": regime}, levers, park_levers)
        before = space.capacity.copy()
        space.start_year(firms, levers, park_levers, p | {"headcount_regime": regime}, past_origin=True)
        central = CENTRAL
        assert space.capacity[~central] == pytest.approx(before[~central])
        assert (space.capacity[central] < before[central]).all() == expect_cut


def test_firms_of_a_full_park_move_within_the_zone_to_a_partner_park_or_out_and_the_rest_stay():
    n = len(PARK_KEYS)
    firms, p = _space([1000.0] * n, 0.5)
    levers, park_levers = _levers(land_renewal=np.zeros(n))
    space = ParkSpace(firms, p, levers, park_levers)
    firms.employees[:2] *= 4.0  # park 0 now at land use 2.0
    p = p | {"relocation_rate": 1.0}
    moves = relocate(firms, space, park_levers, p, np.random.default_rng(3))
    assert moves[0].sum() >= 1 and moves[1:].sum() == 0  # only the full park loses firms
    assert firms.active.sum() + moves[0, 1:].sum() >= len(firms) - moves[0, 1:].sum()
    assert space.use[0] < 2.0
    total_before = 1000.0 * n + 3000.0
    staying = firms.employees[firms.active].sum()
    assert staying <= total_before  # nobody is created by moving


def test_support_for_moves_keeps_more_movers_in_the_zone():
    n = len(PARK_KEYS)
    kept = {}
    for support in (0.0, 3.0):
        counts = np.zeros(3)
        for seed in range(30):
            firms, p = _space([1000.0] * n, 0.5)
            levers, park_levers = _levers(land_renewal=np.zeros(n), relocation_support=np.full(n, support))
            space = ParkSpace(firms, p, levers, park_levers)
            firms.employees[:2] *= 4.0
            counts += relocate(firms, space, park_levers, p | {"relocation_rate": 1.0}, np.random.default_rng(seed))[0]
        kept[support] = counts[0] / counts.sum()
    assert kept[3.0] > kept[0.0]


# ----- the per-park scenario format ---------------------------------------------------------------------------------
def _scenario(tmp_path, name, body, parent="action_plan"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'name = "{name}"\nparent = "{parent}"\n{body}', encoding="utf-8")
    return load_scenario(path)


def test_an_unknown_park_name_is_refused_with_the_closest_valid_one(tmp_path):
    with pytest.raises(UserInputError, match=r"unknown park 'haidain' \(did you mean 'haidian'\?\)") as err:
        _scenario(tmp_path, "typo", "[levers.land_renewal]\ndefault = 0.02\nhaidain = 0.01\n")
    assert "levers.land_renewal.haidain" in str(err.value)
    with pytest.raises(UserInputError, match=r"did you mean 'daxing_yizhuang'"):
        _scenario(tmp_path, "typo2", "[levers.relocation_support]\ndaxing_yizhuan = { 2019-01-01 = 1 }\n")
    with pytest.raises(UserInputError, match=r"outside the bounds"):
        _scenario(tmp_path, "bounds", "[levers.land_renewal]\nchangping = 0.5\n")
    with pytest.raises(UserInputError, match=r"unknown key"):  # a lever that is not per park takes no park
        _scenario(tmp_path, "notpark", "[levers.tto_funded]\nvalues = { 2019-01-01 = 10 }\nhaidian = 3\n")


def test_a_park_takes_its_own_value_else_the_default_and_an_omitted_park_keeps_its_parents(tmp_path):
    parent = _scenario(tmp_path, "p", "[levers.land_renewal]\ndefault = 0.02\nhaidian = { 2019-01-01 = 0.005 }\n")
    child = _scenario(tmp_path, "c", "[levers.land_renewal]\nvalues = { 2020-01-01 = 0.03 }\nchangping = 0.06\n", "p")
    h, c, s = PARK_KEYS.index("haidian"), PARK_KEYS.index("changping"), PARK_KEYS.index("shunyi")
    early, late = child.park_levers_on(dt.date(2018, 6, 1)), child.park_levers_on(dt.date(2021, 6, 1))
    assert early["land_renewal"][[h, c, s]].tolist() == [0.02, 0.06, 0.02]  # haidian's own starts in 2019
    assert late["land_renewal"][[h, c, s]].tolist() == [0.005, 0.06, 0.03]  # haidian kept from the parent
    assert parent.park_levers_on(dt.date(2021, 6, 1))["land_renewal"][c] == 0.02
    total = child.park_levers_on(dt.date(2021, 6, 1))["incubator_capacity"]  # action_plan's 300, shared out
    assert total.sum() == pytest.approx(300.0)


def test_the_library_spatial_scenarios_validate():
    outer = resolve_scenario("spatial_outer_parks")
    renewal = outer.park_levers_on(dt.date(2020, 6, 1))["land_renewal"]
    assert (renewal[CENTRAL] == 0.01).all() and (renewal[~CENTRAL] == 0.032).all()
    partner = resolve_scenario("spatial_partner_parks")
    assert partner.park_levers_on(dt.date(2020, 6, 1))["partner_park_capacity"].sum() == pytest.approx(600.0)
    assert outer.question and partner.question


# ----- paired runs ----------------------------------------------------------------------------------------------------
def test_renewal_in_one_park_raises_its_revenue_per_km2_more_than_the_others(tmp_path):
    """Paired runs: Haidian renewing 10 % of its floor space a year against no_new_policy.

    Renewal acts where space binds (congestion and moves out act above capacity), so the runs fix a full Haidian
    in 2017 whose capacity the master plan's cap shrinks (``land_use_central_2017`` 1, ``headcount_regime``
    0.9) and renewal at its full effect (``policy_effect_land`` 1). The other parks are compared together
    (their revenue over their area): with a small population a tiny park's own ratio is mostly chance.
    """
    haidian = PARK_KEYS.index("haidian")
    renewed = _scenario(tmp_path, "renew_haidian", "[levers.land_renewal]\nhaidian = 0.1\n", "no_new_policy")
    base = resolve_scenario("no_new_policy")
    values = {"n_firms_2017": 3000, "policy_effect_land": 1.0, "headcount_regime": 0.9, "land_use_central_2017": 1.0}
    own, rest = [], []
    for replicate in range(3):
        revenue, area = [], []
        for scenario in (base, renewed):
            _, _, parks = run_replicate(scenario, 5, replicate, values, calibration=None)
            final = parks[parks["year"] == 2022].pivot(index="park", columns="indicator", values="value")
            final = final.reindex(list(PARK_KEYS))
            revenue.append(final["revenue"].to_numpy())
            area.append(final["area"].to_numpy())
        own.append(np.log((revenue[1][haidian] / area[1][haidian]) / (revenue[0][haidian] / area[0][haidian])))
        others = np.arange(len(PARK_KEYS)) != haidian
        rest.append(np.log(revenue[1][others].sum() / revenue[0][others].sum()))  # areas unchanged
    assert np.mean(own) > 0 and np.mean(own) > np.mean(rest)


def test_what_reads_a_zone_value_sees_the_parks_sum_of_incubator_capacity(tmp_path):
    on = dt.date(2020, 6, 1)
    outer = resolve_scenario("spatial_outer_parks")
    assert zone_levers(outer.park_levers_on(on), outer.park_lever_changes) == {}  # renewal: priced by fiscal.py
    assert zone_levers(resolve_scenario("action_plan").park_levers_on(on), {}) == {}
    incubators = _scenario(tmp_path, "inc", "[levers.incubator_capacity]\nhaidian = 100\n")
    levels = incubators.park_levers_on(on)
    expected = 100 + 300 * sum(p.firm_share for p in PARKS if p.key != "haidian")
    assert zone_levers(levels, incubators.park_lever_changes)["incubator_capacity"] == pytest.approx(expected)
