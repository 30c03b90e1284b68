"""Every number the model uses, declared once (in ``zgcsim/data/parameters.toml``) with unit, range, kind, source.

Kinds:
- ``data``: a sourced 2017 aggregate (``zgcsim/data/zgc_observed_to_2017.csv``) that the synthetic
  population reproduces.
- ``uncertain``: a 2017 baseline that is not known (``data/README.md`` of the shared folder, "What is not
  known"); drawn uniformly on ``[low, high]`` for every replicate and recorded in the results.
- ``prior``: a behavioural parameter with an empirical prior in ``research/priors.md`` (Table 1 row given in
  ``source``); the central value is used unless a calibration or a sensitivity design says otherwise.
- ``free``: a behavioural parameter without a retrieved source; the value is a starting guess inside a
  stated range, to be calibrated on data up to 2017 or varied in sensitivity analysis.
- ``rule``: a modelling choice that defines an indicator the plan leaves undefined; stated in docs/model.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Literal

import numpy as np

Kind = Literal["data", "uncertain", "prior", "free", "rule"]
KINDS = ("data", "uncertain", "prior", "free", "rule")


@dataclass(frozen=True)
class Parameter:
    """One named number with its range and provenance."""

    name: str
    value: float
    low: float
    high: float
    unit: str
    kind: Kind
    source: str
    description: str
    # for uncertain inputs beyond the baselines: structural, policy_effect, common_shock, concept, unit_cost, park_area
    group: str = ""


def _load() -> tuple[Parameter, ...]:
    """Read ``zgcsim/data/parameters.toml``, checking every entry's fields, kind and range."""
    text = resources.files("zgcsim").joinpath("data/parameters.toml").read_text(encoding="utf-8")
    found = []
    for name, entry in tomllib.loads(text).items():
        low, high = (float(x) for x in entry["range"])
        value = float(entry["value"])
        if entry["kind"] not in KINDS or not low <= value <= high:
            raise ValueError(f"parameters.toml: {name}: bad kind or value outside its range")
        found.append(
            Parameter(
                name,
                value,
                low,
                high,
                entry["unit"],
                entry["kind"],
                entry["source"],
                entry["description"],
                entry.get("group", ""),
            )
        )
    return tuple(found)


PARAMETERS: tuple[Parameter, ...] = _load()

BY_NAME: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in PARAMETERS})


def defaults() -> dict[str, float]:
    """Return the central value of every parameter."""
    return {p.name: p.value for p in PARAMETERS}


def baseline_year(name: str) -> int | None:
    """The baseline year a parameter belongs to (``employees_2013`` -> 2013), or None for behavioural ones."""
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) == 4 else None


def draw_uncertain(
    rng: np.random.Generator, overrides: Mapping[str, tuple[float, float]] | None = None, start_year: int = 2017
) -> dict[str, float]:
    """Draw the uncertain inputs of a model starting at the end of ``start_year``, uniformly, in a fixed order.

    Baselines of other years are skipped; every drawn input takes exactly one draw, so narrowing one range does
    not shift the others.
    """
    overrides = overrides or {}
    drawn: dict[str, float] = {}
    for p in PARAMETERS:
        year = baseline_year(p.name)
        if p.kind != "uncertain" or (year is not None and year != start_year):
            continue
        low, high = overrides.get(p.name, (p.low, p.high))
        drawn[p.name] = low + (high - low) * rng.random()
    return drawn


def baseline(p: Mapping[str, float], year: int) -> dict[str, float]:
    """The zone's figures at the end of ``year`` under generic names (``revenue``, ``employees``, ...)."""
    found = {name[: -len(f"_{year}")]: value for name, value in p.items() if name.endswith(f"_{year}")}
    found["standards_prev"] = p[f"standards_{year - 1}"]
    return found
