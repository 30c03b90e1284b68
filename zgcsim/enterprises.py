"""Enterprise behaviour, vectorised over the firm table: one function per submodel, in step order.

Each function reads the firm arrays, the levers in force and the parameters, draws from its own named random
stream, and updates the arrays in place. Quarterly flows are a quarter of the yearly rates. The rule behind each
function, with its priors.md row, is in its docstring and in docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zgcsim.firms import FIELDS, GRANT_PIPELINE_QUARTERS, FirmTable, grant_lag
from zgcsim.population import SECTORS, exit_hazard_by_age, hte_threshold

QUARTER = 0.25
NOTCH_MARGIN = 0.001  # firms that jump to an HTE threshold land 0.1 pp above it (a safety margin, ours)


def power(base: np.ndarray, exponent: float) -> np.ndarray:
    """``base ** exponent`` for non-negative arrays, via exp and log (several times faster than ``**`` here)."""
    with np.errstate(divide="ignore"):
        return np.exp(exponent * np.log(base))


@dataclass
class StepContext:
    """What every submodel sees in one quarter: the date, the levers, the parameters and the random streams."""

    year: int
    quarter: int  # 1..4
    step: int  # 0 for 2018 Q1
    levers: dict[str, float]
    params: dict[str, float]
    streams: dict[str, np.random.Generator]
    demand_shock: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # log level, by sector
    congestion: float = 0.0  # yearly growth drag from land (model.update_land)
    platform_boost: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # by sector

    @property
    def time(self) -> float:
        """Fractional calendar year at the start of the quarter."""
        return self.year + (self.quarter - 1) * QUARTER


def reset_year(firms: FirmTable) -> None:
    """Zero the calendar-year accumulators at the first quarter."""
    for name in FIELDS:
        if name.startswith("y_"):
            firms.columns[name][:] = 0


def user_cost(firms: FirmTable, ctx: StepContext) -> np.ndarray:
    """Return each firm's after-tax cost of one yuan of R&D: uc = 1 - tau (1 + s) delta (priors.md section 2).

    tau is 25 % or the HTE rate; s is the super-deduction (the manufacturers' rate where higher, from the 2021
    rule); delta is 1 for a profitable firm and the value of carrying the deduction forward for a loss-maker.
    """
    p, lv = ctx.params, ctx.levers
    tau = np.where(firms.hte, lv["hte_tax_rate"], p["cit_standard"])
    s = np.where(
        firms.manufacturer,
        max(lv["rd_super_deduction"], lv["rd_super_deduction_manufacturing"]),
        lv["rd_super_deduction"],
    )
    delta = np.where(firms.profit_last > 0, 1.0, p["loss_deduction_value"])
    return 1.0 - tau * (1.0 + s) * delta


def rd_elasticity(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Long-run user-cost elasticity: larger for firms under 2 亿元 revenue (priors.md rows 1, 7, 8)."""
    return np.where(firms.revenue < 2.0, p["sigma_sme"], p["sigma_lr"])


def set_rd_fixed_effects(firms: FirmTable, ctx: StepContext, rows: slice | np.ndarray = slice(None)) -> None:
    """Fix a_i so that each firm's current R&D intensity is its target under the policy in force."""
    uc = user_cost(firms, ctx)[rows]
    firms.rd_fe[rows] = np.log(firms.rd_intensity[rows]) + rd_elasticity(firms, ctx.params)[rows] * np.log(uc)


