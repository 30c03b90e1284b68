"""Pure table computations behind the charts and the brief: paired differences, headline rows, status marks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from zgcsim.inputs.targets import Target, load_targets

# The marker rule, stated in every brief: met when at least 80 % of runs meet the target, unlikely below 20 %.
MET_AT = 0.8
UNLIKELY_BELOW = 0.2
CONFIDENCE = 0.95  # of every interval the reports and the analysis give


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


def hits(values: np.ndarray, target: Target) -> np.ndarray:
    """Whether each value meets the target as the plan words it (vectorised ``Target.attained``)."""
    values = np.asarray(values, dtype=float)
    if target.direction == "higher":
        return values > target.threshold if target.strict else values >= target.threshold
    return values < target.threshold if target.strict else values <= target.threshold


def mean_interval(sample: np.ndarray) -> tuple[float, float, float]:
    """Mean and two-sided 95 % t-interval of a sample of paired differences (NaN bounds below two pairs)."""
    n = len(sample)
    mean = float(sample.mean()) if n else float("nan")
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * sample.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


QUANTILES = {"p05": 0.05, "p25": 0.25, "median": 0.5, "p75": 0.75, "p95": 0.95}


def paired_differences(
    indicators: pd.DataFrame, reference: str, *, by: Sequence[str] = ("replicate",), year: int = 2022
) -> pd.DataFrame:
    """Every scenario minus ``reference`` in ``year``, run by run: the one paired comparison of the project.

    Runs are paired on ``by`` (the replicate; in an experiment also the design point; in the dashboard the seed):
    paired runs used the same random numbers, so the difference is taken within each pair before summarising, and
    its spread is that of the policy effect, not of the world (Law, Simulation Modeling and Analysis, 5th ed.,
    section 10.2, paired-t).

    Args:
        indicators: tidy rows ``scenario, <by>, year, indicator, value`` (rows of other years are ignored).
        reference: the scenario subtracted.
        by: the columns that identify a pair.
        year: the year compared.

    Returns:
        One row per (scenario other than the reference, in order of appearance; indicator, the 16 targets in plan
        order, then the others): ``pairs``, ``mean_difference`` with its 95 % interval (``difference_low``,
        ``difference_high``), the quantiles ``p05, p25, median, p75, p95`` of the differences, the reference's
        median ``ref_median``; for a target also the paired shares meeting it (``p_attain``,
        ``p_attain_reference``) and their difference with its interval (``p_difference``, ``p_difference_low``,
        ``p_difference_high``; NaN for other indicators).
    """
    final = indicators[indicators["year"] == year] if "year" in indicators.columns else indicators
    wide = final.pivot_table(index=["indicator", *by], columns="scenario", values="value", aggfunc="first")
    if reference not in wide.columns:
        raise KeyError(reference)
    targets = {target.key: target for target in load_targets()}
    present = set(wide.index.get_level_values("indicator"))
    keys = [k for k in targets if k in present] + sorted(present - set(targets))
    rows = []
    for scenario in [s for s in dict.fromkeys(final["scenario"]) if s != reference]:
        for key in keys:
            pairs = wide.loc[key, [scenario, reference]].dropna()
            here, there = pairs[scenario].to_numpy(), pairs[reference].to_numpy()
            diff = here - there
            mean, low, high = mean_interval(diff)
            quantiles = np.quantile(diff, list(QUANTILES.values())) if len(diff) else [float("nan")] * len(QUANTILES)
            row = {
                "scenario": scenario,
                "reference": reference,
                "indicator": key,
                "pairs": len(pairs),
                "mean_difference": mean,
                "difference_low": low,
                "difference_high": high,
                **{name: float(q) for name, q in zip(QUANTILES, quantiles, strict=True)},
                "ref_median": float(np.median(there)) if len(there) else float("nan"),
            }
            target = targets.get(key)
            if target is not None:
                hit_here, hit_there = hits(here, target).astype(float), hits(there, target).astype(float)
                p_diff, p_low, p_high = mean_interval(hit_here - hit_there)
                row |= {
                    "p_attain": float(hit_here.mean()) if len(pairs) else float("nan"),
                    "p_attain_reference": float(hit_there.mean()) if len(pairs) else float("nan"),
                    "p_difference": p_diff,
                    "p_difference_low": p_low,
                    "p_difference_high": p_high,
                }
            rows.append(row)
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
