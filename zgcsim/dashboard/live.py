"""Live what-if: paired ensembles on a warm process pool, cached by what determines their numbers, shown as they arrive.

A planner changes a lever and the page answers with 100 full-scale replicates of the edited scenario, each paired with
the parent's replicate of the same seed (same replicate seed, so the same calibration member, uncertain-input draws and
model-discrepancy path). Three things make that fast enough for a meeting:

- ``EnsembleCache``: a finished ensemble is kept in memory and on disk, keyed by ``EnsembleKey`` (the scenario's
  fingerprint, root seed, replicates, calibration and discrepancy ids, the code version and the parameter values), so
  after a change only the edited scenario runs;
- ``LivePool``: one spawn process pool per server using every core, whose workers import the model and load the
  calibration once when the pool starts (``warm``), so the first change does not pay start-up;
- ``LiveJob``: every replicate is a future of the pool; results are collected as they arrive (``snapshot``), and
  ``cancel`` cancels the futures not yet started and drops late results of the cancelled job.

Nothing here knows about Solara; the page (``app.py``) polls a job and renders its snapshots (``view``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

import zgcsim
from zgcsim.dashboard.editing import edit_scenario, scenario_toml, titled, valid_name
from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import AUTO, resolve_calibration
from zgcsim.inputs.discrepancy_file import resolve_discrepancy
from zgcsim.inputs.scenario import Scenario, load_scenario, resolve_scenario
from zgcsim.inputs.seeds import replicate_seed_number
from zgcsim.running import atomic
from zgcsim.running.executors import Workers, default_workers, end_pool
from zgcsim.running.memory import release_run_memory, tune_worker_heap
from zgcsim.running.runs import run_replicate

LIVE_REPLICATES = 100  # replicates per scenario of a live what-if (issue 15)
MEMORY_ENSEMBLES = 16  # finished ensembles kept in memory (about 2 MB each at 100 full-scale replicates)
DISK_ENSEMBLES = 200  # finished ensembles kept on disk; the oldest go first
# Live jobs queued on the shared pool at once, across every session of one server: each holds at most
# LIVE_REPLICATES futures per scenario, and the pool's size bounds CPU and memory whatever the number of jobs.
MAX_LIVE_JOBS = 4
CACHE_FOLDER = "live-cache"  # under the dashboard's results root; file names are hex digests, never user text


@cache
def code_version() -> str:
    """A SHA-256 of the package's source and data files: any change to the code or its data is a new version."""
    return tree_hash(Path(zgcsim.__file__).resolve().parent)


def tree_hash(root: Path) -> str:
    """A SHA-256 of every file's path and bytes below ``root`` (compiled ``.pyc`` files left out)."""
    digest = hashlib.sha256()
    files = sorted(p for p in Path(root).rglob("*") if p.is_file() and p.suffix != ".pyc")
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class EnsembleKey:
    """Everything a paired ensemble's numbers depend on; two equal keys give byte-identical runs."""

    scenario: str  # Scenario.fingerprint(): its file and its ancestors
    seed: int
    replicates: int
    calibration: str  # the calibration file's SHA-256, or "none"
    discrepancy: str  # the model-discrepancy file's SHA-256, or "none"
    code: str  # code_version()
    parameters: tuple[tuple[str, float], ...] = ()  # parameter values every run is given (e.g. a quick population)

    def digest(self) -> str:
        """A hex SHA-256 of the key, used as the cache file name."""
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True, default=list).encode()).hexdigest()


def ensemble_key(
    scenario: Scenario, seed: int, replicates: int, parameter_values: Mapping[str, float] | None = None
) -> EnsembleKey:
    """The cache key of ``scenario``'s ensemble with the committed calibration and discrepancy (as the pool runs it)."""
    cal, disc = resolve_calibration(AUTO), resolve_discrepancy(AUTO)
    return EnsembleKey(
        scenario=scenario.fingerprint(),
        seed=int(seed),
        replicates=int(replicates),
        calibration=cal.sha256 if cal else "none",
        discrepancy=disc.sha256 if disc else "none",
        code=code_version(),
        parameters=tuple(sorted((k, float(v)) for k, v in (parameter_values or {}).items())),
    )


