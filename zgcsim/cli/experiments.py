"""The ``zgcsim experiment`` and ``zgcsim analyze`` commands: thin wrappers over the experiment library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zgcsim.cli.interrupts import sigterm_as_interrupt


def _cmd_experiment(args: argparse.Namespace) -> int:
    from zgcsim.cli import MAX_WORKERS, check_range
    from zgcsim.experiments.spec import load_experiment
    from zgcsim.running.lock import folder_lock

    check_range(args.workers, "--workers", 1, MAX_WORKERS)
    check_range(args.chunk, "--chunk", 1, 1_000_000)
    experiment = load_experiment(args.file)  # validated before anything is written
    with folder_lock(args.out):
        return _experiment_locked(args, experiment)


def _experiment_locked(args: argparse.Namespace, experiment: object) -> int:
    from zgcsim.experiments.runner import open_store, run_experiment
    from zgcsim.running.executors import default_workers

    # refuse a folder of another experiment up front; a damaged chunk found here is deleted, and re-run below
    store, _ = open_store(experiment, Path(args.out), force=args.force)
    for problem in store.repaired:
        runs = "its runs" if problem.runs is None else f"its {problem.runs} run(s)"
        print(
            f"zgcsim experiment: {args.out}: {problem.line()}; chunk {problem.part} deleted, {runs} will be run again",
            file=sys.stderr,
        )
    workers = args.workers or default_workers()
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} local worker(s)"
    print(f"zgcsim experiment: {experiment.spec.name} on {where}; store {args.out}", file=sys.stderr)
    try:
        with sigterm_as_interrupt():  # a batch system's stop writes the finished runs first, like Ctrl-C
            summary = run_experiment(
                experiment,
                Path(args.out),
                workers=workers,
                scheduler=args.scheduler,
                chunk_runs=args.chunk,
                progress=not args.quiet,
            )
    except KeyboardInterrupt:
        print(
            f"zgcsim experiment: interrupted; finished runs are kept in {args.out}; rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    if summary.runs == 0:
        print(f"zgcsim experiment: all {summary.total} runs are already in {args.out}", file=sys.stderr)
        return 0
    print(f"zgcsim experiment: {summary.line(Path(args.out))}", file=sys.stderr)
    if summary.failures:
        for failure in summary.failed_runs[:5]:
            print(f"  failed: {failure}", file=sys.stderr)
        print("zgcsim experiment: some runs failed; rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    import pandas as pd

    from zgcsim.experiments.analysis import analyze_store

    written = analyze_store(Path(args.dir), reference=args.reference)
    for name, path in written.items():
        print(f"{name:12s} {path}")
    if not args.quiet:
        table = pd.read_csv(written["attainment"])
        wide = table.pivot(index="indicator", columns="scenario", values="p_attain")
        order = list(dict.fromkeys(table["indicator"]))
        print("\nProbability of meeting each 2022 target (share of runs):")
        print(wide.loc[order].to_string(float_format=lambda v: f"{v:5.2f}"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``experiment`` and ``analyze`` to the ``zgcsim`` command line."""
    experiment = subparsers.add_parser(
        "experiment",
        help="run an experiment file (Monte Carlo, LHS, Sobol, Morris) into a resumable store",
        description="Run every scenario, design point and replicate of an experiment file into a streaming "
        "result store. Rerunning the same command resumes a killed experiment; a folder made by another "
        "configuration or code version is refused.",
    )
    experiment.add_argument("file", help="experiment TOML file (see experiments/README.md)")
    experiment.add_argument("--out", required=True, help="store folder")
    where = experiment.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="local worker processes (default: every core)")
    where.add_argument("--scheduler", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786")
    experiment.add_argument("--chunk", type=int, default=50, help="finished runs per stored chunk (%(default)s)")
    experiment.add_argument("--force", action="store_true", help="discard an existing folder made by another config")
    experiment.add_argument("--quiet", action="store_true", help="no progress bar")
    experiment.set_defaults(func=_cmd_experiment)

    analyze = subparsers.add_parser(
        "analyze",
        help="attainment, scenario differences, sensitivity indices and scenario discovery of a store",
        description="Analyse an experiment store and write attainment.csv, summary.csv, differences.csv, "
        "sobol.csv or morris.csv (by design) and discovery.csv into it.",
    )
    analyze.add_argument("dir", help="experiment store folder")
    analyze.add_argument("--reference", default=None, help="scenario to compare the others with")
    analyze.add_argument("--quiet", action="store_true", help="do not print the attainment table")
    analyze.set_defaults(func=_cmd_analyze)
