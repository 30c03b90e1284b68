"""Flat memory over thousands of runs: free each finished run's garbage at once and hand free pages back.

A finished model is cyclic garbage (a Mesa model and its agents refer to each other), which only Python's cycle
collector can free, and only a full collection reaches it, since the model lived through the whole run. A process
that has imported Mesa, pandas and SciPy tracks about 100 000 long-lived objects, so full collections are rare
(and take about 0.2 s each): an experiment worker held the firm arrays of ten or more finished models at a time,
and its heap grew and fragmented to about 580 MiB over 1 000 runs.

The remedy has two parts. ``gc.freeze`` moves the long-lived objects (modules, classes, cached inputs) out of the
collector's way, so a full collection then looks only at what the last run made and takes under a millisecond;
``release_run_memory`` runs that collection after each run and asks the C library to return free heap pages to
the system (glibc's ``malloc_trim``; elsewhere only the collection runs).

Freezing is permanent only in worker processes, whose one job is running tasks; a loop in the user's own process
freezes for its duration (``frozen_heap``) and unfreezes afterwards, so nothing of the user's stays exempt from
collection.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any


@cache
def _malloc_trim() -> Any:
    """The C library's ``malloc_trim`` (glibc), or None where the C library has none (macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def in_worker_process() -> bool:
    """True in a process started by ``multiprocessing`` (a local pool worker, a Dask nanny's worker)."""
    return multiprocessing.parent_process() is not None


def release_run_memory() -> None:
    """After a run: free its garbage and return free heap pages, if that is cheap here.

    In a worker process the first call freezes every object alive after the first run (the modules and inputs
    every later run shares). Elsewhere the collection runs only inside ``frozen_heap``: in an unfrozen process
    with many objects it would cost as much as a run, and Python's own schedule collects there as before.
    """
    if not gc.get_freeze_count():
        if not in_worker_process():
            return
        gc.collect()
        gc.freeze()
    gc.collect()
    if _loops:
        gc.freeze()  # what the loop keeps (its results) needs no second look; ``frozen_heap`` unfreezes it
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


_loops = 0  # ``frozen_heap`` blocks open in this process


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the objects alive now while a loop of runs goes on in this process, and unfreeze them after.

    Inside, ``release_run_memory`` frees each run's garbage at once. A heap that is already frozen (a worker
    process, or a loop inside another) is left as it is.
    """
    global _loops
    if gc.get_freeze_count():
        yield
        return
    gc.collect()
    gc.freeze()
    _loops += 1
    try:
        yield
    finally:
        _loops -= 1
        gc.unfreeze()
