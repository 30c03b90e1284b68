"""The dashboard's park view without the page: each result set's park runs, one park's bands, its fan chart.

A results folder written since parks existed holds ``parks.parquet`` (so does a run made in the page); a result set
from an older folder, or the live what-if view, has no park runs, and the page says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.dashboard.figures import page_style
from zgcsim.reporting import inputs, parkcharts, parks
from zgcsim.reporting.labels import PARK_INDICATORS, park_indicator, park_name
from zgcsim.reporting.style import palette

DEFAULT_INDICATOR = "revenue_per_km2"


@lru_cache(maxsize=16)
def _read_parks(path: str, _mtime_ns: int) -> pd.DataFrame | None:
    return inputs.load_parks(path)


def park_runs(rs: ResultSet) -> pd.DataFrame | None:
    """The park rows of one result set (its scenario, from its folder's parks.parquet), or None if it has none."""
    if rs.folder is None:
        return None
    folder = Path(rs.folder)
    path = folder / "parks.parquet"
    if not path.is_file():
        return None
    frame = _read_parks(str(folder), path.stat().st_mtime_ns)
    if frame is None:
        return None
    rows = frame[frame["scenario"] == rs.scenario]
    return rows.reset_index(drop=True) if len(rows) else None


def park_choices(lang: str) -> dict[str, str]:
    """The parks as the picker lists them: label (e.g. '海淀园' or 'Haidian') -> park key, in plan order."""
    return {park_name(key, lang): key for key in parks.PARKS}


def indicator_choices(lang: str) -> dict[str, str]:
    """The park indicators as the picker lists them: 'name (unit)' -> indicator key."""
    return {f"{name} ({unit})": key for key, (name, unit) in ((k, park_indicator(k, lang)) for k in PARK_INDICATORS)}


def park_series(sets: Sequence[ResultSet], park: str, indicator: str) -> pd.DataFrame:
    """One park's indicator for each result set that has park runs: bands by year, in ``summary.csv``'s columns.

    The ``scenario`` column holds the result set's key (unique in the page), so sets of one scenario from two
    folders stay apart. Sets without park runs contribute nothing.
    """
    frames = []
    for rs in sets:
        runs = park_runs(rs)
        if runs is None:
            continue
        summary = parks.park_summary(runs, park, indicator)
        if len(summary):
            frames.append(summary.assign(scenario=rs.key))
    if not frames:
        return pd.DataFrame(columns=["scenario", "indicator", "year", "mean", "p05", "p25", "p50", "p75", "p95"])
    return pd.concat(frames, ignore_index=True)


def park_fan(
    sets: Sequence[ResultSet], park: str, indicator: str, lang: str, labels: Sequence[str] | None = None
) -> Figure | None:
    """The fan chart of one park's indicator for the result sets that have park runs (None if none has)."""
    series = park_series(sets, park, indicator)
    if series.empty:
        return None
    present = list(dict.fromkeys(series["scenario"]))
    label_of = dict(zip([rs.key for rs in sets], labels or [rs.key for rs in sets], strict=True))
    scenario_of = {rs.key: rs.scenario for rs in sets}
    colours = dict(zip(present, palette([scenario_of[k] for k in present]), strict=True))
    with page_style(lang):
        return parkcharts.park_fan_chart(
            series,
            park,
            indicator,
            lang,
            scenarios=present,
            colours=colours,
            labels={k: label_of[k] for k in present},
        )
