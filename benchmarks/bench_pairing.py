"""How tight are paired scenario differences? Variance of a paired difference over replicates.

Two scenarios that differ only in TTO support: ``no_new_policy`` and the same with the action plan's TTO levers
(55 funded offices with 4 subsidised staff each from 2018). TTO support changes which firms exist (more
spin-offs) and which firms license university knowledge, so it tests whether the common random numbers still pair
the other firms. For each indicator it prints, over the replicates, the variance of the 2022 paired difference,
the variance of the unpaired difference (replicate r against replicate r+1 of the other scenario), and their ratio.

Run: python benchmarks/bench_pairing.py [--replicates 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from zgcsim.inputs.scenario import resolve_scenario, with_levers
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel

ROOT_SEED = 20180101
INDICATORS = ("tech_contract_turnover", "invention_patents_per_10k", "pct_applications", "enterprises")
TTO = {"tto_funded": 55.0, "tto_subsidy": 4.0}


def scenarios() -> tuple:
    """The pair: ``no_new_policy`` and the same with TTO support only."""
    base = resolve_scenario("no_new_policy")
    return base, with_levers(base, TTO, name="tto_support", start=dt.date(2018, 1, 1))


def one_pair(replicate: int) -> tuple[list[float], list[float]]:
    """The 2022 indicators of replicate ``replicate`` of both scenarios."""
    out = []
    for scenario in scenarios():
        history = ParkModel(scenario, replicate_seed(ROOT_SEED, replicate)).run()
        out.append([history[2022][key] for key in INDICATORS])
    return out[0], out[1]


def main() -> None:
    """Run the pairs and print the variances."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        pairs = list(pool.map(one_pair, range(args.replicates)))
    base = np.array([p[0] for p in pairs])
    tto = np.array([p[1] for p in pairs])
    paired = tto - base
    unpaired = tto - np.roll(base, 1, axis=0)
    print(f"{args.replicates} replicates, root seed {ROOT_SEED}, 2022, TTO support {TTO} minus no_new_policy")
    print(f"{'indicator':28s} {'mean diff':>12s} {'var paired':>12s} {'var unpaired':>13s} {'ratio':>7s}")
    for j, key in enumerate(INDICATORS):
        vp, vu = paired[:, j].var(ddof=1), unpaired[:, j].var(ddof=1)
        print(f"{key:28s} {paired[:, j].mean():12.4g} {vp:12.4g} {vu:13.4g} {vp / vu:7.3f}")


if __name__ == "__main__":
    main()
