"""The dashboard's fan chart: median, 25-75 % and 5-95 % bands of one indicator per scenario, with the 2022 target."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

import pandas as pd
from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure

from zgcsim.dashboard.i18n import indicator_name, indicator_unit, t
from zgcsim.model.indicators import REGISTRY

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "AR PL UMing CN")


@cache
def _font_family() -> list[str]:
    """DejaVu Sans for Latin text, then the first installed CJK font for Chinese (matplotlib falls back per glyph)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[name for name in CJK_FONTS if name in installed][:1]]


def _rc() -> dict:
    return {"font.family": _font_family(), "axes.unicode_minus": False}


def fan_chart(series: Sequence[tuple[str, pd.DataFrame]], indicator: str, lang: str = "en") -> Figure:
    """Draw the fan chart of ``indicator`` for each (label, summary table) in ``series``.

    Each summary table holds ``indicator, year, p05, p25, p50, p75, p95`` rows (as in ``summary.csv``). Each
    scenario gets a median line, a dark 25-75 % band and a light 5-95 % band; the 2022 target, if the indicator
    has one, is a dashed line labelled with its threshold.
    """
    with rc_context(_rc()):
        fig = Figure(figsize=(8.0, 5.0), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        for i, (label, summary) in enumerate(series):
            rows = summary[summary["indicator"] == indicator].sort_values("year")
            if rows.empty:
                continue
            colour = COLOURS[i % len(COLOURS)]
            years = rows["year"].to_numpy()
            ax.fill_between(years, rows["p05"], rows["p95"], color=colour, alpha=0.12, linewidth=0)
            ax.fill_between(years, rows["p25"], rows["p75"], color=colour, alpha=0.28, linewidth=0)
            ax.plot(years, rows["p50"], color=colour, linewidth=2, label=label)
        target = REGISTRY[indicator].target
        if target is not None:
            sign = {("higher", True): ">", ("higher", False): "≥", ("lower", True): "<", ("lower", False): "≤"}
            ax.axhline(target.threshold, color="black", linestyle="--", linewidth=1)
            ax.annotate(
                f"{t('target_line', lang)} {sign[(target.direction, target.strict)]} {target.threshold:g}",
                xy=(0.99, target.threshold),
                xycoords=("axes fraction", "data"),
                ha="right",
                va="bottom",
                fontsize=9,
            )
        ax.set_title(indicator_name(indicator, lang), fontsize=11, wrap=True)
        ax.set_ylabel(indicator_unit(indicator, lang))
        ax.set_xlabel(
            f"{t('year', lang)}  ({t('median', lang)}; {t('band_50', lang)}; {t('band_90', lang)})", fontsize=9
        )
        ax.set_xticks(range(2017, 2023))
        ax.grid(alpha=0.3)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
        return fig


def figure_png(fig: Figure, dpi: int = 150) -> bytes:
    """Render ``fig`` as PNG bytes (for the download button)."""
    buffer = io.BytesIO()
    with rc_context(_rc()):
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
