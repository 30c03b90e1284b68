"""Running an experiment: every (design point, replicate, scenario) once, on a local process pool or a Dask cluster.

Each run is a pure function of (scenario, root seed, replicate, design point), so the store comes out the same
whatever the executor, the worker count or the order in which runs finish. Results stream into the store in
chunks; a rerun of the same experiment skips the runs already there.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from zgcsim.errors import UserInputError
from zgcsim.experiments.designs import POINT, build_design, design_seed
from zgcsim.experiments.spec import Experiment, hold_levers
from zgcsim.experiments.store import RUN_ID, WORKER_COLUMNS, ResultStore, code_version
from zgcsim.inputs import parameters
from zgcsim.inputs.scenario import Scenario
from zgcsim.inputs.seeds import replicate_seed_number
from zgcsim.running.executors import Workers
from zgcsim.running.memory import release_run_memory
from zgcsim.running.runs import run_loop, run_replicate

UNCERTAIN_INPUTS = tuple(p.name for p in parameters.PARAMETERS if p.kind == "uncertain")


@dataclass(frozen=True)
class RunTask:
    """One run: a scenario at one design point and one replicate."""

    scenario: Scenario
    point: int
    replicate: int
    root_seed: int
    lever_values: tuple[tuple[str, float], ...] = ()
    parameter_values: tuple[tuple[str, float], ...] = ()
    seed_index: int | None = None  # the seed tree's replicate index; None: the replicate itself (paired)
    calibration_path: str | None = None
    discrepancy_path: str | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        """The run's identity in the store: (scenario, point, replicate)."""
        return (self.scenario.name, self.point, self.replicate)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux and bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _rss_mb() -> float:
    """The worker's resident memory now (Linux; NaN elsewhere): unlike the peak, it shows a leak or its absence."""
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_task(task: RunTask) -> dict[str, Any]:
    """Execute one run in whichever process receives it; never raises, so one bad run cannot stop the others.

    Returns the tidy indicator rows, the inputs the run used (drawn uncertain inputs, overridden by design or
    constant values, and the design's lever values), timing, the worker's peak memory and its code version.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    parameter_values = dict(task.parameter_values)
    lever_values = dict(task.lever_values)
    seed_index = task.replicate if task.seed_index is None else task.seed_index
    try:
        table, drawn, parks = run_replicate(
            hold_levers(task.scenario, lever_values),
            task.root_seed,
            seed_index,
            parameter_values,
            discrepancy=task.discrepancy_path,
        )
        table["replicate"] = task.replicate
        parks["replicate"] = task.replicate
        status, error = "ok", ""
        used = {**drawn, **parameter_values, **lever_values}
    except Exception as err:  # a failing run is recorded, and retried by the next session
        table, parks, status, error, used = None, None, "failed", f"{type(err).__name__}: {err}", {}
    release_run_memory()  # before the memory is measured, so worker_rss_mb shows what the worker keeps
    return {
        "scenario": task.scenario.name,
        "point": task.point,
        "replicate": task.replicate,
        "seed": replicate_seed_number(task.root_seed, seed_index),
        "status": status,
        "error": error,
        "table": table,
        "parks": parks,
        "used": used,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "worker": f"{platform.node()}:{os.getpid()}",
        "worker_peak_rss_mb": _peak_rss_mb(),
        "worker_rss_mb": _rss_mb(),
        "code_version": code_version(),
        "calibration_sha256": _calibration_sha(task.calibration_path),
        "discrepancy_sha256": _discrepancy_sha(task.discrepancy_path),
    }


def _calibration_sha(path: str | None) -> str:
    """The SHA-256 of the calibration this worker used, so the runner can refuse a worker with another file."""
    if path is None:
        return "none"
    from zgcsim.inputs.calibration_file import load_calibration

    return load_calibration(path).sha256


def _discrepancy_sha(path: str | None) -> str:
    """The SHA-256 of the discrepancy file this worker used (``none`` without one)."""
    if path is None:
        return "none"
    from zgcsim.inputs.discrepancy_file import load_discrepancy

    return load_discrepancy(path).sha256


def plan_tasks(experiment: Experiment, design: pd.DataFrame) -> list[RunTask]:
    """Every run of the experiment, ordered point, replicate, scenario (an interrupted run stays paired)."""
    constants = tuple(sorted(experiment.spec.design.constants.items()))
    levers = [v.name for v in experiment.lever_variables]
    inputs = [v.name for v in experiment.parameter_variables]
    replicates = experiment.spec.replicates
    independent = experiment.spec.design.seeds == "independent"
    tasks = []
    for row in design.itertuples(index=False):
        values = row._asdict()
        point = int(values[POINT])
        lever_values = tuple((name, float(values[name])) for name in levers)
        parameter_values = (*constants, *((name, float(values[name])) for name in inputs))
        for replicate in range(replicates):
            seed_index = point * replicates + replicate if independent else None
            for scenario in experiment.scenarios:
                tasks.append(
                    RunTask(
                        scenario,
                        point,
                        replicate,
                        experiment.spec.seed,
                        lever_values,
                        parameter_values,
                        seed_index=seed_index,
                        calibration_path=experiment.calibration_path,
                        discrepancy_path=experiment.discrepancy_path,
                    )
                )
    return tasks


@dataclass
class RunSummary:
    """What one session of an experiment did."""

    runs: int = 0
    failures: int = 0
    skipped: int = 0
    total: int = 0
    wall_seconds: float = 0.0
    workers: int = 1
    executor: str = "in-process"
    interrupted: bool = False
    failed_runs: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # damaged chunks found on reopening, deleted and re-run

    def line(self, out: Path) -> str:
        """The closing line: runs, failures, wall time, time per run and workers."""
        per_run = self.wall_seconds / self.runs if self.runs else 0.0
        return (
            f"{self.runs} runs ({self.failures} failed, {self.skipped} already in the store) in "
            f"{self.wall_seconds:.1f} s wall, {per_run:.3f} s per run, {self.workers} worker(s) ({self.executor}); "
            f"store: {out}"
        )


def _chunk_tables(
    results: list[dict[str, Any]], experiment: Experiment, design: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The indicator rows, run records and park rows of a chunk (indicator rows with the design point's values)."""
    variables = [v.name for v in experiment.variables]
    by_point = design.set_index(POINT)
    frames, park_frames = [], []
    for result in results:
        if result["status"] != "ok":
            continue
        table = result["table"].copy()
        table[POINT] = result["point"]
        for name in variables:
            table[name] = float(by_point.at[result["point"], name])
        frames.append(table)
        park_frames.append(result["parks"].assign(**{POINT: result["point"]}))
    indicators = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    parks = pd.concat(park_frames, ignore_index=True) if park_frames else pd.DataFrame()
    input_columns = list(dict.fromkeys([*UNCERTAIN_INPUTS, *variables]))
    runs = pd.DataFrame(
        [
            {
                **{k: result[k] for k in (*RUN_ID, "seed", "status", "error", *WORKER_COLUMNS)},
                **{name: float(result["used"].get(name, float("nan"))) for name in input_columns},
            }
            for result in results
        ]
    )
    return indicators, runs, parks


