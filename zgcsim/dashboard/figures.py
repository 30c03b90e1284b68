"""The dashboard's chart: the project's one fan chart (``reporting.charts.fan_chart``) for the page's result sets."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence

import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.reporting import charts
from zgcsim.reporting.style import LATIN_FAMILY, find_cjk_font, house_style, palette


@contextlib.contextmanager
def page_style(lang: str) -> Iterator[None]:
    """The house style; on a machine without a CJK font, a plain Latin style (the page never refuses a chart)."""
    if lang == "en" or find_cjk_font() is not None:
        with house_style(lang):
            yield
    else:
        with rc_context({"font.family": [LATIN_FAMILY]}):
            yield


def fan_chart(sets: Sequence[ResultSet], indicator: str, lang: str, labels: Sequence[str] | None = None) -> Figure:
    """The fan chart of ``indicator`` for each result set, in the house colours of their scenarios.

    Args:
        sets: the result sets to draw (their summaries), in legend order.
        indicator: registry key.
        lang: 'zh' or 'en'.
        labels: legend label of each set (default: its key).
    """
    keys = [rs.key for rs in sets]
    frames = [rs.summary.assign(scenario=rs.key) for rs in sets]
    summary = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["scenario", "indicator"])
    with page_style(lang):
        return charts.fan_chart(
            summary,
            indicator,
            lang,
            scenarios=keys,
            colours=dict(zip(keys, palette([rs.scenario for rs in sets]), strict=True)),
            labels=dict(zip(keys, labels or keys, strict=True)),
        )


def figure_png(fig: Figure, lang: str = "en", dpi: int = 150) -> bytes:
    """Render ``fig`` as PNG bytes (for the download button)."""
    buffer = io.BytesIO()
    with page_style(lang):
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
