"""The zone as 16 sub-parks: every results folder has parks.parquet, and the parks add up to the zone."""

import pandas as pd
import pytest

from zgcsim.inputs.parks import PARK_KEYS, PARKS, TOTAL_AREA_KM2
from zgcsim.model.parks import PARK_INDICATORS

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
        assert (sums[park_key] / expected - 1).abs().max() < 1e-9  # in fact exactly, up to rounding
    per_km2 = zone.xs("revenue_per_km2", level="indicator")["value"]
    assert ((sums["revenue"] / sums["area"]) / per_km2 - 1).abs().max() < 1e-9
