"""The dashboard's tables: target attainment side by side, and the paired effect of an edit against its parent."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.inputs.targets import Target, load_targets
from zgcsim.reporting.labels import t
from zgcsim.reporting.style import indicator_name, unit_label
from zgcsim.reporting.tables import paired_differences, target_expression


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
    unit = unit_label(key, lang)
    return target_expression(target, {"percent": "%", "count": ""}.get(unit, unit))  # '≥ 6 %' reads better


def target_row_head(target: Target, lang: str) -> dict[str, object]:
    """The leading cells of a target's row in the page's tables: number, indicator name, 2022 threshold."""
    return {
        "#": target.number,
        t("indicator", lang): indicator_name(target.key, lang),
        t("target_column", lang): target_text(target.key, lang),
    }


def attainment_table(sets: Sequence[ResultSet], lang: str) -> pd.DataFrame:
    """One row per target (plan order), one column per result set: 'p ± se | median 2022'."""
    rows = []
    for target in load_targets():
        row = target_row_head(target, lang)
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
    """Per target: change in the share of runs meeting it and the run-by-run 2022 difference (median, 5-95 %).

    Runs are matched on their seed (replicate r of both scenarios used the same random numbers); the numbers come
    from the project's one paired comparison, ``reporting.tables.paired_differences``.
    """
    if child.runs is None or parent.runs is None:
        raise ValueError("paired comparison needs the individual runs of both scenarios")
    both = pd.concat([child.runs.assign(scenario="child"), parent.runs.assign(scenario="parent")], ignore_index=True)
    diffs = paired_differences(both, "parent", by=("seed",)).set_index("indicator")
    rows = []
    for target in load_targets():
        d = diffs.loc[target.key]
        rows.append(
            {
                "#": target.number,
                t("indicator", lang): indicator_name(target.key, lang),
                t("delta_p", lang): f"{d['p_difference']:+.2f}",
                t("median_diff", lang): f"{number(d['median'], True)} ({number(d['p05'], True)} … "
                f"{number(d['p95'], True)})",
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
