"""Charts as pure functions from tables to matplotlib Figures (no file access; call inside ``house_style``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from zgcsim.inputs.levers import BY_NAME as LEVERS_BY_NAME
from zgcsim.model.indicators import REGISTRY, TARGET_KEYS
from zgcsim.reporting import tables
from zgcsim.reporting.labels import PARAMETER_NAMES_ZH, PERIOD_ZH, t
from zgcsim.reporting.style import (
    A4_LANDSCAPE,
    OBSERVED_COLOUR,
    TARGET_COLOUR,
    format_value,
    indicator_name,
    scenario_colours,
    scenario_label,
    tick_value,
    unit_label,
    wrap,
)

# Observation markers by the data file's ``basis`` column: filled = published, open = derived,
# triangle = a lower bound ("more than ..."), square = a proxy of a different concept.
BASIS_MARKERS = {
    "sourced": {"marker": "o", "facecolor": OBSERVED_COLOUR},
    "derived": {"marker": "o", "facecolor": "white"},
    "lower_bound": {"marker": "^", "facecolor": "white"},
    "proxy": {"marker": "s", "facecolor": "white"},
}


def _basis_handle(style: dict[str, str]) -> Line2D:
    """Legend entry for observations of one basis (a marker of ``BASIS_MARKERS``, no line)."""
    return Line2D(
        [],
        [],
        linestyle="",
        marker=style["marker"],
        markerfacecolor=style["facecolor"],
        markeredgecolor=OBSERVED_COLOUR,
    )


def _title(key: str, lang: str, width: int, numbered: bool = True) -> str:
    ind = REGISTRY[key]
    prefix = f"{ind.target.number}. " if numbered and ind.target is not None else ""
    return wrap(prefix + indicator_name(key, lang), width)


def _target_text(key: str, lang: str) -> str:
    target = REGISTRY[key].target
    return f"{t('target', lang)} {tables.target_expression(target, unit_label(key, lang))}" if target else ""


def _draw_fan(
    ax: Axes,
    summary: pd.DataFrame,
    key: str,
    lang: str,
    scenarios: Sequence[str],
    observed: pd.DataFrame | None,
    compact: bool,
    colours: Mapping[str, str] | None = None,
    show_target: bool = True,
) -> None:
    colours = colours or scenario_colours(scenarios)
    rows = summary[summary["indicator"] == key]
    for scenario in scenarios:
        s = rows[rows["scenario"] == scenario].sort_values("year")
        if s.empty:
            continue
        c = colours[scenario]
        ax.fill_between(s["year"], s["p05"], s["p95"], color=c, alpha=0.12, linewidth=0)
        ax.fill_between(s["year"], s["p25"], s["p75"], color=c, alpha=0.25, linewidth=0)
        if not compact:
            # Edges keep each scenario's bands traceable where they overlap (fills alone blend into one colour).
            for col, style in (("p25", "-"), ("p75", "-"), ("p05", ":"), ("p95", ":")):
                ax.plot(s["year"], s[col], color=c, linewidth=0.7, linestyle=style, alpha=0.9)
        ax.plot(s["year"], s["p50"], color=c, linewidth=1.8 if not compact else 1.3)
    baseline = tables.baseline_2017(summary, key)
    if np.isfinite(baseline):
        ax.axhline(baseline, color="#777777", linewidth=0.8, linestyle=":")
        ax.plot([2017], [baseline], marker="D", color="#555555", markersize=3.5 if compact else 5, zorder=4)
    target = REGISTRY[key].target if show_target and key in REGISTRY else None
    if target is not None:
        ax.axhline(target.threshold, color=TARGET_COLOUR, linewidth=1.0, linestyle="--")
        ax.plot([2022], [target.threshold], marker="_", color=TARGET_COLOUR, markersize=12, mew=2)
    years = [2017, 2022]
    if observed is not None:
        obs = observed[observed["series"] == key]
        for basis, style in BASIS_MARKERS.items():
            o = obs[obs["basis"] == basis]
            if len(o):
                ax.scatter(
                    o["year"],
                    o["value"],
                    s=14 if compact else 28,
                    marker=style["marker"],
                    facecolors=style["facecolor"],
                    edgecolors=OBSERVED_COLOUR,
                    linewidths=0.9,
                    zorder=5,
                )
        if len(obs):
            years.append(int(obs["year"].min()))
    ax.set_xlim(min(years) - 0.4, 2022.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6 if compact else 12))
    if min(years) < 2017:
        ax.axvspan(2017, 2022.4, color="#F4F4F4", zorder=0, linewidth=0)  # the projection, set off from the data
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5 if compact else 7))
    ax.yaxis.set_major_formatter(tick_value)
    lo, hi = ax.get_ylim()
    if lo > 0 and lo < 0.25 * hi:
        ax.set_ylim(bottom=0)  # start at zero when it costs little room, so levels are not overstated


def _fan_legend(
    lang: str,
    scenarios: Sequence[str],
    titles: dict[str, str] | None,
    observed_bases: set[str],
    colours: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> list:
    labels = labels or {}
    handles: list = [
        (Line2D([], [], color=colours[s], linewidth=1.8), labels.get(s) or scenario_label(s, lang, titles))
        for s in scenarios
    ]
    handles += [
        (Patch(facecolor="#888888", alpha=0.25, edgecolor="#555555"), t("band_50", lang)),
        (Patch(facecolor="#888888", alpha=0.12, edgecolor="#555555", linestyle=":"), t("band_90", lang)),
        (Line2D([], [], color="#777777", linestyle=":", marker="D", markersize=4), t("baseline", lang)),
        (Line2D([], [], color=TARGET_COLOUR, linestyle="--"), t("target", lang)),
    ]
    for basis, style in BASIS_MARKERS.items():
        if basis in observed_bases:
            handles.append((_basis_handle(style), t(f"basis_{basis}", lang)))
    return handles


def fan_chart(
    summary: pd.DataFrame,
    indicator: str,
    lang: str,
    *,
    scenarios: Sequence[str] | None = None,
    titles: dict[str, str] | None = None,
    observed: pd.DataFrame | None = None,
    colours: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Fan chart of one indicator: median and 25-75 / 5-95 % bands per scenario, observed points, baseline, target.

    The one fan chart of the project: the brief, ``zgcsim plot`` and the dashboard all draw it.

    Args:
        summary: ``summary.csv`` of a results folder.
        indicator: registry key.
        lang: 'zh' or 'en'.
        scenarios: scenario names in drawing order (default: order of appearance).
        titles: scenario titles by name (English display names).
        observed: full-year zone observations (``inputs.load_observed()``); None draws none.
        colours: colour by entry of ``scenarios`` (default: ``style.scenario_colours``).
        labels: legend label by entry of ``scenarios`` (default: the scenario's display name).
    """
    scenarios = list(scenarios or dict.fromkeys(summary["scenario"]))
    colours = colours or scenario_colours(scenarios)
    fig = Figure(figsize=(7.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    _draw_fan(ax, summary, indicator, lang, scenarios, observed, compact=False, colours=colours)
    target_text = _target_text(indicator, lang)
    # the target goes on its own line under the title, so a long name never runs into it
    ax.set_title(_title(indicator, lang, 70), loc="left", fontweight="bold", pad=16 if target_text else 6)
    ax.set_ylabel(unit_label(indicator, lang))
    if target_text:
        ax.text(0.0, 1.015, target_text, transform=ax.transAxes, ha="left", va="bottom", color=TARGET_COLOUR)
    bases = set(observed.loc[observed["series"] == indicator, "basis"]) if observed is not None else set()
    handles = _fan_legend(lang, scenarios, titles, bases, colours, labels)
    fig.legend(*zip(*handles, strict=True), loc="outside lower center", ncol=3)
    return fig


def fan_small_multiples(
    summary: pd.DataFrame,
    lang: str,
    *,
    indicators: Sequence[str] = TARGET_KEYS,
    scenarios: Sequence[str] | None = None,
    titles: dict[str, str] | None = None,
    observed: pd.DataFrame | None = None,
) -> Figure:
    """All 16 target indicators as fan charts on one A4-landscape page, with one shared legend."""
    scenarios = list(scenarios or dict.fromkeys(summary["scenario"]))
    fig = Figure(figsize=A4_LANDSCAPE, layout="constrained")
    axes = fig.subplots(4, 4)
    bases: set[str] = set()
    for ax, key in zip(axes.flat, indicators, strict=False):
        _draw_fan(ax, summary, key, lang, scenarios, observed, compact=True)
        ax.set_title(_title(key, lang, 36), loc="left", fontsize=8.5)
        ax.set_ylabel(wrap(unit_label(key, lang), 22), fontsize=7)
        ax.tick_params(labelsize=7)
        if observed is not None:
            bases |= set(observed.loc[observed["series"] == key, "basis"])
    for ax in list(axes.flat)[len(indicators) :]:
        ax.set_visible(False)
    fig.suptitle(t("fans_title", lang), fontweight="bold", fontsize=11)
    handles = _fan_legend(lang, scenarios, titles, bases, scenario_colours(scenarios))
    fig.legend(*zip(*handles, strict=True), loc="outside lower center", ncol=min(len(handles), 5), fontsize=7.5)
    return fig


def attainment_heatmap(
    attainment: pd.DataFrame,
    lang: str,
    *,
    scenarios: Sequence[str] | None = None,
    titles: dict[str, str] | None = None,
) -> Figure:
    """Heatmap of the probability of meeting each 2022 target: indicators down, scenarios across, p in each cell."""
    scenarios = list(scenarios or dict.fromkeys(attainment["scenario"]))
    keys = [k for k in TARGET_KEYS if k in set(attainment["indicator"])]
    grid = attainment.pivot(index="indicator", columns="scenario", values="p_attain").loc[keys, scenarios]
    fig = Figure(figsize=(4.2 + 1.6 * len(scenarios), 8.0), layout="constrained")
    ax = fig.add_subplot()
    cmap = mcolors.LinearSegmentedColormap.from_list("attain", ["#B2182B", "#F7F7F7", "#2166AC"])
    image = ax.imshow(grid.to_numpy(dtype=float), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for (i, j), p in np.ndenumerate(grid.to_numpy(dtype=float)):
        mark = t(tables.status(p), lang) if np.isfinite(p) else ""
        rgba = cmap(p) if np.isfinite(p) else (1, 1, 1, 1)
        dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
        ax.text(
            j,
            i,
            f"{p:.2f}\n{mark}" if np.isfinite(p) else "-",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if dark else "black",
        )
    ax.set_xticks(range(len(scenarios)), [wrap(scenario_label(s, lang, titles), 26) for s in scenarios])
    ax.xaxis.tick_top()
    row_labels = [
        _title(k, lang, 40 if lang == "zh" else 64)
        + "\n"
        + tables.target_expression(REGISTRY[k].target, unit_label(k, lang))
        for k in keys
    ]
    ax.set_yticks(range(len(keys)), row_labels, fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    n = int(attainment["replicates"].max()) if "replicates" in attainment else 0
    cbar = fig.colorbar(image, ax=ax, shrink=0.5, location="bottom", pad=0.01)
    cbar.set_label(t("heatmap_note", lang, n=n), fontsize=8)
    fig.suptitle(t("heatmap_title", lang), fontweight="bold", fontsize=11)
    return fig


def paired_difference_chart(
    diffs: pd.DataFrame,
    reference: str,
    lang: str,
    *,
    titles: dict[str, str] | None = None,
    scenarios: Sequence[str] | None = None,
) -> Figure:
    """Forest plot of each scenario's paired 2022 difference from the reference, in % of the reference median.

    Args:
        diffs: ``tables.paired_differences(...)``.
        reference: the reference scenario's name.
        lang: 'zh' or 'en'.
        titles: scenario titles by name.
        scenarios: the compared scenarios in order (default: order of appearance in ``diffs``).
    """
    scenarios = list(scenarios or dict.fromkeys(diffs["scenario"]))
    all_names = [reference, *scenarios]
    colours = scenario_colours(all_names)
    keys = [k for k in TARGET_KEYS if k in set(diffs["indicator"])]
    rel = tables.relative(diffs)
    fig = Figure(figsize=(A4_LANDSCAPE[0], 7.2), layout="constrained")
    ax, text_ax = fig.subplots(1, 2, width_ratios=[3.2, 1], sharey=True)
    step = 0.7 / max(len(scenarios), 1)
    for k_i, scenario in enumerate(scenarios):
        offset = (k_i - (len(scenarios) - 1) / 2) * step
        for row, key in enumerate(keys):
            r = rel[(rel["scenario"] == scenario) & (rel["indicator"] == key)]
            a = diffs[(diffs["scenario"] == scenario) & (diffs["indicator"] == key)]
            if r.empty:
                continue
            r, a = r.iloc[0], a.iloc[0]
            y = row + offset
            c = colours[scenario]
            if np.isfinite(r["median"]):
                ax.plot([r["p05"], r["p95"]], [y, y], color=c, linewidth=1.0)
                ax.plot([r["p25"], r["p75"]], [y, y], color=c, linewidth=3.5, solid_capstyle="butt")
                ax.plot([r["median"]], [y], marker="o", color=c, markersize=5, markeredgecolor="white")
            text = f"{'+' if a['median'] > 0 else ''}{format_value(a['median'])} {unit_label(key, lang)}"
            text_ax.text(0.0, y, text, va="center", ha="left", fontsize=7.5, color=c)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(range(len(keys)), [_title(k, lang, 36 if lang == "zh" else 44) for k in keys], fontsize=7.5)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel(t("diff_axis", lang))
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.0f} %" if v else "0")
    text_ax.axis("off")
    text_ax.set_title(t("diff_median", lang), loc="left", fontsize=8, color="#444444")
    ref_label = scenario_label(reference, lang, titles)
    compared = ", ".join(scenario_label(s, lang, titles) for s in scenarios)
    fig.suptitle(t("diff_title", lang, ref=ref_label, scen=compared), fontweight="bold", fontsize=11)
    ax.set_title(t("diff_note", lang), loc="left", fontsize=7.5, color="#444444")
    if len(scenarios) > 1:
        handles = [Line2D([], [], color=colours[s], marker="o", linewidth=2) for s in scenarios]
        labels = [scenario_label(s, lang, titles) for s in scenarios]
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(handles), 4))
    return fig


def _parameter_label(name: str, lang: str) -> str:
    if lang != "zh":
        return name
    lever = LEVERS_BY_NAME.get(name)
    return lever.name_zh if lever is not None else PARAMETER_NAMES_ZH.get(name, name)


def sensitivity_chart(table: pd.DataFrame, method: str, lang: str, *, top: int = 6) -> Figure:
    """Ranked bars of Sobol (ST with S1 inside) or Morris (μ* with σ marked) indices, one panel per indicator.

    Args:
        table: the ``sobol.csv`` or ``morris.csv`` table of an analysis folder.
        method: 'sobol' or 'morris'.
        lang: 'zh' or 'en'.
        top: the number of most influential inputs shown per indicator.
    """
    present = list(dict.fromkeys(table["indicator"]))
    keys = [k for k in TARGET_KEYS if k in present] + [k for k in present if k not in TARGET_KEYS]
    ncols = 4 if len(keys) > 6 else min(len(keys), 3)
    nrows = int(np.ceil(len(keys) / ncols))
    fig = Figure(figsize=(A4_LANDSCAPE[0], max(3.0, 2.05 * nrows + 1.0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    rank_col = "ST" if method == "sobol" else "mu_star"
    for ax, key in zip(axes, keys, strict=False):
        rows = table[table["indicator"] == key].sort_values(rank_col, ascending=False).head(top)[::-1]
        y = np.arange(len(rows))
        names = [wrap(_parameter_label(p, lang), 22) for p in rows["parameter"]]
        if method == "sobol":
            # ST's interval in grey above the bar centre, S1's in dark blue below it, so the two never hide each other
            ax.barh(y, rows["ST"], color="#9ECAE1")
            ax.barh(y - 0.12, rows["S1"], height=0.35, color="#08519C")
            ax.errorbar(rows["ST"], y + 0.25, xerr=rows["ST_conf"], fmt="none", ecolor="#777777", elinewidth=0.8)
            ax.errorbar(rows["S1"], y - 0.12, xerr=rows["S1_conf"], fmt="none", ecolor="#08306B", elinewidth=0.8)
            # S1 and ST lie in [0, 1] up to estimation error; negative estimates are noise and are cut at zero
            ax.set_xlim(0, max(1.0, float((rows["ST"] + rows["ST_conf"]).max()) * 1.05))
        else:
            ax.barh(y, rows["mu_star"], color="#9ECAE1")
            ax.errorbar(rows["mu_star"], y, xerr=rows["mu_star_conf"], fmt="none", ecolor="#555555", elinewidth=0.8)
            ax.plot(rows["sigma"], y, linestyle="", marker="|", color="#08519C", markersize=9, mew=2)
            ax.set_xlim(left=0)  # μ* is a mean absolute effect: its interval below zero carries no information
            ax.xaxis.set_major_formatter(tick_value)
        ax.set_yticks(y, names, fontsize=6.5)
        ax.tick_params(axis="x", labelsize=6.5)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        title = _title(key, lang, 30) if key in REGISTRY else key
        if method == "morris" and key in REGISTRY:
            title += f"\n({unit_label(key, lang)})"
        ax.set_title(title, loc="left", fontsize=8)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    if method == "sobol":
        handles = [Patch(color="#9ECAE1"), Patch(color="#08519C")]
        labels = [t("sobol_total", lang), t("sobol_first", lang)]
    else:
        handles = [Patch(color="#9ECAE1"), Line2D([], [], linestyle="", marker="|", color="#08519C", mew=2)]
        labels = [t("morris_mu", lang), t("morris_sigma", lang)]
    fig.legend(handles, labels, loc="outside lower center", ncol=2)
    fig.suptitle(
        f"{t(method + '_title', lang)}: {t('sens_note', lang, k=top)}",
        fontweight="bold",
        fontsize=11,
    )
    return fig


def calibration_chart(fit: pd.DataFrame, lang: str) -> Figure:
    """Simulated (median, 5-95 %) against observed values, 2013-2017, one panel per series (and period).

    Reads the ``fit.csv`` of ``zgcsim calibrate``; its optional ``period`` column puts non-full-year moments (e.g.
    a mid-year patent stock) in panels of their own, and its optional ``basis`` column marks observations as the
    fan charts do. A series with a single year gets an interval instead of a band.
    """
    fit = fit.copy()
    period = fit["period"].astype(str) if "period" in fit else pd.Series("FY", index=fit.index)
    fit["_panel"] = np.where(period == "FY", fit["series"], fit["series"] + " (" + period + ")")
    fit["_basis"] = fit.get("basis", "sourced")
    panels = list(dict.fromkeys(fit["_panel"]))
    ncols = min(4, len(panels))
    nrows = int(np.ceil(len(panels) / ncols))
    fig = Figure(figsize=(A4_LANDSCAPE[0], max(3.2, 2.3 * nrows + 1.0)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    sim = "#0072B2"
    bases: set[str] = set()
    for ax, panel in zip(axes, panels, strict=False):
        rows = fit[fit["_panel"] == panel].sort_values("year")
        key = str(rows["series"].iloc[0])
        if len(rows) > 1:
            ax.fill_between(rows["year"], rows["sim_p05"], rows["sim_p95"], color=sim, alpha=0.18, linewidth=0)
            ax.plot(rows["year"], rows["sim_p50"], color=sim, linewidth=1.5)
        else:
            low, high = rows["sim_p50"] - rows["sim_p05"], rows["sim_p95"] - rows["sim_p50"]
            ax.errorbar(
                rows["year"], rows["sim_p50"], yerr=[low, high], fmt="none", ecolor=sim, elinewidth=6, alpha=0.3
            )
            ax.plot(rows["year"], rows["sim_p50"], marker="_", color=sim, markersize=14, mew=2, linestyle="")
            ax.set_xlim(rows["year"].iloc[0] - 1, rows["year"].iloc[0] + 1)
        obs = rows.dropna(subset=["observed"])
        for basis, style in BASIS_MARKERS.items():
            o = obs[obs["_basis"] == basis]
            if len(o):
                bases.add(basis)
                ax.scatter(
                    o["year"],
                    o["observed"],
                    s=22,
                    marker=style["marker"],
                    facecolors=style["facecolor"],
                    edgecolors=OBSERVED_COLOUR,
                    zorder=5,
                )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        ax.yaxis.set_major_formatter(tick_value)
        ax.tick_params(labelsize=7)
        period = str(rows["period"].iloc[0]) if "period" in rows else "FY"
        suffix = "" if period == "FY" else f" ({PERIOD_ZH.get(period, period) if lang == 'zh' else period})"
        if key in REGISTRY:
            ax.set_title(_title(key, lang, 30, numbered=False) + suffix, loc="left", fontsize=8.5)
            ax.set_ylabel(wrap(unit_label(key, lang), 22), fontsize=7)
        else:
            ax.set_title(panel, loc="left", fontsize=8.5)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles: list = [Line2D([], [], color=sim, linewidth=1.5), Patch(color=sim, alpha=0.18)]
    labels = [t("sim_median", lang), t("sim_band", lang)]
    for basis, style in BASIS_MARKERS.items():
        if basis in bases:
            handles.append(_basis_handle(style))
            labels.append(t(f"basis_{basis}", lang))
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(handles), 6))
    fig.suptitle(t("calib_title", lang), fontweight="bold", fontsize=11)
    return fig


VARIANCE_COLOURS = {
    "behavioural_parameters": "#6BAED6",
    "baseline_inputs": "#9E9AC8",
    "structural_inputs": "#FD8D3C",
    "common_shocks": "#E6550D",
    "policy_effects": "#31A354",
    "concept_factors": "#F7B6D2",
    "unit_costs": "#BCBD22",
    "park_areas": "#8C6D31",
    "discrepancy": "#756BB1",
    "chance_and_interactions": "#D9D9D9",
}


def variance_chart(variance: pd.DataFrame, lang: str, *, scenario: str, replicates: int) -> Figure:
    """Stacked bars: the share of each 2022 value's variance by source of uncertainty, for the 16 targets.

    Args:
        variance: the ``variance.csv`` of a results folder (``scenario, of, indicator, component, share``).
        lang: 'zh' or 'en'.
        scenario: the scenario whose own values are split (rows with ``of == 'value'``).
        replicates: runs per scenario, for the note under the chart.
    """
    rows = variance[(variance["scenario"] == scenario) & (variance.get("of", "value") == "value")]
    wide = rows.pivot(index="indicator", columns="component", values="share")
    keys = [k for k in TARGET_KEYS if k in wide.index][::-1]
    fig = Figure(figsize=(A4_LANDSCAPE[0], 6.2), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(keys))
    for component, colour in VARIANCE_COLOURS.items():
        if component not in wide.columns:
            continue
        share = wide.loc[keys, component].fillna(0.0).to_numpy()
        ax.barh(np.arange(len(keys)), share, left=left, color=colour, label=t(f"component_{component}", lang))
        left += share
    ax.set_yticks(np.arange(len(keys)), [_title(k, lang, 40) for k in keys], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("variance_axis", lang))
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=4, fontsize=7, frameon=False)
    fig.suptitle(t("variance_note", lang, scenario=scenario, n=replicates), fontsize=8, x=0.01, ha="left")
    return fig