def decide_rd(firms: FirmTable, ctx: StepContext) -> None:
    """Set this year's real and reported R&D intensity (yearly, first quarter).

    Target: ln r* = a_i - sigma ln uc (priors.md section 2, rows 1-3, 7-8); partial adjustment of the log
    intensity at speed lambda with a persistent shock. The HTE notch: an eligible firm just below its threshold
    (3/4/5 % by size, row 13) jumps to it when the tax saving on its profit exceeds the cost of the jump, a share
    rho of which is relabelling (row 9); only real R&D enters patents and productivity.
    """
    p, rng = ctx.params, ctx.streams["rd"]
    uc = user_cost(firms, ctx)
    target = firms.rd_fe - rd_elasticity(firms, p) * np.log(uc)
    lam = p["rd_adjustment"]
    # a persistent shock of s.d. 0.1, mean-corrected (-0.1^2 / 2) so it adds no drift to the mean intensity
    log_r = (1 - lam) * np.log(firms.rd_intensity) + lam * target + rng.normal(-0.005, 0.1, len(firms))
    real = np.clip(np.exp(log_r), 1e-4, 0.6)

    # the notch: a firm whose desired intensity lies just below its threshold (or in the safety margin above it)
    # may report the threshold plus the margin instead; the jump is part real R&D, part relabelling
    threshold = hte_threshold(firms.revenue) + NOTCH_MARGIN
    gap = threshold - real
    candidate = firms.hte_eligible & (gap > 0) & (gap < p["notch_window"] + NOTCH_MARGIN)
    rho = p["relabel_share"]
    saving = (p["cit_standard"] - ctx.levers["hte_tax_rate"]) * np.maximum(firms.profit_last, 0.0)
    hte_uc = 1.0 - ctx.levers["hte_tax_rate"] * (1.0 + ctx.levers["rd_super_deduction"])
    # relabelling carries an expected compliance cost of half a yuan per yuan (our assumption, a free choice)
    cost = gap * firms.revenue * ((1 - rho) * hte_uc + rho * 0.5)
    jump = candidate & (saving > cost)
    real = np.where(jump, real + (1 - rho) * gap, real)
    firms.relabel_intensity = np.where(jump, rho * gap, 0.0)
    firms.rd_intensity = real
    # certification follows the reported intensity against the threshold
    firms.hte = firms.hte_eligible & (real + firms.relabel_intensity >= hte_threshold(firms.revenue))


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
    p, lv, rng = ctx.params, ctx.levers, ctx.streams["patents"]
    n = len(firms)
    spend_real = firms.rd_intensity * firms.revenue * QUARTER
    old_stock = firms.rd_stock.copy()
    firms.rd_stock = firms.rd_stock * (1 - p["rd_depreciation"] * QUARTER) + spend_real
    firms.vc_recent = firms.vc_recent * (1 - 0.5 * QUARTER)  # a round counts for about two years
    knowledge = firms.rd_stock + p["vc_patent_potency"] * firms.vc_recent + firms.licensed_knowledge
    returnee_share = firms.returnees / np.maximum(firms.employees, 1.0)
    mean = (
        # the propensity to patent drifts (row 27); the start year's filings that set the scale are its mean rate,
        # centred 2.5 quarters before the first step (the mean of steps -4 to -1), so the drift counts from there
        np.exp(p["patent_propensity_trend"] * (ctx.step + 2.5) * QUARTER)
        * knowledge_scale["applications"]
        * firms.patent_fe
        * firms.knowledge0
        * np.exp(p["patent_elasticity_within"] * np.log(knowledge / firms.knowledge0))
        * (1 + p["returnee_patent_premium"] * returnee_share)
        * QUARTER
    )
    applications = rng.poisson(mean)  # Poisson around a gamma firm effect: negative binomial (row 18)

    pct_share = np.clip(
        knowledge_scale["pct_share"]
        * np.exp(p["pct_size_elasticity"] * np.log(firms.revenue / 0.25))
        * (1 + 10 * returnee_share)
        * lv["pct_support"] ** p["pct_support_elasticity"],
        0,
        0.9,
    )
    pct = np.zeros(n, np.int64)
    filing = np.flatnonzero(applications)
    pct[filing] = rng.binomial(applications[filing], pct_share[filing])

    # the pipeline is a ring: column s % 8 holds the filings of step s; those filed `lag` quarters ago are decided
    due = (ctx.step - grant_lag(p)) % GRANT_PIPELINE_QUARTERS
    decided = firms.pending[:, due]
    grants = np.zeros(n, np.int64)
    filers = np.flatnonzero(decided)
    grants[filers] = rng.binomial(decided[filers], p["grant_rate"])
    firms.pending[:, due] = 0
    firms.pending[:, ctx.step % GRANT_PIPELINE_QUARTERS] += applications
    firms.patents_held = firms.patents_held + grants
    # lapses fall due all year round (renewal fees are due on each patent's filing anniversary), so a quarter of
    # the yearly rate lapses every quarter; drawn only for holders, since most firms hold none
    holders = np.flatnonzero(firms.patents_held > 0)
    held = firms.patents_held[holders]
    firms.patents_held[holders] = held - rng.binomial(held, p["patent_lapse_rate"] * QUARTER)

    new_standards = np.zeros(n, np.int64)
    if ctx.quarter == 4:  # yearly: standards set during the year
        std_mean = (
            knowledge_scale["standards"]
            * power(held, p["standards_stock_elasticity"])
            * lv["standards_support"] ** p["standards_support_elasticity"]
        )
        new_standards[holders] = rng.poisson(std_mean)  # a firm without patents sets no standard
        firms.standards = firms.standards + new_standards

    firms.y_applications = firms.y_applications + applications
    firms.y_grants = firms.y_grants + grants
    firms.y_pct = firms.y_pct + pct
    return np.log(firms.rd_stock / np.maximum(old_stock, 1e-12)), int(new_standards.sum())


