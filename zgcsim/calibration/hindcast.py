"""Rolling-origin hindcasts (``zgcsim hindcast``): calibrate on the record up to an origin, project to 2017, score.

For each origin T (2014, 2015, 2016 by default) the calibration (differential evolution, then emcee; ``run.py``)
sees only the observations of year <= T (``load_moments(last_year=T)``); the spin-up is then run from the 2013
population through 2017 with parameter sets drawn from that origin's posterior ensemble, and every held-out
observation is scored: each full-year figure of basis sourced or derived, of a series the calibration compares
with the model (``moments.SERIES``), with year > T (Tashman 2000; Buerkner et al. 2020's leave-future-out).

The predictive distribution adds the model discrepancy (``discrepancy.py``) to each run: a log random walk from
T whose per-year s.d. is estimated from the *other* origins' residuals (leave one origin out), so an origin's
score never rests on its own misses. The discrepancy estimated from all origins is written to
``discrepancy.json`` for projections. Outputs (each written atomically): ``hindcast.csv``, ``hindcast_report.md``,
``hindcast.png`` and ``discrepancy.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from zgcsim.calibration.discrepancy import GROUPS, TERMS, build_record, estimate, residuals
from zgcsim.calibration.moments import SERIES, Moment, load_moments
from zgcsim.calibration.naive import Observation, full_year_record, naive_trend, yearly_values
from zgcsim.calibration.run import calibrate
from zgcsim.calibration.spinup import SMALL_SPINUP, SPINUP_START
from zgcsim.errors import UserInputError
from zgcsim.inputs.calibration_file import Calibration
from zgcsim.inputs.discrepancy_file import draw_paths
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed, stream
from zgcsim.model.park import ParkModel
from zgcsim.running import atomic

ORIGINS = (2014, 2015, 2016)
LAST_YEAR = 2017  # nothing after 2017 exists in the project's data; the hindcast ends there
CSV_COLUMNS = [
    "origin",
    "series",
    "year",
    "observed",
    "basis",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
    "naive_p05",
    "naive_p50",
    "naive_p95",
]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Budget:
    """What one hindcast spends: calibration evaluations and spin-ups, projection runs and discrepancy draws."""

    evaluations: int = 600  # model evaluations of each origin's calibration (the committed one used 2400)
    replicates: int = 3  # spin-ups per evaluation (common random numbers), as the committed calibration
    runs: int = 60  # posterior runs projected from each origin
    draws: int = 20  # discrepancy paths drawn per run
    seed: int = 2013


def scored_series() -> tuple[str, ...]:
    """Series the hindcast scores: those the calibration compares with the model's calendar-year values."""
    return tuple(s for s, kind in SERIES.items() if kind == "indicator")


def held_out(origin: int, record: Sequence[Observation] | None = None) -> list[Observation]:
    """Full-year sourced or derived figures of the scored series after ``origin`` (one per series and year).

    When two sources give one year, the sourced figure is kept over a derived one.
    """
    picked: dict[tuple[str, int], Observation] = {}
    for o in full_year_record() if record is None else record:
        if o.series in scored_series() and origin < o.year <= LAST_YEAR:
            key = (o.series, o.year)
            if key not in picked or (picked[key].basis != "sourced" and o.basis == "sourced"):
                picked[key] = o
    return sorted(picked.values(), key=lambda o: (o.series, o.year))


def origin_moments(origin: int) -> list[Moment]:
    """The calibration moments an origin may see: every moment of year <= ``origin``."""
    moments = load_moments(last_year=origin)
    if any(m.year > origin for m in moments):  # pragma: no cover - load_moments guarantees it
        raise AssertionError("a moment after the origin")
    return moments


def ensemble_of(record: dict) -> Calibration:
    """The posterior ensemble of a calibration record, as projections use it."""
    members = tuple(tuple(sorted((k, float(v)) for k, v in m["values"].items())) for m in record["ensemble"])
    weights = np.array([float(m["weight"]) for m in record["ensemble"]])
    return Calibration(record["id"], "", "", members, tuple(weights / weights.sum()), record["data_sha256"])


