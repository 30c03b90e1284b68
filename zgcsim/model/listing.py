"""Listing: the stock exchanges (Mesa agents holding their rules and lags), filings, listings, delistings.

Rules are simplified from the listing rules of the time; the STAR Market and the Beijing exchange open with
their levers (priors.md rows 51-52).
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.draws import FirmDraws
from zgcsim.model.firms import FirmTable, reported_intensity

Rule = Callable[[FirmTable], np.ndarray]


class StockExchange(mesa.Agent):
    """A listing venue: who may list, how long it takes, what a listing is worth to investors."""

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        name: str,
        lever: str | None,
        lag_quarters: int,
        valuation: float,
        rule: Rule,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.lever = lever  # the lever that opens it, or None if always open
        self.lag_quarters = lag_quarters
        self.valuation = valuation
        self.rule = rule

    def is_open(self, levers: dict[str, float]) -> bool:
        """Whether the venue takes filings under the levers in force."""
        return self.lever is None or levers[self.lever] >= 0.5

    def eligible(self, firms: FirmTable) -> np.ndarray:
        """Mask of firms meeting this venue's listing rules."""
        return self.rule(firms)


def build_exchanges(model: mesa.Model, p: dict[str, float]) -> list[StockExchange]:
    """The venues: A-share main boards and ChiNext, overseas (HK/US), STAR (lever), Beijing (lever).

    Rules are simplified from the listing rules of the time: the A-share boards want a record of profit;
    STAR admits unprofitable firms that pass revenue and R&D tests (row 51); the Beijing exchange takes
    NEEQ-quoted small profitable firms (row 52). Lags: over a year before STAR, weeks to months after (row 51).
    """
    a_profit, a_age = p["a_share_min_profit"], p["a_share_min_age"]
    abroad_backed, abroad_unbacked = p["overseas_min_revenue"], p["overseas_min_revenue_unbacked"]
    star_revenue, star_rd = p["star_min_revenue"], p["star_min_rd"]
    star_vc_revenue, star_vc_rd = p["star_vc_min_revenue"], p["star_vc_min_rd"]
    beijing_profit = p["beijing_min_profit"]

    def lag(name: str) -> int:
        return int(round(p[name]))

    return [
        StockExchange(
            model,
            0,
            "A-share main boards and ChiNext",
            None,
            lag("a_share_lag_quarters"),
            1.0,
            lambda f: (f.profit_last >= a_profit) & (f.age >= a_age),
        ),
        StockExchange(
            model,
            1,
            "Overseas (Hong Kong, US)",
            None,
            lag("overseas_lag_quarters"),
            1.0,
            lambda f: (f.revenue >= abroad_backed) & ((f.vc_total > 0) | (f.revenue >= abroad_unbacked)),
        ),
        StockExchange(
            model,
            2,
            "STAR Market",
            "star_market",
            lag("star_lag_quarters"),
            p["star_valuation_multiple"],
            lambda f: (
                ((f.revenue >= star_revenue) & (reported_intensity(f) >= star_rd))
                | ((f.vc_total > 0) & (f.revenue >= star_vc_revenue) & (reported_intensity(f) >= star_vc_rd))
            ),
        ),
        StockExchange(
            model,
            3,
            "Beijing Stock Exchange",
            "beijing_exchange",
            lag("beijing_lag_quarters"),
            p["beijing_valuation_multiple"],
            lambda f: f.neeq & (f.profit_last >= beijing_profit),
        ),
    ]


def fastest_venue(firms: FirmTable, exchanges: list[StockExchange], levers: dict[str, float]) -> np.ndarray:
    """Index of the open venue with the shortest lag whose rules each firm meets (-1: none)."""
    choice = np.full(len(firms), -1)
    open_venues = sorted((e for e in exchanges if e.is_open(levers)), key=lambda e: e.lag_quarters)
    for venue in reversed(open_venues):  # the fastest eligible venue wins
        choice[venue.eligible(firms)] = venue.index
    return choice