def contract_values(counts: np.ndarray, p: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Draw ``counts[i]`` contract values per firm from a truncated Pareto (row 37) and return each firm's sum."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(len(counts))
    alpha, lo, hi = p["contract_alpha"], p["contract_min_value"], p["contract_max_value"]
    u = rng.random(total)
    # inverse CDF of a Pareto truncated to [lo, hi]
    values = lo * np.exp(-np.log1p(-u * (1 - (lo / hi) ** alpha)) / alpha)
    owner = np.repeat(np.arange(len(counts)), counts)
    return np.bincount(owner, weights=values, minlength=len(counts))


def truncated_pareto_mean(p: dict[str, float]) -> float:
    """Mean of one contract value under the truncated Pareto of ``contract_values``."""
    alpha, lo, hi = p["contract_alpha"], p["contract_min_value"], p["contract_max_value"]
    norm = 1 - (lo / hi) ** alpha
    return alpha * lo**alpha * (lo ** (1 - alpha) - hi ** (1 - alpha)) / ((alpha - 1) * norm)


def sell_contracts(firms: FirmTable, ctx: StepContext, knowledge_scale: dict[str, float]) -> None:
    """Technology contracts of the year, drawn at year end (section 3, row 37).

    Each firm sells a Poisson number of contracts proportional to its knowledge stock (R&D stock plus
    licensed-in knowledge), each with a truncated Pareto value.
    """
    rng = ctx.streams["contracts"]
    knowledge = firms.rd_stock + firms.licensed_knowledge
    counts = rng.poisson(knowledge_scale["contracts"] * knowledge * firms.active)
    firms.y_contracts = firms.y_contracts + contract_values(counts, ctx.params, rng)


def grow(firms: FirmTable, ctx: StepContext, knowledge_growth: np.ndarray) -> None:
    """Revenue, productivity, employment, value added, profit and energy for one quarter (section 6).

    Log revenue growth = demand growth + a young-firm premium halving every 3 years (row 58) + recent VC and
    incubator boosts + the platform boost for young firms + a team-quality term - land congestion - export
    controls + the productivity gain phi dln K (row 10) + a Laplace shock with scale b S^-beta (rows 56-57),
    mean-corrected so shocks do not add drift. Employment follows revenue with elasticity eta; value added and
    margins rise with productivity; energy intensity falls by the autonomous rate (row 65), with R&D and with the
    efficiency lever.
    """
    p, lv, rng = ctx.params, ctx.levers, ctx.streams["growth"]
    n = len(firms)
    old_tfp, old_noise = firms.tfp.copy(), firms.tfp_noise.copy()
    firms.tfp_noise = 0.95 * firms.tfp_noise + rng.normal(0, 0.02, n)
    firms.tfp = firms.tfp + p["tfp_per_rd"] * knowledge_growth
    d_tfp = firms.tfp - old_tfp + firms.tfp_noise - old_noise

    young = np.exp(-np.log(2.0) / 3.0 * firms.age)
    vc_boost = p["vc_growth_boost"] * (firms.vc_recent > 0.0) * (ctx.time - np.nan_to_num(firms.vc_last_year) < 2)
    incubated = (firms.origin == 4) & (firms.age < 3)
    drift = (
        p["demand_growth"]
        + p["young_growth_premium"] * young
        + vc_boost
        + p["incubator_growth_boost"] * incubated
        + ctx.platform_boost[firms.sector] * (firms.age < 5)
        + 0.03 * firms.team_quality
        - ctx.congestion
        - firms.export_penalty
    )
    scale = np.minimum(p["growth_shock_scale"] * power(np.maximum(firms.revenue, 1e-3), -p["size_variance_beta"]), 1.2)
    b = scale * 0.5  # quarterly Laplace scale (a yearly scale spread over four quarters)
    # a Laplace draw is the difference of two exponentials; log(1 - b^2) makes E[exp(shock)] = 1 for b < 1
    shock = b * (rng.standard_exponential(n) - rng.standard_exponential(n)) + np.log(1 - b * b)
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


def hire_talent(firms: FirmTable, ctx: StepContext, employees_before: np.ndarray) -> None:
    """Foreign and returnee hires: a share of hires rising with R&D intensity and the talent programme (rows 67-69).

    Hires are net employment growth plus replacement of 10 % turnover a year; returnee staff leave at the
    attrition rate and leave the zone when their firm exits.
    """
    p, rng = ctx.params, ctx.streams["talent"]
    hires = np.maximum(firms.employees - employees_before, 0.0) + 0.10 * QUARTER * firms.employees
    reported = firms.rd_intensity + firms.relabel_intensity
    share = (
        p["returnee_hire_share"]
        * np.sqrt(reported / 0.043)
        * ctx.levers["talent_programme"] ** p["talent_programme_elasticity"]
    )
    new = rng.poisson(hires * np.clip(share, 0, 0.5))
    firms.returnees = np.minimum(firms.returnees * (1 - p["returnee_attrition"] * QUARTER) + new, firms.employees)


def close_year(firms: FirmTable, ctx: StepContext) -> None:
    """Year end: the year's profit becomes last year's; corporate tax with the super-deduction (rows 11-12)."""
    p, lv = ctx.params, ctx.levers
    firms.profit_last = firms.y_profit.copy()
    tau = np.where(firms.hte, lv["hte_tax_rate"], p["cit_standard"])
    s = np.where(
        firms.manufacturer,
        max(lv["rd_super_deduction"], lv["rd_super_deduction_manufacturing"]),
        lv["rd_super_deduction"],
    )
    firms.y_tax = tau * np.maximum(firms.y_profit - s * firms.y_rd_reported, 0.0)


def exit_firms(firms: FirmTable, ctx: StepContext) -> np.ndarray:
    """Exit by age (SAIC profile, row 59), more likely for low productivity and less for listed firms.

    Returns the mask of firms that exit this quarter.
    """
    p, rng = ctx.params, ctx.streams["exit"]
    hazard = exit_hazard_by_age(firms.age) * p["exit_hazard_scale"]
    low = firms.tfp + firms.tfp_noise + 0.1 * firms.team_quality
    sample = low[::7]  # the bottom quintile's cut-off, estimated on every seventh firm (cheap, deterministic)
    cutoff = np.partition(sample, len(sample) // 5)[len(sample) // 5] if len(sample) else 0.0
    hazard = hazard * np.where(low < cutoff, p["exit_low_tfp_factor"], 1.0)
    hazard = hazard * np.where(firms.listed, 0.1, 1.0)
    hazard = hazard * np.where((firms.origin == 4) & (firms.age < 3), p["incubator_survival_factor"], 1.0)
    # failure falls with size (Evans 1987, row 58): from 1 亿元 of revenue the hazard falls with its square root
    # (0.3 at 10 亿元, 0.03 at 1 000 亿元: the zone's largest firms, which hold many patents, almost never close)
    hazard = hazard * np.minimum(1.0, np.maximum(firms.revenue, 1e-6) ** -0.5)
    leaving = firms.active & (rng.random(len(firms)) < -np.expm1(QUARTER * np.log1p(-np.minimum(hazard, 0.9))))
    firms.active = firms.active & ~leaving
    return leaving
