"""Fiscal cost of the levers, relative to the 2017 settings, year by year (docs/model.md section "Fiscal cost").

Two kinds of cost, both in 亿元 per year and both measured on the same zone (the scenario's own firms, offices,
filings and listings), so that a scenario identical to the 2017 settings costs exactly 0:

- **tax expenditure** of the R&D super-deduction (general, technology-based SME, manufacturing) and of the
  high-tech-enterprise rate: each firm's corporate income tax under the 2017 rules minus the tax it owes under the
  rules in force, on the same profit and reported R&D (research/costs.md rows 1-2, notes 1-2);
- **budget outlays** of the spending levers: a unit cost (a ``cost_*`` parameter citing a research/costs.md row)
  times the quantity the scenario's rules pay for beyond what the 2017 rules would pay for.

A lever below its 2017 setting gives a negative cost (a saving). The levers without a fiscal cost of their own
(the exchanges, park area, the guidance fund's mandate share) have no entry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from zgcsim.inputs.levers import LEVERS as ALL_LEVERS
from zgcsim.model.firms import FirmTable
from zgcsim.model.parks import park_areas
from zgcsim.model.rd import super_deduction, tax_rate

TAX, OUTLAY = "tax_expenditure", "outlay"
# the tax levers, in the order in which the per-lever split switches them from the 2017 rules to the scenario's
TAX_LEVERS = ("rd_super_deduction", "rd_super_deduction_sme", "rd_super_deduction_manufacturing", "hte_tax_rate")


def rules_2017() -> dict[str, float]:
    """Every lever's value at the end of 2017 (from its pre-2018 ``history``, else its 2017 setting)."""
    return {lever.name: lever.before_2018(dt.date(2017, 12, 31)) for lever in ALL_LEVERS}


@dataclass(frozen=True)
class CostItem:
    """One lever's cost: its kind, the unit-cost parameters it uses, and the rule in words."""

    lever: str
    kind: str
    parameters: tuple[str, ...]
    rule: str


COST_ITEMS: tuple[CostItem, ...] = (
    CostItem("rd_super_deduction", TAX, (), "tax under the 2017 rules minus tax due, firm by firm (costs.md row 1)"),
    CostItem("rd_super_deduction_sme", TAX, (), "as above, the SME rate's share (costs.md row 1)"),
    CostItem("rd_super_deduction_manufacturing", TAX, (), "as above, the manufacturing rate's share (costs.md row 1)"),
    CostItem("hte_tax_rate", TAX, (), "as above, the HTE rate's share (costs.md row 2)"),
    CostItem("tto_funded", OUTLAY, ("cost_tto_office",), "grant per funded office-year x funded offices running"),
    CostItem("tto_subsidy", OUTLAY, ("cost_tto_staff",), "staff-year cost x funded staff of funded offices"),
    CostItem("platform_support", OUTLAY, ("cost_platform",), "grant per platform-year x supported platforms open"),
    CostItem(
        "incubator_capacity",
        OUTLAY,
        ("cost_incubator_place", "incubator_place_years"),
        "place-year cost x place-years per graduate x graduates per year",
    ),
    CostItem(
        "guidance_fund", OUTLAY, ("cost_guidance_net",), "net lifetime cost per yuan x commitment, booked at once"
    ),
    CostItem("listing_support", OUTLAY, ("cost_listing",), "support per new listing x (index - 1) x new listings"),
    CostItem(
        "talent_programme",
        OUTLAY,
        ("cost_talent_award", "talent_awardees_2017"),
        "award per person x awardees at the 2017 intensity x (index - 1)",
    ),
    CostItem("pct_support", OUTLAY, ("cost_pct",), "subsidy per PCT application x (index - 1) x PCT applications"),
    CostItem("standards_support", OUTLAY, ("cost_standard",), "grant per standard x (index - 1) x new standards"),
    CostItem(
        "land_renewal",
        OUTLAY,
        ("cost_land_renewal", "park_floor_space"),
        "subsidy per m² x floor space x (renewal rate - 2017 rate)",
    ),
    CostItem(
        "energy_efficiency",
        OUTLAY,
        ("cost_energy_tce",),
        "reward per tce of yearly saving x energy use x policy effect x index",
    ),
)
COST_BY_LEVER: Mapping[str, CostItem] = {item.lever: item for item in COST_ITEMS}


@dataclass(frozen=True)
class ZoneYear:
    """The zone's counts of the year that outlays are paid on (besides the firm table)."""

    funded_tto_running: Sequence[bool]  # per institution in funding order (largest budget first): funded rank has TTO
    new_standards: int


def priced_levers(
    levers: Mapping[str, float], park_levers: Mapping[str, np.ndarray], planned: np.ndarray
) -> dict[str, float]:
    """The quarter's levers as the costs read them: a land-renewal rate set park by park becomes the zone's rate.

    The zone's rate is the parks' rates weighted by their areas (floor space taken to follow land area: ours),
    from the run's planned areas ``planned`` (``parks.planned_areas``: sourced or drawn); when every park has the
    zone's rate it is that rate exactly (so the 2017 settings still cost exactly 0).
    """
    rates = np.asarray(park_levers["land_renewal"], float)
    if (rates == levers["land_renewal"]).all():
        return dict(levers)
    area = park_areas(levers, park_levers, planned)
    return {**levers, "land_renewal": float((rates * area).sum() / area.sum())}


