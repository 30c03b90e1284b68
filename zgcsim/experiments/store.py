"""The streaming result store: finished runs land in atomic Parquet chunks, so a killed experiment resumes.

Layout of a store folder::

    store.json                 identity (experiment, config hash, code version) and the sessions that wrote it
    experiment.toml            a copy of the experiment file
    design.parquet             the design points (``point`` and one column per design variable)
    indicators/part-NNNNNN.parquet   tidy rows: scenario, replicate, seed, year, indicator, value, model_value,
                                     point, <design>
    parks/part-NNNNNN.parquet        tidy park rows: scenario, replicate, seed, year, park, indicator, value, point
    runs/part-NNNNNN.parquet         one row per run: scenario, point, replicate, seed, status, error, timings,
                                     and the value of every uncertain input and design variable the run used

Each chunk is written as a temporary file and moved into place with ``os.replace``; the ``runs`` part is
written after its ``indicators`` and ``parks`` parts and is what marks the chunk's runs as finished. A chunk
cut off by a crash therefore leaves at most orphan ``indicators`` and ``parks`` parts, which readers ignore and
the next session deletes.

A file can still be damaged on disk after it was written (a full disk, a crash while copying the store). Every
run record therefore carries its chunk's indicator row count and the SHA-256 of the indicator part
(``chunk_rows``, ``chunk_sha256``; for the parks part ``parks_rows``, ``parks_sha256``), and the runs part is
written with Parquet page checksums. ``verify_store`` checks every chunk; reopening a store deletes the chunks
that fail, so their runs are run again, and the analysis refuses a store that fails.
Only the process that runs the experiment writes; workers return results to it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zgcsim.errors import UserInputError
from zgcsim.running import atomic

STORE_FORMAT = 3  # 2: run records carry chunk_rows and chunk_sha256; runs parts have page checksums; 3: parks parts
MANIFEST = "store.json"
RUN_ID = ["scenario", "point", "replicate"]
INDICATOR_COLUMNS = ["scenario", "replicate", "seed", "year", "indicator", "value", "model_value", "point"]
# Columns of the runs table that describe how a run went on this machine, not what it computed
WORKER_COLUMNS = ["seconds", "cpu_seconds", "worker", "worker_peak_rss_mb", "worker_rss_mb"]
# ... and the chunk the run was stored in: the indicator part's row count and SHA-256, checked on every reopen
CHUNK_COLUMNS = ["chunk_rows", "chunk_sha256"]
PARKS_CHUNK_COLUMNS = ["parks_rows", "parks_sha256"]  # ... and the parks part's
DIAGNOSTIC_COLUMNS = ["error", *WORKER_COLUMNS, *CHUNK_COLUMNS, *PARKS_CHUNK_COLUMNS]
PARK_COLUMNS = ["scenario", "replicate", "seed", "year", "park", "indicator", "value", "point"]
_PART = re.compile(r"^part-(\d{6})\.parquet$")
PACKAGE = Path(__file__).resolve().parent.parent
# What decides a run's numbers: the model and its inputs (whole folders, data included), the run loop, and the
# files that turn a design point into a run and store it. Reporting, analysis, charts, the calibration fit and the
# command line are deliberately outside, so editing them does not invalidate a store.
RUN_FOLDERS = ("model", "inputs", "data")
RUN_FILES = (
    "running/runs.py",
    "experiments/spec.py",
    "experiments/designs.py",
    "experiments/runner.py",
    "experiments/store.py",
)


def run_code_files() -> list[Path]:
    """The source and data files that decide a run's numbers (see ``code_version``)."""
    files = {PACKAGE / name for name in RUN_FILES}
    for folder in RUN_FOLDERS:
        files.update(p for p in (PACKAGE / folder).rglob("*") if p.is_file() and p.suffix in (".py", ".csv", ".toml"))
    return sorted(files)


@cache
def code_version() -> str:
    """SHA-256 of the code and data that decide a run's numbers.

    It covers the folders ``model/``, ``inputs/`` and ``data/`` whole, the run loop and the experiment modules
    that build and store runs (so editing the analysis or a chart module does not invalidate a store, while
    editing the model does), and the NumPy and Python versions (random streams are only promised stable within
    them).
    """
    digest = hashlib.sha256()
    for file in run_code_files():
        digest.update(str(file.relative_to(PACKAGE)).encode("utf-8") + b"\0" + file.read_bytes() + b"\0")
    digest.update(f"numpy {np.__version__}; python {platform.python_version()}".encode())
    return digest.hexdigest()