def project(
    cal: Calibration,
    series: Sequence[str],
    runs: int,
    seed: int,
    extra: dict[str, float] | None = None,
    progress: Callable[[int], None] | None = None,
    origin: int | None = None,
) -> np.ndarray:
    """Run the 2013-2017 spin-up ``runs`` times from ``cal``'s ensemble; return values (run x year x series).

    Run r draws its parameter set and its seed from (``seed``, r), as ``zgcsim run`` does for replicates. Years
    are ``SPINUP_START``..``LAST_YEAR``. After ``origin`` the model's structural uncertainty acts (common demand
    shocks, trend persistence, headcount regime, policy effects: model/structure.py), as it does after 2017 in a
    projection, so the hindcast tests the same predictive machinery.
    """
    scenario = resolve_scenario("no_new_policy")
    years = range(SPINUP_START, LAST_YEAR + 1)
    out = np.empty((runs, len(years), len(series)))
    for r in range(runs):
        values = {**cal.values_for(seed, r), **(extra or {})}
        model = ParkModel(
            scenario,
            replicate_seed(seed, r),
            values,
            start_year=SPINUP_START,
            end_year=LAST_YEAR,
            origin_year=origin,
        )
        history = model.run()
        for i, y in enumerate(years):
            out[r, i] = [history[y][s] for s in series]
        if progress:
            progress(1)
    return out


def predictive(
    samples: np.ndarray,
    years: Sequence[int],
    series: Sequence[str],
    origin: int,
    base_sigma: dict[str, float],
    draws: int,
    seed: int,
) -> np.ndarray:
    """Model samples (run x year x series) times exp(discrepancy): (run*draws) x year x series.

    Run r's ``draws`` discrepancy paths come from its own ``discrepancy`` stream; each starts at 0 at ``origin``.
    """
    terms = {s: tuple(TERMS[s].items()) for s in series}
    out = np.empty((samples.shape[0] * draws, len(years), len(series)))
    for r in range(samples.shape[0]):
        rng = stream(replicate_seed(seed, r), "discrepancy")
        for d in range(draws):
            paths = draw_paths(base_sigma, terms, rng, years, origin)
            shift = np.stack([paths[s] for s in series], axis=1)
            out[r * draws + d] = samples[r] * np.exp(shift)
    return out


@dataclass
class OriginResult:
    """One origin's calibration record, its model samples and the observations it is scored on."""

    origin: int
    record: dict
    samples: np.ndarray  # run x year x series
    points: list[Observation]
    moments: int
    seconds: float


@dataclass
class Hindcast:
    """Everything a hindcast produced: the table, the ensembles behind it, the discrepancy and the budget."""

    table: pd.DataFrame
    ensembles: list[np.ndarray]  # predictive members per table row
    model_ensembles: list[np.ndarray]  # the simulator alone, per table row
    discrepancy: dict
    loo_sigmas: dict[int, dict[str, float]]
    origins: list[OriginResult]
    budget: Budget
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)


def _points_frame(results: Sequence[OriginResult], series: Sequence[str]) -> pd.DataFrame:
    years = list(range(SPINUP_START, LAST_YEAR + 1))
    rows = []
    for res in results:
        for o in res.points:
            rows.append(
                {
                    "origin": res.origin,
                    "series": o.series,
                    "year": o.year,
                    "observed": o.value,
                    "basis": o.basis,
                    "samples": res.samples[:, years.index(o.year), list(series).index(o.series)],
                }
            )
    return pd.DataFrame(rows)


def check_request(origins: Sequence[int], budget: Budget) -> None:
    """Refuse origins outside 2014-2016 and budgets too small to run (UserInputError)."""
    bad = [o for o in origins if not SPINUP_START < o < LAST_YEAR]
    if bad or not origins:
        raise UserInputError(f"must lie in {SPINUP_START + 1}-{LAST_YEAR - 1}, got {list(origins)}", key="--origins")
    if budget.evaluations < 4 or budget.replicates < 1 or budget.runs < 2 or budget.draws < 1:
        raise UserInputError("--budget must be at least 4, --replicates 1, --runs 2 and --draws 1", key="--budget")


