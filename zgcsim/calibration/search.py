"""Search the free parameters: a global optimiser (method of simulated moments), then an ABC ensemble.

Stage 1 minimises the MSM loss with SciPy's differential evolution (seeded, so its proposals replay
exactly). Stage 2 is approximate Bayesian computation by rejection: parameter sets drawn from the priors
(a Latin hypercube) are kept when their loss is among the best ``accept_share``; the kept sets, with
equal weights, are the ensemble that projections sample. Every evaluation is appended to a checkpoint file
keyed by its parameter values, so a calibration killed midway and started again with the same settings
replays the finished evaluations from the file and continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import differential_evolution
from scipy.stats import qmc

from zgcsim.calibration.moments import Moment
from zgcsim.calibration.spinup import loss, simulate
from zgcsim.parameters import BY_NAME

# The free parameters fitted on 2013-2017, each searched over its stated range (parameters.toml).
CALIBRATED = (
    "demand_growth",
    "startup_entry_rate",
    "exit_hazard_scale",
    "employment_elasticity",
    "returnee_hire_share",
    "grant_rate",
    "patent_lapse_rate",
    "patent_elasticity_within",
    "patent_propensity_trend",
    "vc_investment_2013",  # a start-year input of the spin-up only: narrowed by the 2015 observation
)


@dataclass(frozen=True)
class Settings:
    """What defines a calibration run; a checkpoint is only reused under the same settings."""

    seed: int
    replicates: int
    optimiser_evaluations: int
    abc_draws: int
    accept_share: float
    extra: tuple[tuple[str, float], ...] = ()  # fixed values, e.g. a small population

    def fingerprint(self, moments: Sequence[Moment]) -> str:
        """Hash of the settings, the calibrated parameters' ranges and the moments."""
        payload = json.dumps(
            [
                self.__dict__,
                CALIBRATED,
                [(BY_NAME[n].low, BY_NAME[n].high) for n in CALIBRATED],
                [m.__dict__ for m in moments],
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _key(x: Sequence[float]) -> str:
    return ",".join(f"{v:.12g}" for v in x)


def _evaluate(task: tuple[tuple[float, ...], list[Moment], int, int, dict[str, float]]) -> tuple[float, list[float]]:
    x, moments, seed, replicates, extra = task
    values = dict(zip(CALIBRATED, x, strict=True))
    sims = simulate(values, moments, seed, replicates, extra)
    return loss(sims, moments), sims.mean(axis=0).tolist()


class Checkpoint:
    """Append-only record of evaluated parameter points (JSON lines), readable after a kill."""

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.done: dict[str, tuple[float, list[float]]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a kill
                if row.get("fingerprint") == fingerprint:
                    self.done[row["x"]] = (row["loss"], row["moments"])

    def add(self, x: Sequence[float], result: tuple[float, list[float]]) -> None:
        """Record one finished evaluation (flushed immediately)."""
        self.done[_key(x)] = result
        row = {"fingerprint": self.fingerprint, "x": _key(x), "loss": result[0], "moments": result[1]}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()


class Evaluator:
    """Evaluates batches of parameter points through a process pool, skipping checkpointed ones."""

    def __init__(
        self,
        moments: list[Moment],
        settings: Settings,
        checkpoint: Checkpoint,
        workers: int,
        progress: Callable[[int], None],
    ) -> None:
        self.moments, self.settings, self.checkpoint = moments, settings, checkpoint
        self.progress = progress
        self.pool = (
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) if workers > 1 else None
        )

    def __call__(self, points: np.ndarray) -> list[float]:
        """Loss of each row of ``points`` (a batch)."""
        points = np.atleast_2d(points)
        todo = [tuple(float(v) for v in x) for x in points if _key(x) not in self.checkpoint.done]
        tasks = [
            (x, self.moments, self.settings.seed, self.settings.replicates, dict(self.settings.extra)) for x in todo
        ]
        results = self.pool.map(_evaluate, tasks) if self.pool else map(_evaluate, tasks)
        for x, result in zip(todo, results, strict=True):
            self.checkpoint.add(x, result)
            self.progress(1)
        return [self.checkpoint.done[_key(x)][0] for x in points]

    def close(self) -> None:
        """Shut the pool down."""
        if self.pool:
            self.pool.shutdown()


def bounds() -> list[tuple[float, float]]:
    """Search ranges of the calibrated parameters (their stated ranges)."""
    return [(BY_NAME[n].low, BY_NAME[n].high) for n in CALIBRATED]


def optimise(evaluate: Evaluator, settings: Settings) -> np.ndarray:
    """Differential evolution over the ranges within the evaluation budget; return the best point."""
    dims = len(CALIBRATED)
    popsize = max(2, settings.optimiser_evaluations // (dims * 4))  # about three generations plus the first
    maxiter = max(1, settings.optimiser_evaluations // (popsize * dims) - 1)
    result = differential_evolution(
        lambda x: evaluate(x[None, :])[0] if x.ndim == 1 else evaluate(x.T),
        bounds(),
        popsize=popsize,
        maxiter=maxiter,
        seed=settings.seed,
        polish=False,
        init="sobol",
        updating="deferred",
        vectorized=True,
        tol=0.0,
    )
    return np.asarray(result.x)


def abc_draws(settings: Settings) -> np.ndarray:
    """The prior draws of the ABC stage: a Latin hypercube over the ranges (seeded; uniform priors)."""
    sampler = qmc.LatinHypercube(d=len(CALIBRATED), seed=settings.seed + 1)
    unit = sampler.random(settings.abc_draws)
    low, high = np.array(bounds()).T
    return qmc.scale(unit, low, high)
