"""Time each stage of the quarterly step (and the build) over several full-scale runs, on one core.

Complements benchmarks/profile_model.py: no profiler overhead, so the milliseconds are those of a real run.
Run: python benchmarks/time_stages.py [--runs 7]
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from collections.abc import Callable
from typing import Any

from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel

STAGES = (
    "_policy", "_year_start", "_universities", "_entry", "_investors", "_rd_decisions", "_knowledge",
    "_production", "_platforms_listing_accounts", "_exits", "_statistics", "_relocation",
)  # fmt: skip


def timed(name: str, method: Callable[..., Any], totals: collections.Counter) -> Callable[..., Any]:
    """Wrap one stage method so that its wall time adds to ``totals[name]``."""

    def wrapper(self: ParkModel, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        result = method(self, *args, **kwargs)
        totals[name] += time.perf_counter() - began
        return result

    return wrapper


def main() -> None:
    """Print the mean milliseconds per run of the build and of each stage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    totals: collections.Counter = collections.Counter()
    for name in STAGES:
        setattr(ParkModel, name, timed(name, getattr(ParkModel, name), totals))
    scenario, whole = resolve_scenario("action_plan"), 0.0
    for r in range(args.runs):
        began = time.perf_counter()
        model = ParkModel(scenario, replicate_seed(1, r))
        totals["build (2017 population)"] += time.perf_counter() - began
        model.run()
        whole += time.perf_counter() - began
    print(f"machine load (1 min): {os.getloadavg()[0]:.2f}; {args.runs} runs of action_plan, one core")
    for name, seconds in totals.most_common():
        print(f"{name:28s} {1000 * seconds / args.runs:7.1f} ms")
    print(f"{'whole run':28s} {1000 * whole / args.runs:7.1f} ms")


if __name__ == "__main__":
    main()
