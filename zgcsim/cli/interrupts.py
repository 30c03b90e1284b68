"""SIGTERM treated like Ctrl-C while a long command runs, so its finished runs are written before it stops."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (how a batch system stops a job) raises ``KeyboardInterrupt``.

    The previous handler comes back when the block ends: a command called from a longer-lived process (a test
    session, a notebook) must not leave that process turning every later SIGTERM into an exception.
    """
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
