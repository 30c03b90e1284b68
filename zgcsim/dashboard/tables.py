"""The dashboard's tables: target attainment side by side, and the paired effect of an edit against its parent."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.dashboard.i18n import indicator_name, indicator_unit, t
from zgcsim.inputs.targets import load_targets

SIGN = {("higher", True): ">", ("higher", False): "≥", ("lower", True): "<", ("lower", False): "≤"}


def number(value: float, signed: bool = False) -> str:
    """A value for a table cell: thousands with separators, smaller values with three significant digits."""
    if not np.isfinite(value):
        return "–"
    sign = "+" if signed else ""
    if abs(value) >= 1000:
        return f"{value:{sign},.0f}"
    if abs(value) >= 100:
        return f"{value:{sign}.1f}"
    return f"{value:{sign}.3g}"


def target_text(key: str, lang: str) -> str:
    """The 2022 threshold as the plan words it, e.g. '≥ 6 %'."""
    target = next(t for t in load_targets() if t.key == key)
    unit = indicator_unit(key, lang)
    unit = {"percent": "%", "count": ""}.get(unit, unit)  # '≥ 6 %' and '> 50' read better than the unit words
    return f"{SIGN[(target.direction, target.strict)]} {target.threshold:g} {unit}".strip()


def attainment_table(sets: Sequence[ResultSet], lang: str) -> pd.DataFrame:
    """One row per target (plan order), one column per result set: 'p ± se | median 2022'."""
    rows = []
    for target in load_targets():
        row = {
            "#": target.number,
            t("indicator", lang): indicator_name(target.key, lang),
            t("target", lang): target_text(target.key, lang),
        }
        for rs in sets:
            hit = rs.attainment[rs.attainment["indicator"] == target.key]
            if hit.empty:
                row[rs.key] = "–"
                continue
            r = hit.iloc[0]
            row[rs.key] = f"{r['p_attain']:.2f} ± {r['mc_se']:.2f} | {number(r['p50_2022'])}"
        rows.append(row)
    return pd.DataFrame(rows)


def paired_effect(child: ResultSet, parent: ResultSet, lang: str) -> pd.DataFrame:
    """Per target: change in attainment probability and the run-by-run 2022 difference (median, 5-95 %).

    Runs are matched on their seed (replicate r of both scenarios used the same random numbers).
    """
    if child.runs is None or parent.runs is None:
        raise ValueError("paired comparison needs the individual runs of both scenarios")
    final_child = child.runs[child.runs["year"] == 2022]
    final_parent = parent.runs[parent.runs["year"] == 2022]
    merged = final_child.merge(final_parent, on=["seed", "indicator"], suffixes=("_child", "_parent"))
    rows = []
    for target in load_targets():
        diff = (
            merged.loc[merged["indicator"] == target.key, "value_child"]
            - merged.loc[merged["indicator"] == target.key, "value_parent"]
        ).to_numpy()
        p_child = child.attainment.loc[child.attainment["indicator"] == target.key, "p_attain"].iloc[0]
        p_parent = parent.attainment.loc[parent.attainment["indicator"] == target.key, "p_attain"].iloc[0]
        q05, q50, q95 = np.quantile(diff, [0.05, 0.5, 0.95]) if len(diff) else (np.nan,) * 3
        rows.append(
            {
                "#": target.number,
                t("indicator", lang): indicator_name(target.key, lang),
                t("delta_p", lang): f"{p_child - p_parent:+.2f}",
                t("median_diff", lang): f"{number(q50, True)} ({number(q05, True)} … {number(q95, True)})",
            }
        )
    return pd.DataFrame(rows)


def _lines(text: object, separator: str) -> str:
    """Escape ``text`` for HTML and break it into lines at ``separator``."""
    return "<br>".join(html.escape(part) for part in str(text).split(separator))


def to_html(table: pd.DataFrame, table_id: str, shade: Callable[[str], str] | None = None) -> str:
    """Render ``table`` as a plain HTML table with an id (the page styles it; tests find it by id).

    Headers break into lines at ' · ' and cells at ' | '; ``shade`` maps a cell's text to a CSS class (e.g. by
    attainment probability).
    """
    head = "".join(f"<th>{_lines(c, ' · ')}</th>" for c in table.columns)

    def cell(value: object) -> str:
        css = shade(str(value)) if shade else ""
        return f'<td class="{css}">{_lines(value, " | ")}</td>' if css else f"<td>{_lines(value, ' | ')}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in table.itertuples(index=False))
    return f'<table id="{table_id}" class="zgc-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
