"""R&D decisions: the user cost of R&D, the firm's target intensity, partial adjustment and the HTE notch.

The rule and its priors.md rows are in each function's docstring and in docs/model.md section 2.
"""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import StepContext
from zgcsim.model.draws import FirmDraws
from zgcsim.model.firms import FirmTable, reported_intensity
from zgcsim.model.population import hte_threshold


def user_cost(firms: FirmTable, ctx: StepContext) -> np.ndarray:
    """Return each firm's after-tax cost of one yuan of R&D: uc = 1 - tau (1 + s) delta (priors.md section 2).

    tau is 25 % or the HTE rate; s is the firm's super-deduction (``super_deduction``); delta is 1 for a
    profitable firm and the value of carrying the deduction forward for a loss-maker. A firm's cost depends on
    four yes-or-no facts alone (HTE, manufacturer, technology-SME size, profitable), so the 16 possible costs
    are computed once and each firm takes its own: the same numbers as the rule computed firm by firm.
    """
    p, lv = ctx.params, ctx.levers
    tau = tax_rate(np.array([False, True]), lv, p)  # by HTE status
    delta = np.array([p["loss_deduction_value"], 1.0])  # by loss-maker or profitable
    costs = cost_of_rd(tau[:, None, None, None], _super_deduction_cases(lv, p)[None, :, :, None], delta)
    return costs.ravel()[_case(firms.hte, firms.manufacturer, tech_sme_size(firms, p), firms.profit_last > 0)]


def _case(*flags: np.ndarray) -> np.ndarray:
    """Each firm's case number from yes-or-no flags, the first flag its highest bit (an index into a flat table)."""
    case = np.asarray(flags[0]).astype(np.uint8)
    for flag in flags[1:]:
        case <<= 1
        case |= flag
    return case


def tax_rate(hte: np.ndarray, levers: dict[str, float], p: dict[str, float]) -> np.ndarray:
    """Corporate income tax rate: the HTE rate for certified firms, the standard 25 % otherwise (row 11)."""
    return np.where(hte, levers["hte_tax_rate"], p["cit_standard"])


