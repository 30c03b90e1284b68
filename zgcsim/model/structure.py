"""Structural uncertainty beyond the data: what changes after the origin year, and common demand shocks.

Up to the origin (the last year of data a run starts from: 2017 for projections, T for a hindcast from T) the
model follows its calibrated behaviour. After it, nothing in the record pins the behaviour down, so each run
draws (parameters.toml, groups ``structural``, ``policy_effect`` and ``common_shock``):

- how far the fitted trends carry on: demand growth drifts by ``demand_growth_drift`` a year; the patent
  propensity drift, the entry rate, the research budgets' growth and the energy decline are scaled;
- how headcount follows revenue (``headcount_regime``: Beijing's 2017 master plan);
- how strongly each lever without a causal estimate acts (``policy_effect_*``, zero to double);
- zone-wide and sector demand shocks that all firms share, AR(1) in yearly growth (research/uncertainty.md
  sections 1.7 and 2): they move the firms' revenue, and through it R&D, hiring and everything downstream.
"""

from __future__ import annotations

import numpy as np

from zgcsim.inputs.sectors import SECTOR_KEYS

# parameter -> the drawn input that scales it after the origin
SCALED_AFTER_ORIGIN = {
    "startup_entry_rate": "entry_rate_persistence",
    "research_growth": "research_growth_persistence",
    "energy_decline": "energy_trend_persistence",
    "tto_funded_uptake": "policy_effect_tto",
    "platform_supported_uptake": "policy_effect_platforms",
    "incubator_growth_boost": "policy_effect_incubators",
    "talent_programme_elasticity": "policy_effect_talent",
    "pct_support_elasticity": "policy_effect_pct",
    "standards_support_elasticity": "policy_effect_standards",
    "energy_policy_effect": "policy_effect_energy",
}
PROBABILITIES = ("tto_funded_uptake", "platform_supported_uptake")  # scaled chances stay at most 1


def after_origin(p: dict[str, float]) -> dict[str, float]:
    """The parameters in force after the origin year: scaled trends, headcount regime and policy effects."""
    q = dict(p)
    for name, factor in SCALED_AFTER_ORIGIN.items():
        q[name] = p[name] * p[factor]
    for name in PROBABILITIES:
        q[name] = min(q[name], 1.0)
    q["employment_elasticity"] = p["employment_elasticity"] * (1.0 - p["headcount_regime"])
    q["listing_support_elasticity"] = p["policy_effect_listing"]
    q["land_renewal_effect"] = p["policy_effect_land"]
    return q


class CommonShocks:
    """Zone-wide and sector shocks to yearly demand growth, shared by all firms, AR(1) in growth.

    Each year after the origin: z_t = rho z_{t-1} + sqrt(1 - rho^2) sd e_t, for the zone and for each sector
    independently, so ``sd`` is the stationary s.d. of a year's growth deviation. Their cumulative sums are kept
    for the variance decomposition.
    """

    def __init__(self, p: dict[str, float]) -> None:
        self.rho = p["common_shock_persistence"]
        self.sd = np.array([p["common_shock_sd"]] + [p["sector_shock_sd"]] * len(SECTOR_KEYS))
        self.level = np.zeros(1 + len(SECTOR_KEYS))  # this year's growth deviation: zone, then sectors
        self.cumulative = np.zeros(1 + len(SECTOR_KEYS))

    def next_year(self, rng: np.random.Generator) -> np.ndarray:
        """Draw the coming year's shocks; return the yearly log-growth deviation of each sector (zone + sector)."""
        innovation = rng.standard_normal(len(self.level))
        self.level = self.rho * self.level + np.sqrt(1.0 - self.rho**2) * self.sd * innovation
        self.cumulative += self.level
        return self.level[0] + self.level[1:]

    def summary(self) -> dict[str, float]:
        """Cumulative log shock of the zone and of each sector since the origin (recorded with the run's inputs)."""
        names = ["common_shock_zone", *(f"common_shock_{key}" for key in SECTOR_KEYS)]
        return dict(zip(names, self.cumulative.tolist(), strict=True))
