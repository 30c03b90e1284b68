"""What every submodel sees in one quarter, and small numeric helpers shared by the submodels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zgcsim.inputs.sectors import SECTORS
from zgcsim.inputs.seeds import KeyedStream

QUARTER = 0.25


def power(base: np.ndarray, exponent: float) -> np.ndarray:
    """``base ** exponent`` for non-negative arrays, via exp and log (several times faster than ``**`` here)."""
    with np.errstate(divide="ignore"):
        return np.exp(exponent * np.log(base))


@dataclass
class StepContext:
    """What every submodel sees in one quarter: the date, the levers, the parameters and the random streams."""

    year: int
    quarter: int  # 1..4
    step: int  # 0 for 2018 Q1
    levers: dict[str, float]
    params: dict[str, float]
    streams: dict[str, KeyedStream]  # named streams: sequential draws, and firm-keyed ones (model/draws.py)
    derived: dict[str, float]  # values the model derives from its start population (``ParkModel.derived``)
    demand_shock: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # log level, by sector
    congestion: float | np.ndarray = 0.0  # yearly growth drag from land: each firm's park's (model/parks.py)
    platform_boost: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # by sector
    common_growth: np.ndarray = field(default_factory=lambda: np.zeros(len(SECTORS)))  # yearly log growth, by sector
    origin_step: int = 0  # steps from the start to the end of the origin year (the last year of data)

    @property
    def years_past_origin(self) -> int:
        """1 in the first year after the origin, 2 in the second, ...; 0 up to the origin."""
        return max(0, (self.step - self.origin_step) // 4 + 1)

    @property
    def time(self) -> float:
        """Fractional calendar year at the start of the quarter."""
        return self.year + (self.quarter - 1) * QUARTER
