"""The results folder: manifest, tidy indicators, summary bands, target-attainment probabilities and costs.

The folder is written to a temporary sibling and renamed into place only when complete, so a failed or
interrupted run never leaves a half-written results folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zgcsim import __version__
from zgcsim.errors import UserInputError
from zgcsim.inputs.scenario import Scenario
from zgcsim.inputs.targets import load_targets
from zgcsim.running import atomic
from zgcsim.running.costs import cost_summary, cost_table
from zgcsim.running.variance import decompose

QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95}


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and quantile bands of every indicator by scenario and year, across replicates."""
    grouped = table.groupby(["scenario", "indicator", "year"], sort=False)["value"]
    out = grouped.mean().rename("mean").to_frame()
    for name, q in QUANTILES.items():
        out[name] = grouped.quantile(q)
    return out.reset_index()


def attainment(table: pd.DataFrame) -> pd.DataFrame:
    """Share of replicates meeting each 2022 target, with its Monte Carlo standard error and the 2022 median."""
    final = table[table["year"] == 2022]
    rows = []
    for scenario in final["scenario"].unique():
        for t in load_targets():
            values = final.loc[(final["scenario"] == scenario) & (final["indicator"] == t.key), "value"].to_numpy()
            hits = np.array([t.attained(v) for v in values], dtype=float)
            p = float(hits.mean()) if len(hits) else float("nan")
            rows.append(
                {
                    "scenario": scenario,
                    "indicator": t.key,
                    "threshold": t.threshold,
                    "direction": t.direction,
                    "strict": t.strict,
                    "p_attain": p,
                    "mc_se": float(np.sqrt(p * (1 - p) / max(len(hits), 1))),
                    "p50_2022": float(np.median(values)) if len(values) else float("nan"),
                    "replicates": len(values),
                }
            )
    return pd.DataFrame(rows)


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = out.stdout.strip() or "unknown"
    return commit + ("+dirty" if dirty.stdout.strip() else "")


def _versions() -> dict[str, str]:
    found = {"zgcsim": __version__, "python": platform.python_version()}
    for package in ("mesa", "numpy", "pandas", "pyarrow", "scipy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_timings(wall: float, runs: int) -> dict[str, float]:
    """The manifest's timings of an ensemble: wall-clock seconds in all and per run."""
    return {"wall": round(wall, 3), "per_run": round(wall / runs, 4)}


def build_manifest(
    scenarios: list[Scenario],
    replicates: int,
    seed: int,
    timings: dict[str, float],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce and audit a results folder."""
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "versions": _versions(),
        "git_commit": _git_commit(),
        "scenarios": [
            {"name": sc.name, "title": sc.title, "files": [{"path": f, "sha256": _sha256(f)} for f in sc.files]}
            for sc in scenarios
        ],
        "root_seed": seed,
        "replicates": replicates,
        "replicate_seeds": "numpy SeedSequence(entropy=root_seed, spawn_key=(replicate,)); the 'seed' column "
        "holds a 63-bit digest of it; every scenario uses the same replicate seeds",
        "years": [2017, 2022],
        "attainment_rules": {
            t.key: {"threshold": t.threshold, "direction": t.direction, "strict": t.strict, "note": t.note}
            for t in load_targets()
        },
        "timings_seconds": timings,
        **(extra or {}),
    }


def prepare_output(out: Path, force: bool) -> None:
    """Refuse to overwrite an existing non-empty folder unless forced (checked before any run starts)."""
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", path=out, key="--out")
    if out.exists() and any(out.iterdir()) and not force:
        raise UserInputError("already holds results; choose another --out or pass --force", path=out, key="--out")
    if out.exists():
        atomic.check_replaceable(out)  # the results replace the folder: never the one the user works in


def write_results(
    out: Path, table: pd.DataFrame, inputs: pd.DataFrame, manifest: dict[str, Any], parks: pd.DataFrame
) -> None:
    """Write the results folder atomically: build it beside ``out``, then move it into place.

    ``parks`` is the tidy parks table of ``run_many`` (parks.parquet: every park every year).
    """
    with atomic.staged_folder(out) as staging:
        table.to_parquet(staging / "indicators.parquet", index=False)
        parks.to_parquet(staging / "parks.parquet", index=False)
        inputs.to_parquet(staging / "uncertain_inputs.parquet", index=False)
        summarise(table).to_csv(staging / "summary.csv", index=False)
        attainment(table).to_csv(staging / "attainment.csv", index=False)
        decompose(table, inputs).to_csv(staging / "variance.csv", index=False)
        cost_table(table).to_csv(staging / "costs.csv", index=False)
        cost_summary(table).to_csv(staging / "costs_summary.csv", index=False)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def target_table(table: pd.DataFrame, year: int = 2022) -> pd.DataFrame:
    """Per target and scenario: the median with its 5-95 % band, P, and the paired difference from the first scenario.

    The difference is taken replicate by replicate (runs are paired), so it is the policy's effect, not chance's:
    ``diff_p50`` with its 5-95 % band ``diff_p05``-``diff_p95`` across replicates, and the change in P with a 90 %
    interval (± 1.645 standard errors of the mean paired difference in hits).
    """
    final = table[table["year"] == year]
    scenarios = list(final["scenario"].unique())
    rows = []
    for t in load_targets():
        wide = final[final["indicator"] == t.key].pivot(index="replicate", columns="scenario", values="value")
        if wide.empty:
            continue
        hits = wide.apply(lambda col, t=t: col.map(lambda v: float(t.attained(v))))
        for scenario in scenarios:
            values = wide[scenario]
            row = {
                "indicator": t.key,
                "scenario": scenario,
                "p05": values.quantile(0.05),
                "p50": values.median(),
                "p95": values.quantile(0.95),
                "p_attain": hits[scenario].mean(),
            }
            if scenario != scenarios[0]:
                diff, hit_diff = values - wide[scenarios[0]], hits[scenario] - hits[scenarios[0]]
                half = 1.645 * hit_diff.std(ddof=1) / np.sqrt(len(hit_diff)) if len(hit_diff) > 1 else float("nan")
                row |= {
                    "diff_p05": diff.quantile(0.05),
                    "diff_p50": diff.median(),
                    "diff_p95": diff.quantile(0.95),
                    "diff_p": hit_diff.mean(),
                    "diff_p_low": hit_diff.mean() - half,
                    "diff_p_high": hit_diff.mean() + half,
                }
            rows.append(row)
    return pd.DataFrame(rows)
