"""The ``zgcsim`` command line: thin wrappers over the library, one-line errors with exit code 2."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zgcsim.cli import dashboard
from zgcsim.cli import reporting as reporting_cli
from zgcsim.errors import UserInputError

DEFAULT_SCENARIOS = ("no_new_policy", "action_plan")
DEFAULT_REPLICATES = 100
DEFAULT_SEED = 20180101
DEFAULT_OUT = "results/main"
# modules that come with an extra, and the extra to install when a command needs one that is missing
EXTRAS = {
    "SALib": "experiments",
    "ema_workbench": "experiments",
    "dask": "experiments",
    "distributed": "experiments",
    "optuna": "experiments",
}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # an argument may hold a line break or other control character: escape it, so the message stays one line
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


MAX_SEED = 2**63 - 1  # seeds are stored in 64-bit signed integer columns
MAX_REPLICATES = 1_000_000
MAX_WORKERS = 4096


def check_range(value: int | None, key: str, low: int, high: int) -> None:
    """Refuse an option outside ``[low, high]`` with one line naming it (``None``: left out, allowed).

    Every command checks its numbers this way before it prints or runs anything.
    """
    if value is not None and not low <= value <= high:
        raise UserInputError(f"must be from {low} to {high}, got {value}", key=key)


def _cmd_run(args: argparse.Namespace) -> int:
    from zgcsim.running import runs as runner
    from zgcsim.running.executors import default_workers
    from zgcsim.running.lock import folder_lock

    check_range(args.replicates, "--replicates", 1, MAX_REPLICATES)
    check_range(args.seed, "--seed", 0, MAX_SEED)
    check_range(args.workers, "--workers", 1, MAX_WORKERS)
    specs = args.scenarios or list(DEFAULT_SCENARIOS)
    scenarios = [runner.resolve_scenario(s) for s in specs]  # every file is validated before any run
    runner.unique_names(scenarios)
    calibration = None if args.no_calibration else (args.calibration or runner.AUTO)
    cal = runner.resolve_calibration(calibration)
    disc = runner.resolve_discrepancy(None if args.no_discrepancy else (args.discrepancy or runner.AUTO))
    with folder_lock(args.out):
        return _run_locked(args, scenarios, cal, disc, args.workers or default_workers())


def _run_locked(args: argparse.Namespace, scenarios: list, cal: Any, disc: Any, workers: int) -> int:
    from zgcsim.running import runs as runner
    from zgcsim.running.results_folder import build_manifest, prepare_output, run_timings, write_results

    out = Path(args.out)
    prepare_output(out, args.force)
    print(
        f"zgcsim: {len(scenarios)} scenario(s) x {args.replicates} replicates, seed {args.seed}, "
        f"{'scheduler ' + args.scheduler if args.scheduler else f'{workers} worker(s)'}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    table, inputs, parks = runner.run_many(
        scenarios,
        args.replicates,
        args.seed,
        workers=workers,
        scheduler=args.scheduler,
        progress=not args.quiet,
        calibration=cal,
        discrepancy=disc,
    )
    wall = time.perf_counter() - started
    runs = len(scenarios) * args.replicates
    manifest = build_manifest(
        scenarios,
        args.replicates,
        args.seed,
        run_timings(wall, runs),
        {
            "workers": workers,
            "scheduler": args.scheduler,
            "command": sys.argv,
            "calibration": cal.manifest_entry() if cal else "none: central values of the parameter table",
            "discrepancy": disc.manifest_entry() if disc else "none: value is the simulator's output",
        },
    )
    write_results(out, table, inputs, manifest, parks)
    print(f"zgcsim: {runs} runs in {wall:.1f} s; results in {out}", file=sys.stderr)
    if not args.quiet:
        _print_attainment(out)
    return 0


def _number(value: float) -> str:
    """A value in a few significant figures, readable in a terminal table."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if magnitude < 100 else f"{value:.0f}"


