"""Production: productivity, revenue, employment, value added, profit and energy (docs/model.md section 6)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext
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

    The columns are updated in place and each sum is built up in one buffer, term by term in the order the rule
    writes them: the same numbers as whole-array expressions, with fewer temporaries.
    """
    p, lv, col = ctx.params, ctx.levers, firms.columns
    draws, uid = FirmDraws(ctx.streams["growth"], ctx.step), col["uid"]  # keyed by firm uid (model/draws.py)
    sector = col["sector"].astype(np.intp)  # converted once for the three by-sector look-ups (np.take)
    tfp, noise, age, revenue = col["tfp"], col["tfp_noise"], col["age"], col["revenue"]  # updated in place

    # productivity: d_tfp = (tfp' - tfp) + noise' - noise
    new_tfp = tfp + p["tfp_per_rd"] * knowledge_growth
    d_tfp = new_tfp - tfp
    tfp[:] = new_tfp
    new_noise = p["tfp_noise_persistence"] * noise
    new_noise += draws.normal("tfp_noise", uid, 0, p["tfp_noise_sd"])
    d_tfp += new_noise
    d_tfp -= noise
    noise[:] = new_noise

    # yearly drift: the part shared by a sector's firms (demand growth, common shocks) first, then each firm's
    drift = np.take(p["demand_growth"] + p["demand_growth_drift"] * ctx.years_past_origin + ctx.common_growth, sector)
    young = np.multiply(-np.log(2) / p["young_premium_half_life"], age)
    drift += np.multiply(p["young_growth_premium"], np.exp(young, out=young), out=young)
    # a firm never funded (nan) gets no VC boost: its comparison is False
    recent_round = (col["vc_recent"] > 0.0) & (ctx.time - col["vc_last_year"] < p["vc_boost_years"])
    drift += p["vc_growth_boost"] * recent_round
    drift += p["incubator_growth_boost"] * incubated(firms, p)
    drift += np.take(ctx.platform_boost, sector) * (age < p["platform_boost_max_age"])
    drift += p["team_quality_growth"] * col["team_quality"]
    drift -= ctx.congestion
    drift -= col["export_penalty"]

    # the shock's yearly scale b S^-beta (context.power, in place), capped; half of it is the quarterly scale
    b = np.maximum(revenue, 1e-3)
    np.exp(np.multiply(-p["size_variance_beta"], np.log(b, out=b), out=b), out=b)
    b *= p["growth_shock_scale"]
    np.minimum(b, p["growth_shock_scale_cap"], out=b)
    b *= 0.5
    # a Laplace draw is the difference of two exponentials; log(1 - b^2) makes E[exp(shock)] = 1 for b < 1
    pair = draws.exponential("revenue_shock", uid, 2)
    shock = pair[:, 0] - pair[:, 1]
    shock *= b
    shock += np.log(np.subtract(1, np.multiply(b, b, out=b), out=b), out=b)
    d_log_revenue = drift  # drift x QUARTER + d_tfp + shock, in the drift's buffer
    d_log_revenue *= QUARTER
    d_log_revenue += d_tfp
    d_log_revenue += shock
    revenue *= np.exp(d_log_revenue)
    scaled = np.multiply(p["employment_elasticity"], d_log_revenue)
    scaled = np.exp(scaled, out=scaled)
    scaled *= col["employees"]
    np.maximum(scaled, 1.0, out=col["employees"])
    age += QUARTER

    # the quarter's flows; temporary shocks (by sector) cut this quarter's flows, not the state
    revenue_q = np.take(np.exp(ctx.demand_shock), sector)
    revenue_q *= revenue
    revenue_q *= QUARTER
    # innovation raises value added per unit of sales by a share of the productivity gain (the rest shows in
    # sales growth above)
    va_q = revenue_q * col["va_ratio0"]
    va_q *= np.exp(np.multiply(p["va_tfp_share"], tfp))
    rd_q = col["rd_intensity"] * revenue_q  # R&D is spent as a share of the quarter's sales
    # part of a productivity gain shows in the margin (the rest in sales growth above)
    profit_q = np.multiply(p["margin_tfp_share"], tfp)
    profit_q += col["margin_pre"]
    profit_q *= revenue_q
    profit_q -= rd_q
    col["y_rd_real"] += rd_q
    col["y_rd_reported"] += rd_q
    col["y_rd_reported"] += col["relabel_intensity"] * revenue_q
    energy_change = np.multiply(p["energy_rd_elasticity"], knowledge_growth)
    autonomous = -(p["energy_decline"] + p["energy_policy_effect"] * lv["energy_efficiency"]) * QUARTER
    np.subtract(autonomous, energy_change, out=energy_change)
    col["energy_intensity"] *= np.exp(energy_change, out=energy_change)
    col["y_revenue"] += revenue_q
    col["y_value_added"] += va_q
    col["y_profit"] += profit_q
    energy = np.multiply(col["energy_intensity"], va_q, out=va_q)
    energy *= 1e4
    col["y_energy"] += energy
