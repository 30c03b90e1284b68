"""Analysing an experiment store: attainment, paired scenario differences, Sobol and Morris indices, discovery.

Science lives in pure functions of tables; ``analyze_store`` reads the store and writes the CSV files:

- ``attainment.csv``: per scenario and target, the share of runs meeting it in 2022 and its Monte Carlo
  standard error (runs pooled over the design points);
- ``summary.csv``: mean and 5-95 % bands of every indicator by scenario and year;
- ``differences.csv``: each scenario minus the reference scenario, run by run (the same replicate and design
  point share their random numbers), with 95 % intervals for the 2022 value and for attainment;
- ``sobol.csv`` / ``morris.csv``: SALib sensitivity indices of each target's 2022 value (Sobol / Morris designs);
- ``discovery.csv``: PRIM boxes (EMA Workbench) of the inputs and levers under which a target is likely.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zgcsim.errors import UserInputError
from zgcsim.experiments.designs import POINT, salib_problem
from zgcsim.experiments.spec import Variable
from zgcsim.experiments.store import (
    DIAGNOSTIC_COLUMNS,
    RUN_ID,
    read_design,
    read_indicators,
    read_manifest,
    read_runs,
    verify_store,
)
from zgcsim.inputs.targets import load_targets
from zgcsim.reporting import tables
from zgcsim.reporting.tables import CONFIDENCE, hits
from zgcsim.running import atomic
from zgcsim.running.results_folder import attainment, summarise

FINAL_YEAR = 2022
SOBOL_COLUMNS = ["scenario", "indicator", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
MORRIS_COLUMNS = ["scenario", "indicator", "parameter", "mu_star", "mu_star_conf", "sigma", "mu"]
DISCOVERY_COLUMNS = [
    "scenario",
    "indicator",
    "p_attain",
    "runs",
    "box_density",
    "box_coverage",
    "box_mass",
    "meets_threshold",
    "parameter",
    "low",
    "high",
    "range_low",
    "range_high",
    "qp",
]
QP_MAX = 0.05


DIFFERENCE_COLUMNS = [
    "scenario",
    "reference",
    "indicator",
    "pairs",
    "mean_difference",
    "difference_low",
    "difference_high",
    "p_attain",
    "p_attain_reference",
    "p_difference",
    "p_difference_low",
    "p_difference_high",
]


def paired_differences(final: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Each scenario minus ``reference`` on each target's 2022 value and attainment, paired by point and replicate.

    The columns of ``differences.csv``, from the project's one paired comparison (``tables.paired_differences``).
    """
    diffs = tables.paired_differences(final, reference, by=(POINT, "replicate"))
    if diffs.empty:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS)
    return diffs[diffs["indicator"].isin([t.key for t in load_targets()])][DIFFERENCE_COLUMNS].reset_index(drop=True)


def _point_means(final: pd.DataFrame, scenario: str, indicator: str, points: int) -> np.ndarray | None:
    """The 2022 value at each design point averaged over replicates, in point order; None if a point is missing."""
    sel = final[(final["scenario"] == scenario) & (final["indicator"] == indicator)]
    means = sel.groupby(POINT)["value"].mean().reindex(range(points))
    return None if means.isna().any() else means.to_numpy()


def sobol_indices(
    final: pd.DataFrame, variables: Sequence[Variable], points: int, second_order: bool = False, seed: int = 0
) -> pd.DataFrame:
    """First-order and total Sobol indices of each target's 2022 value per scenario (SALib ``sobol.analyze``)."""
    from SALib.analyze import sobol

    problem = salib_problem(variables)
    rows = []
    for scenario in final["scenario"].unique():
        for key in [t.key for t in load_targets()]:
            y = _point_means(final, scenario, key, points)
            if y is None:
                continue
            if np.ptp(y) == 0:  # a constant output has no variance to apportion
                s1 = st = s1c = stc = np.full(len(variables), np.nan)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = sobol.analyze(problem, y, calc_second_order=second_order, conf_level=CONFIDENCE, seed=seed)
                s1, s1c, st, stc = res["S1"], res["S1_conf"], res["ST"], res["ST_conf"]
            for i, v in enumerate(variables):
                rows.append(
                    {
                        "scenario": scenario,
                        "indicator": key,
                        "parameter": v.name,
                        "S1": float(s1[i]),
                        "S1_conf": float(s1c[i]),
                        "ST": float(st[i]),
                        "ST_conf": float(stc[i]),
                    }
                )
    return pd.DataFrame(rows, columns=SOBOL_COLUMNS)


