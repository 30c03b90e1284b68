"""Pure table computations behind the charts and the brief: paired differences, headline rows, status marks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zgcsim.inputs.targets import Target

# The marker rule, stated in every brief: met when at least 80 % of runs meet the target, unlikely below 20 %.
MET_AT = 0.8
UNLIKELY_BELOW = 0.2


def status(p_attain: float) -> str:
    """'met' (p >= 0.8), 'at_risk' (0.2 <= p < 0.8) or 'unlikely' (p < 0.2)."""
    if p_attain >= MET_AT:
        return "met"
    if p_attain >= UNLIKELY_BELOW:
        return "at_risk"
    return "unlikely"


def target_expression(target: Target, unit: str) -> str:
    """The target as a comparison, e.g. '≥ 6 %' or '> 6,000 亿元'."""
    signs = {("higher", True): ">", ("higher", False): "≥", ("lower", True): "<", ("lower", False): "≤"}
    sign = signs[(target.direction, target.strict)]
    value = f"{target.threshold:,.0f}" if target.threshold >= 100 else f"{target.threshold:g}"
    return f"{sign} {value} {unit}".strip()


def paired_differences(indicators: pd.DataFrame, reference: str, year: int = 2022) -> pd.DataFrame:
    """Per-replicate differences of every scenario from ``reference`` in ``year``, summarised by quantiles.

    Runs are paired (replicate r uses the same random numbers in every scenario), so the difference is computed
    within each replicate before summarising; its spread is the spread of the policy effect, not of the world.
    Returns one row per (scenario, indicator): ``median, p05, p25, p75, p95`` of the difference, the reference's
    median ``ref_median`` and the number of pairs ``n``.
    """
    final = indicators[indicators["year"] == year]
    wide = final.pivot_table(index=["indicator", "replicate"], columns="scenario", values="value", aggfunc="first")
    if reference not in wide.columns:
        raise KeyError(reference)
    rows = []
    for scenario in [c for c in wide.columns if c != reference]:
        pairs = wide[[scenario, reference]].dropna()
        diff = (pairs[scenario] - pairs[reference]).groupby(level="indicator")
        ref_median = pairs[reference].groupby(level="indicator").median()
        q = diff.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        for indicator in q.index:
            rows.append(
                {
                    "scenario": scenario,
                    "indicator": indicator,
                    "median": q.loc[indicator, 0.5],
                    "p05": q.loc[indicator, 0.05],
                    "p25": q.loc[indicator, 0.25],
                    "p75": q.loc[indicator, 0.75],
                    "p95": q.loc[indicator, 0.95],
                    "ref_median": float(ref_median[indicator]),
                    "n": int(diff.size()[indicator]),
                }
            )
    return pd.DataFrame(rows)


def relative(diffs: pd.DataFrame) -> pd.DataFrame:
    """The difference columns as percent of the reference median (NaN where that median is zero)."""
    scale = diffs["ref_median"].abs().replace(0.0, np.nan) / 100.0
    out = diffs.copy()
    for col in ("median", "p05", "p25", "p75", "p95"):
        out[col] = diffs[col] / scale
    return out


def baseline_2017(summary: pd.DataFrame, indicator: str) -> float:
    """The 2017 baseline: the median across runs of the indicator's 2017 value (first scenario; 2017 is shared)."""
    rows = summary[(summary["indicator"] == indicator) & (summary["year"] == 2017)]
    return float(rows["p50"].iloc[0]) if len(rows) else float("nan")
