"""The brief's section on the 16 parks: the per-park table and the map, when the results folder has parks.parquet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from zgcsim.errors import UserInputError
from zgcsim.reporting import inputs, parkcharts, parks
from zgcsim.reporting.labels import area_basis, district_name, park_indicator, park_name, t
from zgcsim.reporting.style import format_value, scenario_label

YEAR = 2022


@dataclass(frozen=True)
class ParkSection:
    """What the brief shows of the parks: a table (header row first), its column widths, notes, and the map."""

    table: list[list[str]]
    widths: list[float]
    notes: list[str]
    maps: list[Callable[[], Figure]]  # one per compared scenario; none when cnmaps is not installed (notes say so)


def _header(indicator: str, lang: str) -> str:
    name, unit = park_indicator(indicator, lang)
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def park_table(
    frame: pd.DataFrame, reference: str, scenarios: list[str], lang: str, titles: dict[str, str] | None = None
) -> tuple[list[list[str]], list[float]]:
    """The per-park table as text: park, district, area basis, the 2022 medians, each scenario's change.

    The area basis says whether the park's planned area is sourced or ours, with the range every run draws it
    from; the medians are under ``reference``.

    Returns:
        The rows (header first, then one row per park in plan order) and relative column widths.
    """
    body = parks.table_rows(frame, reference, scenarios, year=YEAR)
    indicators = [c for c in parks.TABLE_INDICATORS if c in body.columns]
    others = [s for s in scenarios if s != reference and s in body.columns]
    header = [t("col_park", lang), t("col_district", lang), t("col_area_basis", lang)]
    header += [_header(k, lang) for k in indicators]
    header += [t("col_change", lang, scen=scenario_label(s, lang, titles)) for s in others]
    rows = [header]
    for park, row in body.iterrows():
        cells = [park_name(str(park), lang), district_name(str(park), lang), area_basis(str(park), lang)]
        cells += [format_value(float(row[k])) for k in indicators]
        for s in others:
            median, low, high = (float(row[f"{s}{x}"]) for x in ("", "_p05", "_p95"))
            sign = "+" if median > 0 else ""
            cells.append(f"{sign}{format_value(median)} ({format_value(low)} … {format_value(high)})")
        rows.append(cells)
    widths = [1.1, 0.9, 1.0] + [0.9] * len(indicators) + [1.6] * len(others)
    return rows, widths


def _scenarios_and_reference(results: inputs.Results, reference: str) -> tuple[list[str], str]:
    frame = results.parks
    assert frame is not None
    scenarios = [s for s in results.scenarios if s in set(frame["scenario"])] or parks.scenarios_of(frame)
    return scenarios, reference if reference in scenarios else scenarios[0]


def _replicates(results: inputs.Results, reference: str) -> int:
    frame = results.parks
    assert frame is not None
    return int(frame.loc[frame["scenario"] == reference, "replicate"].nunique())


def map_drawers(results: inputs.Results, reference: str, lang: str) -> list[tuple[str, Callable[[], Figure]]]:
    """The maps of the parks: one per scenario compared with ``reference`` (the level alone if there is no other).

    Each comes with a file stem (``parks_map_<scenario>`` or ``parks_map``) and a function drawing it.

    Raises a user error when the folder has no parks.parquet or when cnmaps is not installed.
    """
    if results.parks is None or results.parks.empty:
        raise UserInputError("no parks.parquet: the folder was written before the model had parks", path=results.path)
    frame = results.parks
    scenarios, reference = _scenarios_and_reference(results, reference)
    districts, version = inputs.load_districts()
    source = t("parks_map_source", lang, version=version, folder=results.path.name)
    replicates = _replicates(results, reference)

    def draw(scenario: str | None) -> Figure:
        return parkcharts.parks_map(
            parks.map_values(frame, reference, scenario, year=YEAR),
            districts,
            lang,
            reference=reference,
            scenario=scenario,
            year=YEAR,
            titles=results.titles,
            replicates=replicates,
            source=source,
        )

    others = [s for s in scenarios if s != reference]
    if not others:
        return [("parks_map", lambda: draw(None))]
    return [(f"parks_map_{s}", lambda s=s: draw(s)) for s in others]


def park_section(results: inputs.Results, reference: str, lang: str) -> ParkSection | None:
    """The parks section of the brief, or None when the results folder has no parks.parquet (an older folder)."""
    frame = results.parks
    if frame is None or frame.empty:
        return None
    scenarios, reference = _scenarios_and_reference(results, reference)
    table, widths = park_table(frame, reference, scenarios, lang, results.titles)
    ref_label = scenario_label(reference, lang, results.titles)
    notes = [t("parks_table_note", lang, year=YEAR, ref=ref_label, n=_replicates(results, reference))]
    try:
        maps = [draw for _, draw in map_drawers(results, reference, lang)]
    except UserInputError:  # cnmaps is not installed: the table stays, and the notes say why there is no map
        notes.append(t("parks_no_map", lang))
        maps = []
    return ParkSection(table, widths, notes, maps)
