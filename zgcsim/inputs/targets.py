"""The 16 targets of the 2018-2022 action plan, read once from the packaged copy of ``targets_2022.csv``.

Source: the plan's annex (《中关村创新引领高质量发展行动计划（2018-2022年）》), transcribed in
``zgcsim/data/targets_2022.csv`` with the plan's wording; two thresholds ("about 500" listed firms and "2-3"
clusters) are modelling choices stated in that file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Target:
    """One plan target: the indicator key, its names, unit, threshold and how attainment is judged."""

    number: int
    key: str
    name_zh: str
    name_en: str
    unit: str
    unit_en: str
    direction: str  # "higher" or "lower"
    threshold: float
    strict: bool  # the plan says "exceed" (突破/超过): the value must be strictly beyond the threshold
    plan_wording: str
    note: str

    def attained(self, value: float) -> bool:
        """Whether ``value`` meets the target as the plan words it."""
        if self.direction == "higher":
            return value > self.threshold if self.strict else value >= self.threshold
        return value < self.threshold if self.strict else value <= self.threshold


@cache
def load_targets() -> tuple[Target, ...]:
    """Return the 16 targets in the plan's order."""
    text = resources.files("zgcsim").joinpath("data/targets_2022.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(
        Target(
            number=int(r["id"]),
            key=r["key"],
            name_zh=r["name_zh"],
            name_en=r["name_en"],
            unit=r["unit"],
            unit_en=r["unit_en"],
            direction=r["direction"],
            threshold=float(r["threshold"]),
            strict=r["strict"].strip().lower() == "true",
            plan_wording=r["plan_wording"],
            note=r["attainment_rule_note"],
        )
        for r in rows
    )


def target(key: str) -> Target:
    """Return the target with indicator key ``key``."""
    for t in load_targets():
        if t.key == key:
            return t
    raise KeyError(key)