def year_mean(quarters: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each lever's mean over the year's quarters (a lever dated within the year counts for its quarters)."""
    return {name: float(np.mean([q[name] for q in quarters])) for name in quarters[0]}


def firm_tax(firms: FirmTable, quarters: Sequence[Mapping[str, float]], p: Mapping[str, float]) -> np.ndarray:
    """Each firm's corporate income tax of the year under the quarters' rules, 亿元.

    tax = tau x max(profit - s x eligible R&D, 0): profit is the year's total (pre-tax) profit, after R&D
    expenses. The super-deduction's base is the firm's R&D expenses (研究开发费用, its accounts or tax R&D
    sub-ledger), a share ``rd_concept_ratio`` of the reported S&T spending the model holds (the same drawn factor
    that maps rd_intensity to its published concept; uncertainty.md section 4). The year's tau and s are the means
    of the quarters' (quarters carry nearly equal R&D). A loss-maker pays nothing and its unused deduction is not
    carried forward (the model holds no loss pool).
    """
    # quarters under the same tax rules are evaluated once
    rules = Counter(tuple((k, float(q[k])) for k in TAX_LEVERS) for q in quarters)
    s = sum(w * super_deduction(firms, dict(r), p) for r, w in rules.items()) / len(quarters)
    tau = sum(w * tax_rate(firms.hte, dict(r), p) for r, w in rules.items()) / len(quarters)
    eligible = p["rd_concept_ratio"] * firms.y_rd_reported
    return tau * np.maximum(firms.y_profit - s * eligible, 0.0)


def book_taxes(
    firms: FirmTable, quarters: Sequence[Mapping[str, float]], p: Mapping[str, float], base: Mapping[str, float]
) -> dict[str, float]:
    """Set ``y_tax`` and ``y_tax_2017_rules``; return each tax lever's share of the tax expenditure, 亿元.

    The shares switch the tax levers from the 2017 rules (``base``) to the quarters' values one at a time, in the
    order of ``TAX_LEVERS``, so they add up to the total (costs.md note 2: the interaction of the HTE rate with the
    deduction lands on the lever switched later).
    """
    previous = firm_tax(firms, [base] * len(quarters), p)
    firms.y_tax_2017_rules = previous
    shares: dict[str, float] = {}
    switched: list[str] = []
    for lever in TAX_LEVERS:
        switched.append(lever)
        if all(q[lever] == base[lever] for q in quarters):  # the 2017 value all year: nothing changes
            shares[lever] = 0.0
            continue
        mixed = [{**base, **{k: q[k] for k in switched}} for q in quarters]
        tax = firm_tax(firms, mixed, p)
        shares[lever] = float(previous.sum() - tax.sum())
        previous = tax
    firms.y_tax = previous
    return shares


def outlays(
    firms: FirmTable,
    levers: Mapping[str, float],
    base: Mapping[str, float],
    p: Mapping[str, float],
    zone: ZoneYear,
    year: int,
) -> dict[str, float]:
    """Each spending lever's outlay of the year beyond the 2017 rules' on the same zone, 亿元.

    ``levers`` are the year's mean lever values. Offices and platforms count if funded under the lever and running
    at the year's end; listings, PCT applications and standards are the year's.
    """
    running = np.asarray(zone.funded_tto_running, bool)

    def funded_offices(n: float) -> int:
        return int(running[: int(round(n))].sum())

    offices, offices_2017 = funded_offices(levers["tto_funded"]), funded_offices(base["tto_funded"])
    large = firms.active & (firms.revenue >= p["platform_firm_min_revenue"])
    order = np.flatnonzero(large)[np.argsort(-firms.revenue[large])]
    open_ranked = firms.platform[order]
    new_listings = int((firms.listed & (firms.listing_year == year)).sum())
    pct = float(firms.y_pct.sum())
    energy = float(firms.y_energy.sum())

    def change(name: str) -> float:
        return levers[name] - base[name]

    return {
        "tto_funded": p["cost_tto_office"] * (offices - offices_2017),
        "tto_subsidy": p["cost_tto_staff"] * (offices * levers["tto_subsidy"] - offices_2017 * base["tto_subsidy"]),
        "platform_support": p["cost_platform"]
        * (
            open_ranked[: int(round(levers["platform_support"]))].sum()
            - open_ranked[: int(round(base["platform_support"]))].sum()
        ),
        "incubator_capacity": p["cost_incubator_place"] * p["incubator_place_years"] * change("incubator_capacity"),
        "guidance_fund": p["cost_guidance_net"] * change("guidance_fund"),
        "listing_support": p["cost_listing"] * change("listing_support") * new_listings,
        "talent_programme": p["cost_talent_award"] * p["talent_awardees_2017"] * change("talent_programme"),
        "pct_support": p["cost_pct"] * change("pct_support") * pct,
        "standards_support": p["cost_standard"] * change("standards_support") * zone.new_standards,
        # 元 per m² x 万 m² = 万元; / 1e4 -> 亿元
        "land_renewal": p["cost_land_renewal"] * p["park_floor_space"] * change("land_renewal") / 1e4,
        # 元 per tce x tce / 1e8 -> 亿元; the yearly saving the policy adds on this year's energy use
        "energy_efficiency": p["cost_energy_tce"]
        * p["energy_policy_effect"]
        * change("energy_efficiency")
        * energy
        / 1e8,
    }


def year_costs(
    firms: FirmTable,
    quarters: Sequence[Mapping[str, float]],
    p: Mapping[str, float],
    zone: ZoneYear,
    year: int,
) -> dict[str, float]:
    """The year's cost of every costed lever (``COST_ITEMS``), 亿元; sets the firms' ``y_tax`` fields."""
    base = rules_2017()
    costs = book_taxes(firms, quarters, p, base)
    costs |= outlays(firms, year_mean(quarters), base, p, zone, year)
    return {item.lever: float(costs[item.lever]) for item in COST_ITEMS}
