"""Search the free parameters: a global optimiser (method of simulated moments), then a posterior ensemble.

Stage 1 minimises the MSM loss with SciPy's differential evolution (seeded, so its proposals replay exactly).
Stage 2 samples the parameters in proportion to prior x exp(-loss / 2) with emcee's affine-invariant ensemble
sampler (Foreman-Mackey et al. 2013). The loss is a sum of squared log gaps in tolerance units, so this is
approximate Bayesian computation with a Gaussian acceptance kernel whose width is each moment's stated
tolerance; Wilkinson (2013, Stat. Appl. Genet. Mol. Biol. 12(2)) shows that such ABC is exact inference under
a Gaussian model error of that size, and it is the quasi-posterior of Chernozhukov & Hong (2003, J.
Econometrics 115) for a method-of-moments criterion. The priors are uniform over the stated ranges. The walkers
start at the optimiser's best distinct points and move by emcee's stretch move (``MOVES``). Tried against a mixture
of differential-evolution moves (ter Braak 2006; snooker, ter Braak & Vrugt 2008; DEMove 0.6, DESnookerMove 0.2,
stretch 0.2) on the small test calibration (budget 3200, 54 steps, seeds 5 and 6), the stretch move accepted more
(0.083 and 0.084 against 0.063 and 0.044) and left more distinct positions in the chain's second half (106 and
112 of 1188 against 86 and 81), though the mixture gave about twice the effective sample size on a smooth
21-dimensional normal target: the calibration loss is not smooth (likely from firm-level events under common
random numbers), which no choice of move repairs. The
integrated autocorrelation time tau is estimated per parameter (Goodman & Weare 2010, as emcee computes it), but
never below the time the rejection rate alone implies ((2 - a) / a at acceptance a: emcee's estimate is low on
short chains whose walkers stay put); the first 2.5 x tau steps (at most half the chain) are discarded as
burn-in, the rest is thinned by tau / 2, and the effective sample size is walkers x kept steps / tau.
The kept positions, with equal weights, are the ensemble that projections sample.
Every evaluation is appended to a checkpoint file keyed by its parameter values, and both stages are
seeded, so a calibration killed midway and started again with the same settings replays the finished
evaluations from the file and continues where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import differential_evolution

from zgcsim.calibration.moments import Moment
from zgcsim.calibration.spinup import loss, simulate
from zgcsim.inputs.parameters import BY_NAME
from zgcsim.running.executors import Workers

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
    "standards_stock_elasticity",
    "delisting_rate",
    "notch_window",
    "va_tfp_share",
    # start-year inputs of the spin-up: the 2013 levels the data do not give, narrowed by the 2014-2017 path;
    # projections start from their own 2017 inputs, so these matter only for the spin-up
    "vc_investment_2013",
    "patents_held_2013",
    "invention_applications_2013",
    "invention_grants_2013",
    "pct_2013",
    "standards_2013",
    "tech_contracts_2013",
    "talent_2013",
)


@dataclass(frozen=True)
class Settings:
    """What defines a calibration run; a checkpoint is only reused under the same settings."""

    seed: int
    replicates: int
    optimiser_evaluations: int
    sampler_steps: int  # steps of every walker of the posterior sampler
    extra: tuple[tuple[str, float], ...] = ()  # fixed values, e.g. a small population

    def fingerprint(self, moments: Sequence[Moment]) -> str:
        """Hash of the settings, the calibrated parameters' ranges, the moments and the model's code version.

        The code version (``experiments.store.code_version``: the model, its inputs and data) keeps a checkpoint
        written by an older model from being replayed as if the current model had produced it.
        """
        from zgcsim.experiments.store import code_version

        payload = json.dumps(
            [
                code_version(),
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
            text = path.read_text(encoding="utf-8")
            if text and not text.endswith("\n"):  # a line cut short by a kill: end it, so the next row starts anew
                self._append("\n")
            for line in text.splitlines():
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
        self._append(json.dumps(row) + "\n")

    def _append(self, text: str) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(text)
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
        self.requested: list[tuple[float, ...]] = []  # every point asked for, in order (replays identically)
        self.pool = Workers(workers)

    def __call__(self, points: np.ndarray) -> list[float]:
        """Loss of each row of ``points`` (a batch)."""
        points = np.atleast_2d(points)
        self.requested.extend(tuple(float(v) for v in x) for x in points)
        todo = [tuple(float(v) for v in x) for x in points if _key(x) not in self.checkpoint.done]
        tasks = [
            (x, self.moments, self.settings.seed, self.settings.replicates, dict(self.settings.extra)) for x in todo
        ]
        results = self.pool.map(_evaluate, tasks)
        for x, result in zip(todo, results, strict=True):
            self.checkpoint.add(x, result)
            self.progress(1)
        return [self.checkpoint.done[_key(x)][0] for x in points]

    def close(self) -> None:
        """Shut the pool down."""
        self.pool.close()


def bounds() -> list[tuple[float, float]]:
    """Search ranges of the calibrated parameters (their stated ranges)."""
    return [(BY_NAME[n].low, BY_NAME[n].high) for n in CALIBRATED]


def _sobol_members(popsize: int) -> int:
    """Members of differential evolution's first generation: a Sobol design rounds up to a power of two."""
    return 2 ** int(np.ceil(np.log2(popsize * len(CALIBRATED))))