def read_manifest(root: str | Path) -> dict[str, Any]:
    """Return the store's ``store.json``; a folder without one is not a store."""
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise UserInputError("not an experiment store (no store.json)", path=root)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise UserInputError(f"store.json is not valid JSON: {err}", path=root) from None


def _mismatch(found: dict[str, Any], wanted: dict[str, Any]) -> str:
    parts = []
    for key in ("store_format", "experiment", "config_hash", "code_version"):
        have, want = found.get(key), wanted.get(key)
        if have != want:
            short = (lambda v: str(v)[:12]) if key.endswith(("hash", "version")) else str
            parts.append(f"{key} {short(have)} here vs {short(want)} now")
    return "; ".join(parts)


class ResultStore:
    """A store folder opened for writing by the process that runs an experiment."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.indicators_dir = self.root / "indicators"
        self.runs_dir = self.root / "runs"
        self.parks_dir = self.root / "parks"
        self.repaired: list[ChunkProblem] = []  # damaged chunks deleted when the store was reopened

    @classmethod
    def open(
        cls,
        root: str | Path,
        identity: dict[str, Any],
        manifest: dict[str, Any],
        design: pd.DataFrame,
        experiment_text: str,
        force: bool = False,
    ) -> ResultStore:
        """Create a new store, or reopen one made by the same experiment, configuration and code.

        Args:
            root: the store folder (created if missing or empty).
            identity: ``experiment``, ``config_hash`` and ``code_version``; a folder with another identity is
                refused (or, with ``force``, emptied first).
            manifest: everything else to record in ``store.json``.
            design: the design points, written once.
            experiment_text: the experiment file's text, copied into the store.
            force: discard an existing folder's contents instead of refusing it.
        """
        root = Path(root)
        identity = {"store_format": STORE_FORMAT, **identity}
        if root.exists() and not root.is_dir():
            raise UserInputError("exists and is not a folder", path=root, key="--out")
        if root.exists() and any(root.iterdir()):
            # --force only ever empties an experiment store, never the folder a user works in or its parents
            # (an empty --out is the current folder)
            if not (root / MANIFEST).is_file():
                raise UserInputError(
                    "holds files but no store.json, so it is not an experiment store; choose another --out",
                    path=root,
                    key="--out",
                )
            if force:
                atomic.remove_replaced(root)
            else:
                found = read_manifest(root)
                differences = _mismatch(found, identity)
                if differences:
                    raise UserInputError(
                        f"holds a store made by another configuration or code version ({differences}); "
                        "choose another --out, or pass --force to discard it",
                        path=root,
                        key="--out",
                    )
                store = cls(root)
                store._clean()
                store.repaired = store._drop_damaged()
                return store
        cls._create(root, {**identity, **manifest}, design, experiment_text)
        return cls(root)

    @staticmethod
    def _create(root: Path, manifest: dict[str, Any], design: pd.DataFrame, experiment_text: str) -> None:
        """Build the empty store beside ``root`` and move it into place, so a half-made store never exists."""
        with atomic.staged_folder(root) as staging:  # replaces ``root`` only if empty (checked by the caller)
            (staging / "indicators").mkdir()
            (staging / "runs").mkdir()
            (staging / "parks").mkdir()
            design.to_parquet(staging / "design.parquet", index=False)
            (staging / "experiment.toml").write_text(experiment_text, encoding="utf-8")
            (staging / MANIFEST).write_text(
                json.dumps({**manifest, "sessions": []}, indent=2, ensure_ascii=False), encoding="utf-8"
            )

    def _clean(self) -> None:
        """Delete temporaries and orphan indicator parts left by a session that was killed mid-chunk."""
        committed = {p.name for p in self.runs_dir.glob("part-*.parquet")}
        for folder in (self.indicators_dir, self.parks_dir, self.runs_dir, self.root):
            for tmp in folder.glob(".tmp-*"):
                tmp.unlink(missing_ok=True)
        for part in (*self.indicators_dir.glob("part-*.parquet"), *self.parks_dir.glob("part-*.parquet")):
            if part.name not in committed:
                part.unlink()

    def _drop_damaged(self) -> list[ChunkProblem]:
        """Delete every chunk that fails verification (both its parts), so its runs count as not done."""
        problems = verify_store(self.root)
        for problem in problems:
            (self.runs_dir / problem.part).unlink(missing_ok=True)
            (self.indicators_dir / problem.part).unlink(missing_ok=True)
            (self.parks_dir / problem.part).unlink(missing_ok=True)
        return problems

    def finished_runs(self) -> set[tuple[str, int, int]]:
        """The (scenario, point, replicate) of every run finished without error."""
        runs = read_runs(self.root, columns=[*RUN_ID, "status"])
        ok = runs[runs["status"] == "ok"]
        return set(zip(ok["scenario"], ok["point"].astype(int), ok["replicate"].astype(int), strict=True))

    def _next_part(self) -> str:
        numbers = [
            int(m.group(1))
            for folder in (self.indicators_dir, self.parks_dir, self.runs_dir)
            for p in folder.iterdir()
            if (m := _PART.match(p.name))
        ]
        return f"part-{max(numbers, default=0) + 1:06d}.parquet"

    def write_chunk(self, indicators: pd.DataFrame, runs: pd.DataFrame, parks: pd.DataFrame) -> str:
        """Write one chunk atomically: its indicator and park rows first, then the run records that commit it.

        The run records get the indicator and park parts' row counts and SHA-256 (see ``verify_store``).
        """
        name = self._next_part()
        runs = runs.copy()
        for rows_column, sha_column, table, folder in (
            ("chunk_rows", "chunk_sha256", indicators, self.indicators_dir),
            ("parks_rows", "parks_sha256", parks, self.parks_dir),
        ):
            runs[rows_column] = len(table)
            runs[sha_column] = ""
            if len(table):
                runs[sha_column] = file_sha256(atomic.write_parquet(folder / name, table))
        atomic.write_with(
            self.runs_dir / name,
            lambda tmp: runs.to_parquet(tmp, index=False, write_page_checksum=True),
            suffix=".parquet",
        )
        return name

    def update_manifest(self, **changes: Any) -> None:
        """Rewrite ``store.json`` atomically with ``changes`` applied."""
        manifest = read_manifest(self.root) | changes
        atomic.write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))

    def record_session(self, session: dict[str, Any]) -> None:
        """Append one session's summary (runs, failures, wall time, workers) to ``store.json``."""
        manifest = read_manifest(self.root)
        self.update_manifest(sessions=[*manifest.get("sessions", []), session])


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ChunkProblem:
    """A chunk that fails verification: its part name, the damaged file and what is wrong."""

    part: str
    file: str
    problem: str
    runs: int | None = None  # run records in the chunk (None: the runs part itself is unreadable)

    def line(self) -> str:
        """``runs/part-000003.parquet: checksum mismatch`` (the file relative to the store)."""
        return f"{self.file}: {self.problem}"


