"""ParkModel: the Zhongguancun zone as a Mesa model, from the end of 2017 to the end of 2022 in quarters.

For calibration the same model starts at the end of 2013 and runs to the end of 2017 (the spin-up).

The step order is written once, in ``ParkModel.step``, and the code follows it line by line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import mesa
import numpy as np

from zgcsim import enterprises as ent
from zgcsim import parameters
from zgcsim.demography import entrant_counts, make_entrants
from zgcsim.enterprises import StepContext
from zgcsim.finance import (
    CapitalMarket,
    GuidanceFund,
    VentureFund,
    build_exchanges,
    exit_prospect,
    fastest_venue,
    file_and_list,
    filing_weight,
    invest_quarter,
)
from zgcsim.firms import FirmView
from zgcsim.indicators import compute_all, fortune_threshold_yi, yuan_per_usd
from zgcsim.institutions import University, assign_funding, build_institutions, research_quarter
from zgcsim.population import SECTOR_KEYS, SECTORS, build_firms, round_size_factor
from zgcsim.randomness import stream
from zgcsim.scenario import Scenario

FIRST_PROJECTED_YEAR, END_YEAR = 2018, 2022
N_VENTURE_FUNDS = 25
STREAMS = (
    "uncertain",
    "population",
    "institutions",
    "rd",
    "patents",
    "contracts",
    "growth",
    "talent",
    "exit",
    "entry",
    "vc",
    "listing",
    "tto",
    "platforms",
    "licensing",
)
# Global Innovation 1000 total R&D, bn US$: 702 (2017) and 782 (2018), global_list_thresholds.csv
GI1000_GROWTH_2018 = 782 / 702 - 1


class ParkModel(mesa.Model):
    """The zone: an array-held enterprise population, university and investor agents, exchanges, policy."""

    def __init__(
        self,
        scenario: Scenario,
        seed: np.random.SeedSequence,
        parameter_values: Mapping[str, float] | None = None,
        start_year: int = 2017,
        end_year: int = END_YEAR,
    ) -> None:
        """Build the zone at the end of the start year for one replicate.

        Args:
            scenario: the resolved scenario (lever schedules, events, uncertain-input ranges).
            seed: the replicate's seed; every random draw comes from named streams spawned from it.
            parameter_values: overrides of behavioural parameters (a calibration draw or a design point).
            start_year: the year whose end is the initial state (2017; 2013 for the calibration spin-up).
            end_year: the last simulated year.
        """
        super().__init__(rng=np.random.default_rng(seed))
        self.scenario = scenario
        self.streams = {name: stream(seed, name) for name in STREAMS}
        self.drawn = parameters.draw_uncertain(self.streams["uncertain"], scenario.uncertain_ranges, start_year)
        # explicit values (a calibration draw or a design point) win over drawn uncertain inputs
        self.params = parameters.defaults() | self.drawn | dict(parameter_values or {})
        self.start_year, self.end_year = start_year, end_year
        self.base = parameters.baseline(self.params, start_year)
        self.year, self.quarter, self.step_index = start_year, 4, -1
        self.levers = scenario.levers_on(dt.date(start_year, 12, 31))
        self.patents_by_quarter: dict[tuple[int, int], int] = {}  # valid patents at each quarter's end
        self.last_exits = np.zeros(0, np.int64)  # uids of the firms that left in the last quarter
        self.history: dict[int, dict[str, float]] = {}

        self.firms = build_firms(self.params, self.streams["population"], start_year)
        self.next_uid = int(self.firms.uid.max()) + 1
        self.institutions: list[University] = build_institutions(
            self, self.params, self.base["research_budget"], self.base["tto"], self.streams["institutions"]
        )
        self.exchanges = build_exchanges(self, self.params)
        # round size per unit of the size factor in the start year's rounds: later rounds keep that scale
        backed = self.firms.y_vc > 0
        self.params["vc_round_median"] = float(
            np.median(self.firms.y_vc[backed] / round_size_factor(self.firms.revenue[backed])) if backed.any() else 0.2
        )
        weights = self.streams["vc"].lognormal(0, 0.8, N_VENTURE_FUNDS)
        self.funds = [VentureFund(self, w) for w in weights / weights.sum()]
        self.guidance = GuidanceFund(self, 0.0)
        mandate, unrestricted = self.guidance.quarterly_budget(self.levers, self.params)
        self.market = CapitalMarket(self.base["vc_investment"] - 4 * (mandate + unrestricted), self.params)
        self.levers_start = dict(self.levers)  # the start year's policy, the reference for exit prospects
        self.standards_created = int(self.base["standards"])
        self.entrants_year = int((self.firms.age < 1.0).sum())  # the start year's entry cohort
        self.capacity_index = 1.0  # land capacity relative to 2017 (model.update_land)
        self.congestion = 0.0
        self.export_controlled: set[int] = set()
        ctx = self._context()
        ent.set_rd_fixed_effects(self.firms, ctx)
        self._anchor_start_year(ctx)
        self._anchor_listings()
        self._seed_listing_pipeline()
        self.history[start_year] = compute_all(self)

    def _anchor_listings(self) -> None:
        """Set the yearly filing rate of eligible firms so the start year's listing flow is met.

        Like the knowledge rules, the listing rule is anchored on an observed flow (``new_listings_<year>``):
        filings x 80 % approval = that flow, given the firms then eligible under the venues then open; after
        that, listings move with the eligible pool, the venues (STAR, Beijing) and the listing-support lever.
        """
        f = self.firms
        eligible = (fastest_venue(f, self.exchanges, self.levers) >= 0) & ~f.listed & f.active
        weight = filing_weight(f)[eligible].sum()
        self.params["ipo_filing_rate"] = self.base["new_listings"] / (0.8 * max(weight, 1.0))

    def _seed_listing_pipeline(self) -> None:
        """Filings pending at the start: eligible firms that filed in the six quarters before.

        With the pre-STAR lag of six quarters, listings in 2018 come from filings of 2016-17; the pipeline is
        drawn with the same filing rule the model uses afterwards, so 2018 has listings.
        """
        f, rng = self.firms, self.streams["listing"]
        venue = self.exchanges[0]
        eligible = venue.eligible(f) & ~f.listed
        rate = self.params["ipo_filing_rate"] * filing_weight(f)
        filed = eligible & (rng.random(len(f)) < rate * venue.lag_quarters / 4)
        f.ipo_exchange = np.where(filed, venue.index, f.ipo_exchange)
        f.ipo_due = np.where(filed, rng.integers(0, venue.lag_quarters, len(f)), f.ipo_due)

    # ----- the 2017 anchors -----------------------------------------------------------------------------------
    def _anchor_start_year(self, ctx: StepContext) -> None:
        """Fix the scale constants of the knowledge rules on the start year's flows, and its zone counts.

        Invention applications, PCT filings, new standards and contract turnover of the start year (sourced for
        2017) set the scale of their rules, so the rules' elasticities (priors) drive the change afterwards. The
        Global Innovation 1000 cut-off is set so the start year's global-list count equals the drawn one.
        """
        f, p, b, year = self.firms, self.params, self.base, self.start_year
        knowledge = f.rd_stock + p["vc_patent_potency"] * f.vc_recent + f.licensed_knowledge
        f.knowledge0 = knowledge
        returnee_share = f.returnees / np.maximum(f.employees, 1.0)
        propensity = f.patent_fe * knowledge * (1 + p["returnee_patent_premium"] * returnee_share)
        pct_weight = propensity * (f.revenue / 0.25) ** p["pct_size_elasticity"] * (1 + 10 * returnee_share)
        new_standards = b["standards"] - b["standards_prev"]
        self.knowledge_scale = {
            "applications": b["invention_applications"] / propensity.sum(),
            "pct_share": b["pct"] / (pct_weight * b["invention_applications"] / propensity.sum()).sum(),
            "standards": new_standards / (np.maximum(f.patents_held, 0) ** p["standards_stock_elasticity"]).sum(),
            "contracts": b["tech_contracts"]
            / (ent.truncated_pareto_mean(p) * (f.rd_stock + f.licensed_knowledge).sum()),
        }
        counts = ctx.streams["contracts"].poisson(self.knowledge_scale["contracts"] * f.rd_stock)
        drawn = ent.contract_values(counts, p, ctx.streams["contracts"])
        f.y_contracts = drawn * b["tech_contracts"] / max(drawn.sum(), 1e-9)  # the start year's total

        # platforms: the drawn 2017 count, run by the largest firms
        large = np.flatnonzero(f.revenue >= p["platform_firm_min_revenue"])
        ranked = large[np.argsort(-f.revenue[large])]
        f.platform[ranked[: int(round(b["platforms"]))]] = True

        # global lists: the cut-off that puts the drawn number of firms on either list in 2017
        fortune = f.y_revenue >= fortune_threshold_yi(year)
        need = int(round(b["global_list_firms"])) - int(fortune.sum())
        rd = np.sort(f.y_rd_reported[~fortune])[::-1]
        cutoff_yi = rd[need - 1] if need >= 1 else rd[0] * 1.01
        # stored in US$ (the list's currency); nudged down so the marginal firm survives the round trip
        self.gi1000_cutoff_usd_m = float(cutoff_yi * (1 - 1e-9) * 100.0 / yuan_per_usd(year))

    # ----- helpers ----------------------------------------------------------------------------------------------
    def _context(self) -> StepContext:
        return StepContext(self.year, self.quarter, self.step_index, self.levers, self.params, self.streams)

    def firm(self, uid: int) -> FirmView:
        """Return one firm as an agent-like view of its state."""
        self.firms.index_of(uid)
        return FirmView(self.firms, uid)

    def _demand_shock(self, start: dt.date) -> np.ndarray:
        """Log level of demand by sector this quarter from demand-shock events (temporary: flows only)."""
        level = np.zeros(len(SECTORS))
        for e in self.scenario.events:
            if e.kind != "demand_shock":
                continue
            first = (e.start.year - self.start_year - 1) * 4 + (e.start.month - 1) // 3
            if first <= self.step_index < first + e.quarters:
                hit = [SECTOR_KEYS.index(s) for s in e.sectors] if e.sectors else list(range(len(SECTORS)))
                level[hit] += np.log1p(e.magnitude)
        return level

    def _apply_export_controls(self, quarter_end: dt.date) -> None:
        """From an export-control event's date, its named firms lose yearly growth.

        The named firms of 2019-2020 (Sugon, Megvii, Qihoo 360, CloudMinds) were technology leaders of middling
        size, not the zone's largest firms; so the model names the most R&D-intensive firms of the event's
        sectors with revenue between 10 and 200 亿元 (our reading; a modelling choice).
        """
        f = self.firms
        for i, e in enumerate(self.scenario.events):
            if e.kind != "export_control" or i in self.export_controlled or e.start > quarter_end:
                continue
            self.export_controlled.add(i)
            sectors = [SECTOR_KEYS.index(s) for s in e.sectors] if e.sectors else list(range(len(SECTORS)))
            in_scope = f.active & np.isin(f.sector, sectors) & (f.revenue >= 10) & (f.revenue <= 200)
            in_scope &= f.export_penalty == 0  # a firm is named once
            rows = np.flatnonzero(in_scope)
            hit = rows[np.argsort(-f.rd_intensity[rows], kind="stable")[: e.firms]]
            f.export_penalty[hit] += -e.magnitude  # yearly log-growth penalty

    def update_land(self) -> float:
        """Yearly: renewal adds capacity; revenue density above capacity slows growth (lever, tasks 19-20)."""
        self.capacity_index *= 1 + 3.0 * self.levers["land_renewal"]  # renewed space hosts ~3x (ours)
        area_ratio = self.levers["park_area"] / self.params["park_area_km2"]
        density = self.firms.revenue[self.firms.active].sum() / self.base["revenue"]
        excess = np.log(max(density / (self.capacity_index * area_ratio), 1.0))
        return self.params["land_congestion"] * excess

    def _platform_boost(self) -> np.ndarray:
        """Growth boost for young firms by sector, saturating in the sector's number of open platforms."""
        f = self.firms
        open_by_sector = np.bincount(f.sector[f.active & f.platform], minlength=len(SECTORS))
        return self.params["platform_startup_boost"] * (1 - np.exp(-open_by_sector / 5.0))

    # ----- one quarter ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the zone one quarter.

        1. Policy: levers in force at mid-quarter; events (demand shocks, export controls); TTO funding and
           set-up; yearly (Q1) land capacity and the global-list cut-off.
        2. Year start (Q1): reset the year's accumulators.
        3. Universities and institutes research: disclosures, licences to firms, spin-offs.
        4. Entry: de novo start-ups, spin-offs, returnee founders, incubator graduates.
        5. Investors: the guidance fund and the venture funds screen and invest.
        6. Firms decide R&D (Q1): user cost, partial adjustment, HTE notch and certification.
        7. Knowledge production: R&D stock, patents, grants and lapses, PCT, standards (Q4); contracts (Q4).
        8. Production: productivity, revenue, employment, value added, profit, energy; talent hiring.
        9. Large firms decide on open platforms (Q1); listing filings and listings; year-end profit and tax (Q4).
        10. Exits of firms; funds update their exit expectations (Q4).
        11. Statistics (Q4): the year's indicators; exited firms are dropped.
        """
        self.step_index += 1
        self.year, self.quarter = self.start_year + 1 + self.step_index // 4, self.step_index % 4 + 1
        start = dt.date(self.year, 3 * self.quarter - 2, 1)
        middle = start + dt.timedelta(days=45)  # a lever dated within the quarter's first half acts in it
        quarter_end = dt.date(self.year, 3 * self.quarter, 28) + dt.timedelta(days=4)
        quarter_end = quarter_end - dt.timedelta(days=quarter_end.day)
        f = self.firms

        # 1. policy
        self.levers = self.scenario.levers_on(middle)
        ctx = self._context()
        ctx.demand_shock = self._demand_shock(start)
        self._apply_export_controls(quarter_end)
        assign_funding(self.institutions, int(round(self.levers["tto_funded"])))
        for inst in self.institutions:  # quarterly, so funding dated within a year acts that year
            inst.review_tto(self.params, self.levers["tto_subsidy"], self.streams["tto"])
        if self.quarter == 1:
            self.congestion = self.update_land()
            growth = GI1000_GROWTH_2018 if self.year == FIRST_PROJECTED_YEAR else self.params["gi1000_cutoff_growth"]
            self.gi1000_cutoff_usd_m *= 1 + growth
        ctx.congestion = self.congestion
        ctx.platform_boost = self._platform_boost()

        # 2. year start
        if self.quarter == 1:
            ent.reset_year(f)
            self.entrants_year = 0
            for inst in self.institutions:
                inst.reset_year()

        # 3. universities
        licences, spinoffs = research_quarter(self.institutions, self.params, self.streams["tto"])
        self._license_to_firms(licences)

        # 4. entry
        counts = entrant_counts(int(f.active.sum()), spinoffs, ctx)
        entrants = make_entrants(counts, f, self.next_uid, ctx)
        first_new = len(f)
        f.append(entrants)
        self.next_uid += len(entrants["uid"])
        self.entrants_year += len(entrants["uid"])
        ent.set_rd_fixed_effects(f, ctx, slice(first_new, None))

        # 5. investors
        _private, _gvc = invest_quarter(f, self.funds, self.guidance, self.market, ctx)

        # 6. R&D decisions
        if self.quarter == 1:
            ent.decide_rd(f, ctx)

        # 7. knowledge production
        knowledge_growth, new_standards = ent.produce_knowledge(f, ctx, self.knowledge_scale)
        self.standards_created += new_standards
        if self.quarter == 4:
            ent.sell_contracts(f, ctx, self.knowledge_scale)

        # 8. production and hiring
        employees_before = f.employees.copy()
        ent.grow(f, ctx, knowledge_growth)
        ent.hire_talent(f, ctx, employees_before)

        # 9. platforms, listing, year-end accounts
        if self.quarter == 1:
            self._open_platforms(ctx)
        file_and_list(f, self.exchanges, ctx)
        if self.quarter == 4:
            ent.close_year(f, ctx)

        # 10. exits
        leaving = ent.exit_firms(f, ctx)
        self.last_exits = f.uid[leaving]
        if self.quarter == 4:
            self.market.close_year(exit_prospect(f, self.exchanges, self.levers, self.levers_start))

        # 11. statistics
        self.patents_by_quarter[(self.year, self.quarter)] = int(f.patents_held[f.active].sum())
        if self.quarter == 4:
            self.history[self.year] = compute_all(self)
            f.compact()

    def _license_to_firms(self, licences: int) -> None:
        """Licensees: firms chosen in proportion to their R&D stock (absorptive capacity); each gains knowledge."""
        if licences == 0:
            return
        f = self.firms
        weight = np.where(f.active, f.rd_stock, 0.0)
        rows = self.streams["licensing"].choice(len(f), size=licences, p=weight / weight.sum())
        np.add.at(f.licensed_knowledge, rows, self.params["licence_knowledge"])

    def _open_platforms(self, ctx: StepContext) -> None:
        """Large firms open qualifying platforms: supported ones (the lever's count, largest first) far more often."""
        f, p, rng = self.firms, self.params, self.streams["platforms"]
        large = f.active & (f.revenue >= p["platform_firm_min_revenue"])
        order = np.flatnonzero(large)[np.argsort(-f.revenue[large])]
        f.platform_supported[:] = False
        f.platform_supported[order[: int(round(self.levers["platform_support"]))]] = True
        chance = np.where(f.platform_supported, p["platform_supported_uptake"], p["platform_open_hazard"])
        opening = large & ~f.platform & (rng.random(len(f)) < chance)
        closing = f.platform & ~f.platform_supported & (rng.random(len(f)) < 0.05)  # ours
        f.platform = (f.platform | opening) & ~closing

    def run(self) -> dict[int, dict[str, float]]:
        """Run to the last quarter of the end year; return the indicators by year (start year to end year)."""
        while self.year < self.end_year or self.quarter < 4:
            self.step()
        self.release()
        return self.history

    def release(self) -> None:
        """Let the finished model be freed once nothing else refers to it.

        Mesa 3.3 keeps every model as a key of the class-level ``Agent._ids`` (the per-model agent-id counters;
        mesa issue #3179, fixed after 3.3.1), so a process that runs thousands of models, a calibration worker or
        an experiment worker, would otherwise keep them all (about 9 MB each). The model's state stays readable;
        agents created afterwards would restart their ids at 1.
        """
        mesa.Agent._ids.pop(self, None)