def open_store(experiment: Experiment, out: str | Path, force: bool = False) -> tuple[ResultStore, pd.DataFrame]:
    """Create the experiment's store at ``out`` or reopen it to resume; refuse a folder of another experiment.

    Returns the store and the design points.
    """
    out = Path(out)
    design = build_design(experiment.spec.design, experiment.variables, experiment.spec.seed)
    identity = {
        "experiment": experiment.spec.name,
        "config_hash": experiment.config_hash(),
        "code_version": code_version(),
    }
    from zgcsim.running.results_folder import build_manifest

    manifest = build_manifest(
        list(experiment.scenarios),
        experiment.spec.replicates,
        experiment.spec.seed,
        {},
        {
            "experiment_file": experiment.path,
            "calibration": {"path": experiment.calibration_path, "sha256": experiment.calibration_sha256},
            "discrepancy": {"path": experiment.discrepancy_path, "sha256": experiment.discrepancy_sha256},
            "design": {
                "kind": experiment.spec.design.kind,
                "points": len(design),
                "variables": [v.__dict__ for v in experiment.variables],
                "constants": experiment.spec.design.constants,
                "design_seed": design_seed(experiment.spec.seed),
                "levels": experiment.spec.design.levels,
                "second_order": experiment.spec.design.second_order,
                "seeds": experiment.spec.design.seeds,
            },
            "runs": len(design) * experiment.spec.replicates * len(experiment.scenarios),
            "analysis": experiment.spec.analysis.model_dump(),
        },
    )
    manifest.pop("timings_seconds", None)
    text = Path(experiment.path).read_text(encoding="utf-8") if Path(experiment.path).is_file() else ""
    return ResultStore.open(out, identity, manifest, design, text, force=force), design


