"""Where the spread of each 2022 value comes from: a variance decomposition by source of uncertainty.

Every run draws its inputs independently: the behavioural parameters (its calibration ensemble member), the
unknown 2017 baselines, the structural inputs, the policy-effect multipliers, the common demand shocks, the
concept factors, the fiscal unit costs, the drawn planned areas of the parks without a sourced one (a group of
their own: they move the parks' figures, not the zone's, and would only dilute the baselines' share), and, where
the results carry it, a model-discrepancy path. The rest is chance (firm-level draws) and what no first-order
term captures.

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
    "unit_costs",
    "park_areas",
    "discrepancy",
    "chance_and_interactions",
)
_GROUP_COMPONENT = {
    "structural": "structural_inputs",
    "policy_effect": "policy_effects",
    "common_shock": "common_shocks",
    "concept": "concept_factors",
    "unit_cost": "unit_costs",
    "park_area": "park_areas",
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


def _shares(value: np.ndarray, model: np.ndarray, drawn: pd.DataFrame, groups: dict[str, list[str]]) -> dict | None:
    """Component shares of the variance of ``value`` (already on the log scale), ``model`` its simulator part."""
    total = value.var()
    if not np.isfinite(total) or total == 0:
        return None
    shares = dict.fromkeys(COMPONENTS, 0.0)
    shares["discrepancy"] = min(1.0, (value - model).var() / total)
    simulator = 1.0 - shares["discrepancy"]
    if model.var() > 0:
        first_order = [c for c in COMPONENTS if c not in ("discrepancy", "chance_and_interactions")]
        for component in first_order:
            if groups.get(component):
                shares[component] = simulator * _adjusted_r2(model, drawn[groups[component]].to_numpy(float))
        explained = sum(shares[c] for c in first_order)
        if explained > simulator:  # first-order shares estimated from few runs can overshoot: rescale them
            for c in first_order:  # (the discrepancy's share is measured directly and stays)
                shares[c] *= simulator / explained
            explained = simulator
        shares["chance_and_interactions"] = simulator - explained
    return shares | {"variance": total}


def decompose(table: pd.DataFrame, inputs: pd.DataFrame, year: int = 2022) -> pd.DataFrame:
    """Share of the variance of each indicator's log value in ``year`` by component, per scenario.

    Returns ``scenario, of, indicator, component, share, variance``: ``of`` is ``value`` for the scenario's own
    values, and ``difference from <first scenario>`` for the paired difference of log values from the first
    scenario (there, chance is what does not pair out, and ``policy_effects`` is the share the policy-effect
    uncertainty takes in the policy's effect). Shares of one row group sum to 1; ``variance`` is of the log value
    (or log ratio). Indicators that are zero in some run, or constant, are left out.
    """
    final = table[table["year"] == year]
    scenarios = list(final["scenario"].unique())
    logs: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    rows = []
    for scenario in scenarios:
        runs = final[final["scenario"] == scenario]
        drawn = inputs[inputs["scenario"] == scenario].pivot(index="replicate", columns="input", values="value")
        drawn = drawn.loc[:, drawn.std() > 0]
        groups = {c: [n for n in drawn.columns if input_component(n) == c] for c in COMPONENTS}
        logs[scenario] = {}
        for indicator, series in runs.groupby("indicator", sort=False):
            series = series.set_index("replicate").reindex(drawn.index)
            value = series["value"].to_numpy(float)
            model = series["model_value"].to_numpy(float) if "model_value" in series else value
            if (value <= 0).any() or (model <= 0).any():
                continue
            logs[scenario][indicator] = (np.log(value), np.log(model))
            targets = [("value", *logs[scenario][indicator])]
            reference = logs[scenarios[0]].get(indicator)
            if scenario != scenarios[0] and reference is not None:
                targets.append(
                    (
                        f"difference from {scenarios[0]}",
                        logs[scenario][indicator][0] - reference[0],
                        logs[scenario][indicator][1] - reference[1],
                    )
                )
            for of, y, y_model in targets:
                shares = _shares(y, y_model, drawn, groups)
                if shares is None:
                    continue
                total = shares.pop("variance")
                rows.extend((scenario, of, indicator, c, share, total) for c, share in shares.items())
    return pd.DataFrame(rows, columns=["scenario", "of", "indicator", "component", "share", "variance"])
