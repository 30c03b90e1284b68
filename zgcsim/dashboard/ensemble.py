"""Running an ensemble from the page: paired runs with progress reports, written into the session's own folder.

Each page session owns one folder under the dashboard's results root; every file the page writes (edited
scenario files, results folders) goes below it, under names the page builds itself, never from user text
that could leave it (edited-scenario names are restricted to letters, digits, ``_`` and ``-``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.dashboard.editing import edit_scenario, scenario_toml, titled, valid_name
from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import default_calibration
from zgcsim.inputs.scenario import Scenario, load_scenario
from zgcsim.running import atomic
from zgcsim.running import runs as runner
from zgcsim.running.results_folder import attainment, build_manifest, run_timings, summarise, write_results

QUICK_PARAMETERS: Mapping[str, float] = {"n_firms_2017": 3000}  # a small population for trying the page
MAX_REPLICATES = 200  # 200 paired runs of two full-scale scenarios take several minutes on one core
# Runs going at once across every session of one dashboard server. Each page run works in one thread of the
# server process, one model at a time (about 0.35 s and well under 100 MB per full-scale run), and holds its
# tables until it ends, so this bounds the server's CPU and memory whatever the number of open tabs.
MAX_CONCURRENT_RUNS = 4
_run_slots = threading.BoundedSemaphore(MAX_CONCURRENT_RUNS)


@dataclass(frozen=True)
class EditSpec:
    """A scenario edited in the page: its parent (a library name), new name, lever values and start date."""

    parent: str
    name: str
    values: Mapping[str, float]
    start: dt.date = dt.date(2018, 1, 1)


@dataclass(frozen=True)
class JobSpec:
    """What one press of a run button asks for."""

    scenarios: tuple[str, ...] = ()  # library scenarios, run as they are
    edit: EditSpec | None = None  # run the edited scenario and its parent with the same seeds
    replicates: int = 10
    seed: int = 20180101
    quick: bool = False


@dataclass
class SessionFolder:
    """The one folder a page session writes into: ``root/session-<random id>/run-<n>/...``."""

    root: Path
    path: Path = field(init=False)
    runs: int = 0

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.path = self.root / f"session-{uuid.uuid4().hex[:12]}"

    def next_run_folder(self) -> tuple[int, Path]:
        """Reserve the folder of the session's next run."""
        self.runs += 1
        folder = self.path / f"run-{self.runs:03d}"
        folder.mkdir(parents=True, exist_ok=False)
        return self.runs, folder


def check_spec(spec: JobSpec) -> None:
    """Refuse a job the page should not start (raises UserInputError with a one-line message)."""
    if not 1 <= spec.replicates <= MAX_REPLICATES:
        raise UserInputError(f"runs per scenario must be from 1 to {MAX_REPLICATES}", key="replicates")
    if spec.seed < 0:
        raise UserInputError("the seed must be 0 or more", key="seed")
    if not spec.scenarios and spec.edit is None:
        raise UserInputError("choose at least one scenario", key="scenarios")
    if spec.edit is not None:
        if not valid_name(spec.edit.name, spec.edit.parent):
            raise UserInputError(
                f"'{spec.edit.name}': use only letters, digits, _ and -, and a name other than the parent's and "
                "the library's",
                key="name",
            )
        if not spec.edit.values:
            raise UserInputError("no lever was changed", key="levers")


def prepare_scenarios(spec: JobSpec, folder: Path) -> tuple[list[Scenario], str | None]:
    """Resolve the job's scenarios; an edited scenario is written to ``folder`` and read back from there.

    Reading the written file back means the run uses exactly the file the user can download. Returns the
    scenarios and the edited scenario's TOML text (or None).
    """
    scenarios = [runner.resolve_scenario(name) for name in spec.scenarios]
    toml_text = None
    if spec.edit is not None:
        parent = runner.resolve_scenario(spec.edit.parent)
        edited = titled(
            edit_scenario(parent, spec.edit.values, spec.edit.name, spec.edit.start), parent, spec.edit.values
        )
        toml_text = scenario_toml(edited, parent.name, spec.edit.values)
        path = folder / f"{edited.name}.toml"
        atomic.write_text(path, toml_text)
        scenarios = [s for s in scenarios if s.name not in (parent.name, edited.name)]
        scenarios += [parent, load_scenario(path)]
    runner.unique_names(scenarios)
    return scenarios, toml_text


def _run_into(
    spec: JobSpec,
    folder: Path,
    on_progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict, list[Scenario], pd.DataFrame]:
    """Run the job's ensemble (its edited scenario file written in ``folder``); return tables, manifest, parks."""
    scenarios, _ = prepare_scenarios(spec, folder)
    parameter_values = dict(QUICK_PARAMETERS) if spec.quick else None
    calibration = default_calibration()
    started = time.perf_counter()
    # in this thread, run by run, so the page shows progress and can stop between runs
    table, inputs, parks = runner.run_many(
        scenarios,
        spec.replicates,
        spec.seed,
        workers=1,
        parameter_values=parameter_values,
        progress=False,
        calibration=calibration,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    wall = time.perf_counter() - started
    manifest = build_manifest(
        scenarios,
        spec.replicates,
        spec.seed,
        run_timings(wall, len(scenarios) * spec.replicates),
        {
            "command": "zgcsim dashboard",
            "parameter_values": parameter_values,
            "workers": 1,
            "calibration": calibration.manifest_entry()
            if calibration
            else "none: central values of the parameter table",
        },
    )
    return table, inputs, manifest, scenarios, parks


def run_job(
    spec: JobSpec,
    session: SessionFolder,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[list[ResultSet], Path]:
    """Run a job into a new run folder of the session and return its ResultSets and the results folder.

    Raises:
        UserInputError: the job is refused (see ``check_spec``), or ``MAX_CONCURRENT_RUNS`` runs are already
            going on this server.
    """
    check_spec(spec)
    if not _run_slots.acquire(blocking=False):
        raise UserInputError(
            f"{MAX_CONCURRENT_RUNS} runs are already going on this dashboard (its limit); start this one when "
            "one of them has finished",
            key="run",
        )
    try:
        return _run_job(spec, session, on_progress, should_stop)
    finally:
        _run_slots.release()


def _run_job(
    spec: JobSpec,
    session: SessionFolder,
    on_progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[list[ResultSet], Path]:
    number, folder = session.next_run_folder()
    try:
        table, inputs, manifest, scenarios, parks = _run_into(spec, folder, on_progress, should_stop)
        out = folder / "results"
        write_results(out, table, inputs, manifest, parks)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # a failed or stopped run keeps nothing, not even its folder
        raise
    origin = f"page run {number}"
    keys = {sc.name: f"{sc.name} @ {origin}" for sc in scenarios}
    parent_key = keys[runner.resolve_scenario(spec.edit.parent).name] if spec.edit is not None else None
    summary, attain = summarise(table), attainment(table)
    sets = [
        ResultSet(
            key=keys[sc.name],
            scenario=sc.name,
            origin=origin,
            summary=summary[summary["scenario"] == sc.name].reset_index(drop=True),
            attainment=attain[attain["scenario"] == sc.name].reset_index(drop=True),
            runs=table[table["scenario"] == sc.name].reset_index(drop=True),
            replicates=spec.replicates,
            seed=spec.seed,
            quick=spec.quick,
            parent_key=parent_key if spec.edit is not None and sc.name == spec.edit.name else None,
            folder=str(out),
        )
        for sc in scenarios
    ]
    return sets, out
