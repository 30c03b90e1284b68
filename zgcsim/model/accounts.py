"""The firms' yearly accounts: the calendar-year accumulators, last year's profit, corporate tax."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import StepContext
from zgcsim.model.firms import FIELDS, FirmTable
from zgcsim.model.rd import super_deduction, tax_rate


def reset_year(firms: FirmTable) -> None:
    """Zero the calendar-year accumulators at the first quarter."""
    for name in FIELDS:
        if name.startswith("y_"):
            firms.columns[name][:] = 0


def close_year(firms: FirmTable, ctx: StepContext) -> None:
    """Year end: the year's profit becomes last year's; corporate tax with the super-deduction (rows 11-12)."""
    p, lv = ctx.params, ctx.levers
    firms.profit_last = firms.y_profit.copy()
    tau = tax_rate(firms, lv, p)
    s = super_deduction(firms, lv, p)
    firms.y_tax = tau * np.maximum(firms.y_profit - s * firms.y_rd_reported, 0.0)
