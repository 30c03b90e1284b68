"""What the live what-if shows: the paired attainment table of the runs so far, and result sets for the fan chart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zgcsim.dashboard.catalogue import ResultSet
from zgcsim.dashboard.live import Snapshot
from zgcsim.dashboard.tables import number, target_row_head
from zgcsim.inputs.targets import Target, load_targets
from zgcsim.reporting.labels import t
from zgcsim.reporting.tables import hits, mean_interval
from zgcsim.running.results_folder import summarise


@dataclass(frozen=True)
class LiveView:
    """A snapshot made ready to show: the paired table, the runs paired so far, and the runs for the fan chart."""

    job: int
    parent: str
    child: str | None
    pairs: int  # edited runs finished, each paired with the parent's run of the same seed
    replicates: int
    parent_runs: int
    table: pd.DataFrame
    parent_table: pd.DataFrame  # the parent's runs so far (tidy rows)
    child_table: pd.DataFrame | None  # the edited scenario's runs so far
    finished: bool
    seed: int
    quick: bool = False
    error: str | None = None


def _matrix(table: pd.DataFrame) -> pd.DataFrame:
    """The 2022 values of the 16 targets, one row per seed (all the table needs, so it stays fast)."""
    keys = [target.key for target in load_targets()]
    final = table[(table["year"] == 2022) & table["indicator"].isin(keys)]
    return final.pivot(index="seed", columns="indicator", values="value").reindex(columns=keys)


def _p_cell(values: np.ndarray, target: Target) -> str:
    """'P ± se | median' of a target's 2022 values (the standard error as in ``results_folder.attainment``)."""
    p = float(hits(values, target).mean())
    return f"{p:.2f} ± {np.sqrt(p * (1 - p) / len(values)):.2f} | {number(float(np.median(values)))}"


def live_table(snapshot: Snapshot, parent: str, child: str | None, lang: str) -> pd.DataFrame:
    """The paired attainment table of the runs so far, one row per target.

    Columns: the parent's P ± its Monte Carlo standard error and 2022 median (its runs so far); the edit's, on the
    pairs so far; and the paired change in P with its 95 % interval (``reporting.tables.mean_interval``, as
    ``paired_differences``) and the median run-by-run 2022 difference with its 5-95 % range.
    """
    n_parent = snapshot.runs(parent)
    there = here = None
    pairs = 0
    if n_parent:
        parent_m = _matrix(snapshot.tables[parent])
        if child is not None and snapshot.runs(child):
            child_m = _matrix(snapshot.tables[child])
            seeds = parent_m.index.intersection(child_m.index)
            pairs = len(seeds)
            there, here = parent_m.loc[seeds], child_m.loc[seeds]
    rows = []
    for target in load_targets():
        row = {
            **target_row_head(target, lang),
            t("live_parent", lang, n=n_parent): _p_cell(parent_m[target.key].to_numpy(), target) if n_parent else "…",
        }
        if child is not None:
            if not pairs:
                row[t("live_edit", lang, n=pairs)] = row[t("live_delta", lang)] = "…"
            else:
                a, b = there[target.key].to_numpy(), here[target.key].to_numpy()  # type: ignore[index]
                row[t("live_edit", lang, n=pairs)] = _p_cell(b, target)
                p_diff, low, high = mean_interval(hits(b, target).astype(float) - hits(a, target).astype(float))
                interval = f" [{low:+.2f}, {high:+.2f}]" if np.isfinite(low) and np.isfinite(high) else ""
                p05, median, p95 = np.quantile(b - a, [0.05, 0.5, 0.95])
                row[t("live_delta", lang)] = (
                    f"{p_diff:+.2f}{interval} | {number(median, True)} ({number(p05, True)} … {number(p95, True)})"
                )
        rows.append(row)
    return pd.DataFrame(rows)


def make_view(snapshot: Snapshot, parent: str, child: str | None, lang: str, quick: bool, seed: int) -> LiveView:
    """Turn a job's snapshot into what the page shows."""
    pairs = 0
    if child is not None:
        pairs = len(set(snapshot.tables[parent]["seed"]).intersection(snapshot.tables[child]["seed"]))
    return LiveView(
        job=snapshot.job,
        parent=parent,
        child=child,
        pairs=pairs,
        replicates=snapshot.replicates,
        parent_runs=snapshot.runs(parent),
        table=live_table(snapshot, parent, child, lang),
        parent_table=snapshot.tables[parent],
        child_table=snapshot.tables[child] if child is not None else None,
        finished=snapshot.finished,
        seed=seed,
        quick=quick,
        error=snapshot.error,
    )


def fan_sets(view: LiveView, indicator: str) -> list[ResultSet]:
    """Result sets for the fan chart of ``indicator``: the parent's runs so far and the edited scenario's pairs.

    Only the indicator's rows are summarised (the chart needs no other), so a redraw stays cheap.
    """
    shown = [(view.parent, view.parent_table)] if view.parent_runs else []
    if view.child is not None and view.child_table is not None and view.pairs:
        shown.append((view.child, view.child_table))
    return [
        ResultSet(
            key=f"{name} @ live",
            scenario=name,
            origin="live",
            summary=summarise(runs[runs["indicator"] == indicator]),
            attainment=pd.DataFrame(),
            runs=runs,
            replicates=int(runs["seed"].nunique()),
            seed=view.seed,
            quick=view.quick,
        )
        for name, runs in shown
    ]
