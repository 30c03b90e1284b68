"""Errors a user can cause and fix: bad scenario files, bad arguments, missing paths.

The command line turns a ``UserInputError`` into one line on stderr and exit code 2; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class UserInputError(Exception):
    """A problem with what the user gave us, reported as one line naming the file, the key and the problem."""

    def __init__(self, problem: str, *, path: str | Path | None = None, key: str | None = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.key = key
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return ``file: key: problem`` with whichever parts are known."""
        parts = [p for p in (self.path, self.key) if p]
        text = ": ".join([*parts, self.problem])
        # a key or value read from a file may hold line breaks or other control characters: escape them
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
