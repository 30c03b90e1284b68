"""The one executor factory: run tasks in this process, on a local process pool, or on a Dask cluster.

Every caller (``zgcsim run``, experiments, the calibration's search) gets its workers here, so the pool is always
spawn-based (safe with threads in the parent and the same on every OS), its workers end when their parent is
killed, and a Dask scheduler is reached, checked and reported the same way.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from zgcsim.errors import UserInputError
from zgcsim.running.memory import frozen_heap, tune_worker_heap

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_TIMEOUT_SECONDS = 10  # to connect to a Dask scheduler
WORKER_WAIT_SECONDS = 60  # for the scheduler's first worker
# A local pool whose worker was killed (by the OS, out of memory, by an operator) is replaced and its unfinished
# tasks run again, this many times in one map; a task that kills every pool it meets is then reported.
MAX_POOL_RESTARTS = 5


def default_workers() -> int:
    """Use every core the process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _exit_with_parent(parent_pid: int, interval_seconds: float = 1.0) -> None:
    """Pool-worker initializer: end this worker when the process that made the pool is gone.

    A parent killed with ``kill -9`` cannot shut its pool down, and idle pool workers would otherwise wait
    for work forever; a daemon thread notices the new parent process and exits.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="zgcsim-parent-watch", daemon=True).start()


def end_pool(pool: ProcessPoolExecutor, wait: bool = False) -> None:
    """Shut a local pool down (waiting for running tasks if ``wait``) and make sure none of its workers is left.

    Use it for a pool that lost a worker, too. The pool's own clean-up normally ends its workers, but on Python
    3.11 it stops half-way when one of a broken pool's futures was cancelled meanwhile (``terminate_broken`` raises
    ``InvalidStateError`` on the cancelled future before it terminates the workers). A survivor then blocks for
    ever sending its last result to a pipe nobody reads, and this process hangs at exit joining it. So survivors
    are terminated here (``_processes`` is the pool's private table of its workers; there is no public one).
    """
    survivors = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=wait, cancel_futures=True)
    for process in survivors:
        if process.is_alive():
            process.terminate()
    for process in survivors:
        process.join(timeout=5)


def _start_worker(parent_pid: int) -> None:
    """Pool-worker initializer: end with the parent (``_exit_with_parent``) and tune the heap for runs."""
    _exit_with_parent(parent_pid)
    tune_worker_heap()


class Workers:
    """Where tasks run: this process (``workers <= 1``), a local spawn process pool, or a Dask cluster.

    Use it as a context manager, or call ``close``. ``workers`` is the number of tasks that can run at once and
    ``name`` says which kind of executor it is.
    """

    def __init__(
        self,
        workers: int = 1,
        scheduler: str | None = None,
        initializer: Callable[[int], None] = _start_worker,
    ) -> None:
        """Start the executor.

        Args:
            workers: local worker processes (1 or fewer: run in this process); ignored with ``scheduler``.
            scheduler: address of a Dask distributed scheduler (e.g. ``tcp://host:8786``) to run on instead.
            initializer: run in each local worker as it starts, with this process's id; it must end the worker when
                this process is gone (the default, ``_start_worker``, does that and tunes the worker's heap for
                runs; others call ``_exit_with_parent`` first and may then load what every task needs, once per
                worker).

        Raises:
            UserInputError: Dask is not installed, the scheduler cannot be reached, or it has no workers.
        """
        self.client: Any = None
        self.pool: Executor | None = None
        self.initializer = initializer
        if scheduler:
            self._connect(scheduler)
        elif workers > 1:
            self.workers = workers
            self.name = "local process pool"
            self.pool = self._local_pool()
        else:
            self.workers = 1
            self.name = "in-process"

    def _local_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self.initializer,
            initargs=(os.getpid(),),
        )

    def _replace_broken_pool(self, unfinished: int) -> None:
        """A local worker died and took the pool with it: start a new pool for the unfinished tasks."""
        print(
            f"zgcsim: a worker process died; starting {self.workers} new worker(s) and running the "
            f"{unfinished} unfinished task(s) again",
            file=sys.stderr,
            flush=True,
        )
        end_pool(self.pool)  # type: ignore[arg-type]
        self.pool = self._local_pool()

    def _connect(self, scheduler: str) -> None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the install
            raise UserInputError(
                "needs Dask distributed: pip install 'zgcsim[experiments]'", key="--scheduler"
            ) from None
        try:
            self.client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_SECONDS)
        except OSError as err:
            raise UserInputError(f"cannot reach the Dask scheduler at {scheduler}: {err}", key="--scheduler") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            self.client.close()
            raise UserInputError(f"the Dask scheduler at {scheduler} has no workers", key="--scheduler") from None
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        self.workers = sum(w.get("nthreads", 1) for w in info.values())
        self.name = f"Dask {scheduler}"
        self.pool = self.client.get_executor()

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Results in the order of ``tasks`` (in this process: computed lazily, one by one)."""
        if self.pool is None:
            return map(function, tasks)
        return self.pool.map(function, tasks)

    def map_unordered(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R]]:
        """``(task, result)`` pairs as tasks finish, with only a few tasks in flight so memory stays flat.

        In this process the tasks run lazily in order, one each time the caller asks for the next result, with the
        heap frozen meanwhile (``memory.frozen_heap``) so that each run's garbage can be freed at once. A local
        pool that loses a worker (``BrokenProcessPool``) is replaced and the tasks it had not finished run again
        (tasks are pure functions of their inputs, so a second run gives the same result); a Dask cluster
        reschedules a lost worker's tasks itself.
        """
        if self.pool is None:
            with frozen_heap():  # so each run's garbage can be freed at once (see ``memory``)
                for task in tasks:
                    yield task, function(task)
            return
        in_flight = max(2, 3 * self.workers)
        todo: Iterator[T] = iter(tasks)
        pending: dict[Future, T] = {}
        lost: list[T] = []  # tasks a broken pool will not finish
        restarts = 0

        def fill() -> None:
            while len(pending) < in_flight and not lost:
                task = next(todo, None)
                if task is None:
                    return
                try:
                    pending[self.pool.submit(function, task)] = task  # type: ignore[union-attr]
                except BrokenProcessPool:  # the pool broke after the last wait
                    lost.append(task)

        fill()
        while pending or lost:
            if not lost:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(task)
                        continue
                    yield task, result
            if lost:
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise BrokenProcessPool(f"worker processes died {restarts} times in one run; giving up")
                unfinished = [*lost, *pending.values()]  # the dead pool will not finish these either
                lost.clear()
                pending.clear()
                self._replace_broken_pool(len(unfinished))
                todo = itertools.chain(unfinished, todo)
            fill()

    def close(self) -> None:
        """Stop the workers (a Dask cluster keeps running; only our client disconnects)."""
        if isinstance(self.pool, ProcessPoolExecutor):
            end_pool(self.pool, wait=True)
        if self.client is not None:
            self.pool.shutdown(wait=False)  # type: ignore[union-attr]
            self.client.close()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