def morris_indices(
    final: pd.DataFrame, design: pd.DataFrame, variables: Sequence[Variable], levels: int, seed: int = 0
) -> pd.DataFrame:
    """Morris elementary-effect statistics of each target's 2022 value per scenario (SALib ``morris.analyze``)."""
    from SALib.analyze import morris

    problem = salib_problem(variables)
    x = design.sort_values(POINT)[[v.name for v in variables]].to_numpy()
    rows = []
    for scenario in final["scenario"].unique():
        for key in [t.key for t in load_targets()]:
            y = _point_means(final, scenario, key, len(design))
            if y is None:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = morris.analyze(problem, x, y, conf_level=CONFIDENCE, num_levels=levels, seed=seed)
            for i, v in enumerate(variables):
                rows.append(
                    {
                        "scenario": scenario,
                        "indicator": key,
                        "parameter": v.name,
                        "mu_star": float(res["mu_star"][i]),
                        "mu_star_conf": float(res["mu_star_conf"][i]),
                        "sigma": float(res["sigma"][i]),
                        "mu": float(res["mu"][i]),
                    }
                )
    return pd.DataFrame(rows, columns=MORRIS_COLUMNS)


def _prim_module() -> Any:
    with warnings.catch_warnings():
        # ema_workbench warns at import about optional parallel back-ends it does not need here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def _quasi_p_values(box: Any) -> dict[str, float]:
    """The quasi-p-value of each restriction of the selected PRIM box (the smaller of its two sides)."""
    _, limits = box.inspect(box._cur_box, style="data")[0]
    values = limits.iloc[:, 2:].to_numpy(dtype=float)
    return {
        name: float(np.nanmin(row)) for name, row in zip(limits.index, values, strict=True) if np.isfinite(row).any()
    }


def _prune_insignificant(box: Any) -> dict[str, float]:
    """Drop restrictions whose quasi-p-value exceeds ``QP_MAX``, one at a time, least significant first.

    PRIM trims a thin slice of any input that raises the density a little, including inputs with no effect;
    the quasi-p-value tests whether a restriction could arise by chance (Bryant and Lempert 2010, section 3.3).
    Returns the quasi-p-values of the restrictions kept.
    """
    while True:
        qp = _quasi_p_values(box)
        weakest = max(qp, key=qp.get, default=None)
        if weakest is None or qp[weakest] <= QP_MAX:
            return qp
        box.drop_restriction(weakest)


def discover(
    final: pd.DataFrame, runs: pd.DataFrame, inputs: Sequence[str], threshold: float = 0.8, min_cases: int = 10
) -> pd.DataFrame:
    """Scenario discovery: for each scenario and target, the PRIM box of inputs and levers where it is likely.

    PRIM (Friedman and Fisher 1999, as implemented in the EMA Workbench) peels the space of the varied inputs
    down to a box whose share of runs meeting the target (density) reaches ``threshold``; of the boxes on the
    peeling trajectory that reach it we keep the one covering most of the runs that meet the target, then drop
    restrictions that are not significant (quasi-p-value above 0.05). Targets met in fewer than ``min_cases``
    runs (or missed in fewer) are skipped: there is nothing to discover.
    """
    prim = _prim_module()
    rows: list[dict[str, Any]] = []
    for scenario in final["scenario"].unique():
        sc_runs = runs[runs["scenario"] == scenario].set_index(["point", "replicate"])
        varied = [c for c in inputs if c in sc_runs.columns and sc_runs[c].nunique() > 1]
        for target in load_targets():
            sel = final[(final["scenario"] == scenario) & (final["indicator"] == target.key)]
            sel = sel.set_index(["point", "replicate"])["value"]
            x = sc_runs.loc[sel.index, varied].reset_index(drop=True)
            y = hits(sel.to_numpy(), target)
            base = {"scenario": scenario, "indicator": target.key, "p_attain": float(y.mean()), "runs": len(y)}
            if not varied or y.sum() < min_cases or (~y).sum() < min_cases:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                finder = prim.Prim(x, y, threshold=threshold)
                box = finder.find_box()
            trajectory = box.peeling_trajectory
            reaching = trajectory[trajectory["density"] >= threshold]
            chosen = int(reaching["coverage"].idxmax() if len(reaching) else trajectory["density"].idxmax())
            box.select(chosen)
            qp = _prune_insignificant(box)
            limits, full = box.box_lim, box.box_lims[0]
            row = {
                **base,
                "box_density": float(box.density),
                "box_coverage": float(box.coverage),
                "box_mass": float(box.mass),
                "meets_threshold": bool(box.density >= threshold),
            }
            restricted = [c for c in varied if limits.at[0, c] > full.at[0, c] or limits.at[1, c] < full.at[1, c]]
            for name in restricted or [""]:
                rows.append(
                    {
                        **row,
                        "parameter": name,
                        "low": float(limits.at[0, name]) if name else float("nan"),
                        "high": float(limits.at[1, name]) if name else float("nan"),
                        "range_low": float(full.at[0, name]) if name else float("nan"),
                        "range_high": float(full.at[1, name]) if name else float("nan"),
                        "qp": qp.get(name, float("nan")),
                    }
                )
    return pd.DataFrame(rows, columns=DISCOVERY_COLUMNS)


