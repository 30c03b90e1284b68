"""The files ``zgcsim optimise`` writes: pareto.csv, least_cost.csv, trials.csv, optimisation.json and points/.

Every point of the front becomes a scenario file (the format of ``inputs/scenario.py``) whose parent is the
search's base and whose levers hold the point's values over 2018-2022, so ``zgcsim run`` or the dashboard can
take it up and edit it. Each file says in its ``question`` and in every lever's ``reason`` that it came from
the search, from which base, trial and seed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from zgcsim.experiments.objectives import LIKELY
from zgcsim.experiments.search import SearchResult, SearchSpec
from zgcsim.inputs.levers import BY_NAME
from zgcsim.inputs.scenario import FIRST_DAY, LIBRARY, Scenario, load_scenario
from zgcsim.running import atomic

POINTS = "points"


def front_table(result: SearchResult, spec: SearchSpec) -> pd.DataFrame:
    """pareto.csv: ``point``, cost, targets likely, shortfall, their re-estimates, each target's P, the levers."""
    front = result.front
    if front.empty:
        return pd.DataFrame(columns=["point", "trial", "fiscal_cost", "targets_likely", "shortfall", *spec.levers])
    p_cols = [c for c in front.columns if c.startswith("p_") and not c.endswith("_recheck")]
    first = [
        "fiscal_cost",
        "targets_likely",
        "shortfall",
        "fiscal_cost_recheck",
        "targets_likely_recheck",
        "shortfall_recheck",
    ]
    table = front[["trial", *first, *p_cols, *[f"{c}_recheck" for c in p_cols], *spec.levers]].copy()
    table.insert(0, "point", [point_name(i) for i in range(len(table))])
    return table


def point_name(index: int) -> str:
    """The name of the front's ``index``-th point (cheapest first): ``point_01``, ``point_02``, ..."""
    return f"point_{index + 1:02d}"


def _toml_text(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _parent(base: Scenario, folder: Path) -> str:
    """How a file in ``folder`` names the base: its library name, or a path relative to ``folder``."""
    own = Path(base.files[0]).resolve() if base.files else None
    if own is None or own.parent == LIBRARY.resolve():
        return base.name
    return Path(os.path.relpath(own, folder.resolve())).as_posix()


def point_scenario(row: pd.Series, name: str, spec: SearchSpec, folder: Path) -> str:
    """The scenario file of one front point, as TOML text.

    Each searched lever gets the point's value from 2018-01-01 and again on every later date on which the base
    changes that lever, so the base's own later values cannot take over: the file resolves to the mix the
    search ran (``hold_levers``).
    """
    trial = int(row["trial"])
    origin = f"zgcsim optimise on top of {spec.base.name}, trial {trial}, seed {spec.seed}"
    zone = dict(spec.parameter_values).get("n_firms_2017")
    runs = f"{spec.replicates} replicates per mix" + (f" of a {zone:.0f}-firm zone" if zone else "")
    likely = int(row["targets_likely"])
    recheck = row.get("targets_likely_recheck")
    question = (
        f"Found by {origin} (NSGA-II over {len(spec.levers)} levers, {runs}): "
        f"a five-year fiscal cost of {row['fiscal_cost']:.1f} 亿元 with {likely} target(s) at P >= {LIKELY:g}"
        + (f" ({int(recheck)} on fresh replicates)" if recheck is not None and pd.notna(recheck) else "")
        + (f"; constraint: P({spec.target}) >= {LIKELY:g}" if spec.target else "")
        + ". Would this mix do as well in your own runs?"
    )
    title = f"Search point {name[-2:]}: {row['fiscal_cost']:.0f} 亿元, {likely} targets likely"
    lines = [
        f"# Written by {origin}.",
        f"name = {_toml_text(f'optimise_{name}')}",
        f"parent = {_toml_text(_parent(spec.base, folder))}",
        f"title = {_toml_text(title)}",
        f"question = {_toml_text(question)}",
    ]
    for lever_name in spec.levers:
        lever = BY_NAME[lever_name]
        value = float(row[lever_name])
        dates = sorted({FIRST_DAY, *(c.start for c in spec.base.lever_changes.get(lever_name, ()))})
        shown = str(int(value)) if lever.whole else repr(value)
        values = ", ".join(f"{d.isoformat()} = {shown}" for d in dates)
        lines += [
            "",
            f"[levers.{lever_name}]",
            f"values = {{ {values} }}",
            f"reason = {_toml_text(f'Set by the search ({origin}), held over 2018-2022')}",
            f"reference = {_toml_text('zgcsim optimise; pareto.csv ' + name)}",
        ]
    return "\n".join(lines) + "\n"


def write_outputs(out: Path, result: SearchResult, spec: SearchSpec, extra: dict[str, Any]) -> list[Path]:
    """Write pareto.csv, least_cost.csv, trials.csv, optimisation.json and points/; return the point files.

    Each file is written whole and moved into place; the points folder is built beside ``out/points`` and
    swapped in, and every point file is read back through the scenario loader before it is kept.
    """
    table = front_table(result, spec)
    atomic.write_text(out / "pareto.csv", table.to_csv(index=False))
    atomic.write_text(out / "trials.csv", result.trials.to_csv(index=False))
    atomic.write_text(out / "least_cost.csv", result.least_cost.to_csv(index=False))
    folder = out / POINTS
    written: list[Path] = []
    with atomic.staged_folder(folder) as staging:  # replaces the old points only once the new ones are complete
        for _, row in table.iterrows():
            path = staging / f"{row['point']}.toml"
            atomic.write_text(path, point_scenario(row, row["point"], spec, folder))
            load_scenario(path)  # a point that does not validate is a bug here, not a file for the user
            written.append(folder / path.name)
    summary = {
        "settings": result.settings,
        "budget": spec.budget,
        "front": len(table),
        "runs_this_session": result.runs,
        "runs_read_back": result.reused,
        "wall_seconds": round(result.wall_seconds, 1),
        "workers": result.workers,
        "executor": result.executor,
        **extra,
    }
    atomic.write_text(out / "optimisation.json", json.dumps(summary, indent=2, ensure_ascii=False))
    return written


def lever_columns(table: pd.DataFrame) -> Sequence[str]:
    """The lever columns of a pareto.csv or least_cost.csv table, in catalogue order."""
    return [name for name in BY_NAME if name in table.columns]
