"""ParkModel: the Zhongguancun zone as a Mesa model, from the end of 2017 to the end of 2022 in quarters.

For calibration the same model starts at the end of 2013 and runs to the end of 2017 (the spin-up).

The step order is written once, in ``ParkModel.step``, and the code follows it line by line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import mesa
import numpy as np

from zgcsim.inputs import parameters
from zgcsim.inputs.scenario import Scenario
from zgcsim.inputs.seeds import stream
from zgcsim.model import anchors, events, land, platforms
from zgcsim.model.accounts import close_year, reset_year
from zgcsim.model.context import StepContext
from zgcsim.model.contracts import sell_contracts
from zgcsim.model.entry import entrant_counts, make_entrants
from zgcsim.model.exit import exit_firms
from zgcsim.model.firms import FirmView
from zgcsim.model.growth import grow
from zgcsim.model.indicators import compute_all
from zgcsim.model.institutions import (
    University,
    assign_funding,
    build_institutions,
    license_to_firms,
    research_quarter,
)
from zgcsim.model.knowledge import produce_knowledge
from zgcsim.model.listing import anchor_filing_rate, build_exchanges, file_and_list, seed_listing_pipeline
from zgcsim.model.population import build_firms, round_size_factor
from zgcsim.model.rd import decide_rd, set_rd_fixed_effects
from zgcsim.model.talent import hire_talent
from zgcsim.model.venture import CapitalMarket, GuidanceFund, VentureFund, exit_prospect, invest_quarter

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
        self.policy_scenario = scenario  # not `scenario`: Mesa 3.5 models keep their own Scenario object there
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
        self.land = land.Land()
        self.export_controlled: set[int] = set()  # indices of the export-control events already applied
        ctx = self._context()
        set_rd_fixed_effects(self.firms, ctx)
        self.knowledge_scale = anchors.knowledge_scales(self.firms, self.params, self.base, ctx.streams["contracts"])
        platforms.seed_platforms(self.firms, self.params, self.base["platforms"])
        self.gi1000_cutoff_usd_m = anchors.global_list_cutoff(self.firms, self.base["global_list_firms"], start_year)
        self.params["ipo_filing_rate"] = anchor_filing_rate(
            self.firms, self.exchanges, self.levers, self.base["new_listings"]
        )
        seed_listing_pipeline(self.firms, self.exchanges[0], self.params["ipo_filing_rate"], self.streams["listing"])
        self.history[start_year] = compute_all(self)

    # ----- helpers ----------------------------------------------------------------------------------------------
    def _context(self) -> StepContext:
        return StepContext(self.year, self.quarter, self.step_index, self.levers, self.params, self.streams)

    def firm(self, uid: int) -> FirmView:
        """Return one firm as an agent-like view of its state."""
        self.firms.index_of(uid)
        return FirmView(self.firms, uid)

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
        self.levers = self.policy_scenario.levers_on(middle)
        ctx = self._context()
        ctx.demand_shock = events.demand_shock(self.policy_scenario.events, self.step_index, self.start_year)
        events.apply_export_controls(f, self.policy_scenario.events, self.export_controlled, quarter_end)
        assign_funding(self.institutions, int(round(self.levers["tto_funded"])))
        for inst in self.institutions:  # quarterly, so funding dated within a year acts that year
            inst.review_tto(self.params, self.levers["tto_subsidy"], self.streams["tto"])
        if self.quarter == 1:
            self.land.start_year(f, self.levers, self.params, self.base["revenue"])
            growth = GI1000_GROWTH_2018 if self.year == FIRST_PROJECTED_YEAR else self.params["gi1000_cutoff_growth"]
            self.gi1000_cutoff_usd_m *= 1 + growth
        ctx.congestion = self.land.congestion
        ctx.platform_boost = platforms.platform_boost(f, self.params)

        # 2. year start
        if self.quarter == 1:
            reset_year(f)
            self.entrants_year = 0
            for inst in self.institutions:
                inst.reset_year()

        # 3. universities
        licences, spinoffs = research_quarter(self.institutions, self.params, self.streams["tto"])
        license_to_firms(f, licences, self.params, self.streams["licensing"])

        # 4. entry
        counts = entrant_counts(int(f.active.sum()), spinoffs, ctx)
        entrants = make_entrants(counts, f, self.next_uid, ctx)
        first_new = len(f)
        f.append(entrants)
        self.next_uid += len(entrants["uid"])
        self.entrants_year += len(entrants["uid"])
        set_rd_fixed_effects(f, ctx, slice(first_new, None))

        # 5. investors
        _private, _gvc = invest_quarter(f, self.funds, self.guidance, self.market, ctx)

        # 6. R&D decisions
        if self.quarter == 1:
            decide_rd(f, ctx)

        # 7. knowledge production
        knowledge_growth, new_standards = produce_knowledge(f, ctx, self.knowledge_scale)
        self.standards_created += new_standards
        if self.quarter == 4:
            sell_contracts(f, ctx, self.knowledge_scale)

        # 8. production and hiring
        employees_before = f.employees.copy()
        grow(f, ctx, knowledge_growth)
        hire_talent(f, ctx, employees_before)

        # 9. platforms, listing, year-end accounts
        if self.quarter == 1:
            platforms.open_platforms(f, self.levers, self.params, self.streams["platforms"])
        file_and_list(f, self.exchanges, ctx)
        if self.quarter == 4:
            close_year(f, ctx)

        # 10. exits
        leaving = exit_firms(f, ctx)
        self.last_exits = f.uid[leaving]
        if self.quarter == 4:
            self.market.close_year(exit_prospect(f, self.exchanges, self.levers, self.levers_start))

        # 11. statistics
        self.patents_by_quarter[(self.year, self.quarter)] = int(f.patents_held[f.active].sum())
        if self.quarter == 4:
            self.history[self.year] = compute_all(self)
            f.compact()

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
        agents created afterwards would restart their ids at 1. Mesa 3.5 counts ids on the model and has no
        ``Agent._ids``, so there is nothing to release.
        """
        counters = getattr(mesa.Agent, "_ids", None)
        if counters is not None:
            counters.pop(self, None)
