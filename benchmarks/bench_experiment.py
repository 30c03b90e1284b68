"""Benchmark of `zgcsim experiment`: runs per second with 1 and 2 workers, and the peak memory of each worker.

Runs one scenario at full scale through the experiment runner and its store, as a user would:

    python benchmarks/bench_experiment.py                    # 100 runs with 1 worker, then with 2
    python benchmarks/bench_experiment.py --runs 1000 --workers 2   # the 1 000-run bar itself

Bars (issue 15): 1 000 full-scale runs of one scenario in at most 2 minutes on a 2-core machine; peak memory of
each experiment worker at most 300 MB (ru_maxrss), flat over 1 000 runs. With one worker the runs go on in the
runner's own process (as ``--workers 1`` does), so that process is the worker. The machine's load average is
printed beside every figure, since other jobs on a shared machine slow everything down. Besides the measured
rate, each measurement projects the 1 000-run time for a model taking ``--model-seconds`` per run, from the
overhead it measured outside the runs (dispatch, results coming back, store writes).
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
    task_seconds = float(table["seconds"].sum())  # each run's wall time inside its worker
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
        "task_wall_per_run": task_seconds / max(len(table), 1),
        # worker time not spent inside a run: waiting for work, sending results back, the runner's store writes
        "outside_per_run": max(wall * workers - task_seconds, 0.0) / max(len(table), 1),
        # share of the workers' wall time spent computing runs: 1.0 means no idle worker and no runner overhead
        "busy": float(table["cpu_seconds"].sum()) / (wall * workers),
        "load_before": load_before,
        "load_after": load(),
    }


def report(m: dict, model_seconds: float) -> None:
    print(
        f"{m['workers']} worker(s): {m['runs']} runs ({m['failures']} failed) in {m['wall']:.1f} s = "
        f"{m['runs_per_s']:.2f} runs/s, {m['wall'] / max(m['runs'], 1):.3f} s per run"
    )
    print(f"  CPU per run {m['cpu_per_run']:.3f} s; workers busy computing {100 * m['busy']:.0f} % of the wall time")
    print(
        f"  per run: {m['task_wall_per_run']:.3f} s wall inside a worker, {1000 * m['outside_per_run']:.1f} ms of "
        "worker time outside the runs"
    )
    print(f"  before: {m['load_before']}; after: {m['load_after']}")
    for worker, peak in sorted(m["peak_mb"].items()):
        early, late = m["early_mb"].get(worker, float("nan")), m["late_mb"].get(worker, float("nan"))
        print(
            f"  worker {worker}: peak RSS {peak:.0f} MiB = {peak * 2**20 / 1e6:.0f} MB (bar: <= 300 MB); resident "
            f"after a run: {early:.0f} MiB in the first tenth of the runs, {late:.0f} MiB in the last tenth"
        )
    first, last = m["parent_rss_first_last"]
    print(f"  runner process RSS at first chunk {first:.0f} MiB, at last chunk {last:.0f} MiB")
    measured = 1000 / m["runs_per_s"] / 60
    projected = 1000 * (model_seconds + m["outside_per_run"]) / m["workers"] / 60
    print(
        f"  1 000 runs: {measured:.1f} min at this rate; {projected:.1f} min projected with a {model_seconds} s "
        "model and this overhead (bar: <= 2 min)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="action_plan")
    parser.add_argument("--runs", type=int, default=100, help="runs per measurement")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts to measure")
    parser.add_argument("--seed", type=int, default=20180101)
    parser.add_argument("--model-seconds", type=float, default=0.15, help="model time per run to project with")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="zgcsim-bench-") as tmp:
        for workers in args.workers:
            results[workers] = measure(args.scenario, args.runs, workers, args.seed, Path(tmp))
            report(results[workers], args.model_seconds)
    if 1 in results and 2 in results:
        speed_up = results[2]["runs_per_s"] / results[1]["runs_per_s"]
        print(f"speed-up 1 -> 2 workers: {speed_up:.2f}")
    for m in results.values():
        print(f"runs_per_s_{m['workers']}_workers={m['runs_per_s']:.3f}")


if __name__ == "__main__":
    main()
