"""Calibration targets built from the observations up to 2017, with their basis respected.

Rules (shared data/README.md): only full-year (`FY`) figures of the zone's own statistics are compared with the
model's calendar-year values; stocks observed at a month (patents held in July 2016, June 2017) are compared
with the model's stock at the end of that quarter; figures of the narrower above-size scope (BMSB) and
partial-year ratios are left out, since the model has no counterpart for them. A lower bound ("more than") is
a one-sided target. The 2013 values are the spin-up's starting point, so targets run from 2014 to 2017.
Nothing after 2017 is used.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources

# observed series -> how the model measures it
SERIES = {
    "total_revenue": "indicator",
    "value_added": "indicator",
    "employees": "indicator",
    "st_expenditure": "indicator",
    "rd_intensity": "indicator",
    "invention_patents_held": "patent_stock",
    "invention_applications": "indicator",
    "invention_grants": "indicator",
    "pct_applications": "indicator",
    "international_standards": "indicator",
    "listed_companies": "indicator",
    "tech_contract_turnover": "indicator",
    "foreign_returnee_talent": "indicator",
    "vc_investment": "indicator",
    "enterprises": "indicator",
}
MONTH_QUARTER = {"Mar": 1, "Jun": 2, "Jul": 2, "Sep": 3, "Dec": 4}  # a month's stock -> that quarter's end
TOLERANCE = {"sourced": 0.05, "derived": 0.08, "proxy": 0.10, "lower_bound": 0.05}  # relative, one s.d.
WEIGHT = {"sourced": 1.0, "derived": 0.5, "proxy": 0.25, "lower_bound": 1.0}


@dataclass(frozen=True)
class Moment:
    """One observation the spin-up must reproduce."""

    series: str
    year: int
    period: str
    quarter: int  # 4 for full-year figures
    observed: float
    basis: str
    one_sided: bool  # a lower bound: only falling short counts
    tolerance: float  # relative distance counted as one unit of loss
    weight: float
    source: str

    @property
    def key(self) -> str:
        """A readable identifier, e.g. ``invention_patents_held@2016-Jul``."""
        return f"{self.series}@{self.year}-{self.period}"

    def distance(self, simulated: float) -> float:
        """Squared log distance in tolerance units; zero for a met lower bound."""
        if simulated <= 0:
            return 100.0
        gap = math.log(simulated / self.observed) / self.tolerance
        if self.one_sided:
            gap = min(gap, 0.0)
        return gap * gap

    def within_tolerance(self, simulated: float) -> bool:
        """Whether the simulated value reproduces the observation within its tolerance (or meets its bound)."""
        return within_tolerance(self.observed, self.tolerance, self.one_sided, simulated)


def within_tolerance(observed: float, tolerance: float, one_sided: bool, simulated: float) -> bool:
    """Whether ``simulated`` is within relative ``tolerance`` of ``observed`` (a lower bound: short by at most that)."""
    if one_sided:
        return bool(simulated >= observed * (1 - tolerance))
    return bool(abs(simulated / observed - 1) <= tolerance)


def load_moments(first_year: int = 2014, last_year: int = 2017) -> list[Moment]:
    """Read the packaged observations and return the calibration moments."""
    text = resources.files("zgcsim").joinpath("data/zgc_observed_to_2017.csv").read_text(encoding="utf-8")
    moments = []
    for row in csv.DictReader(text.splitlines()):
        year, series, period = int(row["year"]), row["series"], row["period"]
        if series not in SERIES or not first_year <= year <= last_year or year > 2017:
            continue
        if not row["scope"].startswith("zone"):
            continue  # the above-size (BMSB) scope has no counterpart in the model
        if period == "FY":
            quarter = 4
        elif SERIES[series] == "patent_stock" and period in MONTH_QUARTER:
            quarter = MONTH_QUARTER[period]
        else:
            continue  # partial-year flows are not comparable with full-year ones
        basis = row["basis"]
        if "definition may differ" in row["note"].lower():
            basis = "proxy"  # the source flags its concept as possibly not the zone's usual one
        secondary = "secondary" in row["note"].lower() or "korean summary" in row["source"].lower()
        moments.append(
            Moment(
                series=series,
                year=year,
                period=period,
                quarter=quarter,
                observed=float(row["value"]),
                basis=basis,
                one_sided=basis == "lower_bound",
                tolerance=TOLERANCE[basis] * (2 if secondary else 1),
                weight=WEIGHT[basis] * (0.5 if secondary else 1.0),
                source=row["source"],
            )
        )
    # one moment per series, year and period: a duplicate row (two sources) keeps the sourced one
    unique: dict[str, Moment] = {}
    for m in moments:
        if m.key not in unique or (unique[m.key].basis != "sourced" and m.basis == "sourced"):
            unique[m.key] = m
    return list(unique.values())
