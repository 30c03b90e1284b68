"""Scenario table: 2022 attainment of all 16 targets for every library scenario, and each lever family's effect.

Every scenario in ``scenarios/`` runs with the same N paired replicates (replicate r uses the same seed in every
scenario). The script prints (1) the probability of meeting each 2022 target per scenario, with the Monte Carlo
standard error, and (2) for each lever-family scenario, the paired difference from its parent in the 2022
indicators the family is meant to move (mean, its standard error, and the share of pairs that moved the right
way). With ``--out DIR`` it also writes the tables as CSV and the full run as a results folder.

    python experiments/scenario_table.py                      # N = 100, every core
    python experiments/scenario_table.py -n 10 --firms 3000   # a quick check on a small population
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from zgcsim.inputs.scenario import LIBRARY, Scenario, resolve_scenario
from zgcsim.inputs.targets import load_targets
from zgcsim.running.executors import default_workers
from zgcsim.running.results_folder import attainment, build_manifest, prepare_output, write_results
from zgcsim.running.runs import run_many

N_REPLICATES = 100
SEED = 20180101
# the order planners read them in: baselines, the real path, the lever families, the stress cases
FIRST = ("no_new_policy", "action_plan", "as_happened")
# what each lever-family scenario is meant to move (plan annex indicators), and in which direction (+1 up, -1 down)
FAMILY_TARGETS: dict[str, dict[str, int]] = {
    "policy_tax": {"rd_intensity": 1, "invention_patents_per_10k": 1},
    "policy_tech_transfer": {"tech_transfer_offices": 1, "tech_contract_turnover": 1},
    "policy_capital_markets": {"listed_companies": 1},
    "policy_talent": {"foreign_returnee_talent": 1},
    "policy_platforms_incubators": {"open_innovation_platforms": 1},
    "policy_internationalisation": {"pct_applications": 1, "international_standards": 1},
    "policy_land": {"revenue_per_km2": 1},
    "policy_energy": {"energy_per_10k_va": -1},
}


def library_scenarios() -> list[Scenario]:
    """Every scenario in the library, baselines first, then the rest by name."""
    names = sorted(p.stem for p in LIBRARY.glob("*.toml"))
    ordered = [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]
    return [resolve_scenario(n) for n in ordered]


def parent_name(scenario: Scenario) -> str | None:
    """The name of the scenario's direct parent, or None for a root scenario."""
    return resolve_scenario(scenario.files[1]).name if len(scenario.files) > 1 else None


def attainment_table(table: pd.DataFrame) -> pd.DataFrame:
    """p_attain by indicator (rows, plan order) and scenario (columns), as 'p (se)' text and as numbers."""
    att = attainment(table)
    order = [t.key for t in load_targets()]
    wide = att.pivot(index="indicator", columns="scenario", values="p_attain").loc[order]
    return wide[list(dict.fromkeys(table["scenario"]))]


def family_effects(table: pd.DataFrame, scenarios: list[Scenario]) -> pd.DataFrame:
    """Paired 2022 difference of each lever-family scenario from its parent on the indicators it should move."""
    final = table[table["year"] == 2022].pivot_table(
        index=["scenario", "replicate"], columns="indicator", values="value"
    )
    att = attainment(table).set_index(["scenario", "indicator"])["p_attain"]
    rows = []
    for sc in scenarios:
        if sc.name not in FAMILY_TARGETS:
            continue
        parent = parent_name(sc)
        for indicator, sign in FAMILY_TARGETS[sc.name].items():
            diff = (final.loc[sc.name, indicator] - final.loc[parent, indicator]).to_numpy()
            base = final.loc[parent, indicator].to_numpy()
            rows.append(
                {
                    "scenario": sc.name,
                    "parent": parent,
                    "indicator": indicator,
                    "parent_mean": base.mean(),
                    "paired_diff_mean": diff.mean(),
                    "paired_diff_se": diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan,
                    "relative_change": diff.mean() / base.mean() if base.mean() else np.nan,
                    "share_right_way": float(np.mean(sign * diff > 0)),
                    "p_attain_parent": att[(parent, indicator)],
                    "p_attain_scenario": att[(sc.name, indicator)],
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Run the table and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--replicates", type=int, default=N_REPLICATES, help="paired runs per scenario")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: every core)")
    parser.add_argument("--firms", type=int, default=None, help="fix n_firms_2017 (a small population for checks)")
    parser.add_argument("--out", type=Path, default=None, help="also write CSVs and a results folder here")
    args = parser.parse_args(argv)

    scenarios = library_scenarios()
    if args.out is not None:
        prepare_output(args.out, force=False)
    workers = args.workers or default_workers()
    values = {"n_firms_2017": args.firms} if args.firms else None
    started = time.perf_counter()
    table, inputs = run_many(scenarios, args.replicates, args.seed, workers=workers, parameter_values=values)
    wall = time.perf_counter() - started

    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    wide = attainment_table(table)
    print(
        f"\n2022 attainment probability, {args.replicates} paired replicates per scenario, seed {args.seed}"
        f"{f', n_firms_2017 = {args.firms}' if args.firms else ''} ({wall:.0f} s):"
    )
    print(wide.T.to_string(float_format=lambda v: f"{v:4.2f}"))
    worst_se = np.sqrt(0.25 / args.replicates)
    print(f"(Monte Carlo standard error at most {worst_se:.3f}, at p = 0.5)")
    effects = family_effects(table, scenarios)
    print("\nPaired effect of each lever family on the indicators it is meant to move (2022, scenario - parent):")
    print(effects.to_string(index=False, float_format=lambda v: f"{v:.4g}"))

    if args.out is not None:
        manifest = build_manifest(
            scenarios, args.replicates, args.seed, {"wall": round(wall, 3)}, {"workers": workers, "command": sys.argv}
        )
        write_results(args.out, table, inputs, manifest)
        wide.to_csv(args.out / "scenario_table_attainment.csv")
        effects.to_csv(args.out / "scenario_table_family_effects.csv", index=False)
        print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
