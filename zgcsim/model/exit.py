"""Exit of firms: by age, productivity, listing status, incubation and size (priors.md rows 58-59)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.draws import FirmDraws
from zgcsim.model.entry import incubated
from zgcsim.model.firms import FirmTable
from zgcsim.model.population import exit_hazard_by_age


def exit_firms(firms: FirmTable, ctx: StepContext) -> np.ndarray:
    """Exit by age (SAIC profile, row 59), more likely for low productivity and less for listed firms.

    Returns the mask of firms that exit this quarter.
    """
    p, col = ctx.params, firms.columns
    hazard = exit_hazard_by_age(col["age"], p)
    hazard *= p["exit_hazard_scale"]
    low = col["tfp"] + col["tfp_noise"]
    low += p["exit_team_quality_weight"] * col["team_quality"]
    sample = low[::7]  # the bottom quintile's cut-off, estimated on every seventh firm (cheap, deterministic)
    cutoff = np.partition(sample, len(sample) // 5)[len(sample) // 5] if len(sample) else 0.0
    # each factor multiplies only the firms it is not 1 for (the same numbers, without whole-table temporaries);
    # for the bottom fifth a factor of 1 elsewhere is faster than a masked product, and x * 1 is x
    hazard *= np.where(low < cutoff, p["exit_low_tfp_factor"], 1.0)
    np.multiply(hazard, p["exit_listed_factor"], out=hazard, where=col["listed"])
    np.multiply(hazard, p["incubator_survival_factor"], out=hazard, where=incubated(firms, p))
    # failure falls with size (Evans 1987, row 58): from 1 亿元 of revenue the hazard falls with a power of it (the
    # square root by default: 0.3 at 10 亿元, 0.03 at 1 000 亿元; the largest firms almost never close)
    revenue = col["revenue"]
    large = np.flatnonzero(revenue > 1.0)
    hazard[large] *= np.minimum(1.0, revenue[large] ** -p["exit_size_elasticity"])
    yearly = np.minimum(hazard, p["probability_cap"], out=hazard)
    # the quarter's probability 1 - (1 - yearly)^(1/4) = -expm1(QUARTER log1p(-yearly)), in place
    chance = np.log1p(np.negative(yearly, out=yearly), out=yearly)
    chance *= QUARTER
    chance = np.negative(np.expm1(chance, out=chance), out=chance)
    u = FirmDraws(ctx.streams["exit"], ctx.step).uniform("exit", col["uid"])  # keyed by firm uid
    leaving = u < chance
    leaving &= col["active"]
    col["active"] &= ~leaving
    return leaving