@dataclass(frozen=True)
class Ensemble:
    """The runs of one scenario: tidy indicator rows and the uncertain inputs each replicate drew."""

    table: pd.DataFrame  # scenario, replicate, seed, year, indicator, value, model_value
    inputs: pd.DataFrame  # scenario, replicate, seed, input, value


class EnsembleCache:
    """Finished ensembles in memory (least recently used first out) and, with a folder, on disk.

    Args:
        folder: where ensembles are written (``<digest>.runs.parquet`` and ``<digest>.inputs.parquet``); None keeps
            them in memory only.
        capacity: ensembles kept in memory.
    """

    def __init__(self, folder: Path | None, capacity: int = MEMORY_ENSEMBLES) -> None:
        """Make an empty cache over ``folder`` (created on the first write)."""
        self.folder = None if folder is None else Path(folder)
        self.capacity = capacity
        self._memory: OrderedDict[str, Ensemble] = OrderedDict()
        self._lock = threading.Lock()

    def _paths(self, key: EnsembleKey) -> tuple[Path, Path]:
        digest = key.digest()
        return self.folder / f"{digest}.runs.parquet", self.folder / f"{digest}.inputs.parquet"  # type: ignore[operator]

    def get(self, key: EnsembleKey) -> Ensemble | None:
        """The cached ensemble of ``key``, or None."""
        digest = key.digest()
        with self._lock:
            if digest in self._memory:
                self._memory.move_to_end(digest)
                return self._memory[digest]
        if self.folder is None:
            return None
        runs, inputs = self._paths(key)
        if not (runs.is_file() and inputs.is_file()):
            return None
        ensemble = Ensemble(pd.read_parquet(runs), pd.read_parquet(inputs))
        self._remember(digest, ensemble)
        return ensemble

    def put(self, key: EnsembleKey, ensemble: Ensemble) -> None:
        """Keep ``ensemble`` under ``key`` (written atomically: a reader never sees half a file)."""
        self._remember(key.digest(), ensemble)
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        runs, inputs = self._paths(key)
        atomic.write_parquet(inputs, ensemble.inputs)
        atomic.write_parquet(runs, ensemble.table)  # written last: get() needs both
        self._prune()

    def _remember(self, digest: str, ensemble: Ensemble) -> None:
        with self._lock:
            self._memory[digest] = ensemble
            self._memory.move_to_end(digest)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.runs.parquet"), key=lambda p: p.stat().st_mtime)  # type: ignore[union-attr]
        for old in files[: max(0, len(files) - DISK_ENSEMBLES)]:
            old.unlink(missing_ok=True)
            old.with_name(old.name.replace(".runs.", ".inputs.")).unlink(missing_ok=True)


def _init_worker(parent_pid: int) -> None:
    """Pool-worker start: import the model and load the committed calibration and discrepancy once."""
    from zgcsim.running.executors import _exit_with_parent

    _exit_with_parent(parent_pid)
    tune_worker_heap()
    resolve_calibration(AUTO)
    resolve_discrepancy(AUTO)


def _warm_task(_: int) -> int:
    """A task that returns once its worker has started (its initializer has run); returns the worker's pid."""
    time.sleep(0.05)  # long enough that the pool hands one warm-up task to each worker
    return os.getpid()


def _live_task(task: tuple) -> tuple[str, int, pd.DataFrame, dict[str, float], float]:
    """Run one replicate in a worker with the calibration and discrepancy the worker loaded at start.

    Returns the scenario's name, the replicate, its indicator rows and inputs (as ``run_replicate``; the live view
    shows no park rows) and the run's seconds.
    """
    scenario, seed, replicate, parameter_values = task
    started = time.perf_counter()
    table, inputs, _parks = run_replicate(scenario, seed, replicate, parameter_values, AUTO, AUTO)
    seconds = time.perf_counter() - started
    release_run_memory()  # the finished model is cyclic garbage: free it now, not at a rare full collection
    return scenario.name, replicate, table, inputs, seconds


