"""``zgcsim optimise``: search the lever space for the cheapest mixes that make the plan's targets likely.

The optimiser is Optuna's NSGA-II (``optuna.samplers.NSGAIISampler``), driven through its ask-and-tell
interface one generation at a time: it asks a generation of lever mixes, every mix runs the same replicates
(common random numbers: the same replicate seeds, hence the same draws of every uncertain input, the
policy-effect multipliers included, and the same calibration member), and the scores are told back in trial
order. Each mix holds its levers over 2018-2022 on top of the base scenario (``hold_levers``).

Resuming. Runs stream into an experiment store (``experiments/store.py``) under ``DIR/store``. The sampler is
seeded, and a generation is told only once all its runs are in, in trial order, so the sequence of asks is a
pure function of the seed and the scores. A resumed search replays that sequence: it asks again, finds the
asked mix's runs in the store (and checks the mix is the one stored), reads them back instead of running them,
and carries on where the killed session stopped. The front therefore comes out the same, killed or not.

Winner's curse. Points picked as the best of many noisy estimates look better than they are. Every point of
the front, and every target's least-cost mix, is run again on fresh replicates (seed-tree indices R to 2R-1,
never used by the search) and reported next to the in-search estimate.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from zgcsim.errors import UserInputError
from zgcsim.experiments.objectives import LIKELY, Evaluation, Objective
from zgcsim.experiments.runner import UNCERTAIN_INPUTS, RunTask, run_task
from zgcsim.experiments.store import (
    INDICATOR_COLUMNS,
    RUN_ID,
    WORKER_COLUMNS,
    ResultStore,
    code_version,
    read_indicators,
    read_runs,
)
from zgcsim.inputs.levers import BY_NAME, Lever
from zgcsim.inputs.scenario import Scenario
from zgcsim.running.executors import Workers
from zgcsim.running.runs import run_loop

SEARCH, RECHECK = "search", "recheck"  # the store's scenario labels of the search's runs and of the re-runs
STEPS = 100  # a continuous lever is searched on a grid of about this many steps between its bounds
STORE = "store"


def lever_step(lever: Lever) -> float:
    """The grid step of a lever: 1 for whole levers, else a round number giving 100-200 steps over its range."""
    if lever.whole:
        return 1.0
    return 10.0 ** math.floor(math.log10((lever.high - lever.low) / STEPS))


def on_grid(lever: Lever, value: float) -> float:
    """``value`` rounded to the lever's grid and kept within its bounds (so it validates in a scenario file)."""
    step = lever_step(lever)
    snapped = lever.low + round((value - lever.low) / step) * step
    return float(min(max(round(snapped, 9), lever.low), lever.high))


