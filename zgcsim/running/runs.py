"""Running replicates: one model run per (scenario, replicate), in this process or across a pool of workers.

Every run is a pure function of (scenario, root seed, replicate, parameter values): the replicate's seed comes
from the seed tree, so the same inputs give the same numbers whatever the executor, the worker count or the
order in which runs finish.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import AUTO, Calibration, resolve_calibration
from zgcsim.inputs.discrepancy_file import Discrepancy, resolve_discrepancy
from zgcsim.inputs.scenario import Scenario, resolve_scenario
from zgcsim.inputs.seeds import replicate_seed, replicate_seed_number
from zgcsim.model.park import ParkModel

COLUMNS = ["scenario", "replicate", "seed", "year", "indicator", "value", "model_value"]


def run_replicate(
    scenario: Scenario,
    root_seed: int,
    replicate: int,
    parameter_values: Mapping[str, float] | None = None,
    calibration: Calibration | str | Path | None = AUTO,
    discrepancy: Discrepancy | str | Path | None = AUTO,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Run one replicate; return its tidy indicator rows (2017-2022) and the uncertain inputs it drew.

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
    return pd.DataFrame(rows, columns=COLUMNS), dict(model.drawn)


def _run_task(task: tuple) -> tuple[pd.DataFrame, dict[str, float]]:
    return run_replicate(*task)


def _executor(workers: int, scheduler: str | None) -> tuple[Executor | None, Callable[[], None]]:
    """Return an executor (None: run in this process) and a function that shuts it down."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the install
            raise UserInputError("--scheduler needs Dask distributed: pip install -e '.[dev]'") from None
        try:
            client = Client(scheduler, timeout=10)
        except OSError as err:
            raise UserInputError(f"cannot reach the Dask scheduler: {err}", key="--scheduler") from None
        return client.get_executor(), client.close
    if workers <= 1:
        return None, lambda: None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    return pool, lambda: pool.shutdown(cancel_futures=True)


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
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every scenario for replicates 0..replicates-1 with paired seeds.

    Returns the tidy indicator table (sorted by scenario order, replicate, year, indicator) and a table of the
    uncertain inputs each replicate drew (scenario, replicate, seed, input, value).
    """
    if replicates < 1:
        raise UserInputError(f"--replicates must be at least 1, got {replicates}", key="--replicates")
    cal = resolve_calibration(calibration)  # loaded once here, so a bad file fails before any run
    disc = resolve_discrepancy(discrepancy)
    tasks = [(sc, seed, r, parameter_values, cal, disc) for sc in scenarios for r in range(replicates)]
    executor, shutdown = _executor(workers, scheduler)
    results: dict[tuple[str, int], tuple[pd.DataFrame, dict[str, float]]] = {}
    bar = tqdm(total=len(tasks), desc="runs", unit="run", disable=not progress, dynamic_ncols=True)
    try:
        if executor is None:
            for task in tasks:
                results[(task[0].name, task[2])] = _run_task(task)
                bar.update()
        else:
            futures = {executor.submit(_run_task, task): (task[0].name, task[2]) for task in tasks}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
    finally:
        bar.close()
        shutdown()
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
    return table, inputs


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
    table, _ = run_many(
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


def default_workers() -> int:
    """Use every core the process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def unique_names(scenarios: Iterable[Scenario]) -> None:
    """Refuse two scenarios with one name: their rows could not be told apart."""
    seen: dict[str, str] = {}
    for sc in scenarios:
        if sc.name in seen:
            raise UserInputError(
                f"two scenarios are named '{sc.name}' ({seen[sc.name]} and {sc.files[0]})", path=sc.files[0], key="name"
            )
        seen[sc.name] = sc.files[0]
