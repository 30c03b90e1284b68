"""One writer per output folder: a lock file beside the folder names the process (PID and host) that writes it.

Results folders, experiment stores and the calibration output folder are each written by one command at a time.
The writer takes ``.<folder name>.lock`` beside the folder (beside, not inside, because a results folder is
swapped into place whole) before it writes anything, and removes it when it is done. The file is held with an
exclusive ``flock`` as well, so a lock whose process has died is free at once even before anyone reads it; its
text (PID, host, start time, command) is what a refused second writer is told.

A lock file left by a process that died without removing it is taken over, with a message, when that process
ran on this host and is no longer alive. A lock written on another host is never taken over: its process cannot
be checked from here, and the user is told which file to delete if it is really gone.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zgcsim.errors import UserInputError

SUFFIX = ".lock"


def lock_path(folder: str | Path) -> Path:
    """The lock file that guards ``folder``: ``.<name>.lock`` in the folder's parent."""
    folder = Path(folder).absolute()
    return folder.parent / f".{folder.name}{SUFFIX}"


def _read_owner(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 65536)
    try:
        owner = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        owner = {}
    return owner if isinstance(owner, dict) else {}


def _describe(owner: dict[str, Any]) -> str:
    return f"process {owner.get('pid', '?')} on {owner.get('host', '?')} (since {owner.get('started', '?')})"


def _open_locked(path: Path, folder: Path, key: str) -> int:
    """Open ``path`` (creating it) and hold an exclusive flock on it; refuse if another process holds it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _read_owner(fd)
            os.close(fd)
            raise UserInputError(
                f"is being written by {_describe(owner)}; wait for it to finish", path=folder, key=key
            ) from None
        # The holder may have removed the file between our open and our flock: then we hold a deleted file.
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextmanager
def folder_lock(folder: str | Path, key: str = "--out") -> Iterator[Path]:
    """Hold the lock of ``folder`` for the block; refuse with one line if another writer holds it.

    Args:
        folder: the output folder to guard (it need not exist; its parent is created).
        key: the option that named the folder, for the one-line message.

    Yields:
        The lock file's path.

    Raises:
        UserInputError: another live process (or a process on another host) holds the lock.
    """
    folder = Path(folder).absolute()
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_locked(path, folder, key)
    try:
        owner = _read_owner(fd)
        host = socket.gethostname()
        if owner:
            if owner.get("host") != host:
                raise UserInputError(
                    f"is locked by {_describe(owner)}, which cannot be checked from {host}; if that process is "
                    f"gone, delete {path}",
                    path=folder,
                    key=key,
                )
            # We hold the flock, so the process that wrote this file on this host has died without removing it
            print(
                f"zgcsim: {folder}: took over the stale lock of {_describe(owner)}, which is no longer running",
                file=sys.stderr,
            )
        record = {
            "pid": os.getpid(),
            "host": host,
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": sys.argv,
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(record).encode("utf-8"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)  # unlink before unlocking, so a waiting writer never inherits a stale file
        os.close(fd)
