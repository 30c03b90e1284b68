"""Universities and research institutes: research, disclosures, tech-transfer offices, licences, spin-offs.

They are few (about 250), so each is a Mesa agent with its own state and methods (priors.md section 4).
"""

from __future__ import annotations

from collections.abc import Iterator

import mesa
import numpy as np

from zgcsim.model.context import QUARTER
from zgcsim.model.firms import FirmTable


class University(mesa.Agent):
    """A university or research institute with a research budget and, perhaps, a professional TTO."""

    def __init__(
        self, model: mesa.Model, kind: str, budget: float, efficiency: float, tto: bool, base_staff: float
    ) -> None:
        super().__init__(model)
        self.kind = kind  # "university" or "institute"
        self.budget = budget  # research spending, 亿元 per year
        self.efficiency = efficiency  # TTO efficiency A, one-sided inefficiency draw (row 28), <= 1
        self.tto = tto  # runs a market-oriented professional TTO (the plan's definition)
        self.funded = False  # supported under the TTO lever
        self.tto_staff = base_staff if tto else 0.0  # professional TTO staff (``tto_base_staff`` unsubsidised)
        # licence income of the year, 亿元: read by no indicator yet, but its draws are part of the TTO stream's
        # sequence, so dropping them would shift every later TTO draw
        self.licence_income_year = 0.0

    def review_tto(self, params: dict[str, float], staff_subsidy: float, draws: Iterator[float] | None) -> None:
        """Each quarter: set up or professionalise a TTO; funded institutions do so far more often (task 7).

        ``draws`` yields this institution's uniform (one, when ``needs_tto_draw``; None when it draws none).
        """
        if not self.tto:
            chance = params["tto_funded_uptake"] if self.funded else params["tto_setup_hazard"]
            self.tto = bool(next(draws) < 1 - (1 - chance) ** QUARTER)  # yearly chances, reviewed quarterly
        elif not self.funded and next(draws) < 1 - params["tto_survival"] ** QUARTER:  # unfunded offices lapse
            self.tto = False
        base = params["tto_base_staff"]
        self.tto_staff = (base + (staff_subsidy if self.funded else 0.0)) if self.tto else 0.0

    def needs_tto_draw(self) -> bool:
        """Whether ``review_tto`` draws this quarter: to set up an office, or for an unfunded office to lapse."""
        return not self.tto or not self.funded

    def reset_year(self) -> None:
        """Zero the yearly licence income."""
        self.licence_income_year = 0.0


def review_ttos(
    institutions: list[University], params: dict[str, float], staff_subsidy: float, rng: np.random.Generator
) -> None:
    """``University.review_tto`` for every institution in turn, with the quarter's uniforms drawn at once.

    Each institution draws at most one uniform (``needs_tto_draw``), so the draws are the ones the institutions
    would make one by one, in the same order.
    """
    drawing = [u for u in institutions if u.needs_tto_draw()]
    draws = iter(rng.random(len(drawing)).tolist())
    for u in institutions:
        u.review_tto(params, staff_subsidy, draws if u.needs_tto_draw() else None)


def research_quarter(
    institutions: list[University], params: dict[str, float], rng: np.random.Generator
) -> tuple[int, int]:
    """One quarter of research at every institution: disclosures, then licences and spin-offs (priors.md s. 4).

    Each institution keeps its own state as a Mesa agent; the draws for all of them are made at once.
    Disclosures ~ Poisson(r_disc x budget / 4) (row 31). With a professional TTO, each disclosure is licensed
    with probability A x p_lic x (staff / base staff)^b, i.e. licences are A p_lic D^(1-b) S^b up to a constant:
    constant returns in disclosures and staff (row 28, p_lic at median staff, row 32); without one, the
    Chinese base rate (row 34). Spin-offs ~ Poisson(p_spin x D), ``tto_spinoff_factor`` (1.5) times as likely
    with a TTO (row 33). Licence income is Pareto with alpha 1.2 on a 100 000 yuan scale (row 36;
    ``licence_income_*``). Returns (licences, spin-offs).
    """
    growth = (1 + params["research_growth"]) ** QUARTER
    state = np.array([(u.budget, u.tto, u.tto_staff, u.efficiency) for u in institutions], np.float64).T
    budget, staff, efficiency = state[0] * growth, state[2], state[3]
    tto = state[1] > 0
    disclosures = rng.poisson(params["disclosures_per_yi"] * budget * QUARTER)
    b = params["tto_staff_elasticity"]
    relative_staff = np.maximum(staff, 1e-9) / params["tto_base_staff"]
    with_tto = efficiency * params["licences_per_disclosure_tto"] * relative_staff**b
    rate = np.where(tto, with_tto, params["licences_per_disclosure_none"])
    spin_rate = params["spinoffs_per_disclosure"] * np.where(tto, params["tto_spinoff_factor"], 1.0)
    licences = rng.binomial(disclosures, np.minimum(rate, params["probability_cap"]))
    spinoffs = rng.poisson(spin_rate * disclosures)
    income = params["licence_income_scale"] * (rng.pareto(params["licence_income_alpha"], int(licences.sum())) + 1)
    income_by = np.bincount(
        np.repeat(np.arange(len(institutions)), licences), weights=income, minlength=len(institutions)
    )
    for u, new_budget, income_i in zip(institutions, budget.tolist(), income_by.tolist(), strict=True):
        u.budget = new_budget
        u.licence_income_year += income_i
    return int(licences.sum()), int(spinoffs.sum())


def build_institutions(
    model: mesa.Model, p: dict[str, float], research_budget: float, tto_count: float, rng: np.random.Generator
) -> list[University]:
    """Create the universities and institutes; the drawn TTO count goes to the largest research budgets."""
    n_uni, n_inst = int(round(p["n_universities"])), int(round(p["n_institutes"]))
    kinds = ["university"] * n_uni + ["institute"] * n_inst
    university = np.arange(len(kinds)) < n_uni
    budgets = rng.lognormal(0.0, p["research_budget_dispersion"], len(kinds)) * np.where(
        university, p["university_budget_weight"], 1.0
    )
    budgets *= research_budget / budgets.sum()
    efficiency = np.exp(-np.abs(rng.normal(0, p["tto_inefficiency_sd"], len(kinds))))
    order = np.argsort(-budgets)
    has_tto = np.zeros(len(kinds), bool)
    has_tto[order[: int(round(tto_count))]] = True
    return [
        University(model, kinds[i], float(budgets[i]), float(efficiency[i]), bool(has_tto[i]), p["tto_base_staff"])
        for i in range(len(kinds))
    ]


def assign_funding(institutions: list[University], n_funded: int) -> None:
    """Fund the ``n_funded`` institutions with the largest research budgets (the plan's pilots were top ones)."""
    for rank, inst in enumerate(sorted(institutions, key=lambda u: -u.budget)):
        inst.funded = rank < n_funded


def license_to_firms(firms: FirmTable, licences: int, p: dict[str, float], rng: np.random.Generator) -> None:
    """Licensees: firms chosen in proportion to their R&D stock (absorptive capacity); each gains knowledge."""
    if licences == 0:
        return
    weight = np.where(firms.active, firms.rd_stock, 0.0)
    rows = rng.choice(len(firms), size=licences, p=weight / weight.sum())
    np.add.at(firms.licensed_knowledge, rows, p["licence_knowledge"])