def _print_attainment(out: Path) -> None:
    """Print, per target and scenario, the 2022 median [5-95 % band], P, and the paired difference from the first."""
    import pandas as pd

    from zgcsim.running.results_folder import target_table

    table = target_table(
        pd.read_parquet(out / "indicators.parquet", columns=["scenario", "replicate", "year", "indicator", "value"])
    )
    reference = table["scenario"].iloc[0]
    print(
        "\n2022, per target: median [5-95 % of runs]; P = share of runs that meet the target; "
        f"change = paired difference from {reference} (median [5-95 %]; P with its 90 % interval)"
    )
    for indicator, rows in table.groupby("indicator", sort=False):
        print(f"\n{indicator}")
        for r in rows.itertuples():
            line = f"  {r.scenario:<24} {_number(r.p50):>9} [{_number(r.p05)} - {_number(r.p95)}]  P {r.p_attain:4.2f}"
            if r.scenario != reference:
                line += (
                    f"  change {_number(r.diff_p50)} [{_number(r.diff_p05)} - {_number(r.diff_p95)}]"
                    f"  P {r.diff_p:+.2f} [{r.diff_p_low:+.2f}, {r.diff_p_high:+.2f}]"
                )
            print(line)
    costs = pd.read_csv(out / "costs_summary.csv")
    print("\nfiscal_cost, five years 2018-2022, 亿元 relative to the 2017 rules: median [5-95 % of runs] (costs.csv)")
    for r in costs[costs["lever"] == "fiscal_cost"].itertuples():
        print(f"  {r.scenario:<24} {_number(r.p50):>9} [{_number(r.p05)} - {_number(r.p95)}]")


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from zgcsim.calibration.run import calibrate
    from zgcsim.running.executors import default_workers
    from zgcsim.running.lock import folder_lock

    check_range(args.budget, "--budget", 4, 10_000_000)
    check_range(args.replicates, "--replicates", 1, 1000)
    check_range(args.seed, "--seed", 0, MAX_SEED)
    check_range(args.workers, "--workers", 1, MAX_WORKERS)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", path=out, key="--out")
    with folder_lock(out):
        record = calibrate(
            out,
            budget=args.budget,
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers or default_workers(),
            small=args.small,
            progress=not args.quiet,
        )
    held = sum(f["holds"] for f in record["stylised_facts"])
    print(
        f"zgcsim: calibration {record['id']} written to {args.out}/calibration.json; best loss "
        f"{record['best']['loss']:.2f}; {len(record['ensemble'])} ensemble members; stylised facts held "
        f"{held}/{len(record['stylised_facts'])}; report in {args.out}/fit_report.md",
        file=sys.stderr,
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from zgcsim.inputs.scenario import load_scenario

    for path in args.files:
        sc = load_scenario(path)
        changed = sum(len(v) for v in sc.lever_changes.values())
        by_park = sum(len(v) for parks in sc.park_lever_changes.values() for v in parks.values())
        per_park = f", {by_park} dated park value(s)" if by_park else ""
        print(f"{path}: ok ({sc.name}: {changed} dated lever value(s){per_park}, {len(sc.events)} event(s))")
    return 0


def _cost_lines(lever_name: str) -> str:
    """The fiscal-cost lines of ``zgcsim levers``: the cost rule, and each unit cost with its range and source."""
    from zgcsim.inputs.parameters import BY_NAME as PARAMETERS
    from zgcsim.model.fiscal import COST_BY_LEVER

    item = COST_BY_LEVER.get(lever_name)
    if item is None:
        return "\n    Cost: none counted (no budget outlay or tax expenditure of its own)"
    lines = [f"\n    Cost ({item.kind.replace('_', ' ')}, 亿元 a year relative to the 2017 rules): {item.rule}"]
    for name in item.parameters:
        p = PARAMETERS[name]
        lines.append(
            f"\n      unit cost {name} = {p.value:g} {p.unit} [{p.low:g}, {p.high:g}], drawn per replicate; "
            f"source: {p.source}"
        )
    return "".join(lines)


def _cmd_levers(_args: argparse.Namespace) -> int:
    from zgcsim.inputs.levers import LEVERS, PARK_LEVERS, PARK_TOTAL_LEVERS
    from zgcsim.inputs.parks import PARKS

    for lever in LEVERS:
        tasks = ",".join(str(t) for t in lever.tasks)
        print(
            f"{lever.name:34s} {lever.name_zh}  [{lever.low:g}, {lever.high:g}] {lever.unit}"
            f"{' (whole numbers)' if lever.whole else ''}; 2017: {lever.setting_2017:g}; plan tasks {tasks}\n"
            f"    {lever.description}. Enters: {lever.mechanism}.\n    Source: {lever.reference}"
            f"{_cost_lines(lever.name)}"
        )
        if lever.name in PARK_LEVERS:
            share = (
                "the zone value is a total, shared out by the parks' 2017 firm shares; a park's value is its own"
                if lever.name in PARK_TOTAL_LEVERS
                else "a park without its own value takes the zone value"
            )
            print(f"    Per park: [levers.{lever.name}] default = {{ 2018-01-01 = ... }}, haidian = {{ ... }}; {share}")
    parks = ", ".join(f"{p.key} {p.name_zh}" for p in PARKS)
    print(
        "\nPer-park form (park levers only): next to 'values' (or its synonym 'default'), a park key with a dated "
        "table or a plain number (from 2018-01-01); an omitted park keeps its parent's setting; an unknown park "
        f"name is refused with the closest valid one.\nParks: {parks}"
    )
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from zgcsim.inputs.scenario import LIBRARY, resolve_scenario

    if not args.name:
        for path in sorted(LIBRARY.glob("*.toml")):
            sc = resolve_scenario(path)
            print(f"{sc.name:28s} {sc.title}\n    {sc.question}")
        return 0
    from zgcsim.inputs.levers import LEVERS

    sc = resolve_scenario(args.name)
    print(f"{sc.name}: {sc.title}\n  question: {sc.question}\n  files: {' <- '.join(sc.files)}")
    print("  levers (value from date; where it was set):")
    for lever in LEVERS:
        print(f"    {lever.name} [{lever.unit}]: {lever.setting_2017:g} (2017 setting, zgcsim/inputs/levers.py)")
        said = ("", "")
        for c in sc.lever_changes.get(lever.name, ()):
            print(f"      -> {c.value:g} from {c.start} ({c.source})")
            if (c.reason, c.reference) != said and (c.reason or c.reference):
                print(f"         why: {c.reason or '-'}; reference: {c.reference or '-'}")
                said = (c.reason, c.reference)
        for park, changes in sc.park_lever_changes.get(lever.name, {}).items():
            for c in changes:
                print(f"      {park}: -> {c.value:g} from {c.start} ({c.source})")
    for e in sc.events:
        scope = f" sectors {','.join(e.sectors)}" if e.sectors else " all sectors"
        size = f", {e.firms} largest firms" if e.kind == "export_control" else f" for {e.quarters} quarter(s)"
        print(f"  event {e.kind} from {e.start}{size}, magnitude {e.magnitude:g},{scope} ({e.source})")
        if e.reason:
            print(f"      {e.reason}")
    for name, (low, high) in sorted(sc.uncertain_ranges.items()):
        print(f"  uncertain {name} in [{low:g}, {high:g}] ({sc.uncertain_sources[name]})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = _Parser(prog="zgcsim", description="Agent-based simulation of Zhongguancun's 2018-2022 targets.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="run scenarios as a Monte Carlo experiment and write a results folder",
        description="Run scenarios (files or library names; default: no_new_policy and "
        "action_plan) with paired seeds and write a results folder.",
    )
    run.add_argument("scenarios", nargs="*", help="scenario TOML files or library names")
    run.add_argument("--replicates", type=int, default=DEFAULT_REPLICATES, help="runs per scenario (%(default)s)")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help="root seed (%(default)s)")
    run.add_argument("--out", default=DEFAULT_OUT, help="results folder (%(default)s)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    run.add_argument("--scheduler", default=None, help="address of a Dask scheduler, e.g. tcp://host:8786")
    run.add_argument("--force", action="store_true", help="replace an existing results folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    run.add_argument("--calibration", default=None, help="calibration file (default: calibration/calibration.json)")
    run.add_argument("--no-calibration", action="store_true", help="use the parameter table's central values")
    run.add_argument(
        "--discrepancy", default=None, help="model-discrepancy file (default: calibration/discrepancy.json, if any)"
    )
    run.add_argument(
        "--no-discrepancy", action="store_true", help="no model discrepancy: value is the simulator's own output"
    )
    run.set_defaults(func=_cmd_run)

    calibrate = sub.add_parser(
        "calibrate",
        help="fit the free parameters on 2013-2017 and write a calibration file",
        description="Fit the free behavioural parameters to the zone's record up to 2017 (2013 baseline, "
        "2014-2017 spin-up): differential evolution on the simulated-moments loss, then a posterior ensemble "
        "sampled with emcee (Gaussian-kernel ABC). "
        "Killed midway, it resumes from its checkpoint when run again with the same settings.",
    )
    calibrate.add_argument(
        "--budget", type=int, default=7200, help="model evaluations (%(default)s; the committed calibration used 2400)"
    )
    calibrate.add_argument("--replicates", type=int, default=3, help="spin-ups per evaluation (%(default)s)")
    calibrate.add_argument("--seed", type=int, default=2013, help="seed (%(default)s)")
    calibrate.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    calibrate.add_argument("--out", default="calibration", help="output folder (%(default)s)")
    calibrate.add_argument("--small", action="store_true", help="a small 2013 population (tests, CI)")
    calibrate.add_argument("--quiet", action="store_true", help="no progress bar")
    calibrate.set_defaults(func=_cmd_calibrate)

    validate = sub.add_parser("validate", help="check scenario files", description="Check scenario files.")
    validate.add_argument("files", nargs="+")
    validate.set_defaults(func=_cmd_validate)

    levers = sub.add_parser("levers", help="list the policy levers", description="List the policy levers.")
    levers.set_defaults(func=_cmd_levers)

    scenarios = sub.add_parser(
        "scenarios",
        help="list the scenario library or show one resolved",
        description="List the scenario library, or show one scenario fully resolved.",
    )
    scenarios.add_argument("name", nargs="?")
    scenarios.set_defaults(func=_cmd_scenarios)
    reporting_cli.register(sub)
    dashboard.register(sub)
    __import__("zgcsim.cli.experiments", fromlist=["register"]).register(sub)  # experiment, analyze
    __import__("zgcsim.cli.hindcast", fromlist=["register"]).register(sub)
    __import__("zgcsim.cli.optimise", fromlist=["register"]).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zgcsim`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UserInputError as err:
        print(f"zgcsim {args.command}: {err.one_line()}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        extra = EXTRAS.get((err.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"zgcsim {args.command}: needs {err.name}: pip install 'zgcsim[{extra}]'", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zgcsim: interrupted; no results folder was written", file=sys.stderr)
        return 130
