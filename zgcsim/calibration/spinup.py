"""The 2013-2017 spin-up: a 2013 population run through 2014-2017 under the policy of the time.

The policy of the time is the 2017 settings of every lever (50 % super-deduction, 15 % HTE rate, no STAR
Market or Beijing exchange), which is the ``no_new_policy`` scenario before its first dated change.
Replicate seeds are the same for every parameter point (common random numbers), so differences in loss
between points are not seed noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from zgcsim.calibration.moments import Moment
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel

SPINUP_START, SPINUP_END = 2013, 2017
SMALL_SPINUP = {"n_firms_2013": 2500.0}  # a small population for tests and CI


def simulate(
    values: Mapping[str, float],
    moments: Sequence[Moment],
    seed: int,
    replicates: int,
    extra: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Run the spin-up ``replicates`` times at parameter ``values``; return simulated moments (replicate x moment).

    ``extra`` adds fixed values (for example a small population for tests). The spin-up stops at the last
    moment's year (a hindcast's calibration on observations up to 2015 needs no 2016-2017 run).
    """
    scenario = resolve_scenario("no_new_policy")
    end_year = max((m.year for m in moments), default=SPINUP_END)
    out = np.empty((replicates, len(moments)))
    for r in range(replicates):
        model = ParkModel(
            scenario, replicate_seed(seed, r), {**values, **(extra or {})}, start_year=SPINUP_START, end_year=end_year
        )
        history = model.run()
        for j, m in enumerate(moments):
            if m.quarter != 4 and m.series == "invention_patents_held":
                out[r, j] = model.patents_by_quarter[(m.year, m.quarter)]
            else:
                out[r, j] = history[m.year][m.series]
    return out


def loss(simulated: np.ndarray, moments: Sequence[Moment]) -> float:
    """Weighted method-of-simulated-moments loss of the replicate mean of each moment."""
    mean = simulated.mean(axis=0)
    return float(sum(m.weight * m.distance(v) for m, v in zip(moments, mean, strict=True)))
