"""A toy objective with a known optimum, for the search tests (the search machinery, not the model, is tested).

Two levers: listing_support (0.5-3) and talent_programme (0.5-4). The cost is their sum; one toy target "a" has
P = (listing_support - 0.5) / 2.5 (capped at 1), so it is likely (P >= 0.8) from listing_support 2.5 on. The
known front: cost 1.0 with no target likely (both levers at their lower bounds), and cost 3.0 with one
(listing_support 2.5, talent_programme 0.5). The toy still reads the trial's runs: it needs every replicate's
2022 rows, so the search must have run them (or read them back) before it scores a trial.
"""

from dataclasses import dataclass

from zgcsim.experiments.objectives import Evaluation
from zgcsim.experiments.search import SearchSpec
from zgcsim.inputs.scenario import resolve_scenario

LEVERS = ("listing_support", "talent_programme")
OPTIMUM = {0: 1.0, 1: 3.0}  # targets likely -> the least cost


@dataclass(frozen=True)
class Toy:
    name: str = "toy"
    replicates: int = 1

    def evaluate(self, table, levers):
        final = table[table["year"] == 2022]
        assert sorted(final["replicate"].unique()) != [] and final["replicate"].nunique() == self.replicates
        p = min(max((levers["listing_support"] - 0.5) / 2.5, 0.0), 1.0)
        return Evaluation(
            cost=levers["listing_support"] + levers["talent_programme"],
            targets_likely=int(p >= 0.8),
            shortfall=1.0 - p,
            p={"a": p},
            constraint=0.8 - p,
        )


def toy_spec(budget=48, replicates=1, seed=1, population=8, base="no_new_policy", target=None):
    return SearchSpec(
        base=resolve_scenario(base),
        levers=LEVERS,
        budget=budget,
        replicates=replicates,
        seed=seed,
        population=population,
        target=target,
        parameter_values=(("n_firms_2017", 3000.0),),
    )


@dataclass(frozen=True)
class ToyCostPlanTargets:
    """The plan's targets judged on the model's runs, with a toy cost (the sum of the levers' shares of their range).

    For tests of the files and charts, which need real target keys and P values but no particular cost series.
    """

    name: str = "toy_cost_plan_targets"

    def evaluate(self, table, levers):
        from zgcsim.experiments.objectives import LIKELY, expected_shortfall, probabilities
        from zgcsim.inputs.levers import BY_NAME
        from zgcsim.inputs.targets import load_targets

        final = table[table["year"] == 2022]
        p = probabilities(final, load_targets())
        cost = sum((v - BY_NAME[k].low) / (BY_NAME[k].high - BY_NAME[k].low) for k, v in levers.items())
        return Evaluation(cost, sum(v >= LIKELY for v in p.values()), expected_shortfall(final, load_targets()), p)
