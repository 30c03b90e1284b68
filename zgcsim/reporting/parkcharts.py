"""Charts of the 16 parks: the map of Beijing's districts, and the fan chart of one park's indicator.

Pure functions from tables (and district boundaries) to matplotlib Figures; call inside ``house_style``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure

from zgcsim.reporting import charts
from zgcsim.reporting.labels import PARK_DISTRICTS, park_indicator, park_name, t
from zgcsim.reporting.style import format_value, scenario_colours, scenario_label, tick_value, wrap

LEVEL_CMAP = "YlGnBu"
CHANGE_CMAP = "RdBu"
NO_DATA = "#E0E0E0"
# The six central districts are small on a map of the whole city: they are drawn again, larger, in an inset over
# this box (degrees: west, south, east, north), and the three smallest are labelled only there.
CENTRE_BOX = (116.10, 39.82, 116.56, 40.02)
INSET_ONLY = ("dongcheng", "xicheng", "shijingshan")
INSET = (0.0, 0.64, 0.40, 0.36)  # axes fraction: the empty corner north-west of Yanqing and Huairou
# Dongcheng and Xicheng are too narrow for their labels even in the inset: the labels stand beside them, on a white
# box, with a line to the district (degrees).
LABEL_AT = {"xicheng": (116.29, 39.855), "dongcheng": (116.50, 39.955)}
LATITUDE = 40.0  # degrees; one degree of longitude is cos(40°) of a degree of latitude on the ground


def _label_point(geometry: Any) -> tuple[float, float]:
    """A point well inside the district's largest part (its pole of inaccessibility), for its label."""
    from shapely.ops import polylabel

    parts = getattr(geometry, "geoms", [geometry])
    largest = max(parts, key=lambda g: g.area)
    point = polylabel(largest, tolerance=0.002)
    return float(point.x), float(point.y)


def _text_colour(rgba: tuple[float, ...]) -> str:
    return "white" if 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.45 else "black"


def _draw_districts(
    ax: Axes,
    districts: Mapping[str, Any],
    values: Mapping[str, float],
    cmap: mcolors.Colormap,
    norm: mcolors.Normalize,
    lang: str,
    fmt: Any,
    labelled: Sequence[str],
    size: float,
) -> None:
    """Fill each park's district by its value (grey where missing) and label the parks in ``labelled``."""
    from shapely.plotting import patch_from_polygon

    for park, district in PARK_DISTRICTS.items():
        geometry = districts.get(district)
        if geometry is None:
            continue
        value = values.get(park, np.nan)
        colour = cmap(norm(value)) if np.isfinite(value) else mcolors.to_rgba(NO_DATA)
        patch = patch_from_polygon(geometry, facecolor=colour, edgecolor="white", linewidth=0.7)
        patch.set_gid(park)
        ax.add_patch(patch)
        if park not in labelled:
            continue
        if ax.get_label() == "inset":  # the label of a district cut by the inset's edge goes in its visible part
            from shapely.geometry import box

            x, y = _label_point(geometry.intersection(box(*CENTRE_BOX)))
        else:
            x, y = _label_point(geometry)
        text = f"{park_name(park, lang)}\n{fmt(value) if np.isfinite(value) else '-'}"
        style = {"ha": "center", "va": "center", "fontsize": size, "linespacing": 1.1, "annotation_clip": True}
        if ax.get_label() == "inset":  # on a white box: a small district's label runs over its neighbours
            box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#888888", "linewidth": 0.5}
            arrow = {"arrowstyle": "-", "color": "#444444", "linewidth": 0.6} if park in LABEL_AT else None
            ax.annotate(text, (x, y), xytext=LABEL_AT.get(park, (x, y)), bbox=box, arrowprops=arrow, **style)
        else:
            ax.annotate(text, (x, y), color=_text_colour(colour), **style)