def _variables(manifest: dict[str, Any]) -> list[Variable]:
    return [Variable(**v) for v in manifest["design"]["variables"]]


def analyze_store(root: str | Path, reference: str | None = None, log: Any = sys.stderr) -> dict[str, Path]:
    """Compute every analysis the store's design allows and write the CSV files into the store folder.

    Returns the files written. Sobol and Morris indices need every design point; on an unfinished store they
    are skipped with a message (resume the experiment first).
    """
    root = Path(root)
    manifest = read_manifest(root)
    damaged = verify_store(root)
    if damaged:
        more = f" (and {len(damaged) - 1} more chunk(s))" if len(damaged) > 1 else ""
        raise UserInputError(
            f"{damaged[0].line()}{more}: the store fails verification; rerun the experiment command to re-run "
            "the damaged chunk's runs, then analyze again",
            path=root,
        )
    design = read_design(root)
    runs_all = read_runs(root)
    runs = runs_all[runs_all["status"] == "ok"].drop_duplicates(RUN_ID)
    if runs.empty:
        raise UserInputError("holds no finished runs yet", path=root)
    complete = len(runs) == manifest["runs"]
    if not complete:
        print(f"note: {len(runs)} of {manifest['runs']} runs are finished; analysing those", file=log)
    keys = [t.key for t in load_targets()]
    final = read_indicators(root, years=[FINAL_YEAR], indicators=keys)
    written: dict[str, Path] = {}

    table = attainment(final)
    atomic.write_csv(root / "attainment.csv", table)
    written["attainment"] = root / "attainment.csv"

    bands = [summarise(read_indicators(root, scenarios=[s])) for s in final["scenario"].unique()]
    atomic.write_csv(root / "summary.csv", pd.concat(bands, ignore_index=True))
    written["summary"] = root / "summary.csv"

    scenarios = list(final["scenario"].unique())
    reference = reference or manifest.get("analysis", {}).get("reference")
    if reference is None:
        reference = "no_new_policy" if "no_new_policy" in scenarios else scenarios[0]
    if reference not in scenarios:
        raise UserInputError(
            f"'{reference}' is not a scenario of this store ({', '.join(scenarios)})", key="--reference"
        )
    if len(scenarios) > 1:
        atomic.write_csv(root / "differences.csv", paired_differences(final, reference))
        written["differences"] = root / "differences.csv"

    variables = _variables(manifest)
    kind = manifest["design"]["kind"]
    seed = int(manifest["design"]["design_seed"])
    if kind in ("sobol", "morris") and not complete:
        print(f"note: {kind} indices need every run; skipped until the experiment is resumed", file=log)
    elif kind == "sobol":
        second = bool(manifest["design"].get("second_order", False))
        atomic.write_csv(root / "sobol.csv", sobol_indices(final, variables, len(design), second, seed))
        written["sobol"] = root / "sobol.csv"
    elif kind == "morris":
        levels = int(manifest["design"].get("levels", 4))
        atomic.write_csv(root / "morris.csv", morris_indices(final, design, variables, levels, seed))
        written["morris"] = root / "morris.csv"

    inputs = [c for c in runs.columns if c not in (*RUN_ID, "seed", "status", *DIAGNOSTIC_COLUMNS)]
    threshold = float(manifest.get("analysis", {}).get("prim_threshold", 0.8))
    if kind in ("sobol", "morris"):
        # their points are structured (shared coordinates), not a random sample: PRIM's densities and its
        # significance tests assume one, so discovery is run on Monte Carlo and Latin-hypercube stores only
        print(f"note: scenario discovery needs a random sample; skipped for a {kind} design", file=log)
    else:
        atomic.write_csv(root / "discovery.csv", discover(final, runs, inputs, threshold))
        written["discovery"] = root / "discovery.csv"
    return written
