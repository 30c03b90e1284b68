"""The results folder: manifest, tidy indicators, summary bands and target-attainment probabilities.

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


def write_results(out: Path, table: pd.DataFrame, inputs: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Write the results folder atomically: build it beside ``out``, then move it into place."""
    with atomic.staged_folder(out) as staging:
        table.to_parquet(staging / "indicators.parquet", index=False)
        inputs.to_parquet(staging / "uncertain_inputs.parquet", index=False)
        summarise(table).to_csv(staging / "summary.csv", index=False)
        attainment(table).to_csv(staging / "attainment.csv", index=False)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