def run_hindcast(
    work: Path,
    origins: Sequence[int] = ORIGINS,
    budget: Budget | None = None,
    workers: int = 1,
    small: bool = False,
    progress: bool = True,
) -> Hindcast:
    """Calibrate and project every origin, estimate the discrepancy, and build the scored table (no writing).

    ``work`` holds each origin's calibration folder (checkpoint, calibration.json, fit report), so a hindcast
    killed midway resumes its calibrations. ``small`` uses the small 2013 population (tests).
    """
    budget = budget or Budget()
    check_request(origins, budget)
    series = scored_series()
    extra = dict(SMALL_SPINUP) if small else {}
    started = time.perf_counter()
    results = []
    for origin in sorted(set(origins)):
        t0 = time.perf_counter()
        moments = origin_moments(origin)
        if not moments:
            raise UserInputError(f"origin {origin}: no observation up to it to calibrate on", key="--origins")
        record = calibrate(
            work / f"origin_{origin}",
            budget=budget.evaluations,
            replicates=budget.replicates,
            seed=budget.seed,
            workers=workers,
            small=small,
            progress=progress,
            last_year=origin,
        )
        bar = tqdm(total=budget.runs, desc=f"origin {origin} projections", disable=not progress, dynamic_ncols=True)
        samples = project(ensemble_of(record), series, budget.runs, budget.seed + origin, extra, bar.update, origin)
        bar.close()
        results.append(OriginResult(origin, record, samples, held_out(origin), len(moments), time.perf_counter() - t0))
    points = _points_frame(results, series)
    res = residuals(points)
    used = [r.origin for r in results]
    discrepancy = build_record(
        res,
        used,
        {
            "command": "zgcsim hindcast",
            "calibrations": {str(r.origin): r.record["id"] for r in results},
            "budget": budget.__dict__,
            "small_population": small,
            "data_sha256": results[0].record["data_sha256"],
            "code_version": results[0].record["code_version"],
        },
        identifier="zgcsim-discrepancy-" + "-".join(str(o) for o in used),
    )
    loo: dict[int, dict[str, float]] = {}
    for origin in used:
        others = res[res["origin"] != origin]
        groups = estimate(others)
        loo[origin] = {b: groups[g]["sigma"] for b, g in GROUPS.items()}
    table_rows, ensembles, model_ensembles = [], [], []
    years = list(range(SPINUP_START, LAST_YEAR + 1))
    for r in results:
        pred = predictive(r.samples, years, series, r.origin, loo[r.origin], budget.draws, budget.seed + r.origin)
        for o in r.points:
            j, k = years.index(o.year), list(series).index(o.series)
            members = pred[:, j, k]
            q = np.quantile(members, QUANTILES)
            naive = naive_trend(yearly_values(o.series, r.origin), o.year)
            table_rows.append(
                {
                    "origin": r.origin,
                    "series": o.series,
                    "year": o.year,
                    "observed": o.value,
                    "basis": o.basis,
                    **{f"p{int(round(p * 100)):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)},
                    "naive_p05": naive.p05 if naive else np.nan,
                    "naive_p50": naive.p50 if naive else np.nan,
                    "naive_p95": naive.p95 if naive else np.nan,
                }
            )
            ensembles.append(members)
            model_ensembles.append(r.samples[:, j, k])
    table = pd.DataFrame(table_rows, columns=CSV_COLUMNS)
    return Hindcast(
        table, ensembles, model_ensembles, discrepancy, loo, results, budget, time.perf_counter() - started, extra
    )


def headline_scores(h: Hindcast) -> dict:
    """The pooled scores the brief and the page quote: coverage of the 90 % and 50 % bands, and the skill.

    Computed as the project's bar computes them (``scored_points`` / ``summary``): share of held-out points
    inside each band, and 1 - mean relative interval score (alpha 0.1) / that of the naive trend.
    """
    from zgcsim.calibration.hindcast_report import scored_points, summary

    pooled = summary(scored_points(h)).iloc[-1]
    return {
        "origins": [res.origin for res in h.origins],
        "points": int(pooled["points"]),
        "coverage_90": float(pooled["cov90"]),
        "coverage_50": float(pooled["cov50"]),
        "skill": float(pooled["skill_is10"]),
        "reference_points": int(pooled["reference_points"]),
        "budget_evaluations": h.budget.evaluations,
    }


def write_outputs(h: Hindcast, out: Path) -> dict[str, Path]:
    """Write hindcast.csv, discrepancy.json, hindcast_report.md and hindcast.png into ``out`` (atomically)."""
    from zgcsim.calibration.hindcast_report import chart_png, report_markdown

    paths = {
        "csv": out / "hindcast.csv",
        "discrepancy": out / "discrepancy.json",
        "report": out / "hindcast_report.md",
        "chart": out / "hindcast.png",
        "summary": out / "hindcast_summary.json",
    }
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(paths["csv"], h.table.to_csv(index=False, float_format="%.6g"))
    atomic.write_text(paths["discrepancy"], json.dumps(h.discrepancy, indent=2, ensure_ascii=False) + "\n")
    atomic.write_bytes(paths["chart"], chart_png(h))
    atomic.write_text(paths["report"], report_markdown(h))
    atomic.write_text(paths["summary"], json.dumps(headline_scores(h), indent=2) + "\n")
    return paths