class LivePool:
    """One process pool for every live job of a server: every core, spawn workers started and warmed once.

    Args:
        workers: worker processes (default: every core this process may use).
    """

    def __init__(self, workers: int | None = None) -> None:
        """Start the pool's processes (they import zgcsim and load the calibration in the background)."""
        self.workers = max(1, workers or default_workers())
        self._executor = Workers(max(2, self.workers), initializer=_init_worker)
        self.pool = self._executor.pool
        self._warm = threading.Event()
        self.broken = False  # a worker died (killed by the OS or an operator): the server starts a new pool

    def warm(self) -> float:
        """Wait until every worker has started and loaded the model; return the seconds waited."""
        started = time.perf_counter()
        if not self._warm.is_set():
            futures = [self.pool.submit(_warm_task, i) for i in range(self._executor.workers)]  # type: ignore[union-attr]
            for future in futures:
                future.result()
            self._warm.set()
        return time.perf_counter() - started

    def submit(self, task: tuple) -> Future:
        """Submit one replicate ``(scenario, seed, replicate, parameter_values)``."""
        try:
            return self.pool.submit(_live_task, task)  # type: ignore[union-attr]
        except BrokenProcessPool:
            self.broken = True
            raise

    def close(self) -> None:
        """Stop the workers."""
        self._executor.close()


_shared: dict[str, LivePool] = {}
_shared_lock = threading.Lock()
_job_slots = threading.BoundedSemaphore(MAX_LIVE_JOBS)


def shared_pool() -> LivePool:
    """The server's one live pool, started on first use (and again if a worker of the last one died)."""
    with _shared_lock:
        if "pool" in _shared and _shared["pool"].broken:
            end_pool(_shared.pop("pool").pool)  # type: ignore[arg-type]
        if "pool" not in _shared:
            _shared["pool"] = LivePool()
        return _shared["pool"]


class LiveBusy(Exception):
    """``MAX_LIVE_JOBS`` live jobs are already running on this server."""


@dataclass(frozen=True)
class Snapshot:
    """What a live job has so far: per scenario, the finished replicates' rows and inputs."""

    job: int
    names: tuple[str, ...]
    done: Mapping[str, int]
    replicates: int
    tables: Mapping[str, pd.DataFrame]
    inputs: Mapping[str, pd.DataFrame]
    finished: bool
    error: str | None = None

    def runs(self, name: str) -> int:
        """Replicates of ``name`` finished so far."""
        return self.done.get(name, 0)


_job_numbers = iter(range(1, 1 << 62))


