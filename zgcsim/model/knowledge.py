"""Knowledge production: R&D stock, invention applications, grants and lapses, PCT filings, standards."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext, power
from zgcsim.model.draws import FirmDraws
from zgcsim.model.firms import GRANT_PIPELINE_QUARTERS, FirmTable, grant_lag, returnee_share

START_YEAR_CENTRE = sum(range(-4, 0)) / 4  # the start year's flows: the mean of steps -4 to -1 (-2.5)


def knowledge_input(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """The knowledge that drives patenting: R&D stock + kappa x recent VC + licensed-in knowledge (row 20)."""
    knowledge = np.multiply(p["vc_patent_potency"], firms.vc_recent)
    np.add(firms.rd_stock, knowledge, out=knowledge)
    knowledge += firms.licensed_knowledge
    return knowledge


def patent_returnee_factor(share: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """How returnee staff raise a firm's patenting: 1 + premium x returnee share (rows 67, 69)."""
    factor = np.multiply(p["returnee_patent_premium"], share)
    factor += 1
    return factor


def pct_weight(revenue: np.ndarray, share: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Relative propensity of a firm's applications to go PCT: rising with size and with returnee staff (row 22)."""
    return power(revenue / p["size_body_median"], p["pct_size_elasticity"]) * (1 + p["pct_returnee_factor"] * share)


def standards_weight(patents_held: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """A firm's propensity to set standards: its valid patents to the power ``standards_stock_elasticity``."""
    return power(patents_held, p["standards_stock_elasticity"])


def steady_stock(spend: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """R&D stock of a firm whose spending grew steadily (12 %/yr): perpetual inventory, spend / (g + delta)."""
    return spend / (p["rd_growth_before_start"] + p["rd_depreciation"])


def produce_knowledge(firms: FirmTable, ctx: StepContext, knowledge_scale: dict[str, float]) -> tuple[np.ndarray, int]:
    """Accumulate R&D stock; file invention applications, PCT filings and standards; decide pending grants.

    Stock: K' = (1 - delta/4) K + R/4 (row 64). Applications ~ Poisson(mu) with a persistent gamma firm effect theta_i
    (negative binomial across firms, row 18), mu = A theta_i X0_i (X/X0)^beta_within (rows 15-16, cross-section
    proportional, within-firm elasticity beta), X = K + kappa VC + licensed knowledge (row 20), raised by
    returnee staff (rows 67, 69). Grants after the lag with the grant rate (rows 23-24); valid patents lapse.
    PCT: binomial share of applications rising with size and the PCT-support lever (row 22). Standards:
    Poisson hazard rising with the patent stock and the standards-support lever (section 3, row 71).
    Lapses are drawn every quarter; standards once a year, in the fourth quarter.
    Returns each firm's log growth of its real R&D stock this quarter and the number of standards created.
    """
    p, lv, col = ctx.params, ctx.levers, firms.columns
    draws, uid = FirmDraws(ctx.streams["patents"], ctx.step), col["uid"]  # keyed by firm uid (model/draws.py)
    stock = col["rd_stock"]
    new_stock = stock * (1 - p["rd_depreciation"] * QUARTER)
    spend_real = col["rd_intensity"] * col["revenue"]
    spend_real *= QUARTER
    new_stock += spend_real
    stock_growth = np.maximum(stock, 1e-12)  # the returned log growth of the stock, ln(K' / K)
    np.log(np.divide(new_stock, stock_growth, out=stock_growth), out=stock_growth)
    stock[:] = new_stock
    col["vc_recent"] *= 1 - p["vc_recent_decay"] * QUARTER  # a round counts for about two years
    knowledge = knowledge_input(firms, p)
    returnees = returnee_share(col["returnees"], col["employees"])
    # the propensity to patent drifts (row 27); the start year's filings that set the scale are its mean rate,
    # centred 2.5 quarters before the first step (the mean of steps -4 to -1), so the drift counts from there
    drift = np.exp(p["patent_propensity_trend"] * _drift_quarters(ctx, p) * QUARTER)
    # mean = drift x scale x theta_i x X0_i x (X / X0)^beta x returnee factor x QUARTER, multiplied in that order
    mean = np.multiply(drift * knowledge_scale["applications"], col["patent_fe"])
    mean *= col["knowledge0"]
    within = np.divide(knowledge, col["knowledge0"], out=knowledge)
    mean *= np.exp(np.multiply(p["patent_elasticity_within"], np.log(within, out=within), out=within), out=within)
    mean *= patent_returnee_factor(returnees, p)
    mean *= QUARTER
    applications = draws.poisson(
        "applications", uid, mean
    )  # Poisson around a gamma firm effect: negative binomial (row 18)

    # PCT filings among the applications, drawn (and their share computed) only for the firms that filed
    filing = np.flatnonzero(applications > 0)  # (a comparison first: flatnonzero is faster on booleans)
    filed = applications[filing]
    pct_share = np.clip(
        knowledge_scale["pct_share"]
        * pct_weight(col["revenue"][filing], returnees[filing], p)
        * lv["pct_support"] ** p["pct_support_elasticity"],
        0,
        p["probability_cap"],
    )
    col["y_pct"][filing] += draws.binomial("pct", uid[filing], filed, pct_share)

    # the pipeline is a ring: column s % 8 holds the filings of step s; those filed `lag` quarters ago are decided
    due = (ctx.step - grant_lag(p)) % GRANT_PIPELINE_QUARTERS
    decided = firms.pending[:, due]
    filers = np.flatnonzero(decided > 0)
    grants = draws.binomial("grants", uid[filers], decided[filers], p["grant_rate"])
    decided[:] = 0
    firms.pending[:, ctx.step % GRANT_PIPELINE_QUARTERS][filing] += filed  # this quarter's column (a view)
    held = col["patents_held"]
    held[filers] += grants
    col["y_grants"][filers] += grants
    # lapses fall due all year round (renewal fees are due on each patent's filing anniversary), so a quarter of
    # the yearly rate lapses every quarter; drawn only for holders, since most firms hold none
    holders = np.flatnonzero(held > 0)
    holding = held[holders]
    held[holders] = holding - draws.binomial("lapses", uid[holders], holding, p["patent_lapse_rate"] * QUARTER)

    new_standards = 0
    if ctx.quarter == 4:  # yearly: standards set during the year
        std_mean = (
            knowledge_scale["standards"]
            * standards_weight(holding, p)
            * lv["standards_support"] ** p["standards_support_elasticity"]
        )
        created = draws.poisson("standards", uid[holders], std_mean)  # a firm without patents sets no standard
        col["standards"][holders] += created
        new_standards = int(created.sum())

    col["y_applications"] += applications
    return stock_growth, new_standards


def _drift_quarters(ctx: StepContext, p: dict[str, float]) -> float:
    """Quarters of patent-propensity drift since the start year's mean filing date.

    That date lies 2.5 quarters before the first step (``START_YEAR_CENTRE``); after the origin each quarter counts
    ``patent_trend_persistence`` of one (model/structure.py).
    """
    elapsed, to_origin = ctx.step - START_YEAR_CENTRE, ctx.origin_step - START_YEAR_CENTRE
    return min(elapsed, to_origin) + p["patent_trend_persistence"] * max(elapsed - to_origin, 0.0)
