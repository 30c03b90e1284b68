"""The firms' yearly accounts: the calendar-year accumulators, last year's profit, corporate tax."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import StepContext
from zgcsim.model.firms import FIELDS, FirmTable


def reset_year(firms: FirmTable) -> None:
    """Zero the calendar-year accumulators at the first quarter."""
    for name in FIELDS:
        if name.startswith("y_"):
            firms.columns[name][:] = 0


def close_year(firms: FirmTable, ctx: StepContext) -> None:
    """Year end: the year's profit becomes last year's; corporate tax with the super-deduction (rows 11-12)."""
    p, lv = ctx.params, ctx.levers
    firms.profit_last = firms.y_profit.copy()
    tau = np.where(firms.hte, lv["hte_tax_rate"], p["cit_standard"])
    s = np.where(
        firms.manufacturer,
        max(lv["rd_super_deduction"], lv["rd_super_deduction_manufacturing"]),
        lv["rd_super_deduction"],
    )
    firms.y_tax = tau * np.maximum(firms.y_profit - s * firms.y_rd_reported, 0.0)
