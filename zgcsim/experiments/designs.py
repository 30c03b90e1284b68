"""Sampling designs: the design points of an experiment, drawn reproducibly from a seed derived from the root seed.

Plain Monte Carlo draws uniformly with NumPy; Latin hypercubes come from ``scipy.stats.qmc``; Sobol (Saltelli)
and Morris designs come from SALib, so the analysis can hand the same point order back to SALib.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from zgcsim.experiments.spec import DesignSpec, Variable

POINT = "point"


def design_seed(root_seed: int) -> int:
    """Return the design's seed: derived from the root seed but independent of every replicate seed.

    Replicate seeds are ``SeedSequence(root_seed, spawn_key=(r,))``; the design uses a different entropy pool
    (the root seed together with a fixed tag), so its draws never coincide with a replicate's streams.
    """
    tag = zlib.crc32(b"zgcsim design")
    return int(np.random.SeedSequence([int(root_seed), tag]).generate_state(1, dtype=np.uint32)[0])


def salib_problem(variables: Sequence[Variable]) -> dict:
    """The SALib problem dictionary of the design variables, in the design's column order."""
    return {
        "num_vars": len(variables),
        "names": [v.name for v in variables],
        "bounds": [[v.low, v.high] for v in variables],
    }


def _scale(unit: np.ndarray, variables: Sequence[Variable]) -> np.ndarray:
    low = np.array([v.low for v in variables])
    high = np.array([v.high for v in variables])
    return low + unit * (high - low)


def build_design(spec: DesignSpec, variables: Sequence[Variable], root_seed: int) -> pd.DataFrame:
    """Return the design points: a ``point`` column (0, 1, ...) and one column per variable.

    Without variables there is one point (the scenario as written) and no variable columns.
    """
    if not variables:
        return pd.DataFrame({POINT: [0]})
    seed = design_seed(root_seed)
    n = int(spec.n or 1)
    if spec.kind == "montecarlo":
        values = _scale(np.random.default_rng(seed).random((n, len(variables))), variables)
    elif spec.kind == "lhs":
        from scipy.stats import qmc

        values = _scale(qmc.LatinHypercube(d=len(variables), rng=np.random.default_rng(seed)).random(n), variables)
    elif spec.kind == "sobol":
        from SALib.sample import sobol

        values = sobol.sample(salib_problem(variables), n, calc_second_order=spec.second_order, seed=seed)
    elif spec.kind == "morris":
        from SALib.sample import morris

        values = morris.sample(salib_problem(variables), n, num_levels=spec.levels, seed=seed)
    else:  # pragma: no cover - the spec's Literal forbids it
        raise ValueError(spec.kind)
    table = pd.DataFrame(values, columns=[v.name for v in variables])
    for v in variables:
        if v.whole:  # counts and switches (e.g. funded offices, a new exchange) take whole values only
            table[v.name] = table[v.name].round()
    table.insert(0, POINT, np.arange(len(table)))
    return table
