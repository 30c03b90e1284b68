"""Reference forecasts a hindcast must beat: the naive trend (DESIGN.md) and a random walk with drift.

Both are built from the zone's own full-year figures of basis ``sourced`` or ``derived`` up to the origin (the
packaged ``zgc_observed_to_2017.csv``); two figures for one year (two sources) are averaged, as the project's
scorer ``shared/tools/check_hindcast.py`` does.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

Z90 = 1.6448536269514722  # standard normal 95th percentile: a central 90 % band is +-Z90 standard deviations
NAIVE_LOG_SD = 0.05  # the naive trend's log standard deviation per sqrt(year ahead), fixed by DESIGN.md


@dataclass(frozen=True)
class Observation:
    """One full-year figure of the zone's record."""

    series: str
    year: int
    value: float
    basis: str


@cache
def full_year_record() -> tuple[Observation, ...]:
    """Every full-year (``FY``) figure of basis sourced or derived in the packaged observations (up to 2017)."""
    text = resources.files("zgcsim").joinpath("data/zgc_observed_to_2017.csv").read_text(encoding="utf-8")
    return tuple(
        Observation(r["series"], int(r["year"]), float(r["value"]), r["basis"])
        for r in csv.DictReader(text.splitlines())
        if r["period"] == "FY" and r["basis"] in ("sourced", "derived")
    )


def yearly_values(series: str, origin: int, record: tuple[Observation, ...] | None = None) -> dict[int, float]:
    """The series' figures by year up to ``origin`` (two figures for one year are averaged)."""
    by_year: dict[int, list[float]] = {}
    for o in full_year_record() if record is None else record:
        if o.series == series and o.year <= origin:
            by_year.setdefault(o.year, []).append(o.value)
    return {y: float(np.mean(v)) for y, v in sorted(by_year.items())}


@dataclass(frozen=True)
class Band:
    """A reference forecast: 5th percentile, median and 95th percentile."""

    p05: float
    p50: float
    p95: float


def naive_trend(values: dict[int, float], year: int) -> Band | None:
    """The naive trend's forecast of ``year`` from the figures ``values`` (year -> value, all up to the origin).

    A least-squares line through the logs of the figures against the year gives a slope (zero when there is only
    one figure); the forecast starts at the last observed figure and moves along that slope for the years ahead,
    h = year - last observed year. Its 90 % band is +-1.645 x 0.05 x sqrt(h) in logs around that median
    (DESIGN.md; the same rule as ``shared/tools/check_hindcast.py``). None when there is no figure.
    """
    if not values:
        return None
    years = np.array(sorted(values), dtype=float)
    logs = np.log([values[int(y)] for y in years])
    slope = float(np.polyfit(years, logs, 1)[0]) if len(years) >= 2 else 0.0
    last = int(years[-1])
    ahead = year - last
    mid = math.log(values[last]) + slope * ahead
    half = Z90 * NAIVE_LOG_SD * math.sqrt(max(ahead, 0))
    return Band(math.exp(mid - half), math.exp(mid), math.exp(mid + half))


def random_walk_drift(values: dict[int, float], year: int) -> Band | None:
    """A random walk with drift in logs, the second reference: drift and step s.d. from the yearly log changes.

    With figures at years y_1 < ... < y_n, each gap's log change per year estimates the drift (the mean change per
    year over all gaps, i.e. (log v_n - log v_1) / (y_n - y_1)) and the step variance (the scatter of the gaps'
    changes around the drift, each gap's change divided by the root of its length). The forecast h years past
    the last figure is normal in logs with mean log v_n + drift x h and s.d. step x sqrt(h). With fewer than three
    figures the step s.d. cannot be estimated and the naive trend's 0.05 is used; with one figure the drift is 0.
    """
    if not values:
        return None
    years = sorted(values)
    logs = [math.log(values[y]) for y in years]
    last = years[-1]
    ahead = year - last
    drift = (logs[-1] - logs[0]) / (years[-1] - years[0]) if len(years) >= 2 else 0.0
    step = NAIVE_LOG_SD
    if len(years) >= 3:
        gaps = np.diff(years).astype(float)
        scaled = (np.diff(logs) - drift * gaps) / np.sqrt(gaps)
        step = float(np.sqrt(np.sum(scaled**2) / (len(scaled) - 1)))
    mid = logs[-1] + drift * ahead
    half = Z90 * step * math.sqrt(max(ahead, 0))
    return Band(math.exp(mid - half), math.exp(mid), math.exp(mid + half))
