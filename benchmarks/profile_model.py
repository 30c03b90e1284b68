"""Profile full-scale 2018-2022 runs (build included) with cProfile and print the top functions.

Run: python benchmarks/profile_model.py [--runs 3] [--top 40] [--sort tottime]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel


def main() -> None:
    """Profile ``--runs`` runs of ``action_plan`` and print the functions with the largest own time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    args = parser.parse_args()
    scenario = resolve_scenario("action_plan")
    ParkModel(scenario, replicate_seed(1, 99)).run()  # warm-up: imports and caches outside the profile
    profiler = cProfile.Profile()
    profiler.enable()
    for r in range(args.runs):
        ParkModel(scenario, replicate_seed(1, r)).run()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
