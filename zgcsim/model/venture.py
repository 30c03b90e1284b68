"""Venture finance: private VC/angel funds, the government guidance fund and the yearly VC market.

Funds are Mesa agents that screen young firms on a noisy signal of team quality (priors.md row 45), invest and
follow on; their yearly deployment follows their expected exit value, which the STAR Market raises (rows
51-53). The guidance fund co-invests with private money under a sector mandate and crowds out private money
outside it (rows 49-50).
"""

from __future__ import annotations

import mesa
import numpy as np

from zgcsim.inputs.levers import BY_NAME as LEVERS
from zgcsim.inputs.sectors import MANDATE_SECTORS, SECTORS
from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.firms import FirmTable
from zgcsim.model.listing import StockExchange, fastest_venue
from zgcsim.model.population import round_size_factor


IN_MANDATE = np.isin(np.arange(len(SECTORS)), MANDATE_SECTORS)  # by sector index: inside the guidance mandate


def start_round_median(firms: FirmTable, p: dict[str, float]) -> float:
    """Median round size per unit of ``round_size_factor`` in the start year's rounds (a fallback if none).

    Later rounds keep that scale (``round_sizes``).
    """
    backed = firms.y_vc > 0
    if not backed.any():
        return p["vc_round_median_fallback"]
    return float(np.median(firms.y_vc[backed] / round_size_factor(firms.revenue[backed], p)))


