"""What the dashboard can show: the scenario library and the scenarios held in results folders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zgcsim.errors import UserInputError
from zgcsim.inputs.scenario import LIBRARY
from zgcsim.running.results_folder import attainment, summarise


@dataclass(frozen=True)
class ResultSet:
    """The results of one scenario from one ensemble: its summary bands, attainment and (if kept) every run.

    ``key`` is unique in the page; ``parent_key`` links a scenario edited in the page to its parent's run with
    the same seeds, for paired comparison.
    """

    key: str
    scenario: str
    origin: str  # the results folder, or "page run N"
    summary: pd.DataFrame  # scenario, indicator, year, mean, p05, p25, p50, p75, p95
    attainment: pd.DataFrame  # scenario, indicator, threshold, direction, ..., p_attain, mc_se, p50_2022
    runs: pd.DataFrame | None  # tidy rows (scenario, replicate, seed, year, indicator, value), if available
    replicates: int
    seed: int | None
    quick: bool = False
    parent_key: str | None = None
    folder: str | None = None  # the results folder on disk (a page run's too), where parks.parquet lies if any


def library_names() -> list[str]:
    """Names of the scenarios in the library folder, sorted."""
    return sorted(p.stem for p in LIBRARY.glob("*.toml"))


def load_results_folder(folder: str | Path, label: str | None = None) -> list[ResultSet]:
    """Read a results folder written by ``zgcsim run`` into one ResultSet per scenario.

    Uses ``summary.csv`` and ``attainment.csv`` when present, and otherwise computes them from
    ``indicators.parquet`` with ``zgcsim.running.results_folder``. Raises UserInputError naming the folder if it
    is not one.
    ``label`` names the folder in the page (default: the folder's own name).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UserInputError("not a folder", path=folder)
    runs_file = folder / "indicators.parquet"
    runs = pd.read_parquet(runs_file) if runs_file.exists() else None
    summary_file, attainment_file = folder / "summary.csv", folder / "attainment.csv"
    if summary_file.exists() and attainment_file.exists():
        summary, attain = pd.read_csv(summary_file), pd.read_csv(attainment_file)
    elif runs is not None:
        summary, attain = summarise(runs), attainment(runs)
    else:
        raise UserInputError(
            "not a zgcsim results folder (needs indicators.parquet, or summary.csv and attainment.csv)", path=folder
        )
    manifest_file = folder / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else {}
    seed = manifest.get("root_seed")
    quick = bool(manifest.get("parameter_values"))  # a reduced population is recorded in the manifest
    sets = []
    for name in attain["scenario"].drop_duplicates():
        rows = attain[attain["scenario"] == name]
        sets.append(
            ResultSet(
                key=f"{name} @ {label or folder.name}",
                scenario=str(name),
                origin=str(folder),
                folder=str(folder),
                summary=summary[summary["scenario"] == name].reset_index(drop=True),
                attainment=rows.reset_index(drop=True),
                runs=None if runs is None else runs[runs["scenario"] == name].reset_index(drop=True),
                replicates=int(rows["replicates"].max())
                if "replicates" in rows
                else int(manifest.get("replicates", 0)),
                seed=None if seed is None else int(seed),
                quick=quick,
            )
        )
    return sets