def filing_weight(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Relative propensity to file for listing: ``vc_filing_weight`` (1.5) for VC-backed firms, 1 otherwise (ours)."""
    return np.where(firms.vc_total > 0, p["vc_filing_weight"], 1.0)


def file_and_list(firms: FirmTable, exchanges: list[StockExchange], ctx: StepContext) -> int:
    """One quarter of listing: filings by eligible firms, listings of filings that come due, delistings.

    An eligible unlisted firm files with probability (filing rate x listing support, x1.5 if VC-backed) / 4
    at the open venue with the shortest lag; it lists when the lag has passed if still active, with probability
    ``listing_approval_rate`` (80 %, ours). Returns the number of new listings.
    """
    p, lv = ctx.params, ctx.levers
    draws, uid = FirmDraws(ctx.streams["listing"], ctx.step), firms.uid  # keyed by firm uid (model/draws.py)
    choice = fastest_venue(firms, exchanges, lv)
    can_file = firms.active & ~firms.listed & (firms.ipo_exchange < 0) & (choice >= 0)
    support = lv["listing_support"] ** p["listing_support_elasticity"]
    # each draw is keyed by uid, so it is taken only for the firms it can decide (the others' numbers are unused)
    candidates = np.flatnonzero(can_file)
    rate = ctx.derived["ipo_filing_rate"] * support * filing_weight(firms, p)[candidates]
    filers = candidates[draws.uniform("filing", uid[candidates]) < rate * QUARTER]
    lags = np.array([e.lag_quarters for e in sorted(exchanges, key=lambda e: e.index)])
    firms.ipo_exchange[filers] = choice[filers]
    firms.ipo_due[filers] = ctx.step + lags[choice[filers]]

    due = (firms.ipo_exchange >= 0) & (firms.ipo_due <= ctx.step)
    deciding = np.flatnonzero(due & firms.active)
    approved = np.zeros(len(firms), bool)
    approved[deciding] = draws.uniform("approval", uid[deciding]) < p["listing_approval_rate"]
    firms.listed = firms.listed | approved
    firms.listing_year[approved] = ctx.year
    firms.ipo_exchange[due] = -1

    at_risk = np.flatnonzero(firms.listed & ~approved)
    delisted = at_risk[draws.uniform("delisting", uid[at_risk]) < p["delisting_rate"] * QUARTER]
    firms.listed[delisted] = False
    return int(approved.sum())


def anchor_filing_rate(
    f: FirmTable, exchanges: list[StockExchange], levers: dict[str, float], new_listings: float, p: dict[str, float]
) -> float:
    """The yearly filing rate of eligible firms that meets the start year's listing flow.

    Like the knowledge rules, the listing rule is anchored on an observed flow (``new_listings_<year>``):
    filings x approval rate (80 %) = that flow, given the firms then eligible under the venues then open; after
    that, listings move with the eligible pool, the venues (STAR, Beijing) and the listing-support lever.
    """
    eligible = (fastest_venue(f, exchanges, levers) >= 0) & ~f.listed & f.active
    weight = filing_weight(f, p)[eligible].sum()
    return new_listings / (p["listing_approval_rate"] * max(weight, 1.0))


def seed_listing_pipeline(
    f: FirmTable, venue: StockExchange, filing_rate: float, p: dict[str, float], rng: np.random.Generator
) -> None:
    """Filings pending at the start: eligible firms that filed in the lag before it, at ``venue``.

    With the pre-STAR lag of six quarters, listings in 2018 come from filings of 2016-17; the pipeline is
    drawn with the same filing rule the model uses afterwards, so 2018 has listings.
    """
    eligible = venue.eligible(f) & ~f.listed
    rate = filing_rate * filing_weight(f, p)
    filed = eligible & (rng.random(len(f)) < rate * venue.lag_quarters / 4)
    f.ipo_exchange = np.where(filed, venue.index, f.ipo_exchange)
    f.ipo_due = np.where(filed, rng.integers(0, venue.lag_quarters, len(f)), f.ipo_due)
