"""The ``zgcsim hindcast`` command: rolling-origin out-of-sample tests, scores and the model discrepancy."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from zgcsim.errors import UserInputError


def _cmd_hindcast(args: argparse.Namespace) -> int:
    from zgcsim.calibration.hindcast import Budget, check_request
    from zgcsim.cli import MAX_SEED, MAX_WORKERS, check_range
    from zgcsim.running.lock import folder_lock

    check_range(args.budget, "--budget", 4, 10_000_000)
    check_range(args.replicates, "--replicates", 1, 1000)
    check_range(args.runs, "--runs", 2, 1_000_000)
    check_range(args.draws, "--draws", 1, 1_000_000)
    check_range(args.seed, "--seed", 0, MAX_SEED)
    check_range(args.workers, "--workers", 1, MAX_WORKERS)
    budget = Budget(
        evaluations=args.budget, replicates=args.replicates, runs=args.runs, draws=args.draws, seed=args.seed
    )
    check_request(args.origins, budget)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError("not a folder", path=out)
    work = Path(args.work) if args.work else out / "hindcast_work"
    with contextlib.ExitStack() as locks:
        locks.enter_context(folder_lock(out))
        inside = out.resolve() in (work.resolve(), *work.resolve().parents)
        if not inside:  # a work folder inside --out (the default) is under its lock already
            locks.enter_context(folder_lock(work, key="--work"))
        return _hindcast_locked(args, budget, out, work)


def _hindcast_locked(args: argparse.Namespace, budget: Any, out: Path, work: Path) -> int:
    from zgcsim.calibration.hindcast import run_hindcast, write_outputs
    from zgcsim.calibration.hindcast_report import scored_points, summary
    from zgcsim.running.executors import default_workers

    print(
        f"zgcsim hindcast: origins {args.origins}, {args.budget} evaluations x {args.replicates} spin-ups per "
        f"origin's calibration, {args.runs} runs x {args.draws} discrepancy draws per origin",
        file=sys.stderr,
    )
    h = run_hindcast(
        work, args.origins, budget, workers=args.workers or default_workers(), small=args.small, progress=args.progress
    )
    paths = write_outputs(h, out)
    pooled = summary(scored_points(h)).iloc[-1]
    print(
        f"zgcsim hindcast: {int(pooled['points'])} held-out points; 90 % band holds {pooled['cov90'] * 100:.0f} %, "
        f"50 % band {pooled['cov50'] * 100:.0f} %; interval-score skill vs the naive trend "
        f"{pooled['skill_is10']:+.2f}; {h.seconds:.0f} s; wrote {', '.join(str(p) for p in paths.values())}",
        file=sys.stderr,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``hindcast`` command to the ``zgcsim`` parser."""
    from zgcsim.calibration.hindcast import ORIGINS, Budget

    default = Budget()
    p = sub.add_parser(
        "hindcast",
        help="rolling-origin hindcasts on the record up to 2017, scores and the model discrepancy",
        description="For each origin T, calibrate on the observations of year <= T only (differential evolution "
        "then emcee, with a smaller budget than the committed calibration's 2400 evaluations: --budget), run the "
        "2013-2017 spin-up from that origin's posterior ensemble, and score every held-out full-year figure "
        "(year > T) against the naive trend and a random walk with drift. Estimates the model discrepancy from "
        "the residuals (leave one origin out for the scores). Writes hindcast.csv, hindcast_report.md, "
        "hindcast.png and discrepancy.json into --out; each origin's calibration folder goes to --work and is "
        "resumed when the command is run again with the same settings.",
    )
    p.add_argument("--origins", type=int, nargs="+", default=list(ORIGINS), help="origin years (%(default)s)")
    p.add_argument(
        "--budget",
        type=int,
        default=default.evaluations,
        help="model evaluations of each origin's calibration (%(default)s; the committed calibration used 2400)",
    )
    p.add_argument("--replicates", type=int, default=default.replicates, help="spin-ups per evaluation (%(default)s)")
    p.add_argument("--runs", type=int, default=default.runs, help="posterior runs per origin (%(default)s)")
    p.add_argument("--draws", type=int, default=default.draws, help="discrepancy paths drawn per run (%(default)s)")
    p.add_argument("--seed", type=int, default=default.seed, help="seed (%(default)s)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    p.add_argument("--out", default="calibration", help="output folder (%(default)s)")
    p.add_argument("--work", default=None, help="folder of the origins' calibrations (default: OUT/hindcast_work)")
    p.add_argument("--small", action="store_true", help="a small 2013 population (tests, CI)")
    p.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=True, help="progress bars (on by default)"
    )
    p.set_defaults(func=_cmd_hindcast)
