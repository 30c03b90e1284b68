"""Production: productivity, revenue, employment, value added, profit and energy (docs/model.md section 6)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext, power
from zgcsim.model.draws import FirmDraws
from zgcsim.model.entry import incubated
from zgcsim.model.firms import FirmTable


def grow(firms: FirmTable, ctx: StepContext, knowledge_growth: np.ndarray) -> None:
    """Revenue, productivity, employment, value added, profit and energy for one quarter (section 6).

    Log revenue growth = demand growth (after the origin: drifting, plus the zone and sector shocks all firms
    share, model/structure.py) + a young-firm premium halving every 3 years (row 58) + recent VC and
    incubator boosts + the platform boost for young firms + a team-quality term - land congestion - export
    controls + the productivity gain phi dln K (row 10) + a Laplace shock with scale b S^-beta (rows 56-57),
    mean-corrected so shocks do not add drift. Employment follows revenue with elasticity eta; value added and
    margins rise with productivity; energy intensity falls by the autonomous rate (row 65), with R&D and with the
    efficiency lever.
    """
    p, lv = ctx.params, ctx.levers
    draws = FirmDraws(ctx.streams["growth"], ctx.step)  # keyed by firm uid (model/draws.py)
    old_tfp, old_noise = firms.tfp.copy(), firms.tfp_noise.copy()
    firms.tfp_noise = p["tfp_noise_persistence"] * firms.tfp_noise + draws.normal(
        "tfp_noise", firms.uid, 0, p["tfp_noise_sd"]
    )
    firms.tfp = firms.tfp + p["tfp_per_rd"] * knowledge_growth
    d_tfp = firms.tfp - old_tfp + firms.tfp_noise - old_noise

    young = np.exp(-np.log(2) / p["young_premium_half_life"] * firms.age)
    # a firm never funded (nan) gets no boost: its comparison is False
    since_round = ctx.time - firms.vc_last_year
    vc_boost = p["vc_growth_boost"] * (firms.vc_recent > 0.0) * (since_round < p["vc_boost_years"])
    drift = (
        p["demand_growth"]
        + p["demand_growth_drift"] * ctx.years_past_origin
        + ctx.common_growth[firms.sector]
        + p["young_growth_premium"] * young
        + vc_boost
        + p["incubator_growth_boost"] * incubated(firms, p)
        + ctx.platform_boost[firms.sector] * (firms.age < p["platform_boost_max_age"])
        + p["team_quality_growth"] * firms.team_quality
        - ctx.congestion
        - firms.export_penalty
    )
    scale = np.minimum(
        p["growth_shock_scale"] * power(np.maximum(firms.revenue, 1e-3), -p["size_variance_beta"]),
        p["growth_shock_scale_cap"],
    )
    b = scale * 0.5  # quarterly Laplace scale (a yearly scale spread over four quarters)
    # a Laplace draw is the difference of two exponentials; log(1 - b^2) makes E[exp(shock)] = 1 for b < 1
    pair = draws.exponential("revenue_shock", firms.uid, 2)
    shock = b * (pair[:, 0] - pair[:, 1]) + np.log(1 - b * b)
    d_log_revenue = drift * QUARTER + d_tfp + shock
    firms.revenue = firms.revenue * np.exp(d_log_revenue)
    firms.employees = np.maximum(firms.employees * np.exp(p["employment_elasticity"] * d_log_revenue), 1.0)
    firms.age = firms.age + QUARTER

    level = np.exp(ctx.demand_shock[firms.sector])  # temporary shocks cut this quarter's flows, not the state
    revenue_q = firms.revenue * level * QUARTER
    # innovation raises value added per unit of sales by a share of the productivity gain (the rest shows in
    # sales growth above)
    va_q = revenue_q * firms.va_ratio0 * np.exp(p["va_tfp_share"] * firms.tfp)
    # part of a productivity gain shows in the margin (the rest in sales growth above)
    rd_q = firms.rd_intensity * revenue_q  # R&D is spent as a share of the quarter's sales
    profit_q = revenue_q * (firms.margin_pre + p["margin_tfp_share"] * firms.tfp) - rd_q
    firms.y_rd_real = firms.y_rd_real + rd_q
    firms.y_rd_reported = firms.y_rd_reported + rd_q + firms.relabel_intensity * revenue_q
    firms.energy_intensity = firms.energy_intensity * np.exp(
        -(p["energy_decline"] + p["energy_policy_effect"] * lv["energy_efficiency"]) * QUARTER
        - p["energy_rd_elasticity"] * knowledge_growth
    )
    firms.y_revenue = firms.y_revenue + revenue_q
    firms.y_value_added = firms.y_value_added + va_q
    firms.y_profit = firms.y_profit + profit_q
    firms.y_energy = firms.y_energy + firms.energy_intensity * va_q * 1e4
