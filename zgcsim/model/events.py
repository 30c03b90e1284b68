"""Exogenous events of a scenario: temporary demand shocks and export controls on named firms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np

from zgcsim.inputs.scenario import Event
from zgcsim.inputs.sectors import SECTOR_KEYS, SECTORS
from zgcsim.model.firms import FirmTable


def demand_shock(events: Sequence[Event], step_index: int, start_year: int) -> np.ndarray:
    """Log level of demand by sector this quarter from demand-shock events (temporary: flows only)."""
    level = np.zeros(len(SECTORS))
    for e in events:
        if e.kind != "demand_shock":
            continue
        first = (e.start.year - start_year - 1) * 4 + (e.start.month - 1) // 3
        if first <= step_index < first + e.quarters:
            hit = [SECTOR_KEYS.index(s) for s in e.sectors] if e.sectors else list(range(len(SECTORS)))
            level[hit] += np.log1p(e.magnitude)
    return level


def apply_export_controls(
    f: FirmTable, events: Sequence[Event], applied: set[int], quarter_end: dt.date, p: Mapping[str, float]
) -> None:
    """From an export-control event's date, its named firms lose yearly growth; ``applied`` records the events done.

    The named firms of 2019-2020 (Sugon, Megvii, Qihoo 360, CloudMinds) were technology leaders of middling
    size, not the zone's largest firms; so the model names the most R&D-intensive firms of the event's
    sectors with revenue between ``export_control_min_revenue`` and ``export_control_max_revenue`` (10 and 200
    亿元; our reading, a modelling choice).
    """
    for i, e in enumerate(events):
        if e.kind != "export_control" or i in applied or e.start > quarter_end:
            continue
        applied.add(i)
        sectors = [SECTOR_KEYS.index(s) for s in e.sectors] if e.sectors else list(range(len(SECTORS)))
        in_scope = (
            f.active
            & np.isin(f.sector, sectors)
            & (f.revenue >= p["export_control_min_revenue"])
            & (f.revenue <= p["export_control_max_revenue"])
        )
        in_scope &= f.export_penalty == 0  # a firm is named once
        rows = np.flatnonzero(in_scope)
        hit = rows[np.argsort(-f.rd_intensity[rows], kind="stable")[: e.firms]]
        f.export_penalty[hit] += -e.magnitude  # yearly log-growth penalty
