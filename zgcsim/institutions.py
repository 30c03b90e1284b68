"""Universities and research institutes: research, disclosures, tech-transfer offices, licences, spin-offs.

They are few (about 250), so each is a Mesa agent with its own state and methods (priors.md section 4).
"""

from __future__ import annotations

import mesa
import numpy as np

QUARTER = 0.25
BASE_TTO_STAFF = 4.0  # professional staff of a TTO that meets the plan's definition, before subsidy (ours)


class University(mesa.Agent):
    """A university or research institute with a research budget and, perhaps, a professional TTO."""

    def __init__(self, model: mesa.Model, kind: str, budget: float, efficiency: float, tto: bool) -> None:
        super().__init__(model)
        self.kind = kind  # "university" or "institute"
        self.budget = budget  # research spending, 亿元 per year
        self.efficiency = efficiency  # TTO efficiency A, one-sided inefficiency draw (row 28), <= 1
        self.tto = tto  # runs a market-oriented professional TTO (the plan's definition)
        self.funded = False  # supported under the TTO lever
        self.tto_staff = BASE_TTO_STAFF if tto else 0.0
        self.disclosures = 0  # this quarter
        self.licences_year = 0
        self.spinoffs_year = 0
        self.licence_income_year = 0.0

    def review_tto(self, params: dict[str, float], staff_subsidy: float, rng: np.random.Generator) -> None:
        """Yearly: set up or professionalise a TTO; funded institutions do so far more often (lever, task 7)."""
        if not self.tto:
            chance = params["tto_funded_uptake"] if self.funded else params["tto_setup_hazard"]
            self.tto = bool(rng.random() < chance)
        elif not self.funded and rng.random() < 0.02:  # unfunded offices occasionally lapse (ours)
            self.tto = False
        self.tto_staff = (BASE_TTO_STAFF + (staff_subsidy if self.funded else 0.0)) if self.tto else 0.0

    def research(self, params: dict[str, float], rng: np.random.Generator) -> tuple[int, int, float]:
        """One quarter of research: disclosures, then licences and spin-offs (priors.md section 4).

        Disclosures ~ Poisson(r_disc x budget / 4) (row 31). With a professional TTO, expected licences are
        A x p_lic x D^(1-b) x (staff/4)^b x 4^0 (constant returns in disclosures and staff, row 28, with
        p_lic per disclosure at median staff, row 32); without one, the Chinese base rate (row 34).
        Spin-offs ~ Poisson(p_spin x D), 1.5 times as likely with a TTO (row 33). Licence income is Pareto
        (row 36). Returns (licences, spin-offs, income in 亿元).
        """
        self.budget *= (1 + params["research_growth"]) ** QUARTER
        self.disclosures = int(rng.poisson(params["disclosures_per_yi"] * self.budget * QUARTER))
        d = self.disclosures
        if self.tto:
            b = params["tto_staff_elasticity"]
            rate = self.efficiency * params["licences_per_disclosure_tto"] * (self.tto_staff / BASE_TTO_STAFF) ** b
            spin_rate = 1.5 * params["spinoffs_per_disclosure"]
        else:
            rate, spin_rate = params["licences_per_disclosure_none"], params["spinoffs_per_disclosure"]
        licences = int(rng.binomial(d, min(rate, 0.9)))
        spinoffs = int(rng.poisson(spin_rate * d))
        income = float((0.001 * (rng.pareto(1.2, licences) + 1)).sum())  # 100 000 yuan scale, alpha 1.2 (row 36)
        self.licences_year += licences
        self.spinoffs_year += spinoffs
        self.licence_income_year += income
        return licences, spinoffs, income

    def reset_year(self) -> None:
        """Zero the yearly counters."""
        self.licences_year = self.spinoffs_year = 0
        self.licence_income_year = 0.0


def build_institutions(model: mesa.Model, p: dict[str, float], rng: np.random.Generator) -> list[University]:
    """Create the universities and institutes; the drawn 2017 TTO count goes to the largest research budgets."""
    n_uni, n_inst = int(round(p["n_universities"])), int(round(p["n_institutes"]))
    kinds = ["university"] * n_uni + ["institute"] * n_inst
    budgets = rng.lognormal(0.0, 1.2, len(kinds)) * np.where(np.arange(len(kinds)) < n_uni, 3.0, 1.0)
    budgets *= p["research_budget_2017"] / budgets.sum()
    efficiency = np.exp(-np.abs(rng.normal(0, 0.4, len(kinds))))
    order = np.argsort(-budgets)
    has_tto = np.zeros(len(kinds), bool)
    has_tto[order[: int(round(p["tto_2017"]))]] = True
    return [
        University(model, kinds[i], float(budgets[i]), float(efficiency[i]), bool(has_tto[i]))
        for i in range(len(kinds))
    ]


def assign_funding(institutions: list[University], n_funded: int) -> None:
    """Fund the ``n_funded`` institutions with the largest research budgets (the plan's pilots were top ones)."""
    ranked = sorted(institutions, key=lambda u: -u.budget)
    for i, inst in enumerate(ranked):
        inst.funded = i < n_funded
