"""Pure table computations on the parks file (``parks.parquet``): per-park medians, paired changes, park bands.

The parks file is tidy: ``scenario, replicate, seed, year, park, indicator, value``, one row per run, year, park
and indicator. Every comparison between scenarios goes through the project's one paired comparison,
``tables.paired_differences``, with the park in place of the indicator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from zgcsim.reporting import tables
from zgcsim.reporting.labels import PARK_NAMES
from zgcsim.running.results_folder import summarise

PARKS = tuple(PARK_NAMES)  # the 16 park keys, in the order of the plan's list
MAP_INDICATOR = "revenue_per_km2"
TABLE_INDICATORS = ("area", "enterprises", "employees", "revenue", "revenue_per_km2", "land_use")


def park_order(parks: pd.DataFrame) -> list[str]:
    """The parks present in ``parks``: the 16 known ones in plan order, then any others sorted."""
    present = set(parks["park"])
    return [p for p in PARKS if p in present] + sorted(present - set(PARKS))


def scenarios_of(parks: pd.DataFrame) -> list[str]:
    """Scenario names in order of appearance."""
    return list(dict.fromkeys(parks["scenario"]))


def medians(parks: pd.DataFrame, scenario: str, year: int = 2022) -> pd.DataFrame:
    """Median across runs of every park indicator in ``year`` under ``scenario``: parks down, indicators across."""
    rows = parks[(parks["scenario"] == scenario) & (parks["year"] == year)]
    wide = rows.groupby(["park", "indicator"], sort=False)["value"].median().unstack("indicator")
    return wide.reindex(park_order(parks))


def paired_changes(
    parks: pd.DataFrame, reference: str, *, indicator: str = MAP_INDICATOR, year: int = 2022
) -> pd.DataFrame:
    """Each scenario's paired difference from ``reference`` in one park indicator, park by park.

    Runs are paired on their replicate (paired runs share their random numbers), exactly as for the zone's
    indicators (``tables.paired_differences``).

    Returns:
        One row per (scenario other than the reference, park): ``scenario, park, pairs``, the quantiles ``p05,
        p25, median, p75, p95`` of the differences, ``ref_median``, and ``median_pct, p05_pct, p95_pct``: the
        same quantiles in % of the reference's median (NaN where that median is zero).
    """
    rows = parks[(parks["indicator"] == indicator) & (parks["year"] == year)]
    as_indicator = rows.drop(columns="indicator").rename(columns={"park": "indicator"})
    diffs = tables.paired_differences(as_indicator, reference, year=year)
    if diffs.empty:
        return pd.DataFrame(columns=["scenario", "park", "pairs", "median", "ref_median", "median_pct"])
    diffs = diffs.rename(columns={"indicator": "park"})
    rel = tables.relative(diffs)
    for col in ("median", "p05", "p95"):
        diffs[f"{col}_pct"] = rel[col]
    order = {p: i for i, p in enumerate(park_order(parks))}
    diffs["_order"] = diffs["park"].map(order)
    keep = ["scenario", "park", "pairs", "p05", "p25", "median", "p75", "p95", "ref_median"]
    keep += ["median_pct", "p05_pct", "p95_pct"]
    return diffs.sort_values(["scenario", "_order"], kind="stable")[keep].reset_index(drop=True)


def map_values(parks: pd.DataFrame, reference: str, scenario: str | None, *, year: int = 2022) -> pd.DataFrame:
    """What the map shows, one row per park.

    Columns: ``park``, ``level`` (median revenue per km² under ``reference``) and, when a ``scenario`` is given,
    ``change_pct`` (median paired change under it, in % of the reference median) and ``change`` (the same in
    亿元/km²).
    """
    level = medians(parks, reference, year)
    out = pd.DataFrame({"park": level.index, "level": level.get(MAP_INDICATOR, np.nan)}).reset_index(drop=True)
    if scenario is not None:
        changes = paired_changes(parks, reference, year=year)
        changes = changes[changes["scenario"] == scenario].set_index("park")
        out["change_pct"] = out["park"].map(changes["median_pct"])
        out["change"] = out["park"].map(changes["median"])
    return out


def park_summary(parks: pd.DataFrame, park: str, indicator: str) -> pd.DataFrame:
    """Bands across runs of one park's indicator, by scenario and year, in the columns of ``summary.csv``.

    The summary is the fan chart's input (``scenario, indicator, year, mean, p05, p25, p50, p75, p95``).
    """
    rows = parks[(parks["park"] == park) & (parks["indicator"] == indicator)]
    if rows.empty:
        return pd.DataFrame(columns=["scenario", "indicator", "year", "mean", "p05", "p25", "p50", "p75", "p95"])
    return summarise(rows.drop(columns="park"))


def table_rows(parks: pd.DataFrame, reference: str, scenarios: Sequence[str], *, year: int = 2022) -> pd.DataFrame:
    """The brief's per-park table: medians under ``reference`` and each other scenario's paired change.

    Returns:
        One row per park (plan order): the ``TABLE_INDICATORS`` medians present in the file, then per scenario
        other than the reference the columns ``<scenario>`` (median paired change in revenue per km²) and
        ``<scenario>_p05``, ``<scenario>_p95``.
    """
    wide = medians(parks, reference, year)
    out = wide[[c for c in TABLE_INDICATORS if c in wide.columns]].copy()
    others = [s for s in scenarios if s != reference and s in set(parks["scenario"])]
    if others:
        changes = paired_changes(parks, reference, year=year)
        for scenario in others:
            c = changes[changes["scenario"] == scenario].set_index("park")
            for col, suffix in (("median", ""), ("p05", "_p05"), ("p95", "_p95")):
                out[f"{scenario}{suffix}"] = out.index.map(c[col])
    return out