def tech_sme_size(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Firms of technology-based-SME size: at most 500 staff and 2 亿元 revenue (国科发政〔2017〕115号).

    The rule also caps assets at 2 亿元, which the model does not hold; revenue stands in for it.
    """
    return (firms.employees <= p["tech_sme_staff_limit"]) & (firms.revenue <= p["sme_revenue_limit"])


def super_deduction(firms: FirmTable, levers: dict[str, float], p: dict[str, float]) -> np.ndarray:
    """Each firm's R&D super-deduction rate: the general rate, or a higher rate that applies to it.

    Manufacturers take their rate where higher (the 2021 rule). Firms of technology-based-SME size take the SME
    rate where higher (75 % from 2017, 财税〔2017〕34号) for the drawn share of them that is registered
    (``tech_sme_registration_share``): the expected rate, since registration is not held per firm.
    """
    return _super_deduction_cases(levers, p).ravel()[_case(firms.manufacturer, tech_sme_size(firms, p))]


def _super_deduction_cases(levers: dict[str, float], p: dict[str, float]) -> np.ndarray:
    """The super-deduction rates of ``super_deduction`` by [manufacturer, technology-SME size]."""
    general = levers["rd_super_deduction"]
    manufacturer = max(general, levers["rd_super_deduction_manufacturing"])
    sme = general + p["tech_sme_registration_share"] * max(levers["rd_super_deduction_sme"] - general, 0.0)
    return np.array([[general, max(general, sme)], [manufacturer, max(manufacturer, sme)]], dtype=np.float64)


def cost_of_rd(tau: np.ndarray | float, s: np.ndarray | float, delta: np.ndarray | float) -> np.ndarray | float:
    """After-tax cost of one yuan of R&D: uc = 1 - tau (1 + s) delta (priors.md section 2)."""
    return 1.0 - tau * (1.0 + s) * delta


def rd_elasticity(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Long-run user-cost elasticity: larger for firms under 2 亿元 revenue (priors.md rows 1, 7, 8)."""
    return np.where(firms.revenue < p["sme_revenue_limit"], p["sigma_sme"], p["sigma_lr"])


def set_rd_fixed_effects(firms: FirmTable, ctx: StepContext, rows: slice | np.ndarray = slice(None)) -> None:
    """Fix a_i so that each firm's current R&D intensity is its target under the policy in force."""
    if isinstance(rows, slice):  # a block of rows (the quarter's entrants): work on its views only
        part = firms.rows(rows)
        part.rd_fe = np.log(part.rd_intensity) + rd_elasticity(part, ctx.params) * np.log(user_cost(part, ctx))
        return
    uc = user_cost(firms, ctx)[rows]
    firms.rd_fe[rows] = np.log(firms.rd_intensity[rows]) + rd_elasticity(firms, ctx.params)[rows] * np.log(uc)


def decide_rd(firms: FirmTable, ctx: StepContext) -> None:
    """Set this year's real and reported R&D intensity (yearly, first quarter).

    Target: ln r* = a_i - sigma ln uc (priors.md section 2, rows 1-3, 7-8); partial adjustment of the log
    intensity at speed lambda with a persistent shock. The HTE notch: an eligible firm just below its threshold
    (3/4/5 % by size, row 13) jumps to it when the tax saving on its profit exceeds the cost of the jump, a share
    rho of which is relabelling (row 9); only real R&D enters patents and productivity.
    """
    p, col = ctx.params, firms.columns
    elasticity = rd_elasticity(firms, p)
    elasticity *= np.log(user_cost(firms, ctx))
    target = col["rd_fe"] - elasticity
    lam = p["rd_adjustment"]
    # a persistent shock, mean-corrected (-sd^2 / 2, to 12 decimals) so it adds no drift to the mean intensity
    sd = p["rd_shock_sd"]
    shock = FirmDraws(ctx.streams["rd"], ctx.step).normal("rd_shock", col["uid"], round(-(sd**2) / 2, 12), sd)
    log_r = np.log(col["rd_intensity"])
    log_r *= 1 - lam
    target *= lam
    log_r += target
    log_r += shock
    real = np.clip(np.exp(log_r, out=log_r), p["rd_intensity_min"], p["rd_intensity_max"], out=log_r)

    # the notch: a firm whose desired intensity lies just below its threshold (or in the safety margin above it)
    # may report the threshold plus the margin instead; the jump is part real R&D, part relabelling
    revenue, threshold = col["revenue"], hte_threshold(col["revenue"], p)  # revenue is fixed all through the step
    gap = threshold + p["notch_margin"]
    gap -= real
    candidate = firms.hte_eligible & (gap > 0) & (gap < p["notch_window"] + p["notch_margin"])
    rho = p["relabel_share"]
    saving = (p["cit_standard"] - ctx.levers["hte_tax_rate"]) * np.maximum(firms.profit_last, 0.0)
    hte_uc = cost_of_rd(ctx.levers["hte_tax_rate"], ctx.levers["rd_super_deduction"], 1.0)
    # relabelling carries an expected compliance cost per yuan relabelled
    cost = gap * revenue
    cost *= (1 - rho) * hte_uc + rho * p["relabel_compliance_cost"]
    jump = np.flatnonzero(candidate & (saving > cost))  # few firms: the jumps are applied to them alone
    real[jump] += (1 - rho) * gap[jump]
    col["relabel_intensity"][:] = 0.0
    col["relabel_intensity"][jump] = rho * gap[jump]
    col["rd_intensity"][:] = real
    # certification follows the reported intensity against the threshold
    np.logical_and(col["hte_eligible"], reported_intensity(firms) >= threshold, out=col["hte"])
