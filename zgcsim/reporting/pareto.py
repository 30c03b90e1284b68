"""The optimisation pages: the Pareto front of cost against targets likely, and the least-cost mix per target.

Both charts read the files ``zgcsim optimise`` writes (``pareto.csv``, ``least_cost.csv``, ``optimisation.json``)
and are pure functions from tables to Figures, like ``charts.py`` (call them inside ``house_style``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from zgcsim.errors import UserInputError
from zgcsim.inputs.levers import BY_NAME as LEVERS_BY_NAME
from zgcsim.model.indicators import TARGET_KEYS
from zgcsim.reporting.labels import lever_short, t
from zgcsim.reporting.style import A4_LANDSCAPE, TARGET_COLOUR, format_value, indicator_name, scenario_label, wrap

FRONT_COLOUR = "#2166AC"


@dataclass(frozen=True)
class Optimisation:
    """An optimisation folder read back: its front, its per-target least-cost mixes and its settings."""

    path: Path
    front: pd.DataFrame
    least_cost: pd.DataFrame
    settings: dict

    @property
    def levers(self) -> list[str]:
        """The searched levers, in catalogue order."""
        return [name for name in LEVERS_BY_NAME if name in self.front.columns or name in self.least_cost.columns]


def load_optimisation(folder: str | Path) -> Optimisation:
    """Read an optimisation folder (``zgcsim optimise --out``); a folder without ``pareto.csv`` is refused."""
    folder = Path(folder)
    pareto = folder / "pareto.csv"
    if not pareto.is_file():
        raise UserInputError("not an optimisation folder (no pareto.csv)", path=folder, key="--optimisation")
    least = folder / "least_cost.csv"
    settings = folder / "optimisation.json"
    try:
        least_table = pd.read_csv(least) if least.is_file() and least.stat().st_size > 1 else pd.DataFrame()
    except pd.errors.EmptyDataError:
        least_table = pd.DataFrame()
    return Optimisation(
        path=folder,
        front=pd.read_csv(pareto),
        least_cost=least_table,
        settings=json.loads(settings.read_text(encoding="utf-8")) if settings.is_file() else {},
    )


def main_levers(row: pd.Series, levers: list[str], lang: str, k: int = 2) -> str:
    """The ``k`` levers the mix moves most from their 2017 setting (as a share of their range), with values."""
    moves = []
    for name in levers:
        lever = LEVERS_BY_NAME[name]
        value = float(row[name])
        moves.append((abs(value - lever.setting_2017) / (lever.high - lever.low), name, value))
    moves.sort(key=lambda m: (-m[0], m[1]))
    shown = [f"{lever_short(name, lang)} {format_value(value)}" for share, name, value in moves[:k] if share > 0]
    return ", ".join(shown) if shown else "2017"


def pareto_chart(opt: Optimisation, lang: str) -> Figure:
    """Cost against targets likely, one labelled dot per front point, with its re-estimate on fresh runs."""
    front = opt.front.sort_values("fiscal_cost")
    settings = opt.settings.get("settings", {})
    replicates = settings.get("replicates", "?")
    base = scenario_label(settings.get("base", "no_new_policy"), lang)
    fig = Figure(figsize=A4_LANDSCAPE, layout="constrained")
    ax = fig.subplots()
    if not front.empty:
        x, y = front["fiscal_cost"].to_numpy(float), front["targets_likely"].to_numpy(float)
        ax.step(x, y, where="post", color=FRONT_COLOUR, linewidth=1, alpha=0.6)
        if "targets_likely_recheck" in front:  # a wide ring under the dot, so both show where they coincide
            again = front["targets_likely_recheck"].to_numpy(float)
            ax.vlines(x, np.minimum(y, again), np.maximum(y, again), color=TARGET_COLOUR, linewidth=0.8, alpha=0.7)
            ax.scatter(
                x, again, s=90, facecolor="white", edgecolor=TARGET_COLOUR, zorder=3, label=t("pareto_recheck", lang)
            )
        ax.scatter(x, y, s=25, color=FRONT_COLOUR, zorder=4, label=t("pareto_search", lang))
        # Points crowd where cost differs little, so each dot carries only its number; a key in the empty upper part
        # of the plot (no mix makes most targets likely) gives each point's cost, count and main levers.
        key = []
        for i, (_, row) in enumerate(front.iterrows()):
            number = str(row["point"]).removeprefix("point_")
            ax.annotate(
                number,
                (row["fiscal_cost"], row["targets_likely"]),
                xytext=(-3, 7 if i % 2 == 0 else -13),
                textcoords="offset points",
                fontsize=7,
            )
            again = f" ({int(row['targets_likely_recheck'])})" if "targets_likely_recheck" in front else ""
            levers = main_levers(row, opt.levers, lang, k=3)
            key.append(
                f"{row['point']}   {format_value(row['fiscal_cost'])} | {int(row['targets_likely'])}{again} | {levers}"
            )
        ax.text(0.01, 0.99, "\n".join([t("pareto_key", lang), *key]), transform=ax.transAxes, va="top", fontsize=7)
        span = max(float(x.max() - x.min()), abs(float(x.max())), 1.0)
        ax.set_xlim(float(x.min()) - 0.05 * span, float(x.max()) + 0.1 * span)
        ax.legend(loc="lower right")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(-0.5, 16.5)
    ax.set_xlabel(t("pareto_x", lang))
    ax.set_ylabel(t("pareto_y", lang))
    ax.grid(True, axis="both")
    trials = opt.settings.get("budget", "?")
    fig.suptitle(t("pareto_title", lang, n=trials, base=base), fontweight="bold", fontsize=11)
    ax.set_title(wrap(t("pareto_note", lang, r=replicates), 150 if lang == "en" else 90), fontsize=8, loc="left")
    return fig


def least_cost_chart(opt: Optimisation, lang: str) -> Figure:
    """Per target: the cheapest mix found that makes it likely, with P in the search and on fresh runs."""
    least = opt.least_cost
    keys = [k for k in TARGET_KEYS if not least.empty and k in set(least["target"])][::-1]
    fig = Figure(figsize=A4_LANDSCAPE, layout="constrained")
    ax = fig.subplots()
    if keys:
        rows = least.set_index("target").loc[keys]
        cost = rows["fiscal_cost"].to_numpy(float)
        ax.barh(np.arange(len(keys)), cost, color=FRONT_COLOUR, alpha=0.8)
        span = max(float(np.nanmax(np.abs(cost))), 1.0)
        for i, key in enumerate(keys):
            row = rows.loc[key]
            p, again = row.get(f"p_{key}"), row.get(f"p_{key}_recheck")
            text = f"P {p:.2f}" + (f" / {again:.2f}" if again is not None and pd.notna(again) else "")
            ax.text(
                max(cost[i], 0) + 0.01 * span,
                i,
                f"{format_value(cost[i])}  ({text}; {main_levers(row, opt.levers, lang)})",
                va="center",
                fontsize=7,
            )
        ax.set_yticks(np.arange(len(keys)), [wrap(indicator_name(k, lang), 40) for k in keys], fontsize=8)
        ax.set_xlim(min(0.0, float(np.nanmin(cost))), span * 1.9)
    else:
        ax.text(0.5, 0.5, t("no_mix", lang), ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(t("least_cost_x", lang))
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    fig.suptitle(t("least_cost_title", lang), fontweight="bold", fontsize=11)
    ax.set_title(wrap(t("least_cost_note", lang), 150 if lang == "en" else 90), fontsize=8, loc="left")
    return fig
