"""The cost tables of a results folder: each lever's fiscal cost by run and year, and five-year totals by scenario.

The model writes each costed lever's yearly cost as the series ``cost_<lever>`` and the totals as ``fiscal_cost``
and ``tax_expenditure`` (亿元, relative to the 2017 rules; model/fiscal.py). These functions reshape them.
"""

from __future__ import annotations

import pandas as pd

from zgcsim.model.fiscal import COST_BY_LEVER
from zgcsim.model.indicators import COST_KEYS, COST_PREFIX

PLAN_YEARS = (2018, 2022)  # the five years of the action plan a five-year cost sums
COST_COLUMNS = ["scenario", "replicate", "year", "lever", "kind", "cost"]


def cost_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario, replicate, year and costed lever: ``scenario, replicate, year, lever, kind, cost``.

    ``kind`` is ``tax_expenditure`` or ``outlay``; ``cost`` is in 亿元 (the simulator's output, ``model_value``
    where the table carries it). Within a run and year the costs add up to ``fiscal_cost``.
    """
    column = "model_value" if "model_value" in table.columns else "value"
    rows = table[table["indicator"].isin(COST_KEYS)]
    out = rows[["scenario", "replicate", "year"]].copy()
    out["lever"] = rows["indicator"].str.slice(len(COST_PREFIX))
    out["kind"] = out["lever"].map(lambda lever: COST_BY_LEVER[lever].kind)
    out["cost"] = rows[column]
    return out.reset_index(drop=True)[COST_COLUMNS]


def five_year_costs(table: pd.DataFrame, indicator: str = "fiscal_cost") -> pd.DataFrame:
    """Each run's cost summed over 2018-2022: ``scenario, replicate, cost`` (亿元)."""
    column = "model_value" if "model_value" in table.columns else "value"
    rows = table[(table["indicator"] == indicator) & table["year"].between(*PLAN_YEARS)]
    return rows.groupby(["scenario", "replicate"], sort=False)[column].sum().rename("cost").reset_index()


def cost_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Five-year (2018-2022) cost by scenario and lever, across replicates: median and 5-95 % band, 亿元.

    Columns ``scenario, lever, kind, mean, p05, p50, p95``; the lever ``fiscal_cost`` and ``tax_expenditure``
    rows are the totals.
    """
    costs = cost_table(table)
    plan = costs[costs["year"].between(*PLAN_YEARS)]
    per_run = plan.groupby(["scenario", "lever", "kind", "replicate"], sort=False)["cost"].sum().reset_index()
    totals = [five_year_costs(table, key).assign(lever=key, kind="total") for key in ("fiscal_cost", "tax_expenditure")]
    per_run = pd.concat([*totals, per_run], ignore_index=True)
    grouped = per_run.groupby(["scenario", "lever", "kind"], sort=False)["cost"]
    out = grouped.mean().rename("mean").to_frame()
    for name, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
        out[name] = grouped.quantile(q)
    return out.reset_index()
