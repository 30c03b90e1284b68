"""Thresholds of the global firm lists and the exchange rates that convert them (global_list_thresholds.csv)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np

# Yearly average yuan per US dollar, from the shared data/README.md (its own caveat: verify against the
# statistics bureau before relying on them).
YUAN_PER_USD = {2017: 6.75, 2018: 6.62, 2019: 6.90, 2020: 6.90, 2021: 6.45, 2022: 6.73}


@cache
def fortune_threshold_usd_bn(year: int) -> float:
    """Entry threshold of the Fortune Global 500 list published in ``year`` (global_list_thresholds.csv).

    Years missing from the file are interpolated linearly between the nearest listed years (2018 lies between
    the 2017 and 2019 lists); years after the last are held at the last value.
    """
    text = resources.files("zgcsim").joinpath("data/global_list_thresholds.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(text.splitlines()) if r["list"] == "fortune_global_500"]
    years = np.array([int(r["year"]) for r in rows])
    values = np.array([float(r["threshold"]) for r in rows])
    order = np.argsort(years)
    return float(np.interp(year, years[order], values[order]))


def yuan_per_usd(year: int) -> float:
    """Yearly average exchange rate; outside 2017-2022 the nearest known year's (no earlier rate is in the data)."""
    return YUAN_PER_USD[min(max(year, 2017), 2022)]


def fortune_threshold_yi(year: int) -> float:
    """Fortune Global 500 threshold of ``year`` in 亿元 (1 bn US$ = 10 x rate 亿元)."""
    return fortune_threshold_usd_bn(year) * yuan_per_usd(year) * 10.0