def optimiser_plan(settings: Settings) -> tuple[int, int]:
    """Differential evolution's (population multiplier, iterations) for the optimiser's share of the budget.

    The population is the largest that leaves about eight generations (at least two members per parameter).
    """
    popsize = 2
    while _sobol_members(popsize * 2) * 8 <= settings.optimiser_evaluations:
        popsize *= 2
    maxiter = max(1, settings.optimiser_evaluations // _sobol_members(popsize) - 1)
    return popsize, maxiter


def planned_evaluations(settings: Settings) -> int:
    """Model evaluations the calibration makes at most (the optimiser's, then the sampler's)."""
    popsize, maxiter = optimiser_plan(settings)
    return _sobol_members(popsize) * (maxiter + 1) + walkers() * settings.sampler_steps


def optimise(evaluate: Evaluator, settings: Settings) -> np.ndarray:
    """Differential evolution over the ranges within the evaluation budget; return the best point."""
    popsize, maxiter = optimiser_plan(settings)
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


MOVES = (("StretchMove", 1.0),)  # emcee move classes and their weights (module docstring: why not DE moves)


def walkers() -> int:
    """Walkers of the posterior sampler: twice the number of parameters (emcee needs more than that many)."""
    return 2 * len(CALIBRATED) + 2


@dataclass
class Posterior:
    """The posterior sample and the sampler's diagnostics.

    The sample is every walker's position after burn-in, thinned (equal weights; a rejected move repeats a
    position).
    """

    particles: np.ndarray  # sample x parameter
    losses: np.ndarray
    acceptance: float  # mean acceptance fraction of the walkers
    autocorrelation: float  # the longest integrated autocorrelation time estimate, in steps (nan if unknown)
    taus: np.ndarray = field(default_factory=lambda: np.array([]))  # per parameter, in steps (nan if unknown)
    burn_in: int = 0  # steps discarded
    thin: int = 1  # every thin-th step kept
    steps: int = 0  # steps of every walker
    emcee_taus: np.ndarray = field(default_factory=lambda: np.array([]))  # emcee's own estimate, before the floor

    @property
    def weights(self) -> np.ndarray:
        """Equal weights: MCMC draws are an unweighted sample."""
        return np.full(len(self.particles), 1.0 / len(self.particles))

    def effective_sample_size(self, walkers_count: int) -> np.ndarray:
        """Per parameter: walkers x post-burn-in steps / tau (nan where tau is unknown)."""
        return walkers_count * (self.steps - self.burn_in) / self.taus if len(self.taus) else np.array([])


def starting_walkers(evaluated: Sequence[tuple[float, ...]], losses: Sequence[float]) -> np.ndarray:
    """The best distinct points of the optimiser, one per walker (the sampler starts in the well-fitting region)."""
    order = np.argsort(np.asarray(losses), kind="stable")
    chosen: list[tuple[float, ...]] = []
    for i in order:
        if evaluated[i] not in chosen:
            chosen.append(evaluated[i])
        if len(chosen) == walkers():
            break
    return np.array(chosen)


def sample_posterior(evaluate: Callable, start: np.ndarray, settings: Settings) -> Posterior:
    """Sample prior x exp(-loss / 2) from walkers at ``start`` for ``settings.sampler_steps`` steps.

    A proposal outside the prior ranges has zero prior density and is rejected without an evaluation. Burn-in
    and thinning follow the autocorrelation time (``burn_and_thin``; module docstring).
    """
    import emcee  # imported here: only calibration needs it

    low, high = np.array(bounds()).T

    def log_posterior(points: np.ndarray) -> np.ndarray:
        inside = np.all((points >= low) & (points <= high), axis=1)
        out = np.full(len(points), -np.inf)
        if inside.any():
            out[inside] = -0.5 * np.asarray(evaluate(points[inside]), dtype=float)
        return out

    moves = [(getattr(emcee.moves, name)(), weight) for name, weight in MOVES]
    sampler = emcee.EnsembleSampler(len(start), start.shape[1], log_posterior, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(settings.seed + 2).get_state()
    sampler.run_mcmc(start, settings.sampler_steps, progress=False)
    steps = settings.sampler_steps
    logging.disable(logging.WARNING)  # emcee logs that the chain is short for its estimate; the report says so
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # a parameter that never moved has no estimate
            taus = (
                np.atleast_1d(sampler.get_autocorr_time(quiet=True)) if steps >= 4 else np.full(start.shape[1], np.nan)
            )
    finally:
        logging.disable(logging.NOTSET)
    acceptance = float(np.mean(sampler.acceptance_fraction))
    estimated = np.where(np.isfinite(taus) & (taus > 0), taus, np.nan)
    floor = rejection_floor(acceptance)
    # emcee's estimate is low on a short chain whose walkers often stay put; use the floor where it is larger
    taus = np.where(np.isfinite(estimated), np.maximum(estimated, floor), np.nan)
    longest = float(np.nanmax(taus)) if np.isfinite(taus).any() else float("nan")
    burn, thin = burn_and_thin(longest, steps)
    chain = sampler.get_chain(discard=burn, thin=thin, flat=True)
    losses = -2.0 * sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    return Posterior(chain, losses, acceptance, longest, taus, burn, thin, steps, estimated)


def rejection_floor(acceptance: float) -> float:
    """Autocorrelation time implied by rejections alone: (2 - a) / a for acceptance fraction a.

    A walker repeats its position with probability 1 - a, so its lag-one autocorrelation is at least about 1 - a,
    and a chain with that lag-one autocorrelation decaying geometrically has tau = (1 + rho) / (1 - rho).
    """
    return (2.0 - acceptance) / acceptance if acceptance > 0 else float("inf")


def burn_and_thin(tau: float, steps: int) -> tuple[int, int]:
    """Burn-in of 2.5 x tau steps (at most half the chain; half when tau is unknown) and thinning by tau / 2."""
    if not np.isfinite(tau):
        return steps // 2, 1
    burn = min(steps // 2, int(np.ceil(2.5 * tau)))
    thin = max(1, min(int(tau // 2), (steps - burn) // 2 or 1))
    return burn, thin