@dataclass(frozen=True)
class SearchSpec:
    """Everything that decides a search's trials and numbers (the budget aside: a longer search extends one).

    Attributes:
        base: the scenario the mixes are set on top of.
        levers: the levers searched, catalogue names.
        budget: trials in all.
        replicates: runs per trial (the same replicates for every trial).
        seed: root seed of the runs and seed of the sampler.
        population: NSGA-II population (trials per generation).
        target: with a target key, the search asks that target's P >= 0.8 (a constraint).
        parameter_values: parameter values every run uses (``n_firms_2017`` for a smaller population).
        calibration_path: the calibration file the runs sample their parameter set from (None: central values).
        calibration_sha256: its SHA-256 (``none`` without one).
        discrepancy_path: the model-discrepancy file (None: none).
        discrepancy_sha256: its SHA-256 (``none`` without one).
    """

    base: Scenario
    levers: tuple[str, ...]
    budget: int
    replicates: int
    seed: int
    population: int
    target: str | None = None
    parameter_values: tuple[tuple[str, float], ...] = ()
    calibration_path: str | None = None
    calibration_sha256: str = "none"
    discrepancy_path: str | None = None
    discrepancy_sha256: str = "none"

    def settings(self, objective: Objective) -> dict[str, Any]:
        """The settings that identify the search in its store (the budget is left out)."""
        return {
            "base": self.base.name,
            "base_sha256": self.base.fingerprint() if self.base.files else "",
            "levers": list(self.levers),
            "replicates": self.replicates,
            "seed": self.seed,
            "population": self.population,
            "target": self.target,
            "parameter_values": dict(self.parameter_values),
            "objective": objective.name,
            "calibration_sha256": self.calibration_sha256,
            "discrepancy_sha256": self.discrepancy_sha256,
            "sampler": "optuna NSGAIISampler",
        }

    def config_hash(self, objective: Objective) -> str:
        """SHA-256 of ``settings``."""
        text = json.dumps(self.settings(objective), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class SearchResult:
    """What a search found.

    Attributes:
        trials: one row per trial: ``trial``, ``fiscal_cost``, ``targets_likely``, ``shortfall``, ``score``,
            ``constraint``, ``p_<target>`` and the lever values.
        front: the non-dominated trials (see ``pareto_front``), with the re-estimates on fresh replicates.
        least_cost: per target, the cheapest trial that made it likely, with its re-estimate.
        runs: runs made in this session; ``reused``: runs read back from the store.
        wall_seconds: this session's wall time.
    """

    trials: pd.DataFrame
    front: pd.DataFrame
    least_cost: pd.DataFrame
    runs: int = 0
    reused: int = 0
    wall_seconds: float = 0.0
    workers: int = 1
    executor: str = "in-process"
    settings: dict[str, Any] = field(default_factory=dict)


def _distributions(levers: Sequence[str]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    out: dict[str, Any] = {}
    for name in levers:
        lever = BY_NAME[name]
        if lever.whole:
            out[name] = IntDistribution(int(lever.low), int(lever.high))
        else:
            out[name] = FloatDistribution(lever.low, lever.high, step=lever_step(lever))
    return out


def make_study(spec: SearchSpec) -> Any:
    """An in-memory Optuna study with a seeded NSGA-II sampler: minimise cost, maximise the score."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=spec.population, seed=spec.seed % 2**32)
    return optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)


def pareto_front(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials no other trial dominates on fiscal cost (down) and targets likely (up), shortfall breaking ties.

    The second criterion is lexicographic: more targets likely is better, and between mixes that make the same
    number likely, a smaller expected shortfall is better. So a costlier mix stays on the front only if it makes
    more targets likely, or as many with a smaller shortfall. Trial ``a`` dominates ``b`` when it is no worse on
    both and better on one; of identical scores the earliest trial is kept. Sorted by cost.
    """

    def rank(row: Any) -> tuple[int, float]:
        return (int(row.targets_likely), -float(row.shortfall))

    keep = []
    rows = list(trials.itertuples(index=False))
    for b in rows:
        dominated = False
        for a in rows:
            if a.trial == b.trial:
                continue
            no_worse = a.fiscal_cost <= b.fiscal_cost and rank(a) >= rank(b)
            better = a.fiscal_cost < b.fiscal_cost or rank(a) > rank(b)
            if no_worse and (better or a.trial < b.trial):
                dominated = True
                break
        if not dominated:
            keep.append(b.trial)
    front = trials[trials["trial"].isin(keep)]
    return front.sort_values(["fiscal_cost", "targets_likely", "trial"], ignore_index=True)


def least_cost_per_target(trials: pd.DataFrame, targets: Sequence[str]) -> pd.DataFrame:
    """Per target, the cheapest trial with P >= 0.8 (a target no trial made likely gets no row)."""
    rows = []
    for key in targets:
        likely = trials[trials[f"p_{key}"] >= LIKELY]
        if likely.empty:
            continue
        best = likely.sort_values(["fiscal_cost", "shortfall", "trial"]).iloc[0]
        rows.append({"target": key, **best.to_dict()})
    return pd.DataFrame(rows)


class _Session:
    """One session of a search: the store, the executor, the progress bar and the runs read back."""

    def __init__(
        self,
        spec: SearchSpec,
        objective: Objective,
        out: Path,
        workers: Workers,
        progress: bool,
        chunk_runs: int,
        on_chunk: Callable[[str], None] | None,
    ) -> None:
        self.spec, self.objective, self.workers = spec, objective, workers
        self.on_chunk = on_chunk
        self.chunk_runs = chunk_runs
        identity = {
            "experiment": f"optimise {spec.base.name}",
            "config_hash": spec.config_hash(objective),
            "code_version": code_version(),
        }
        manifest = {"optimise": spec.settings(objective), "kind": "optimise"}
        design = pd.DataFrame(columns=["point", *spec.levers])
        text = json.dumps(spec.settings(objective), indent=2, ensure_ascii=False)
        self.store = ResultStore.open(out / STORE, identity, manifest, design, text)
        self.tables: dict[tuple[str, int], dict[int, pd.DataFrame]] = {}
        self.stored_levers: dict[int, dict[str, float]] = {}
        self._read_back()
        self.reused = sum(len(v) for v in self.tables.values())
        self.runs = 0
        self.buffer: list[dict[str, Any]] = []
        total = spec.budget * spec.replicates
        self.bar = tqdm(
            total=total,
            initial=min(self.reused, total),
            desc="optimise",
            unit="run",
            disable=not progress,
            dynamic_ncols=True,
        )

    def _read_back(self) -> None:
        """Load the finished runs of earlier sessions, so they are read, not run again."""
        runs = read_runs(self.store.root)
        if runs.empty:
            return
        ok = runs[runs["status"] == "ok"]
        for row in ok[ok["scenario"] == SEARCH].itertuples(index=False):
            self.stored_levers[int(row.point)] = {name: float(getattr(row, name)) for name in self.spec.levers}
        table = read_indicators(self.store.root)
        for (scenario, point, replicate), rows in table.groupby(["scenario", "point", "replicate"], sort=False):
            self.tables.setdefault((str(scenario), int(point)), {})[int(replicate)] = rows

    def run(self, label: str, mixes: Mapping[int, dict[str, float]], replicates: range) -> None:
        """Run every (mix, replicate) not yet in the store and keep its rows."""
        spec = self.spec
        scenario = replace(spec.base, name=label)
        tasks = [
            RunTask(
                scenario,
                point,
                r,
                spec.seed,
                tuple(sorted(levers.items())),
                spec.parameter_values,
                seed_index=r,
                calibration_path=spec.calibration_path,
                discrepancy_path=spec.discrepancy_path,
            )
            for point, levers in mixes.items()
            for r in replicates
            if r not in self.tables.get((label, point), {})
        ]
        if not tasks:
            return
        expected = code_version()
        try:
            for _task, result in run_loop(run_task, tasks, self.workers):
                if result["status"] != "ok":
                    raise RuntimeError(
                        f"run {label} trial {result['point']} replicate {result['replicate']} failed: {result['error']}"
                    )
                for what, have, want in (
                    ("code version", result["code_version"], expected),
                    ("calibration", result["calibration_sha256"], spec.calibration_sha256),
                    ("discrepancy", result["discrepancy_sha256"], spec.discrepancy_sha256),
                ):
                    if have != want:
                        raise UserInputError(
                            f"worker {result['worker']} uses another {what} ({str(have)[:12]}, here {str(want)[:12]})",
                            key="--scheduler",
                        )
                table = result["table"].assign(point=result["point"])
                self.tables.setdefault((label, result["point"]), {})[result["replicate"]] = table
                self.buffer.append({**result, "table": table, "levers": mixes[result["point"]]})
                self.runs += 1
                self.bar.update()
                if len(self.buffer) >= self.chunk_runs:
                    self.flush()
        finally:
            self.flush()  # keep every finished run, also when interrupted

    def flush(self) -> None:
        """Write the buffered runs to the store as one chunk."""
        if not self.buffer:
            return
        indicators = pd.concat([r["table"][INDICATOR_COLUMNS] for r in self.buffer], ignore_index=True)
        records = pd.DataFrame(
            [
                {
                    **{k: r[k] for k in (*RUN_ID, "seed", "status", "error", *WORKER_COLUMNS)},
                    # the uncertain inputs the run drew: the same for every trial of a replicate (common numbers)
                    **{name: float(r["used"].get(name, float("nan"))) for name in UNCERTAIN_INPUTS},
                    **{name: float(r["levers"].get(name, float("nan"))) for name in self.spec.levers},
                }
                for r in self.buffer
            ]
        )
        parks = [r["parks"].assign(point=r["point"]) for r in self.buffer if r.get("parks") is not None]
        parks_table = pd.concat(parks, ignore_index=True) if parks else pd.DataFrame()
        name = self.store.write_chunk(indicators, records, parks_table)
        self.buffer.clear()
        if self.on_chunk is not None:
            self.on_chunk(name)

    def evaluate(self, label: str, point: int, levers: Mapping[str, float], replicates: range) -> Evaluation:
        """Score a mix from its runs (in memory, whether run now or read back), then let its rows go.

        The rows are in the store; only one generation's rows are held at a time, so memory stays flat.
        """
        found = self.tables.pop((label, point))
        table = pd.concat([found[r] for r in replicates], ignore_index=True)
        return self.objective.evaluate(table, levers)


def _row(trial: int, levers: Mapping[str, float], e: Evaluation) -> dict[str, Any]:
    return {
        "trial": trial,
        "fiscal_cost": e.cost,
        "targets_likely": e.targets_likely,
        "shortfall": e.shortfall,
        "score": e.score,
        "constraint": e.constraint,
        **{f"p_{key}": value for key, value in e.p.items()},
        **levers,
    }


def run_search(
    spec: SearchSpec,
    objective: Objective,
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = True,
    chunk_runs: int = 50,
    on_chunk: Callable[[str], None] | None = None,
) -> SearchResult:
    """Run (or resume) a search into ``out/store`` and return its trials, front and per-target least-cost mixes.

    Args:
        spec: what to search (see ``SearchSpec``).
        objective: scores a trial from its runs (see ``objectives.Objective``).
        out: the output folder; its ``store`` subfolder holds the runs, and a search with the same settings
            resumes from it.
        workers: local worker processes (1: in this process); ignored with ``scheduler``.
        scheduler: address of a Dask scheduler to run on.
        progress: show a progress bar.
        chunk_runs: finished runs per chunk written to the store.
        on_chunk: called with each chunk's file name after it is written (tests).
    """
    started = time.perf_counter()
    out = Path(out)
    study = make_study(spec)
    distributions = _distributions(spec.levers)
    search_reps = range(spec.replicates)
    with Workers(workers, scheduler) as pool:
        session = _Session(spec, objective, out, pool, progress, chunk_runs, on_chunk)
        rows = []
        try:
            while len(rows) < spec.budget:
                batch = [study.ask(distributions) for _ in range(min(spec.population, spec.budget - len(rows)))]
                mixes = {}
                for trial in batch:
                    levers = {name: on_grid(BY_NAME[name], value) for name, value in trial.params.items()}
                    stored = session.stored_levers.get(trial.number)
                    if stored is not None and any(abs(stored[k] - levers[k]) > 1e-9 for k in levers):
                        raise UserInputError(
                            f"trial {trial.number} in the store set other lever values than the search asks now; "
                            "the store belongs to another search: choose another --out",
                            path=out,
                            key="--out",
                        )
                    mixes[trial.number] = levers
                session.run(SEARCH, mixes, search_reps)
                for trial in batch:  # told in trial order, so the next generation is the same in every session
                    e = session.evaluate(SEARCH, trial.number, mixes[trial.number], search_reps)
                    if spec.target:  # NSGA-II prefers feasible mixes (constraint <= 0), then the less infeasible
                        trial.set_constraint(spec.target, e.constraint)
                    study.tell(trial, [e.cost, e.score])
                    rows.append(_row(trial.number, mixes[trial.number], e))
            trials = pd.DataFrame(rows)
            feasible = trials[trials["constraint"] <= 0] if spec.target else trials
            front = pareto_front(feasible)
            targets = [c.removeprefix("p_") for c in trials.columns if c.startswith("p_")]
            least = least_cost_per_target(trials, targets)
            front, least = _recheck(session, spec, trials, front, least)
        finally:
            session.bar.close()
    return SearchResult(
        trials=trials,
        front=front,
        least_cost=least,
        runs=session.runs,
        reused=session.reused,
        wall_seconds=time.perf_counter() - started,
        workers=pool.workers,
        executor=pool.name,
        settings=spec.settings(objective),
    )


def _recheck(
    session: _Session, spec: SearchSpec, trials: pd.DataFrame, front: pd.DataFrame, least: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the front's and the least-cost mixes again on fresh replicates and add the re-estimates."""
    fresh = range(spec.replicates, 2 * spec.replicates)
    picked = sorted({*front["trial"].astype(int), *(least["trial"].astype(int) if len(least) else [])})
    by_trial = trials.set_index("trial")
    mixes = {t: {name: float(by_trial.at[t, name]) for name in spec.levers} for t in picked}
    session.bar.total += len(picked) * spec.replicates
    session.bar.refresh()
    session.run(RECHECK, mixes, fresh)
    again = {t: session.evaluate(RECHECK, t, mixes[t], fresh) for t in picked}

    def add(table: pd.DataFrame) -> pd.DataFrame:
        if table.empty:
            return table
        table = table.copy()
        table["fiscal_cost_recheck"] = [again[int(t)].cost for t in table["trial"]]
        table["targets_likely_recheck"] = [again[int(t)].targets_likely for t in table["trial"]]
        table["shortfall_recheck"] = [again[int(t)].shortfall for t in table["trial"]]
        for key in next(iter(again.values())).p:
            table[f"p_{key}_recheck"] = [again[int(t)].p[key] for t in table["trial"]]
        return table

    return add(front), add(least)
