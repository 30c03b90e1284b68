"""Atomic writes: a reader sees the old file or folder or the new one, never half of one.

A file is written to a temporary name beside its destination (``.tmp-...``, which the experiment store sweeps up
after a kill), flushed to disk and moved into place with ``os.replace``; a folder is built beside its destination
and swapped in. Written files get the ordinary ``rw-r--r--`` permissions, since results are meant to be shared.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from zgcsim.errors import UserInputError

TEMPORARY_PREFIX = ".tmp-"
FILE_MODE = 0o644


def write_with(path: str | Path, write: Callable[[Path], None], suffix: str = "") -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then move it into place.

    Args:
        path: the destination; its folder must exist.
        write: writes the content to the path it is given (e.g. ``lambda p: table.to_parquet(p)``).
        suffix: the temporary file's suffix, for writers that choose the format by it.

    Returns:
        The destination path.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.chmod(FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return write_with(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"))


def write_parquet(path: str | Path, table: pd.DataFrame) -> Path:
    """Write ``table`` (without its index) as Parquet to ``path`` atomically."""
    return write_with(path, lambda tmp: table.to_parquet(tmp, index=False), suffix=".parquet")


def write_csv(path: str | Path, table: pd.DataFrame) -> Path:
    """Write ``table`` (without its index) as CSV to ``path`` atomically."""
    return write_with(path, lambda tmp: table.to_csv(tmp, index=False), suffix=".csv")


def check_replaceable(folder: str | Path, key: str = "--out") -> None:
    """Refuse to replace ``folder`` if it is the current folder or holds it (an empty ``--out`` is the current folder).

    Raises:
        UserInputError: replacing ``folder`` would delete the folder the user works in.
    """
    if Path.cwd().resolve().is_relative_to(Path(folder).resolve()):
        raise UserInputError("is the current folder or holds it; --force will not empty it", path=folder, key=key)


def remove_replaced(folder: str | Path, key: str = "--out") -> None:
    """Delete a folder the user chose to replace (``--force``), after ``check_replaceable``."""
    check_replaceable(folder, key)
    shutil.rmtree(folder)


@contextmanager
def staged_folder(out: str | Path) -> Iterator[Path]:
    """Build a folder beside ``out`` and swap it into place when the block ends without an error.

    Whatever was at ``out`` (a folder the caller has chosen to replace) is removed just before the swap; if the
    block raises, the staging folder is deleted and ``out`` is left as it was.

    Yields:
        The staging folder to fill.

    Raises:
        UserInputError: ``out`` exists and is the current folder or holds it (checked before the block runs).
    """
    out = Path(out)
    if out.exists():
        check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield staging
        if out.exists():
            remove_replaced(out)
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