def _map_panel(
    fig: Figure,
    rect: Sequence[float],
    districts: Mapping[str, Any],
    values: Mapping[str, float],
    cmap: mcolors.Colormap,
    norm: mcolors.Normalize,
    lang: str,
    fmt: Any,
    title: str,
    bar_label: str,
) -> Axes:
    """One map of the 16 districts with an inset of the centre and a colour bar below; returns the main axes."""
    ax = fig.add_axes(rect)
    outer = [p for p in PARK_DISTRICTS if p not in INSET_ONLY]
    _draw_districts(ax, districts, values, cmap, norm, lang, fmt, outer, 7.5)
    ax.autoscale_view()
    ax.set_aspect(1 / np.cos(np.radians(LATITUDE)))
    ax.set_anchor("S")  # the map sits on its colour bar; its title follows it down
    ax.set_axis_off()
    ax.set_title(wrap(title, 64), fontsize=9.5, loc="center")
    west, south, east, north = CENTRE_BOX
    inset = ax.inset_axes(INSET, label="inset")
    _draw_districts(inset, districts, values, cmap, norm, lang, fmt, INSET_ONLY, 6.5)
    inset.set_xlim(west, east)
    inset.set_ylim(south, north)
    inset.set_aspect(1 / np.cos(np.radians(LATITUDE)))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.grid(False)
    inset.set_title(t("parks_map_inset", lang), fontsize=7, color="#444444", pad=2)
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor("#555555")
    x0, y0, width, _ = rect
    bar_ax = fig.add_axes((x0 + 0.12 * width, y0 - 0.04, 0.76 * width, 0.018))
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar_ax, orientation="horizontal")
    bar.set_label(bar_label, fontsize=8)
    bar.ax.tick_params(labelsize=7.5)
    if isinstance(norm, mcolors.LogNorm):  # ticks at 1-2-5 steps in plain numbers, not powers of ten
        steps = [m * 10**e for e in range(-3, 7) for m in (1, 2, 5)]
        bar.set_ticks([v for v in steps if norm.vmin <= v <= norm.vmax])
        bar.ax.xaxis.set_major_formatter(tick_value)
        bar.ax.xaxis.set_minor_formatter("")
    return ax


def _level_norm(values: np.ndarray) -> mcolors.Normalize:
    """Log scale when the parks' levels span more than a factor of 20, else linear from zero."""
    finite = values[np.isfinite(values) & (values > 0)]
    if len(finite) == 0:
        return mcolors.Normalize(0, 1)
    low, high = float(finite.min()), float(finite.max())
    if high > 20 * low:
        return mcolors.LogNorm(low, high)
    return mcolors.Normalize(0, high)


def _change_norm(values: np.ndarray) -> mcolors.Normalize:
    """Symmetric around zero, so that white means no change."""
    finite = values[np.isfinite(values)]
    bound = float(np.abs(finite).max()) if len(finite) else 0.0
    bound = bound if bound > 0 else 1.0
    return mcolors.Normalize(-bound, bound)


