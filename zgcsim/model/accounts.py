"""The firms' yearly accounts: the calendar-year accumulators and last year's profit."""

from __future__ import annotations

from zgcsim.model.firms import FIELDS, FirmTable


def reset_year(firms: FirmTable) -> None:
    """Zero the calendar-year accumulators at the first quarter."""
    for name in FIELDS:
        if name.startswith("y_"):
            firms.columns[name][:] = 0


def close_year(firms: FirmTable) -> None:
    """Year end: the year's profit becomes last year's (the R&D decision and the HTE notch read it)."""
    firms.profit_last = firms.y_profit.copy()
