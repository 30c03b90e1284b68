"""What ``zgcsim optimise`` scores: a policy mix's five-year fiscal cost and how many plan targets it makes likely.

An objective turns the runs of one trial (one lever mix, the same replicates as every other trial) into an
``Evaluation``. The search only sees ``Evaluation``s, so the objective is pluggable: the plan objective below
is the one the command uses; tests plug in a toy with a known optimum.

Attainment follows the results folder (``running/results_folder.attainment``): a target is met in a replicate
when its 2022 value meets the plan's threshold as the plan words it (``Target.attained``), and P is the share
of replicates meeting it. A target is *likely* when P >= 0.8.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from zgcsim.errors import UserInputError
from zgcsim.inputs.targets import Target, load_targets

LIKELY = 0.8  # a target is "likely" when at least this share of replicates meets it
COST_SERIES = "fiscal_cost"  # 亿元 per year relative to the 2017 rules (issue 14, item 1)
COST_YEARS = (2018, 2019, 2020, 2021, 2022)  # the five-year cost is the sum over the plan's years


@dataclass(frozen=True)
class Evaluation:
    """One trial's score.

    Attributes:
        cost: five-year fiscal cost, 亿元 (mean over the replicates of the sum over 2018-2022).
        targets_likely: number of targets with P >= 0.8.
        shortfall: expected relative shortfall, averaged over the targets (0: every target met in every run).
        p: P of each target, by indicator key.
        constraint: <= 0 when the mix satisfies the search's constraint (``--target``), > 0 otherwise.
    """

    cost: float
    targets_likely: int
    shortfall: float
    p: Mapping[str, float] = field(default_factory=dict)
    constraint: float = 0.0

    @property
    def score(self) -> float:
        """The optimiser's second objective (maximised): targets likely, ties broken by a smaller shortfall.

        ``targets_likely + 1 / (1 + shortfall)`` orders mixes by the number of likely targets first and by the
        shortfall within the same number, and gives the search a slope between whole numbers of targets.
        """
        return self.targets_likely + 1.0 / (1.0 + self.shortfall)


class Objective(Protocol):
    """Scores one trial from its runs."""

    name: str

    def evaluate(self, table: pd.DataFrame, levers: Mapping[str, float]) -> Evaluation:
        """Score a trial.

        Args:
            table: the trial's tidy rows (``replicate, year, indicator, value``), every replicate.
            levers: the trial's lever values.
        """
        ...


def probabilities(final: pd.DataFrame, targets: tuple[Target, ...]) -> dict[str, float]:
    """P of each target: the share of replicates whose 2022 value meets it (``final``: the 2022 rows)."""
    p = {}
    for t in targets:
        values = final.loc[final["indicator"] == t.key, "value"].to_numpy()
        p[t.key] = float(np.mean([t.attained(v) for v in values])) if len(values) else float("nan")
    return p


def expected_shortfall(final: pd.DataFrame, targets: tuple[Target, ...]) -> float:
    """Mean over the targets of the expected relative gap to the threshold in 2022 (0 where it is met)."""
    gaps = []
    for t in targets:
        values = final.loc[final["indicator"] == t.key, "value"].to_numpy(dtype=float)
        if not len(values):
            continue
        if t.direction == "higher":
            gap = np.maximum(0.0, (t.threshold - values) / abs(t.threshold))
        else:
            gap = np.maximum(0.0, (values - t.threshold) / abs(t.threshold))
        gaps.append(float(gap.mean()))
    return float(np.mean(gaps)) if gaps else float("nan")


def five_year_cost(table: pd.DataFrame) -> float:
    """Mean over the replicates of the sum of ``fiscal_cost`` over 2018-2022 (亿元).

    Raises:
        UserInputError: the runs carry no ``fiscal_cost`` series (a model without the fiscal-cost work).
    """
    rows = table[(table["indicator"] == COST_SERIES) & table["year"].isin(COST_YEARS)]
    if rows.empty:
        raise UserInputError(
            f"the model's runs carry no '{COST_SERIES}' series, so a mix has no cost to minimise "
            "(the fiscal-cost work of issue 14 adds it)",
            key="optimise",
        )
    return float(rows.groupby("replicate")["value"].sum().mean())


@dataclass(frozen=True)
class PlanObjective:
    """The command's objective: the five-year fiscal cost and the plan targets made likely.

    With ``target`` set, the constraint asks that target's P to reach 0.8 (``constraint = 0.8 - P``).
    """

    target: str | None = None
    name: str = "plan"

    def evaluate(self, table: pd.DataFrame, levers: Mapping[str, float]) -> Evaluation:
        """Score a trial from its runs (see ``Objective.evaluate``)."""
        targets = load_targets()
        final = table[table["year"] == 2022]
        p = probabilities(final, targets)
        return Evaluation(
            cost=five_year_cost(table),
            targets_likely=sum(v >= LIKELY for v in p.values()),
            shortfall=expected_shortfall(final, targets),
            p=p,
            constraint=LIKELY - p[self.target] if self.target else 0.0,
        )
