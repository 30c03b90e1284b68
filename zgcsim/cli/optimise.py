"""``zgcsim optimise``: the cheapest policy mixes that make the plan's targets likely (a thin wrapper)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zgcsim.cli.interrupts import sigterm_as_interrupt

DEFAULT_BUDGET = 240
DEFAULT_REPLICATES = 48
DEFAULT_SEED = 20180101
MAX_POPULATION = 24
# The full budget: 240 trials x 48 replicates = 11 520 runs, plus the re-runs of the front and of the per-target
# least-cost mixes on fresh replicates (up to about 30 mixes x 48 = 1 440 runs): about 13 000 full-scale runs,
# measured: 12 288 runs (front of 14 points and 10 least-cost rows re-run) in 2 805 s on this 2-core machine.
ESTIMATE = (
    "The defaults (the full budget: 240 trials of 48 replicates, about 12 000-13 000 runs with the re-runs) took "
    "47 minutes on a 2-core machine; time grows with budget x replicates."
)


def population_for(budget: int, population: int | None) -> int:
    """NSGA-II's population: as given, else a third of the budget, from 4 to 24 (never more than the budget)."""
    if population is not None:
        return population
    return max(2, min(budget, max(4, min(MAX_POPULATION, budget // 3))))


def _cmd_optimise(args: argparse.Namespace) -> int:
    from zgcsim.cli import MAX_REPLICATES, MAX_SEED, MAX_WORKERS, check_range
    from zgcsim.errors import UserInputError
    from zgcsim.experiments.spec import _resolve_calibration, _resolve_discrepancy
    from zgcsim.inputs.levers import BY_NAME
    from zgcsim.inputs.scenario import closest, resolve_scenario
    from zgcsim.inputs.targets import load_targets
    from zgcsim.running import atomic
    from zgcsim.running.lock import folder_lock

    check_range(args.budget, "--budget", 1, 1_000_000)
    check_range(args.replicates, "--replicates", 1, MAX_REPLICATES)
    check_range(args.seed, "--seed", 0, MAX_SEED)
    check_range(args.workers, "--workers", 1, MAX_WORKERS)
    check_range(args.population, "--population", 2, 10_000)
    check_range(args.firms, "--firms", 100, 1_000_000)
    keys = [t.key for t in load_targets()]
    if args.target is not None and args.target not in keys:
        raise UserInputError(f"unknown target '{args.target}'{closest(args.target, keys)}", key="--target")
    levers = tuple(BY_NAME) if not args.levers else tuple(s.strip() for s in args.levers.split(",") if s.strip())
    for name in levers:
        if name not in BY_NAME:
            raise UserInputError(f"unknown lever '{name}'{closest(name, tuple(BY_NAME))}", key="--levers")
    if not levers:
        raise UserInputError("name at least one lever", key="--levers")
    base = resolve_scenario(args.base)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", path=out, key="--out")
    calibration = _resolve_calibration("auto", Path("optimise"))
    discrepancy = _resolve_discrepancy("auto", Path("optimise"))
    from zgcsim.experiments.search import SearchSpec

    spec = SearchSpec(
        base=base,
        levers=tuple(dict.fromkeys(levers)),
        budget=args.budget,
        replicates=args.replicates,
        seed=args.seed,
        population=population_for(args.budget, args.population),
        target=args.target,
        parameter_values=(("n_firms_2017", float(args.firms)),) if args.firms else (),
        calibration_path=calibration[0],
        calibration_sha256=calibration[1],
        discrepancy_path=discrepancy[0],
        discrepancy_sha256=discrepancy[1],
    )
    with folder_lock(out):
        if args.force and out.exists():
            atomic.remove_replaced(out)
        if out.exists() and any(out.iterdir()) and not (out / "store").is_dir():
            raise UserInputError(
                "holds files but no search store; choose another --out or pass --force", path=out, key="--out"
            )
        return _optimise_locked(args, spec, out)


def _optimise_locked(args: argparse.Namespace, spec: object, out: Path) -> int:
    from zgcsim.experiments.objectives import PlanObjective
    from zgcsim.experiments.search import run_search
    from zgcsim.experiments.search_outputs import write_outputs
    from zgcsim.running.executors import default_workers

    workers = args.workers or default_workers()
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} local worker(s)"
    print(
        f"zgcsim optimise: {spec.budget} trials x {spec.replicates} replicates over {len(spec.levers)} levers on top "
        f"of {spec.base.name} (NSGA-II, population {spec.population}, seed {spec.seed}"
        f"{', target ' + spec.target if spec.target else ''}) on {where}",
        file=sys.stderr,
    )
    try:
        with sigterm_as_interrupt():  # a batch system's stop writes the finished runs first, like Ctrl-C
            result = run_search(
                spec,
                PlanObjective(spec.target),
                out,
                workers=workers,
                scheduler=args.scheduler,
                progress=not args.quiet,
            )
    except KeyboardInterrupt:
        print(
            f"zgcsim optimise: interrupted; finished runs are kept in {out}/store; rerun the same command to resume",
            file=sys.stderr,
        )
        return 130
    points = write_outputs(out, result, spec, {"command": sys.argv, "firms": args.firms})
    print(
        f"zgcsim optimise: {result.runs} runs ({result.reused} read back from the store) in "
        f"{result.wall_seconds:.1f} s; {len(points)} non-dominated point(s) in {out}/pareto.csv and {out}/points/",
        file=sys.stderr,
    )
    if spec.target and result.front.empty:
        print(f"zgcsim optimise: no mix tried lifted {spec.target} to P >= 0.8; try a larger --budget", file=sys.stderr)
    if not args.quiet:
        for i, row in enumerate(result.front.itertuples(index=False)):
            print(
                f"  point_{i + 1:02d} (trial {row.trial}): cost {row.fiscal_cost:10.1f} 亿元 over 2018-2022; "
                f"targets likely {row.targets_likely} (fresh replicates: {row.targets_likely_recheck}); "
                f"shortfall {row.shortfall:.3f}"
            )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``optimise`` command."""
    opt = sub.add_parser(
        "optimise",
        help="search the levers for the cheapest mixes that make the targets likely",
        description="Search the catalogue's levers (held over 2018-2022 on top of BASE) with NSGA-II (Optuna) for "
        "the Pareto front of five-year fiscal cost against the number of targets with P >= 0.8, expected shortfall "
        "ranking mixes that make as many targets likely; with --target KEY, for the cheapest mixes that lift that "
        "target to P >= 0.8. Every mix runs the same replicates (common random numbers). Writes pareto.csv, "
        "least_cost.csv, trials.csv and points/*.toml; each front point and least-cost mix is run again on fresh "
        "replicates (the *_recheck columns). Killed midway, it resumes from DIR/store when run again with the "
        "same settings. " + ESTIMATE,
    )
    opt.add_argument("base", nargs="?", default="no_new_policy", help="base scenario (%(default)s)")
    opt.add_argument("--budget", type=int, default=DEFAULT_BUDGET, help="trials (mixes) to run (%(default)s)")
    opt.add_argument(
        "--replicates",
        type=int,
        default=DEFAULT_REPLICATES,
        help="replicates per mix, the same for every mix (%(default)s)",
    )
    opt.add_argument("--out", default="results/optimise", help="output folder (%(default)s)")
    where = opt.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    where.add_argument("--scheduler", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786")
    opt.add_argument("--target", default=None, help="one target's key: the cheapest mixes that make it likely")
    opt.add_argument("--seed", type=int, default=DEFAULT_SEED, help="root seed of the runs and the sampler")
    opt.add_argument(
        "--population",
        type=int,
        default=None,
        help=f"NSGA-II population (default: a third of the budget, from 4 to {MAX_POPULATION})",
    )
    opt.add_argument(
        "--firms",
        type=int,
        default=None,
        help="simulate this many firms in 2017 instead of the full zone (e.g. 3000: a quick, coarse search for "
        "tests and trials; the targets are judged on that smaller zone, so use it only to try the machinery)",
    )
    opt.add_argument("--levers", default=None, help="comma-separated levers to search (default: every lever)")
    opt.add_argument("--force", action="store_true", help="discard an existing output folder")
    opt.add_argument("--quiet", action="store_true", help="no progress bar or front listing")
    opt.set_defaults(func=_cmd_optimise)
