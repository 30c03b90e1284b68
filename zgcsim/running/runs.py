"""Running replicates: one model run per (scenario, replicate), in this process or across a pool of workers.

Every run is a pure function of (scenario, root seed, replicate, parameter values): the replicate's seed comes
from the seed tree, so the same inputs give the same numbers whatever the executor, the worker count or the
order in which runs finish.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from tqdm import tqdm

from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import AUTO, Calibration, resolve_calibration
from zgcsim.inputs.discrepancy_file import Discrepancy, resolve_discrepancy
from zgcsim.inputs.parks import PARK_KEYS
from zgcsim.inputs.scenario import Scenario, resolve_scenario
from zgcsim.inputs.seeds import replicate_seed, replicate_seed_number
from zgcsim.model.park import ParkModel
from zgcsim.model.parks import PARK_INDICATORS, ZONE_SERIES
from zgcsim.running.executors import Workers
from zgcsim.running.memory import release_run_memory

T = TypeVar("T")
R = TypeVar("R")
COLUMNS = ["scenario", "replicate", "seed", "year", "indicator", "value", "model_value"]
PARK_COLUMNS = ["scenario", "replicate", "seed", "year", "park", "indicator", "value"]


def run_replicate(
    scenario: Scenario,
    root_seed: int,
    replicate: int,
    parameter_values: Mapping[str, float] | None = None,
    calibration: Calibration | str | Path | None = AUTO,
    discrepancy: Discrepancy | str | Path | None = AUTO,
) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    """Run one replicate; return its indicator rows (2017-2022), the inputs it drew or was given, its park rows.

    The park rows are the tidy parks table of the run (``park_rows``).

    The inputs are the uncertain inputs the run drew, its realised cumulative common shocks, and the parameter
    values it was given (its calibration member; these win over a drawn value of the same name, as in the run).

    The replicate's parameter set comes from the calibration's ensemble (``"auto"``: the committed one, if any;
    ``None``: the parameter table's central values); explicit ``parameter_values`` win over both.
    ``model_value`` is the simulator's output; ``value`` is the predictive value: ``model_value`` times
    exp(the replicate's model-discrepancy path) for the indicators the discrepancy covers (``"auto"``: the
    committed ``calibration/discrepancy.json``, if any; ``None``: none, so ``value`` equals ``model_value``).
    The path is zero in the first year (2017, the observed baseline) and comes from the replicate seed's own
    ``discrepancy`` stream, so a replicate gets the same path in every scenario.
    """
    cal = resolve_calibration(calibration)
    values = {**(cal.values_for(root_seed, replicate) if cal else {}), **dict(parameter_values or {})}
    model = ParkModel(scenario, replicate_seed(root_seed, replicate), values)
    history = model.run()  # run() releases the model from Mesa's id counters, so workers keep flat memory
    seed_number = replicate_seed_number(root_seed, replicate)
    years = sorted(history)
    disc = resolve_discrepancy(discrepancy)
    paths = disc.paths(replicate_seed(root_seed, replicate), years, years[0]) if disc else {}
    rows = [
        (
            scenario.name,
            replicate,
            seed_number,
            year,
            key,
            value * math.exp(paths[key][i]) if key in paths else value,
            value,
        )
        for i, year in enumerate(years)
        for key, value in history[year].items()
    ]
    parks = park_rows(scenario.name, replicate, seed_number, model.park_history, paths, years)
    return pd.DataFrame(rows, columns=COLUMNS), dict(model.drawn) | values, parks


def park_rows(
    scenario: str,
    replicate: int,
    seed_number: int,
    park_history: Mapping[int, Any],
    paths: Mapping[str, Any],
    years: Sequence[int],
) -> pd.DataFrame:
    """The parks' table of one run, tidy: ``scenario, replicate, seed, year, park, indicator, value``.

    Every park every year, one row per indicator of ``model.parks.PARK_INDICATORS``. Values carry the model
    discrepancy of the zone series they add up to (``ZONE_SERIES``), so parks sum to the zone's ``value``.
    """
    n_parks, keys = len(PARK_KEYS), list(PARK_INDICATORS)
    blocks = []
    for i, year in enumerate(years):
        table = np.array(park_history[year], dtype=float)
        factor = np.array([math.exp(paths[ZONE_SERIES[k]][i]) if ZONE_SERIES.get(k) in paths else 1.0 for k in keys])
        blocks.append(table * factor[:, None])
    values = np.stack(blocks)  # year, indicator, park
    n_years = len(years)
    return pd.DataFrame(
        {
            "scenario": scenario,
            "replicate": replicate,
            "seed": seed_number,
            "year": np.repeat(np.asarray(years), len(keys) * n_parks),
            "park": np.tile(np.asarray(PARK_KEYS), n_years * len(keys)),
            "indicator": np.tile(np.repeat(np.asarray(keys), n_parks), n_years),
            "value": values.reshape(-1).astype(np.float32),  # compact: 7 digits are plenty for park figures
        },
        columns=PARK_COLUMNS,
    )


class RunCancelled(Exception):
    """A stop hook asked the run loop to stop; the caller keeps or drops what finished."""


def run_loop(
    function: Callable[[T], R],
    tasks: Sequence[T],
    workers: Workers,
    *,
    progress: bool = False,
    done_before: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[T, R]]:
    """The one run loop: run ``function`` on every task and yield ``(task, result)`` as each finishes.

    ``zgcsim run``, the dashboard and experiments all run through it.

    Args:
        function: a module-level function (a process pool pickles it) that runs one task.
        tasks: the tasks to run.
        workers: where they run (see ``Workers``); in this process they run in order, one per result asked for.
        progress: show a progress bar with ETA on standard error.
        done_before: tasks finished in an earlier session (a resumed experiment), counted as done.
        on_progress: called with (tasks done, tasks in all) after each task.
        should_stop: asked before each next result; when it says yes the loop raises ``RunCancelled``.

    Raises:
        RunCancelled: ``should_stop`` said yes.
    """
    total = done_before + len(tasks)
    bar = tqdm(total=total, initial=done_before, desc="runs", unit="run", disable=not progress, dynamic_ncols=True)
    try:
        results = workers.map_unordered(function, tasks)
        done = done_before
        while True:
            if should_stop is not None and should_stop():
                raise RunCancelled()
            item = next(results, None)
            if item is None:
                return
            done += 1
            bar.update()
            if on_progress is not None:
                on_progress(done, total)
            yield item
    finally:
        bar.close()


def _run_task(task: tuple) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    result = run_replicate(*task)
    release_run_memory()
    return result


def run_many(
    scenarios: Sequence[Scenario],
    replicates: int,
    seed: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    parameter_values: Mapping[str, float] | None = None,
    progress: bool = True,
    calibration: Calibration | str | Path | None = AUTO,
    discrepancy: Discrepancy | str | Path | None = AUTO,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Run every scenario for replicates 0..replicates-1 with paired seeds.

    Args:
        scenarios: the resolved scenarios (their names must differ).
        replicates: runs per scenario.
        seed: the root seed; replicate ``r`` gets the same seed in every scenario.
        workers: local worker processes (1: in this process); ignored with ``scheduler``.
        scheduler: address of a Dask scheduler to run on.
        parameter_values: parameter values every run uses (over the calibration's).
        progress: show a progress bar.
        calibration: ``"auto"`` (the committed calibration, if any), a file, a Calibration, or None.
        discrepancy: ``"auto"`` (the committed model discrepancy, if any), a file, a Discrepancy, or None (no
            discrepancy: ``value`` is the simulator's output); see ``run_replicate``.
        on_progress: called with (runs done, runs in all) after each run (see ``run_loop``).
        should_stop: asked before each next run; a yes raises ``RunCancelled``.

    Returns:
        The tidy indicator table (sorted by scenario order, replicate, year, indicator), a table of the
        uncertain inputs each replicate drew (scenario, replicate, seed, input, value), and the tidy parks table
        (scenario, replicate, seed, year, park, indicator, value; see ``park_rows``).
    """
    if replicates < 1:
        raise UserInputError(f"--replicates must be at least 1, got {replicates}", key="--replicates")
    cal = resolve_calibration(calibration)  # loaded once here, so a bad file fails before any run
    disc = resolve_discrepancy(discrepancy)
    tasks = [(sc, seed, r, parameter_values, cal, disc) for sc in scenarios for r in range(replicates)]
    results: dict[tuple[str, int], tuple[pd.DataFrame, dict[str, float], pd.DataFrame]] = {}
    with Workers(workers, scheduler) as pool:
        loop = run_loop(_run_task, tasks, pool, progress=progress, on_progress=on_progress, should_stop=should_stop)
        for task, result in loop:
            results[(task[0].name, task[2])] = result
    order = [(sc.name, r) for sc in scenarios for r in range(replicates)]
    table = pd.concat([results[key][0] for key in order], ignore_index=True)
    inputs = pd.DataFrame(
        [
            (name, r, replicate_seed_number(seed, r), key, value)
            for name, r in order
            for key, value in results[(name, r)][1].items()
        ],
        columns=["scenario", "replicate", "seed", "input", "value"],
    )
    parks = pd.concat([results[key][2] for key in order], ignore_index=True)
    return table, inputs, parks


def run_scenario(
    scenario: str | Path | Scenario,
    replicates: int = 10,
    seed: int = 20180101,
    *,
    workers: int = 1,
    parameter_values: Mapping[str, float] | None = None,
    progress: bool = False,
    calibration: Calibration | str | Path | None = AUTO,
    discrepancy: Discrepancy | str | Path | None = AUTO,
) -> pd.DataFrame:
    """Run one scenario and return the tidy table ``scenario, replicate, seed, year, indicator, value``.

    By default each replicate takes its parameter set from the committed calibration (see ``run_replicate``).
    """
    table, _, _ = run_many(
        [resolve_scenario(scenario)],
        replicates,
        seed,
        workers=workers,
        parameter_values=parameter_values,
        progress=progress,
        calibration=calibration,
        discrepancy=discrepancy,
    )
    return table


def unique_names(scenarios: Iterable[Scenario]) -> None:
    """Refuse two scenarios with one name: their rows could not be told apart."""
    seen: dict[str, str] = {}
    for sc in scenarios:
        if sc.name in seen:
            raise UserInputError(
                f"two scenarios are named '{sc.name}' ({seen[sc.name]} and {sc.files[0]})", path=sc.files[0], key="name"
            )
        seen[sc.name] = sc.files[0]