def parks_map(
    values: pd.DataFrame,
    districts: Mapping[str, Any],
    lang: str,
    *,
    reference: str,
    scenario: str | None,
    year: int = 2022,
    titles: dict[str, str] | None = None,
    replicates: int = 0,
    source: str = "",
) -> Figure:
    """The map of Beijing's 16 districts, each coloured by its park's revenue per km² and its change.

    Left: the median revenue per km² in ``year`` under ``reference``. Right (when ``scenario`` is given): the
    median paired change under ``scenario``, in % of the reference median. Each park colours the district of the
    same name; 大兴-亦庄园 colours Daxing. The six central districts are repeated in an inset.

    Args:
        values: ``parks.map_values(...)``: ``park, level`` and, with a scenario, ``change_pct``.
        districts: district boundaries by Chinese name (``inputs.load_districts()[0]``), in degrees.
        lang: 'zh' or 'en'.
        reference: the reference scenario's name.
        scenario: the compared scenario's name, or None for the level alone.
        year: the year shown.
        titles: scenario titles by name.
        replicates: paired runs per scenario, for the note.
        source: the source line (boundaries and results folder).
    """
    ref_label = scenario_label(reference, lang, titles)
    by_park = values.set_index("park")
    fig = Figure(figsize=(11.69, 8.27))
    level = by_park["level"].astype(float)
    level_norm = _level_norm(level.to_numpy())
    level_bar = t("parks_map_level_bar", lang)

    def level_panel(box: tuple[float, float, float, float]) -> None:  # the 2022 level, alone or left of the change
        _map_panel(
            fig,
            box,
            districts,
            level.to_dict(),
            plt_cmap(LEVEL_CMAP),
            level_norm,
            lang,
            format_value,
            t("parks_map_level", lang, year=year),
            level_bar,
        )

    if scenario is None:
        fig.suptitle(t("parks_map_title_one", lang, year=year, ref=ref_label), fontweight="bold", fontsize=11)
        level_panel((0.2, 0.17, 0.6, 0.73))
    else:
        scen_label = scenario_label(scenario, lang, titles)
        title = t("parks_map_title", lang, year=year, ref=ref_label, scen=scen_label)
        fig.suptitle(wrap(title, 110), fontweight="bold", fontsize=11)
        level_panel((0.02, 0.17, 0.46, 0.73))
        change = by_park["change_pct"].astype(float)
        _map_panel(
            fig,
            (0.52, 0.17, 0.46, 0.73),
            districts,
            change.to_dict(),
            plt_cmap(CHANGE_CMAP),
            _change_norm(change.to_numpy()),
            lang,
            lambda v: f"{v:+.1f} %",
            t("parks_map_change", lang, scen=scen_label, ref=ref_label),
            t("parks_map_change_bar", lang, year=year),
        )
    note = wrap(t("parks_map_note", lang, n=replicates), 175)
    fig.text(0.02, 0.07, note, fontsize=7.5, color="#444444", va="top")
    fig.text(0.02, 0.012, source, fontsize=7, color="#666666", va="bottom")
    return fig


def plt_cmap(name: str) -> mcolors.Colormap:
    """A named matplotlib colour map (``matplotlib.colormaps[name]``)."""
    import matplotlib

    return matplotlib.colormaps[name]


def park_fan_chart(
    summary: pd.DataFrame,
    park: str,
    indicator: str,
    lang: str,
    *,
    scenarios: Sequence[str] | None = None,
    titles: dict[str, str] | None = None,
    colours: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Fan chart of one park's indicator: median, 25-75 % and 5-95 % bands per scenario, and its 2017 median.

    Args:
        summary: ``parks.park_summary(...)`` (the bands of that park and indicator), one scenario per entry.
        park: park key (e.g. 'haidian').
        indicator: parks-file indicator (e.g. 'revenue_per_km2').
        lang: 'zh' or 'en'.
        scenarios: the scenarios in drawing order (default: order of appearance).
        titles: scenario titles by name.
        colours: colour by entry of ``scenarios`` (default: the house colours).
        labels: legend label by entry of ``scenarios``.
    """
    scenarios = list(scenarios or dict.fromkeys(summary["scenario"]))
    colours = colours or scenario_colours(scenarios)
    name, unit = park_indicator(indicator, lang)
    fig = Figure(figsize=(7.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    # a park has no target of its own (the plan's revenue-per-km² target is the zone's)
    charts._draw_fan(ax, summary, indicator, lang, scenarios, None, compact=False, colours=colours, show_target=False)
    separator = "：" if lang == "zh" else ": "
    ax.set_title(f"{park_name(park, lang)}{separator}{name}", loc="left", fontweight="bold")
    ax.set_ylabel(unit)
    handles = charts._fan_legend(lang, scenarios, titles, set(), colours, labels)
    handles = [h for h in handles if h[1] != t("target", lang)]  # park indicators have no target
    fig.legend(*zip(*handles, strict=True), loc="outside lower center", ncol=3)
    return fig