def _verify_chunk(root: Path, name: str) -> ChunkProblem | None:
    import pyarrow.parquet as pq

    runs_file = f"runs/{name}"
    try:
        runs = pq.read_table(root / runs_file, page_checksum_verification=True).to_pandas()
    except Exception as err:
        return ChunkProblem(name, runs_file, f"unreadable ({type(err).__name__})")
    if not set(CHUNK_COLUMNS) <= set(runs.columns) or runs["chunk_sha256"].nunique() > 1 or runs.empty:
        return ChunkProblem(name, runs_file, "has no chunk row count and checksum", len(runs))
    if not set(PARKS_CHUNK_COLUMNS) <= set(runs.columns) or runs["parks_sha256"].nunique() > 1:
        return ChunkProblem(name, runs_file, "has no parks row count and checksum", len(runs))
    for folder, rows_column, sha_column in (
        ("indicators", "chunk_rows", "chunk_sha256"),
        ("parks", "parks_rows", "parks_sha256"),
    ):
        rows, sha = int(runs[rows_column].iloc[0]), str(runs[sha_column].iloc[0])
        problem = _verify_part(root, f"{folder}/{name}", name, rows, sha, len(runs))
        if problem is not None:
            return problem
    return None


def _verify_part(root: Path, part_file: str, name: str, rows: int, sha: str, n_runs: int) -> ChunkProblem | None:
    """Check one data part of a chunk against the row count and SHA-256 its run records hold."""
    import pyarrow.parquet as pq

    path = root / part_file
    if rows == 0:
        return None if not path.exists() else ChunkProblem(name, part_file, "should not exist", n_runs)
    if not path.is_file():
        return ChunkProblem(name, part_file, "is missing", n_runs)
    found = file_sha256(path)
    if found != sha:
        return ChunkProblem(name, part_file, f"checksum {found[:12]} differs from the recorded {sha[:12]}", n_runs)
    try:
        counted = pq.ParquetFile(path).metadata.num_rows
    except Exception as err:
        return ChunkProblem(name, part_file, f"unreadable ({type(err).__name__})", n_runs)
    if counted != rows:
        return ChunkProblem(name, part_file, f"holds {counted} rows, {rows} recorded", n_runs)
    return None


