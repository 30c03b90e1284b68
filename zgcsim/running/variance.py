"""Where the spread of each 2022 value comes from: a variance decomposition by source of uncertainty.

Every run draws its inputs independently: the behavioural parameters (its calibration ensemble member), the
unknown 2017 baselines, the structural inputs, the policy-effect multipliers, the common demand shocks, the
concept factors, and, where the results carry it, a model-discrepancy path. The rest is chance (firm-level draws)
and what no first-order term captures.

On the log of each indicator's 2022 value, per scenario (research/uncertainty.md section 1.6, law of total
variance): the discrepancy share is the variance of log(value / model_value) over the variance of log(value)
(the discrepancy is drawn independently of the simulator); the simulator's share is split among the groups by
each group's adjusted R² in a linear regression of log(model_value) on that group's inputs alone (first-order
effects; the groups are independent, so their shares add up); chance and interactions take what is left. With
100 runs each share is uncertain by several points: read the table for which sources dominate, not for decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from zgcsim.inputs.parameters import BY_NAME, baseline_year

COMPONENTS = (
    "behavioural_parameters",
    "baseline_inputs",
    "structural_inputs",
    "common_shocks",
    "policy_effects",
    "concept_factors",
    "discrepancy",
    "chance_and_interactions",
)
_GROUP_COMPONENT = {
    "structural": "structural_inputs",
    "policy_effect": "policy_effects",
    "common_shock": "common_shocks",
    "concept": "concept_factors",
}


def input_component(name: str) -> str:
    """The component an input of ``uncertain_inputs.parquet`` belongs to."""
    if name.startswith("common_shock_") and name not in BY_NAME:  # realised cumulative shocks of a run
        return "common_shocks"
    p = BY_NAME.get(name)
    if p is None:
        return "chance_and_interactions"
    if p.group:
        return _GROUP_COMPONENT[p.group]
    if p.kind == "uncertain" and baseline_year(name) is not None:
        return "baseline_inputs"
    return "behavioural_parameters"


def _adjusted_r2(y: np.ndarray, x: np.ndarray) -> float:
    n, k = x.shape
    if k == 0 or n <= k + 2:
        return 0.0
    design = np.column_stack([np.ones(n), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    r2 = 1.0 - resid.var() / y.var()
    return max(0.0, 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1))


def decompose(table: pd.DataFrame, inputs: pd.DataFrame, year: int = 2022) -> pd.DataFrame:
    """Share of the variance of each indicator's log value in ``year`` by component, per scenario.

    Returns ``scenario, indicator, component, share`` (shares of one indicator sum to 1) and ``variance`` (of the
    log value). Indicators that are zero or constant in some run are left out.
    """
    final = table[table["year"] == year]
    rows = []
    for scenario, runs in final.groupby("scenario", sort=False):
        drawn = inputs[inputs["scenario"] == scenario].pivot(index="replicate", columns="input", values="value")
        drawn = drawn.loc[:, drawn.std() > 0]
        groups = {c: [n for n in drawn.columns if input_component(n) == c] for c in COMPONENTS}
        for indicator, series in runs.groupby("indicator", sort=False):
            series = series.set_index("replicate").reindex(drawn.index)
            value = series["value"].to_numpy(float)
            model = series["model_value"].to_numpy(float) if "model_value" in series else value
            if (value <= 0).any() or (model <= 0).any() or np.log(value).var() == 0:
                continue
            total = np.log(value).var()
            shares = dict.fromkeys(COMPONENTS, 0.0)
            shares["discrepancy"] = min(1.0, np.log(value / model).var() / total)
            y = np.log(model)
            simulator = 1.0 - shares["discrepancy"]
            if y.var() > 0:
                for component, names in groups.items():
                    if names:
                        shares[component] = simulator * _adjusted_r2(y, drawn[names].to_numpy(float))
                explained = sum(shares[c] for c in COMPONENTS if c not in ("discrepancy", "chance_and_interactions"))
                if explained > simulator:  # first-order shares estimated from few runs can overshoot: rescale
                    for c in groups:
                        shares[c] *= simulator / explained
                    explained = simulator
                shares["chance_and_interactions"] = simulator - explained
            for component, share in shares.items():
                rows.append((scenario, indicator, component, share, total))
    return pd.DataFrame(rows, columns=["scenario", "indicator", "component", "share", "variance"])