def run_experiment(
    experiment: Experiment,
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_runs: int = 50,
    chunk_seconds: float = 30.0,
    force: bool = False,
    progress: bool = True,
    on_chunk: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run (or resume) an experiment into the store at ``out``.

    Args:
        experiment: the validated experiment.
        out: the store folder; an existing store of the same experiment, configuration and code is resumed.
        workers: local worker processes (1 runs in this process); ignored with ``scheduler``.
        scheduler: address of a Dask distributed scheduler to run on instead of the local pool.
        chunk_runs: finished runs per chunk written to the store.
        chunk_seconds: also write a chunk when this long has passed since the last one.
        force: discard an existing folder made by another configuration instead of refusing it.
        progress: show a progress bar with ETA.
        on_chunk: called with each chunk's file name after it is written (tests, monitoring).
    """
    store, design = open_store(experiment, out, force=force)
    tasks = plan_tasks(experiment, design)
    done = store.finished_runs()
    todo = [t for t in tasks if t.key not in done]
    summary = RunSummary(total=len(tasks), skipped=len(tasks) - len(todo))
    summary.repaired = [problem.line() for problem in store.repaired]
    if not todo:
        return summary
    executor = Workers(workers, scheduler)
    summary.workers, summary.executor = executor.workers, executor.name
    expected_code = code_version()
    buffer: list[dict[str, Any]] = []
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        if buffer:
            name = store.write_chunk(*_chunk_tables(buffer, experiment, design))
            buffer.clear()
            if on_chunk is not None:
                on_chunk(name)
        last_flush = time.monotonic()

    started = time.perf_counter()
    try:
        for _task, result in run_loop(run_task, todo, executor, progress=progress, done_before=summary.skipped):
            if result["calibration_sha256"] != experiment.calibration_sha256:
                raise UserInputError(
                    f"worker {result['worker']} used another calibration file than {experiment.calibration_path}",
                    key="--scheduler",
                )
            if result["discrepancy_sha256"] != experiment.discrepancy_sha256:
                raise UserInputError(
                    f"worker {result['worker']} used another discrepancy file than {experiment.discrepancy_path}",
                    key="--scheduler",
                )
            if result["code_version"] != expected_code:
                raise UserInputError(
                    f"worker {result['worker']} runs other zgcsim code (code version {result['code_version'][:12]}, "
                    f"here {expected_code[:12]}); install the same version on every worker",
                    key="--scheduler",
                )
            buffer.append(result)
            summary.runs += 1
            if result["status"] != "ok":
                summary.failures += 1
                summary.failed_runs.append(
                    f"{result['scenario']} point {result['point']} replicate {result['replicate']}: {result['error']}"
                )
            if len(buffer) >= chunk_runs or time.monotonic() - last_flush >= chunk_seconds:
                flush()
        flush()
    except KeyboardInterrupt:
        summary.interrupted = True
        flush()  # keep every finished run
        raise
    finally:
        executor.close()
        summary.wall_seconds = time.perf_counter() - started
        store.record_session(
            {
                "finished": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                "runs": summary.runs,
                "failures": summary.failures,
                "skipped": summary.skipped,
                "wall_seconds": round(summary.wall_seconds, 3),
                "seconds_per_run": round(summary.wall_seconds / max(summary.runs, 1), 4),
                "workers": summary.workers,
                "executor": summary.executor,
                "interrupted": summary.interrupted,
                "damaged_chunks_rerun": summary.repaired,
            }
        )
    return summary
