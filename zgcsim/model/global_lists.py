"""Thresholds of the global firm lists and the exchange rates that convert them (global_list_thresholds.csv)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np


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


@cache
def _yuan_per_usd_by_year() -> dict[int, float]:
    """Yearly average yuan per US dollar (``data/yuan_per_usd.csv``, from the shared data/README.md)."""
    text = resources.files("zgcsim").joinpath("data/yuan_per_usd.csv").read_text(encoding="utf-8")
    return {int(r["year"]): float(r["yuan_per_usd"]) for r in csv.DictReader(text.splitlines())}


def yuan_per_usd(year: int) -> float:
    """Yearly average exchange rate; outside the file's years the nearest known year's (none earlier is known)."""
    rates = _yuan_per_usd_by_year()
    return rates[min(max(year, min(rates)), max(rates))]


def fortune_threshold_yi(year: int) -> float:
    """Fortune Global 500 threshold of ``year`` in 亿元 (1 bn US$ = 10 x rate 亿元)."""
    return fortune_threshold_usd_bn(year) * yuan_per_usd(year) * 10.0
