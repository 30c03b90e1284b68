"""Benchmark one full-scale model run (every firm an agent, 2018 Q1 to 2022 Q4) on one core.

Prints: agents, seconds per run (median of several), firm-steps per second, peak memory, and the cost of ten
times the firms. Bar (issue 15): a median of at most 0.15 s per full-scale run on one core; the wall time is only
meaningful on an idle machine, so the CPU time is printed too. A profile of the same runs:
benchmarks/profile_model.py (benchmarks/profiles/ holds the ones quoted in the issue's closing note).
Run: python benchmarks/bench_model.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel


def time_runs(runs: int, n_firms: float | None) -> tuple[list[float], list[float], int, int, int]:
    """Time ``runs`` runs: wall and CPU seconds per run, firms at the start and at the end, firm-quarter steps."""
    scenario = resolve_scenario("action_plan")
    values = {"n_firms_2017": n_firms} if n_firms else None
    seconds, cpu, start, end, steps = [], [], 0, 0, 0
    for r in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        model = ParkModel(scenario, replicate_seed(1, r), values)
        start = len(model.firms)
        firm_quarters = 0
        while model.year < 2022 or model.quarter < 4:
            firm_quarters += int(model.firms.active.sum())
            model.step()
        seconds.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        end, steps = int(model.firms.active.sum()), firm_quarters
    return seconds, cpu, start, end, steps


def peak_memory_mb() -> tuple[float, float]:
    """Peak memory of one run in a fresh process: (process peak RSS, Python allocations traced during the run)."""
    code = (
        "import pathlib, resource, tracemalloc\n"
        "from zgcsim.model.park import ParkModel\nfrom zgcsim.inputs.seeds import replicate_seed\n"
        "from zgcsim.inputs.scenario import resolve_scenario\n"
        "sc = resolve_scenario('action_plan')\ntracemalloc.start()\n"
        "ParkModel(sc, replicate_seed(1, 0)).run()\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        # Linux carries ru_maxrss over fork and exec, so it can report this benchmark's own peak; VmHWM is the new
        # process's own high-water mark
        "status = pathlib.Path('/proc/self/status')\n"
        "if status.exists():\n"
        "    peak = next(int(l.split()[1]) for l in status.read_text().splitlines() if l.startswith('VmHWM:')) / 1024\n"
        "print(tracemalloc.get_traced_memory()[1] / 2**20, peak)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[1]), float(out[0])


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    print(f"machine load (1 min): {os.getloadavg()[0]:.2f}; one core pinned")

    seconds, cpu, start, end, steps = time_runs(args.runs, None)
    median = statistics.median(seconds)
    model = ParkModel(resolve_scenario("action_plan"), replicate_seed(1, 0))
    others = len(model.agents)
    print(
        f"agents: {start} firms at the end of 2017, {end} at the end of 2022, plus {others} Mesa agents "
        "(universities and institutes, funds, exchanges)"
    )
    print(
        f"seconds per full-scale 2018-2022 run: median {median:.3f} (min {min(seconds):.3f}, "
        f"max {max(seconds):.3f}, {args.runs} runs, build included); CPU time median {statistics.median(cpu):.3f} s "
        "(bar: at most 0.15 s)"
    )
    print(f"firm-steps per second: {steps / median:,.0f} ({steps:,} firm-quarters per run)")

    rss, traced = peak_memory_mb()
    print(
        f"peak memory of one run: {rss:.0f} MB process RSS (interpreter and libraries included), "
        f"{traced:.0f} MB allocated by the run"
    )

    big_seconds, big_cpu, big_start, _, _ = time_runs(max(3, args.runs // 2), 10 * start)
    big = statistics.median(big_seconds)
    print(
        f"ten times the firms ({big_start} at the start): median {big:.3f} s per run, "
        f"{big / median:.1f} x the time, {statistics.median(big_cpu) / statistics.median(cpu):.1f} x the CPU time "
        "(bar: at most 12 x)"
    )


if __name__ == "__main__":
    main()