@dataclass
class LiveJob:
    """The replicates a live what-if still needs, run on a pool, collected as they finish.

    Start one with ``start_job``. Scenarios whose ensemble is cached need no runs; a scenario's ensemble goes into the
    cache when its last replicate arrives.
    """

    scenarios: Sequence[Scenario]
    seed: int
    replicates: int
    parameter_values: Mapping[str, float] | None
    cache: EnsembleCache
    number: int = field(default_factory=lambda: next(_job_numbers))
    cancelled: bool = False
    keys: dict[str, EnsembleKey] = field(default_factory=dict)
    _rows: dict[str, dict[int, tuple[pd.DataFrame, dict[str, float]]]] = field(default_factory=dict)
    _cached: dict[str, Ensemble] = field(default_factory=dict)
    _futures: list[Future] = field(default_factory=list)
    _error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _version: int = 0
    times: dict[str, float] = field(default_factory=lambda: {"created": time.time()})  # wall clock, for the log
    run_seconds: list[float] = field(default_factory=list)  # each run's seconds in its worker
    _slot: bool = False
    _pool: LivePool | None = None

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    def _submit(self, pool: LivePool) -> None:
        self._pool = pool
        params = dict(self.parameter_values) if self.parameter_values else None
        for scenario in self.scenarios:
            key = ensemble_key(scenario, self.seed, self.replicates, params)
            self.keys[scenario.name] = key
            cached = self.cache.get(key)
            if cached is not None:
                self._cached[scenario.name] = cached
                continue
            self._rows[scenario.name] = {}
        # Replicate by replicate, scenarios interleaved: the first pairs are complete as early as possible.
        for r in range(self.replicates):
            for name in self._rows:
                scenario = next(s for s in self.scenarios if s.name == name)
                future = pool.submit((scenario, self.seed, r, params))
                future.add_done_callback(self._arrived)
                self._futures.append(future)
        self.times["submitted"] = time.time()
        if not self._rows:
            self._release()

    def _arrived(self, future: Future) -> None:
        """A replicate finished (in the pool's result thread): keep it unless the job was cancelled."""
        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, BrokenProcessPool) and self._pool is not None:
            self._pool.broken = True
        with self._lock:
            if self.cancelled:
                return  # a late result of a job a newer change replaced: ignored
            if error is not None:
                self._error = f"{type(error).__name__}: {error}"
                self._version += 1
                self._changed.notify_all()
                finished = True
            else:
                name, replicate, table, inputs, seconds = future.result()
                self.run_seconds.append(seconds)
                self.times.setdefault("first", time.time())
                self.times["last"] = time.time()
                self._rows[name][replicate] = (table, inputs)
                complete = len(self._rows[name]) == self.replicates
                finished = all(len(rows) == self.replicates for rows in self._rows.values())
        if error is None and complete:
            snapshot = self.snapshot()
            self.cache.put(self.keys[name], Ensemble(snapshot.tables[name], snapshot.inputs[name]))
        if error is None:  # waiters learn of the result only now, so a finished job's ensembles are in the cache
            with self._lock:
                self._version += 1
                self._changed.notify_all()
        if error is not None:
            self._stop_futures()
        if finished:
            self._release()

    def _release(self) -> None:
        with self._lock:
            slot, self._slot = self._slot, False
        if slot:
            _job_slots.release()

    def cancel(self) -> None:
        """Stop the job: futures not started are cancelled and results still arriving are ignored."""
        with self._lock:
            self.cancelled = True
            self._changed.notify_all()
        self._stop_futures()

    def _stop_futures(self) -> None:
        for future in self._futures:
            future.cancel()
        self._release()

    @property
    def finished(self) -> bool:
        """Every replicate of every scenario is in (or the job failed)."""
        with self._lock:
            return self._error is not None or all(len(rows) == self.replicates for rows in self._rows.values())

    def wait(self, seen: int, timeout: float) -> int:
        """Block until a result newer than version ``seen`` arrives, the job is cancelled, or ``timeout``.

        Returns:
            The current version (results and errors arrived so far).
        """
        with self._changed:
            if self._version == seen and not self.cancelled:
                self._changed.wait(timeout)
            return self._version

    @property
    def version(self) -> int:
        """How many results (or errors) have arrived."""
        with self._lock:
            return self._version

    def snapshot(self) -> Snapshot:
        """The runs so far, replicates in order, rows as ``run_many`` would give them."""
        with self._lock:
            rows = {name: dict(by_rep) for name, by_rep in self._rows.items()}
            error = self._error
        tables, inputs, done = {}, {}, {}
        for scenario in self.scenarios:
            name = scenario.name
            if name in self._cached:
                tables[name], inputs[name] = self._cached[name].table, self._cached[name].inputs
                done[name] = self.replicates
                continue
            reps = sorted(rows[name])
            done[name] = len(reps)
            tables[name] = pd.concat([rows[name][r][0] for r in reps], ignore_index=True) if reps else _empty_table()
            inputs[name] = pd.DataFrame(
                [
                    (name, r, replicate_seed_number(self.seed, r), key, value)
                    for r in reps
                    for key, value in rows[name][r][1].items()
                ],
                columns=["scenario", "replicate", "seed", "input", "value"],
            )
        finished = error is not None or all(done[s.name] == self.replicates for s in self.scenarios)
        return Snapshot(
            self.number,
            tuple(s.name for s in self.scenarios),
            done,
            self.replicates,
            tables,
            inputs,
            finished,
            error,
        )


