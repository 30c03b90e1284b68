"""The dashboard's park card (Solara): pick a park and a park indicator, see its fan chart per result set."""

from __future__ import annotations

from collections.abc import Sequence

import solara

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.dashboard.figures import figure_png
from zgcsim.dashboard.parks import DEFAULT_INDICATOR, indicator_choices, park_choices, park_fan
from zgcsim.reporting.labels import t

park_key = solara.reactive("haidian")
indicator_key = solara.reactive(DEFAULT_INDICATOR)


@solara.component
def ParkCard(sets: Sequence[ResultSet], labels: Sequence[str], lang: str) -> None:
    """A park picker, a park-indicator picker and the chosen park's fan chart (with a PNG download).

    Args:
        sets: the result sets being compared.
        labels: their legend labels.
        lang: 'zh' or 'en'.
    """
    parks_by_label = park_choices(lang)
    indicators_by_label = indicator_choices(lang)
    label_of_park = {v: k for k, v in parks_by_label.items()}
    label_of_indicator = {v: k for k, v in indicators_by_label.items()}
    park, indicator = park_key.value, indicator_key.value
    png = solara.use_memo(
        lambda: _png(sets, park, indicator, lang, labels),
        dependencies=[park, indicator, lang, tuple(rs.key for rs in sets)],
    )
    with solara.Card(t("park_card", lang)):
        with solara.Row():
            solara.Select(
                t("park_pick", lang),
                values=list(parks_by_label),
                value=label_of_park[park],
                on_value=lambda label: park_key.set(parks_by_label[label]),
                classes=["zgc-park"],
            )
            solara.Select(
                t("park_indicator", lang),
                values=list(indicators_by_label),
                value=label_of_indicator[indicator],
                on_value=lambda label: indicator_key.set(indicators_by_label[label]),
                classes=["zgc-park-indicator"],
            )
        if png is None:
            solara.Info(t("park_none", lang), dense=True)
            return
        solara.Image(png, width="100%", classes=["zgc-park-fan"])
        solara.FileDownload(
            png, filename=f"park_{park}_{indicator}_{lang}.png", label=t("park_download", lang), mime_type="image/png"
        )


def _png(sets: Sequence[ResultSet], park: str, indicator: str, lang: str, labels: Sequence[str]) -> bytes | None:
    fig = park_fan(sets, park, indicator, lang, labels)
    return None if fig is None else figure_png(fig, lang)
