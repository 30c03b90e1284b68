"""ParkModel: the Zhongguancun zone as a Mesa model, from the end of 2017 to the end of 2022 in quarters.

For calibration the same model starts at the end of 2013 and runs to the end of 2017 (the spin-up).

The step order is written once, in ``ParkModel.step``, and the code follows it line by line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import mesa
import numpy as np

from zgcsim.errors import UserInputError
from zgcsim.inputs import parameters as parameters_table
from zgcsim.inputs.scenario import Scenario, resolve_scenario
from zgcsim.inputs.sectors import SECTORS
from zgcsim.inputs.seeds import KeyedStream, as_seed_sequence
from zgcsim.model import anchors, events, fiscal, parks, platforms, relocation, structure
from zgcsim.model.accounts import close_year, reset_year
from zgcsim.model.context import StepContext
from zgcsim.model.contracts import sell_contracts
from zgcsim.model.entry import entrant_counts, make_entrants
from zgcsim.model.exit import exit_firms
from zgcsim.model.firms import FirmView
from zgcsim.model.growth import grow
from zgcsim.model.indicators import REGISTRY, compute_all
from zgcsim.model.institutions import (
    University,
    assign_funding,
    build_institutions,
    license_to_firms,
    research_quarter,
    review_ttos,
)
from zgcsim.model.knowledge import produce_knowledge
from zgcsim.model.listing import anchor_filing_rate, build_exchanges, file_and_list, seed_listing_pipeline
from zgcsim.model.population import build_firms
from zgcsim.model.rd import decide_rd, set_rd_fixed_effects
from zgcsim.model.talent import hire_talent
from zgcsim.model.venture import (
    CapitalMarket,
    GuidanceFund,
    VentureFund,
    exit_prospect,
    invest_quarter,
    start_round_median,
)

FIRST_PROJECTED_YEAR, END_YEAR = 2018, 2022
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
    "common_shocks",
    "parks",
    "relocation",
)
LAST_DATA_YEAR = 2017  # the last year of the zone's record the model uses
# the named random streams each stage of ``ParkModel.step`` draws from, in step order ("tto" serves stages 1 and 3)
STAGE_STREAMS = {
    "policy": ("tto", "common_shocks"),
    "year_start": (),
    "universities": ("tto", "licensing"),
    "entry": ("entry", "parks"),
    "investors": ("vc",),
    "rd_decisions": ("rd",),
    "knowledge": ("patents", "contracts"),
    "production": ("growth", "talent"),
    "platforms_listing_accounts": ("platforms", "listing"),
    "exits": ("exit",),
    "statistics": (),
    "relocation": ("relocation",),
}
# Global Innovation 1000 total R&D, bn US$: 702 (2017) and 782 (2018), global_list_thresholds.csv
GI1000_GROWTH_2018 = 782 / 702 - 1


def indicator_reporters() -> dict[str, Callable[[ParkModel], float]]:
    """Mesa model reporters: ``year``, the last year whose indicators are complete, and that year's indicators.

    The collector is called at the end of every quarter, so a year's indicators appear from its fourth quarter on;
    the first three quarters of a year repeat the year before. One row per year: ``batch_run`` with
    ``data_collection_period=1`` and the last row of each ``year`` (Mesa 3.3 and 3.5 pick the rows of a sparser
    period differently: 3.5 counts recorded collections, 3.3 step numbers).
    """
    reporters: dict[str, Callable[[ParkModel], float]] = {
        "year": lambda m: max(m.history),
        "quarter": lambda m: m.quarter,
    }
    for key in REGISTRY:
        reporters[key] = partial(_latest_indicator, key=key)
    return reporters


def _latest_indicator(model: ParkModel, key: str) -> float:
    return model.history[max(model.history)][key]


class ParkModel(mesa.Model):
    """The zone: an array-held enterprise population, university and investor agents, exchanges, policy."""

    def __init__(
        self,
        scenario: Scenario | str | Path = "no_new_policy",
        rng: int | np.random.SeedSequence | None = None,
        parameter_values: Mapping[str, float] | None = None,
        start_year: int = 2017,
        end_year: int = END_YEAR,
        origin_year: int | None = None,
        **parameters: float,
    ) -> None:
        """Build the zone at the end of the start year for one replicate.

        Follows Mesa's conventions (SPEC-7 ``rng``), so ``ParkModel(scenario="action_plan", rng=42)`` works and
        ``mesa.batch_run`` can vary any behavioural parameter by name (``n_firms_2017=3000``).

        Args:
            scenario: a scenario: a ``Scenario``, the name of a library scenario or the path of a TOML file.
            rng: the replicate's seed; every random draw comes from named streams spawned from it. A
                ``SeedSequence`` is used as is (``seeds.replicate_seed(root, r)`` is replicate ``r`` of a
                ``zgcsim run --seed root``); an int ``s`` means replicate 0 of root seed ``s``, so
                ``ParkModel(sc, rng=s)`` reproduces the first replicate of ``zgcsim run --seed s``; None draws
                fresh entropy.
            parameter_values: overrides of behavioural parameters (a calibration draw or a design point).
            start_year: the year whose end is the initial state (2017; 2013 for the calibration spin-up).
            end_year: the last simulated year.
            origin_year: the last year of data (default: the start year, or 2017 for a spin-up from before it);
                after it, the structural inputs of ``model/structure.py`` act. A hindcast from T passes T.
            **parameters: further overrides by name, on top of ``parameter_values``.

        Raises:
            UserInputError: a parameter name that is not in the parameter table.
        """
        seed = as_seed_sequence(rng)
        scenario = resolve_scenario(scenario)
        unknown = sorted(set(parameters) - set(parameters_table.BY_NAME))
        if unknown:
            raise UserInputError(f"unknown parameter(s) {', '.join(unknown)}", key="parameters")
        parameter_values = {**dict(parameter_values or {}), **parameters}
        super().__init__(rng=np.random.default_rng(seed))
        self.policy_scenario = scenario  # not `scenario`: Mesa 3.5 models keep their own Scenario object there
        self.streams = {name: KeyedStream(seed, name) for name in STREAMS}
        self.drawn = parameters_table.draw_uncertain(self.streams["uncertain"], scenario.uncertain_ranges, start_year)
        # explicit values (a calibration draw or a design point) win over drawn uncertain inputs
        self.params = parameters_table.defaults() | self.drawn | dict(parameter_values or {})
        self.start_year, self.end_year = start_year, end_year
        self.origin_year = origin_year if origin_year is not None else max(start_year, LAST_DATA_YEAR)
        self.common_shocks = structure.CommonShocks(self.params)
        self.base = parameters_table.baseline(self.params, start_year)
        self.year, self.quarter, self.step_index = start_year, 4, -1
        self.levers = scenario.levers_on(dt.date(start_year, 12, 31))
        self.patents_by_quarter: dict[tuple[int, int], int] = {}  # valid patents at each quarter's end
        self.last_exits = np.zeros(0, np.int64)  # uids of the firms that left in the last quarter
        self.history: dict[int, dict[str, float]] = {}
        self.year_levers: list[dict[str, float]] = []  # the levers in force in each quarter of the current year
        self.fiscal: dict[str, float] = {}  # the current year's cost of each costed lever, 亿元 (model/fiscal.py)

        self.firms = build_firms(self.params, self.streams["population"], start_year)
        self.park_levers = scenario.park_levers_on(dt.date(start_year, 12, 31))
        self.park_shares = parks.assign_start(self.firms, self.params, self.streams["parks"])
        self.space = parks.ParkSpace(self.firms, self.params, self.levers, self.park_levers)
        self.park_history: dict[int, np.ndarray] = {}  # year -> the parks' table (model/parks.py)
        self.relocations: dict[int, np.ndarray] = {}  # year -> moves by (park, route) (model/relocation.py)
        self.next_uid = int(self.firms.uid.max()) + 1
        self.institutions: list[University] = build_institutions(
            self, self.params, self.base["research_budget"], self.base["tto"], self.streams["institutions"]
        )
        self.exchanges = build_exchanges(self, self.params)
        # values derived from the start population (model state, not parameters: no design or calibration sets them)
        self.derived: dict[str, float] = {"vc_round_median": start_round_median(self.firms, self.params)}
        n_funds = int(round(self.params["vc_funds"]))
        weights = self.streams["vc"].lognormal(0, self.params["vc_fund_size_dispersion"], n_funds)
        self.funds = [VentureFund(self, w) for w in weights / weights.sum()]
        self.guidance = GuidanceFund(self, 0.0)
        mandate, unrestricted = self.guidance.quarterly_budget(self.levers, self.params)
        self.market = CapitalMarket(self.base["vc_investment"] - 4 * (mandate + unrestricted), self.params)
        self.levers_start = dict(self.levers)  # the start year's policy, the reference for exit prospects
        self.standards_created = int(self.base["standards"])
        self.entrants_year = int((self.firms.age < 1.0).sum())  # the start year's entry cohort
        self.common_growth = np.zeros(len(SECTORS))  # yearly log-growth shock by sector (zero up to the origin)
        self.export_controlled: set[int] = set()  # indices of the export-control events already applied
        ctx = self._context()
        set_rd_fixed_effects(self.firms, ctx)
        self.knowledge_scale = anchors.knowledge_scales(
            self.firms, self.params, self.base, ctx.streams["contracts"], start_year
        )
        platforms.seed_platforms(self.firms, self.params, self.base["platforms"])
        self.gi1000_cutoff_usd_m = anchors.global_list_cutoff(self.firms, self.base["global_list_firms"], start_year)
        self.derived["ipo_filing_rate"] = anchor_filing_rate(
            self.firms, self.exchanges, self.levers, self.base["new_listings"], self.params
        )
        seed_listing_pipeline(
            self.firms, self.exchanges[0], self.derived["ipo_filing_rate"], self.params, self.streams["listing"]
        )
        self.history[start_year] = compute_all(self)
        self.park_history[start_year] = parks.park_table(self.firms, self.space)
        self.datacollector = mesa.DataCollector(model_reporters=indicator_reporters())
        self.running = start_year < end_year  # Mesa's flag: stepping stops once the end year is done

    # ----- helpers ----------------------------------------------------------------------------------------------
    def _context(self) -> StepContext:
        ctx = StepContext(
            self.year, self.quarter, self.step_index, self.levers, self.params, self.streams, self.derived
        )
        ctx.origin_step = 4 * (self.origin_year - self.start_year)
        ctx.common_growth = self.common_growth
        return ctx

    @property
    def area_km2(self) -> float:
        """The zone's area: the sum of the parks' areas (``park_area`` scaled by the parks' area changes)."""
        return parks.zone_area(self.levers, self.park_levers, self.space.planned)

    def firm(self, uid: int) -> FirmView:
        """Return one firm as an agent-like view of its state."""
        self.firms.index_of(uid)
        return FirmView(self.firms, uid)

    # ----- one quarter ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the zone one quarter: one call per stage, in this order (the one place the order is written).

        1. Structure and policy: after the origin year (Q1), the after-origin parameters and the year's common
           demand shocks (model/structure.py); levers in force at mid-quarter; events (demand shocks, export
           controls); TTO funding and set-up; yearly (Q1) each park's land capacity, land use and congestion
           (model/parks.py; land binds from 2018) and the global-list cut-off.
        2. Year start (Q1): reset the year's accumulators.
        3. Universities and institutes research: disclosures, licences to firms, spin-offs.
        4. Entry: de novo start-ups, spin-offs, returnee founders, incubator graduates; each settles in a park.
        5. Investors: the guidance fund and the venture funds screen and invest.
        6. Firms decide R&D (Q1): user cost, partial adjustment, HTE notch and certification.
        7. Knowledge production: R&D stock, patents, grants and lapses, PCT, standards (Q4); contracts (Q4).
        8. Production: productivity, revenue, employment, value added, profit, energy; talent hiring.
        9. Large firms decide on open platforms (Q1); listing filings and listings; year-end accounts and the
           year's fiscal cost of the levers relative to the 2017 rules (Q4).
        10. Exits of firms; funds update their exit expectations (Q4).
        11. Statistics (Q4): the year's indicators and the parks' table; exited firms are dropped.
        12. Relocation (Q4, from 2018): firms of parks above capacity move within the zone, to a partner park or
            out of the statistics (model/relocation.py).

        Each stage draws only from its own named streams (``STAGE_STREAMS``).
        """
        ctx = self._policy()  # 1
        self._year_start()  # 2
        spinoffs = self._universities()  # 3
        self._entry(ctx, spinoffs)  # 4
        self._investors(ctx)  # 5
        self._rd_decisions(ctx)  # 6
        knowledge_growth = self._knowledge(ctx)  # 7
        self._production(ctx, knowledge_growth)  # 8
        self._platforms_listing_accounts(ctx)  # 9
        self._exits(ctx)  # 10
        self._statistics()  # 11
        self._relocation()  # 12

    # ----- the stages of one quarter, in step order --------------------------------------------------------------
    def _policy(self) -> StepContext:
        """Stage 1: the clock; structure after the origin (Q1); levers, events, TTO funding; land and lists (Q1).

        After the origin year, the first quarter switches to the after-origin parameters (once) and draws the
        year's common demand shocks (model/structure.py). Returns the quarter's context, which the later stages share.
        """
        self.step_index += 1
        self.year, self.quarter = self.start_year + 1 + self.step_index // 4, self.step_index % 4 + 1
        start = dt.date(self.year, 3 * self.quarter - 2, 1)
        middle = start + dt.timedelta(days=45)  # a lever dated within the quarter's first half acts in it
        quarter_end = dt.date(self.year, 3 * self.quarter, 28) + dt.timedelta(days=4)
        quarter_end = quarter_end - dt.timedelta(days=quarter_end.day)
        f = self.firms
        if self.quarter == 1 and self.year > self.origin_year:  # structure after the origin (model/structure.py)
            if self.year == self.origin_year + 1:
                self.params = structure.after_origin(self.params)
            self.common_growth = self.common_shocks.next_year(self.streams["common_shocks"])
        self.levers = self.policy_scenario.levers_on(middle)
        self.park_levers = self.policy_scenario.park_levers_on(middle)
        self.levers.update(parks.zone_levers(self.park_levers, self.policy_scenario.park_lever_changes))
        priced = fiscal.priced_levers(self.levers, self.park_levers, self.space.planned)  # what the year's costs read
        self.year_levers = [*(self.year_levers if self.quarter > 1 else []), priced]
        ctx = self._context()
        ctx.demand_shock = events.demand_shock(self.policy_scenario.events, self.step_index, self.start_year)
        events.apply_export_controls(f, self.policy_scenario.events, self.export_controlled, quarter_end, self.params)
        assign_funding(self.institutions, int(round(self.levers["tto_funded"])))
        # quarterly, so funding dated within a year acts that year
        review_ttos(self.institutions, self.params, self.levers["tto_subsidy"], self.streams["tto"])
        if self.quarter == 1:
            land_binds = self.year >= FIRST_PROJECTED_YEAR  # no land constraint in a spin-up's pre-2018 years
            self.space.start_year(
                f, self.levers, self.park_levers, self.params, self.year > self.origin_year, land_binds
            )
            growth = GI1000_GROWTH_2018 if self.year == FIRST_PROJECTED_YEAR else self.params["gi1000_cutoff_growth"]
            self.gi1000_cutoff_usd_m *= 1 + growth
        ctx.platform_boost = platforms.platform_boost(f, self.params)
        return ctx

    def _year_start(self) -> None:
        """Stage 2 (Q1): zero the calendar-year accumulators of firms, the zone and the institutions."""
        if self.quarter == 1:
            reset_year(self.firms)
            self.entrants_year = 0
            for inst in self.institutions:
                inst.reset_year()

    def _universities(self) -> int:
        """Stage 3: research, licences to firms; returns the quarter's spin-offs (streams ``tto``, ``licensing``)."""
        licences, spinoffs = research_quarter(self.institutions, self.params, self.streams["tto"])
        license_to_firms(self.firms, licences, self.params, self.streams["licensing"])
        return spinoffs

    def _entry(self, ctx: StepContext, spinoffs: int) -> None:
        """Stage 4: new firms of every origin join the table (stream ``entry``)."""
        f = self.firms
        counts = entrant_counts(int(f.active.sum()), spinoffs, ctx)
        entrants = make_entrants(counts, f, self.next_uid, ctx)
        entrants["park"] = parks.choose_parks(
            entrants["sector"], self.space, self.params, self.park_shares["firm"], self.streams["parks"]
        )
        parks.place_incubator_graduates(entrants, self.park_levers, self.streams["parks"])
        first_new = len(f)
        f.append(entrants)
        self.next_uid += len(entrants["uid"])
        self.entrants_year += len(entrants["uid"])
        set_rd_fixed_effects(f, ctx, slice(first_new, None))

    def _investors(self, ctx: StepContext) -> None:
        """Stage 5: the guidance fund, then the private funds, screen and invest (stream ``vc``)."""
        invest_quarter(self.firms, self.funds, self.guidance, self.market, ctx)

    def _rd_decisions(self, ctx: StepContext) -> None:
        """Stage 6 (Q1): firms set their R&D intensity; the HTE notch and certification (stream ``rd``)."""
        if self.quarter == 1:
            decide_rd(self.firms, ctx)

    def _knowledge(self, ctx: StepContext) -> np.ndarray:
        """Stage 7: patents, PCT, standards (stream ``patents``); contracts in Q4 (stream ``contracts``).

        Returns each firm's log growth of its R&D stock this quarter (production reads it).
        """
        knowledge_growth, new_standards = produce_knowledge(self.firms, ctx, self.knowledge_scale)
        self.standards_created += new_standards
        if self.quarter == 4:
            sell_contracts(self.firms, ctx, self.knowledge_scale)
        return knowledge_growth

    def _production(self, ctx: StepContext, knowledge_growth: np.ndarray) -> None:
        """Stage 8: productivity, revenue, employment and flows (stream ``growth``); hiring (stream ``talent``)."""
        employees_before = self.firms.employees.copy()
        ctx.congestion = self.space.drag[self.firms.park]  # each firm's park's land congestion
        grow(self.firms, ctx, knowledge_growth)
        hire_talent(self.firms, ctx, employees_before)

    def _platforms_listing_accounts(self, ctx: StepContext) -> None:
        """Stage 9: platforms in Q1 (stream ``platforms``), listing (stream ``listing``); Q4 accounts and costs."""
        if self.quarter == 1:
            platforms.open_platforms(self.firms, self.levers, self.params, self.streams["platforms"])
        file_and_list(self.firms, self.exchanges, ctx)
        if self.quarter == 4:
            close_year(self.firms)
            by_budget = sorted(self.institutions, key=lambda u: -u.budget)  # the funding order (assign_funding)
            new_standards = self.standards_created - int(self.history[self.year - 1]["international_standards"])
            zone = fiscal.ZoneYear([u.tto for u in by_budget], new_standards)
            self.fiscal = fiscal.year_costs(self.firms, self.year_levers, self.params, zone, self.year)

    def _exits(self, ctx: StepContext) -> None:
        """Stage 10: firms exit (stream ``exit``); in Q4 the funds update their exit expectations (no draws)."""
        leaving = exit_firms(self.firms, ctx)
        self.last_exits = self.firms.uid[leaving]
        if self.quarter == 4:
            prospect = exit_prospect(self.firms, self.exchanges, self.levers, self.levers_start, self.params)
            self.market.close_year(prospect)

    def _statistics(self) -> None:
        """Stage 11: the quarter's patent stock; in Q4 the year's indicators, then exited firms are dropped."""
        f = self.firms
        self.patents_by_quarter[(self.year, self.quarter)] = int(f.patents_held[f.active].sum())
        if self.quarter == 4:
            self.history[self.year] = compute_all(self)
            self.park_history[self.year] = parks.park_table(f, self.space)
            f.compact()
        self.datacollector.collect(self)
        self.running = self.year < self.end_year or self.quarter < 4
        if not self.running:  # finished, also when stepped by mesa.batch_run or a visualisation
            self.drawn.update(self.common_shocks.summary())  # the realised common shocks, with the drawn inputs
            self.release()

    def _relocation(self) -> None:
        """Stage 12 (Q4, from 2018): firms outgrowing their park's capacity move (stream ``relocation``)."""
        if self.quarter == 4 and self.running and self.year >= FIRST_PROJECTED_YEAR:
            moves = relocation.relocate(
                self.firms, self.space, self.park_levers, self.params, self.streams["relocation"]
            )
            self.relocations[self.year] = moves

    def run(self) -> dict[int, dict[str, float]]:
        """Run to the last quarter of the end year; return the indicators by year (start year to end year).

        The finished model releases itself from Mesa's id counters (``release``).
        """
        while self.running:
            self.step()
        return self.history

    def release(self) -> None:
        """Let the finished model be freed once nothing else refers to it.

        Mesa 3.3 keeps every model as a key of the class-level ``Agent._ids`` (the per-model agent-id counters;
        mesa issue #3179, fixed after 3.3.1), so a process that runs thousands of models, a calibration worker or
        an experiment worker, would otherwise keep them all (about 9 MB each). The model's state stays readable;
        agents created afterwards would restart their ids at 1. Mesa 3.5 counts ids on the model and has no
        ``Agent._ids``, so there is nothing to release.
        """
        self.firms.drop_spare()  # a finished model may wait for the cycle collector: hold no more than its state
        counters = getattr(mesa.Agent, "_ids", None)
        if counters is not None:
            counters.pop(self, None)