def live_scenarios(
    parent_name: str, values: Mapping[str, float], name: str, start: dt.date, folder: Path
) -> list[Scenario]:
    """The parent (a library scenario) and, with lever ``values``, the edited scenario.

    The edited scenario is written to ``folder`` as the file the planner can download and read back from there, so
    the runs use exactly that file.

    Raises:
        UserInputError: the name is not a safe file stem, or is the parent's or a library scenario's.
    """
    parent = resolve_scenario(parent_name)
    if not values:
        return [parent]
    if not valid_name(name, parent.name):
        raise UserInputError(f"'{name}': use only letters, digits, _ and -, and a new name", key="name")
    edited = titled(edit_scenario(parent, values, name, start), parent, values)
    path = Path(folder) / f"{edited.name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, scenario_toml(edited, parent.name, values))
    return [parent, load_scenario(path)]


def describe(job: LiveJob) -> str:
    """One log line on a job: its runs, cache hits, the model's seconds in the workers and wall-clock stamps."""
    runs = len(job.run_seconds)
    stamps = ", ".join(f"{name} at {stamp:.3f}" for name, stamp in job.times.items())
    return (
        f"live job {job.number}: {runs} runs ({len(job._cached)} of {len(job.scenarios)} ensembles cached), "
        f"model {sum(job.run_seconds):.2f} s in workers ({sum(job.run_seconds) / max(runs, 1):.3f} s per run); "
        f"{stamps}"
    )


def _empty_table() -> pd.DataFrame:
    from zgcsim.running.runs import COLUMNS

    return pd.DataFrame(columns=COLUMNS)


def start_job(
    pool: LivePool,
    cache: EnsembleCache,
    scenarios: Sequence[Scenario],
    seed: int,
    replicates: int = LIVE_REPLICATES,
    parameter_values: Mapping[str, float] | None = None,
    previous: LiveJob | None = None,
) -> LiveJob:
    """Cancel ``previous`` (if any) and start the runs ``scenarios`` still need, paired on the replicate seeds.

    Raises:
        LiveBusy: ``MAX_LIVE_JOBS`` jobs are already running on this server.
    """
    if previous is not None:
        previous.cancel()
    job = LiveJob(list(scenarios), int(seed), int(replicates), parameter_values, cache)
    if not _job_slots.acquire(blocking=False):
        raise LiveBusy(f"{MAX_LIVE_JOBS} live what-ifs are already running on this dashboard")
    job._slot = True
    try:
        job._submit(pool)
    except BaseException:
        job.cancel()
        raise
    return job


def follow(
    job: LiveJob, on_snapshot: Callable[[Snapshot], None], keep_going: Callable[[], bool], interval: float = 0.5
) -> Snapshot | None:
    """Call ``on_snapshot`` with the job's runs as they arrive (at most every ``interval`` seconds) until it finishes.

    Returns the last snapshot, or None when ``keep_going`` said no or the job was cancelled (it is then cancelled).
    """
    seen, last = -1, float("-inf")
    while True:
        if not keep_going() or job.cancelled:
            job.cancel()
            return None
        if job.wait(seen, timeout=interval) == seen:
            continue
        if not job.finished:  # throttle: at most one snapshot per interval, except the last
            time.sleep(max(0.0, last + interval - time.monotonic()))
        seen = job.version  # read before the snapshot, so a result arriving meanwhile is shown next time
        snapshot = job.snapshot()
        last = time.monotonic()
        if not keep_going() or job.cancelled:
            job.cancel()
            return None
        on_snapshot(snapshot)
        if snapshot.finished:
            return snapshot
