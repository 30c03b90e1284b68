"""The dashboard's optimisation card: the front of a ``zgcsim optimise`` folder; any point loads as an edit.

``zgcsim dashboard --optimisation DIR`` sets ``ZGCSIM_DASHBOARD_OPTIMISATION``; the card reads that folder's
``pareto.csv`` and draws the brief's Pareto chart (``reporting.pareto``). Loading a point hands its base and lever
values to the page's edit card (through the ``on_load`` callback), where the planner can change them and run the
mix paired with its base like any other edit.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from functools import cache

import pandas as pd
import solara

from zgcsim.dashboard.figures import figure_png, page_style
from zgcsim.reporting.labels import t
from zgcsim.reporting.pareto import Optimisation, load_optimisation, main_levers, pareto_chart
from zgcsim.reporting.style import format_value

ENVIRONMENT = "ZGCSIM_DASHBOARD_OPTIMISATION"


@cache
def optimisation_folder() -> Optimisation | None:
    """The optimisation folder the dashboard was started with, read once (None: none given)."""
    folder = os.environ.get(ENVIRONMENT, "")
    return load_optimisation(folder) if folder else None


def point_levers(opt: Optimisation, point: str) -> dict[str, float]:
    """The lever values of a front point, by lever name."""
    row = opt.front.set_index("point").loc[point]
    return {name: float(row[name]) for name in opt.levers}


def front_rows(opt: Optimisation, lang: str) -> list[list[str]]:
    """The front as table rows: point, cost, targets likely (search / fresh runs), main levers."""
    header = [t("opt_point", lang), t("opt_cost", lang), t("opt_likely", lang), t("opt_levers", lang)]
    rows = [header]
    for _, row in opt.front.iterrows():
        again = row.get("targets_likely_recheck")
        likely = f"{int(row['targets_likely'])}" + (f" / {int(again)}" if pd.notna(again) else "")
        rows.append(
            [str(row["point"]), format_value(row["fiscal_cost"]), likely, main_levers(row, opt.levers, lang, k=3)]
        )
    return rows


@cache
def _front_png(lang: str) -> bytes | None:
    opt = optimisation_folder()
    if opt is None:
        return None
    with page_style(lang):
        fig = pareto_chart(opt, lang)
    return figure_png(fig, lang)


@solara.component
def OptimisationCard(lang: str, on_load: Callable[[str, str, dict[str, float]], None]) -> None:
    """The front's chart and table, and a button that loads the chosen point into the edit card.

    Args:
        lang: 'zh' or 'en'.
        on_load: called with (base scenario, point name, lever values) when the planner loads a point.
    """
    opt = optimisation_folder()
    chosen = solara.use_reactive("")
    with solara.Card(t("opt_tab", lang)):
        if opt is None:
            solara.Text(t("opt_none", lang), style={"font-size": "12px", "color": "#555"})
            return
        png = _front_png(lang)
        if png is not None:
            solara.Image(png, width="100%", classes=["zgc-pareto"])
        rows = front_rows(opt, lang)
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
        solara.HTML(tag="div", unsafe_innerHTML=f'<table class="zgc-table"><tr>{head}</tr>{body}</table>')
        points = [str(p) for p in opt.front["point"]]
        if not points:
            solara.Text(t("no_mix", lang))
            return
        base = str(opt.settings.get("settings", {}).get("base", "no_new_policy"))
        with solara.Row():
            solara.Select(t("opt_point", lang), values=points, value=chosen.value or points[0], on_value=chosen.set)
            solara.Button(
                t("opt_load", lang),
                on_click=lambda: on_load(base, chosen.value or points[0], point_levers(opt, chosen.value or points[0])),
                classes=["zgc-load-point"],
            )
