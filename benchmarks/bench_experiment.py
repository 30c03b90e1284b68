"""Benchmark of `zgcsim experiment`: runs per second, speed-up from 1 to 2 workers, peak memory per worker.

Runs one scenario at full scale through the experiment runner and its store, as a user would:

    python benchmarks/bench_experiment.py                    # 100 runs with 1 worker, then with 2
    python benchmarks/bench_experiment.py --runs 1000 --workers 2   # the 1 000-run bar only

Bars (issue 5): 1 000 full-scale runs of one scenario under 10 minutes on a 2-core machine; speed-up >= 1.7
from 1 to 2 workers; memory that does not grow with the number of runs. The machine's load average is printed
beside every figure, since other jobs on a shared machine slow everything down.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import psutil

from zgcsim.experiments.runner import run_experiment
from zgcsim.experiments.spec import load_experiment
from zgcsim.experiments.store import read_runs


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def measure(scenario: str, runs: int, workers: int, seed: int, folder: Path) -> dict:
    path = folder / f"bench_{workers}.toml"
    path.write_text(
        f'name = "bench"\nscenarios = ["{scenario}"]\nreplicates = {runs}\nseed = {seed}\n', encoding="utf-8"
    )
    parent = psutil.Process()
    parent_rss: list[float] = []
    load_before = load()
    started = time.perf_counter()
    summary = run_experiment(
        load_experiment(path),
        folder / f"store_{workers}",
        workers=workers,
        chunk_runs=25,
        progress=False,
        on_chunk=lambda _name: parent_rss.append(parent.memory_info().rss / 2**20),
    )
    wall = time.perf_counter() - started
    table = read_runs(folder / f"store_{workers}")
    # runs are submitted in replicate order: each worker's resident memory over its first and last tenth of runs
    table["order"] = range(len(table))
    tenth = max(len(table) // 10, 1)
    early = table[table["order"] < tenth].groupby("worker")["worker_rss_mb"].median()
    late = table[table["order"] >= len(table) - tenth].groupby("worker")["worker_rss_mb"].median()
    per_worker = table.groupby("worker")["worker_peak_rss_mb"]
    return {
        "workers": workers,
        "runs": summary.runs,
        "failures": summary.failures,
        "wall": wall,
        "runs_per_s": summary.runs / wall,
        "peak_mb": per_worker.max().to_dict(),
        "early_mb": early.to_dict(),
        "late_mb": late.to_dict(),
        "parent_rss_first_last": (parent_rss[0], parent_rss[-1]) if parent_rss else (float("nan"),) * 2,
        "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_per_run": float(table["cpu_seconds"].mean()),
        # share of the workers' wall time spent computing runs: 1.0 means no idle worker and no runner overhead
        "busy": float(table["cpu_seconds"].sum()) / (wall * workers),
        "load_before": load_before,
        "load_after": load(),
    }


def report(m: dict) -> None:
    print(
        f"{m['workers']} worker(s): {m['runs']} runs ({m['failures']} failed) in {m['wall']:.1f} s = "
        f"{m['runs_per_s']:.2f} runs/s, {m['wall'] / max(m['runs'], 1):.3f} s per run"
    )
    print(f"  CPU per run {m['cpu_per_run']:.3f} s; workers busy computing {100 * m['busy']:.0f} % of the wall time")
    print(f"  before: {m['load_before']}; after: {m['load_after']}")
    for worker, peak in sorted(m["peak_mb"].items()):
        early, late = m["early_mb"].get(worker, float("nan")), m["late_mb"].get(worker, float("nan"))
        print(
            f"  worker {worker}: peak RSS {peak:.0f} MiB; resident after a run: {early:.0f} MiB in the first "
            f"tenth of the runs, {late:.0f} MiB in the last tenth"
        )
    first, last = m["parent_rss_first_last"]
    print(f"  runner process RSS at first chunk {first:.0f} MiB, at last chunk {last:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="action_plan")
    parser.add_argument("--runs", type=int, default=100, help="runs per measurement")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts to measure")
    parser.add_argument("--seed", type=int, default=20180101)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="zgcsim-bench-") as tmp:
        for workers in args.workers:
            results[workers] = measure(args.scenario, args.runs, workers, args.seed, Path(tmp))
            report(results[workers])
    if 1 in results and 2 in results:
        speed_up = results[2]["runs_per_s"] / results[1]["runs_per_s"]
        print(f"speed-up 1 -> 2 workers: {speed_up:.2f} (bar: >= 1.7)")
    for m in results.values():
        projected = 1000 / m["runs_per_s"] / 60
        print(f"{m['workers']} worker(s): 1 000 runs would take {projected:.1f} min at this rate (bar: < 10 min)")


if __name__ == "__main__":
    main()