def verify_store(root: str | Path) -> list[ChunkProblem]:
    """Check every committed chunk and return the ones that fail (empty: the store is sound).

    A chunk is sound when its runs part reads with its Parquet page checksums and its indicator part has the
    SHA-256 and row count its run records hold.
    """
    root = Path(root)
    read_manifest(root)
    names = sorted(p.name for p in (root / "runs").glob("part-*.parquet"))
    return [problem for name in names if (problem := _verify_chunk(root, name)) is not None]


def _committed_parts(root: Path, folder: str) -> list[Path]:
    committed = sorted(p.name for p in (root / "runs").glob("part-*.parquet"))
    return [root / folder / name for name in committed if (root / folder / name).is_file()]


def _read_parts(paths: Sequence[Path], columns: list[str] | None, filter_expr: Any) -> pd.DataFrame:
    import pyarrow.dataset as ds

    dataset = ds.dataset([str(p) for p in paths], format="parquet")
    return dataset.to_table(columns=columns, filter=filter_expr).to_pandas()


def read_runs(root: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Every committed run record, in (scenario, point, replicate) order, failed attempts included."""
    root = Path(root)
    read_manifest(root)
    paths = _committed_parts(root, "runs")
    if not paths:
        return pd.DataFrame(columns=columns or [*RUN_ID, "seed", "status"])
    runs = _read_parts(paths, columns, None)
    return runs.sort_values(RUN_ID, kind="stable", ignore_index=True)


def read_indicators(
    root: str | Path,
    *,
    years: Iterable[int] | None = None,
    indicators: Iterable[str] | None = None,
    scenarios: Iterable[str] | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """Read the tidy indicator rows of a store, filtered while reading so big stores need not fit in memory.

    Rows come sorted by scenario, point, replicate, year and indicator, whatever order the runs finished in.
    Raises ``UserInputError`` if a run appears twice (a store must never hold duplicates).
    """
    import pyarrow.compute as pc

    root = Path(root)
    read_manifest(root)
    conditions = []
    if years is not None:
        conditions.append(pc.field("year").isin([int(y) for y in years]))
    if indicators is not None:
        conditions.append(pc.field("indicator").isin(list(indicators)))
    if scenarios is not None:
        conditions.append(pc.field("scenario").isin(list(scenarios)))
    expr = None
    for condition in conditions:
        expr = condition if expr is None else expr & condition
    paths = _committed_parts(root, "indicators")
    if not paths:
        return pd.DataFrame(columns=columns or INDICATOR_COLUMNS)
    table = _read_parts(paths, columns, expr)
    keys = [c for c in ("scenario", "point", "replicate", "year", "indicator") if c in table.columns]
    if len(keys) == 5 and table.duplicated(keys).any():
        raise UserInputError("holds the same run twice; the store is damaged", path=root)
    return table.sort_values(keys, kind="stable", ignore_index=True)


def read_parks(root: str | Path, *, scenarios: Iterable[str] | None = None) -> pd.DataFrame:
    """Read the tidy park rows of a store (``PARK_COLUMNS``), sorted by scenario, point, replicate, year, park."""
    import pyarrow.compute as pc

    root = Path(root)
    read_manifest(root)
    paths = _committed_parts(root, "parks")
    if not paths:
        return pd.DataFrame(columns=PARK_COLUMNS)
    expr = pc.field("scenario").isin(list(scenarios)) if scenarios is not None else None
    table = _read_parts(paths, None, expr)
    keys = ["scenario", "point", "replicate", "year", "park", "indicator"]
    return table.sort_values(keys, kind="stable", ignore_index=True)


def read_design(root: str | Path) -> pd.DataFrame:
    """The store's design points."""
    return pd.read_parquet(Path(root) / "design.parquet")


def content(root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store's results without how they were made: indicator rows and run records, sorted, no timings.

    Two stores of one experiment hold the same results exactly when these tables are equal, whatever the
    worker count, executor, chunking or interruptions.
    """
    runs = read_runs(root)
    runs = runs[runs["status"] == "ok"].drop(columns=[c for c in DIAGNOSTIC_COLUMNS if c in runs.columns])
    return read_indicators(root), runs.reset_index(drop=True)
