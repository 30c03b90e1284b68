"""Land: renewal adds capacity; revenue density above capacity slows growth (levers of tasks 19-20)."""

from __future__ import annotations

import numpy as np

from zgcsim.inputs.levers import BY_NAME as LEVERS
from zgcsim.model.firms import FirmTable

RENEWAL_2017 = LEVERS["land_renewal"].setting_2017


class Land:
    """The zone's land capacity relative to the start year, and the growth drag it causes."""

    def __init__(self) -> None:
        self.capacity_index = 1.0  # land capacity relative to the start year
        self.congestion = 0.0  # yearly log-growth drag

    def start_year(self, f: FirmTable, levers: dict[str, float], p: dict[str, float], base_revenue: float) -> None:
        """Yearly (first quarter): add renewed capacity, then set this year's congestion drag."""
        # renewal above the 2017 rate counts land_renewal_effect of itself (1 up to the origin)
        renewal = RENEWAL_2017 + p["land_renewal_effect"] * (levers["land_renewal"] - RENEWAL_2017)
        self.capacity_index *= 1 + p["renewal_capacity_multiplier"] * renewal
        area_ratio = levers["park_area"] / p["park_area_km2"]
        density = f.revenue[f.active].sum() / base_revenue
        excess = np.log(max(density / (self.capacity_index * area_ratio), 1.0))
        self.congestion = p["land_congestion"] * excess