def round_sizes(
    firms: FirmTable, rows: np.ndarray, median: float, p: dict[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Round sizes (亿元) for the firms at ``rows`` (any shape).

    Lognormal with s.d. ``vc_round_sigma``, times ``round_size_factor`` of revenue; the median per unit of that
    factor, ``median``, is set on the start year's rounds (``ParkModel.derived["vc_round_median"]``), so deals
    stay as large as the start population's and their number follows the money.
    """
    return rng.lognormal(np.log(median), p["vc_round_sigma"], rows.shape) * round_size_factor(firms.revenue[rows], p)


def mean_round_size(firms: FirmTable, rows: np.ndarray, median: float, p: dict[str, float]) -> float:
    """Expected size (亿元) of a ``round_sizes`` round of median ``median`` in a firm drawn at random from ``rows``."""
    lognormal_mean = median * np.exp(p["vc_round_sigma"] ** 2 / 2)
    return lognormal_mean * float(round_size_factor(firms.revenue[rows], p).mean())


def screened_pool(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Mask of the firms venture funds screen: active, unlisted and younger than ``vc_max_age`` (8 years)."""
    return firms.active & ~firms.listed & (firms.age < p["vc_max_age"])


def _mark_first_rounds(firms: FirmTable, rows: np.ndarray, time: float) -> None:
    """Record the date and revenue of a firm's first venture round (for exit multiples)."""
    first = rows[np.isnan(firms.vc_first_year[rows])]
    firms.vc_first_year[first] = time
    firms.vc_entry_revenue[first] = firms.revenue[first]


class VentureFund(mesa.Agent):
    """A private VC/angel fund: screens young firms on a noisy team signal and invests its quarterly budget."""

    def __init__(self, model: mesa.Model, weight: float) -> None:
        super().__init__(model)
        self.weight = weight  # share of the private deployment this fund places

    def invest(
        self,
        firms: FirmTable,
        candidates: np.ndarray,
        available: np.ndarray,
        budget: float,
        ctx: StepContext,
        rng: np.random.Generator,
        gvc: bool = False,
    ) -> float:
        """Place ``budget`` (亿元) in the best-looking candidates it sees; return what it placed.

        ``candidates`` are the rows of active unlisted firms under 8 years old not funded in the past year (for
        a mandate, in the mandate sectors); ``available`` marks those not yet taken by another fund this quarter.
        The fund sees about 300 of them and ranks them on team quality plus noise (row 45); it invests
        in order until the budget is spent. Round sizes are lognormal and rise with the firm's revenue.
        """
        if budget <= 0 or len(candidates) == 0:
            return 0.0
        screened = int(round(ctx.params["fund_min_screened"]))
        seen = np.unique(candidates[rng.integers(0, len(candidates), screened)])  # what crosses the fund's desk
        seen = seen[available[seen]]
        if len(seen) == 0:
            return 0.0
        signal = firms.team_quality[seen] + ctx.params["vc_signal_noise"] * rng.standard_normal(len(seen))
        ranked = seen[np.argsort(-signal)]
        sizes = round_sizes(firms, ranked, ctx.derived["vc_round_median"], ctx.params, rng)
        cumulative = np.cumsum(sizes)
        k = min(int(np.searchsorted(cumulative, budget)) + 1, len(ranked))
        chosen, amount = ranked[:k], sizes[:k].copy()
        amount[-1] = max(amount[-1] - max(cumulative[k - 1] - budget, 0.0), 0.0)  # the last round tops up
        _mark_first_rounds(firms, chosen, ctx.time)
        firms.vc_total[chosen] += amount
        firms.vc_recent[chosen] += amount
        firms.y_vc[chosen] += amount
        firms.vc_last_year[chosen] = ctx.time
        available[chosen] = False
        if gvc:
            firms.gvc_backed[chosen] = True
        return float(amount.sum())


class GuidanceFund(VentureFund):
    """The government guidance fund: commits to sub-funds that invest under a sector mandate (task 16)."""

    setting_2017 = (LEVERS["guidance_fund"].setting_2017, LEVERS["guidance_mandate_share"].setting_2017)

    def quarterly_budget(self, levers: dict[str, float], params: dict[str, float]) -> tuple[float, float]:
        """Return (mandate-restricted, unrestricted) money placed this quarter, private match included."""
        total = levers["guidance_fund"] * (1 + params["guidance_match"]) * QUARTER
        mandate = total * levers["guidance_mandate_share"]
        return mandate, total - mandate


def _listing_value(
    firms: FirmTable, pool: np.ndarray, exchanges: list[StockExchange], levers: dict[str, float], discount: float
) -> float:
    """Mean listing value over the firms in ``pool`` (a mask).

    Each firm's value is the valuation of its fastest eligible venue (zero if none), discounted by ``discount`` a year
    over the venue's lag; the mean is scaled by the listing-support lever.
    """
    venue = fastest_venue(firms, exchanges, levers)[pool]
    by_index = sorted(exchanges, key=lambda e: e.index)
    valuation = np.array([e.valuation * discount ** (e.lag_quarters * QUARTER) for e in by_index])
    return float(np.where(venue >= 0, valuation[np.maximum(venue, 0)], 0.0).mean() * levers["listing_support"])


def exit_prospect(
    firms: FirmTable,
    exchanges: list[StockExchange],
    levers: dict[str, float],
    reference: dict[str, float],
    p: dict[str, float],
) -> float:
    """What funds can expect from listing exits under ``levers``, relative to the ``reference`` levers (rows 51-53).

    Both are valued on the same firms, those funds screen (active, unlisted, under eight years old), so the
    ratio moves only with policy: a faster or richer venue (STAR), venues that admit more firms, easier listing
    support. A measure built from the year's VC-backed exits would instead grow with the venture market itself
    (more VC, more VC-backed listings, more VC) and drift with the pool's make-up.
    """
    pool = screened_pool(firms, p)
    if not pool.any():
        return 1.0
    discount = p["exit_discount_factor"]
    base = _listing_value(firms, pool, exchanges, reference, discount)
    return _listing_value(firms, pool, exchanges, levers, discount) / base if base > 0 else 1.0


class CapitalMarket:
    """Yearly private VC deployment, driven by demand and by the exit value funds expect (rows 51-53)."""

    def __init__(self, private_start: float, params: dict[str, float]) -> None:
        self.trend_deployment = private_start  # 亿元 per year at the start year's exit prospect
        self.deployment = private_start  # 亿元 per year, set for the coming year
        self.expected_exit_value = 1.0  # relative to the start year's policy (adaptive expectations)
        self.params = params
        self.close_year(1.0)  # the start year is over: set the first simulated year's deployment

    def close_year(self, prospect: float) -> None:
        """Update the expected exit value from this year's exit prospect, then set next year's deployment.

        ``prospect`` is ``exit_prospect`` (1 under the start year's policy). Deployment follows demand
        (``demand_growth``) and is scaled by expected exit value to the power ``vc_return_response`` (row 53): a
        lasting rise in what exits are worth raises the level of VC.
        """
        speed = self.params["exit_expectation_speed"]  # adaptive expectations
        self.expected_exit_value += speed * (prospect - self.expected_exit_value)
        self.trend_deployment *= np.exp(self.params["demand_growth"])
        response = self.params["vc_return_response"]
        floor = self.params["exit_expectation_floor"]
        self.deployment = self.trend_deployment * max(self.expected_exit_value, floor) ** response


def invest_private(
    funds: list[VentureFund],
    firms: FirmTable,
    candidates: np.ndarray,
    budgets: np.ndarray,
    ctx: StepContext,
    rng: np.random.Generator,
) -> float:
    """All private funds screen and invest at once; each fund behaves as ``VentureFund.invest`` describes.

    Every fund sees draws from the candidate pool, enough for about twice the deals its budget pays for (at
    least 300), ranks what it sees on team quality plus noise (row 45) and invests in order until its budget is
    spent. Two funds may back the same firm in a quarter: a syndicate (section 5). Returns the money placed (亿元).
    """
    if len(candidates) == 0 or budgets.sum() <= 0:
        return 0.0
    mean_deal = mean_round_size(firms, candidates, ctx.derived["vc_round_median"], ctx.params)
    least = int(round(ctx.params["fund_min_screened"]))
    draws = int(np.clip(ctx.params["fund_screening_multiple"] * budgets.max() / mean_deal, least, 20 * len(candidates)))
    seen = np.sort(candidates[rng.integers(0, len(candidates), (len(funds), draws))], axis=1)
    repeat = np.zeros(seen.shape, bool)
    repeat[:, 1:] = seen[:, 1:] == seen[:, :-1]  # a firm seen twice by one fund is considered once
    signal = firms.team_quality[seen] + ctx.params["vc_signal_noise"] * rng.standard_normal(seen.shape)
    signal[repeat] = -np.inf
    order = np.argsort(-signal, axis=1)
    ranked = np.take_along_axis(seen, order, axis=1)
    sizes = round_sizes(firms, ranked, ctx.derived["vc_round_median"], ctx.params, rng)
    sizes[np.take_along_axis(repeat, order, axis=1)] = 0.0
    before = np.cumsum(sizes, axis=1) - sizes  # money placed before each candidate in the fund's order
    amount = np.clip(np.minimum(sizes, budgets[:, None] - before), 0.0, None)
    rows, amounts = ranked[amount > 0], amount[amount > 0]
    _mark_first_rounds(firms, rows, ctx.time)
    np.add.at(firms.vc_total, rows, amounts)
    np.add.at(firms.vc_recent, rows, amounts)
    np.add.at(firms.y_vc, rows, amounts)
    firms.vc_last_year[rows] = ctx.time
    return float(amounts.sum())


def invest_quarter(
    firms: FirmTable, funds: list[VentureFund], guidance: GuidanceFund, market: CapitalMarket, ctx: StepContext
) -> tuple[float, float]:
    """All funds invest for one quarter; returns (private placed, guidance-led placed) in 亿元."""
    rng = ctx.streams["vc"]
    last = firms.vc_last_year
    recent = ~np.isnan(last) & (ctx.time - np.where(np.isnan(last), 0.0, last) < 1.0)
    available = screened_pool(firms, ctx.params) & ~recent
    mandate, unrestricted = guidance.quarterly_budget(ctx.levers, ctx.params)
    candidates = np.flatnonzero(available)
    mandate_rows = candidates[IN_MANDATE[firms.sector[candidates]]]
    gvc = guidance.invest(firms, mandate_rows, available, mandate, ctx, rng, gvc=True)
    gvc += guidance.invest(firms, candidates, available, unrestricted, ctx, rng, gvc=True)
    # mandate money beyond the 2017 level displaces private money outside the mandate sectors (row 50)
    mandate_2017, _ = guidance.quarterly_budget(
        ctx.levers | {"guidance_fund": guidance.setting_2017[0], "guidance_mandate_share": guidance.setting_2017[1]},
        ctx.params,
    )
    crowded_out = ctx.params["gvc_crowd_out"] * max(mandate - mandate_2017, 0.0)
    budgets = np.array([(market.deployment * QUARTER - crowded_out) * fund.weight for fund in funds])
    private = invest_private(funds, firms, candidates, np.maximum(budgets, 0.0), ctx, rng)
    return private, gvc
