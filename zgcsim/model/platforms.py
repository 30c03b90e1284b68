"""Open innovation platforms run by large firms (lever ``platform_support``, task 7), and their boost to start-ups."""

from __future__ import annotations

import numpy as np

from zgcsim.inputs.sectors import SECTORS
from zgcsim.model.firms import FirmTable


def seed_platforms(f: FirmTable, p: dict[str, float], count: float) -> None:
    """The start year's platforms: the drawn count, run by the largest firms."""
    large = np.flatnonzero(f.revenue >= p["platform_firm_min_revenue"])
    ranked = large[np.argsort(-f.revenue[large])]
    f.platform[ranked[: int(round(count))]] = True


def platform_boost(f: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Growth boost for young firms by sector, saturating in the sector's number of open platforms."""
    open_by_sector = np.bincount(f.sector[f.active & f.platform], minlength=len(SECTORS))
    return p["platform_startup_boost"] * (1 - np.exp(-open_by_sector / p["platform_boost_saturation"]))


def open_platforms(f: FirmTable, levers: dict[str, float], p: dict[str, float], rng: np.random.Generator) -> None:
    """Large firms open qualifying platforms: supported ones (the lever's count, largest first) far more often."""
    large = f.active & (f.revenue >= p["platform_firm_min_revenue"])
    order = np.flatnonzero(large)[np.argsort(-f.revenue[large])]
    f.platform_supported[:] = False
    f.platform_supported[order[: int(round(levers["platform_support"]))]] = True
    chance = np.where(f.platform_supported, p["platform_supported_uptake"], p["platform_open_hazard"])
    opening = large & ~f.platform & (rng.random(len(f)) < chance)
    closing = f.platform & ~f.platform_supported & (rng.random(len(f)) < p["platform_close_rate"])
    f.platform = (f.platform | opening) & ~closing
