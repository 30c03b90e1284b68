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
    p = ctx.params
    hazard = exit_hazard_by_age(firms.age, p) * p["exit_hazard_scale"]
    low = firms.tfp + firms.tfp_noise + p["exit_team_quality_weight"] * firms.team_quality
    sample = low[::7]  # the bottom quintile's cut-off, estimated on every seventh firm (cheap, deterministic)
    cutoff = np.partition(sample, len(sample) // 5)[len(sample) // 5] if len(sample) else 0.0
    # each factor multiplies only the firms it is not 1 for (the same numbers, without whole-table temporaries)
    np.multiply(hazard, p["exit_low_tfp_factor"], out=hazard, where=low < cutoff)
    np.multiply(hazard, p["exit_listed_factor"], out=hazard, where=firms.listed)
    np.multiply(hazard, p["incubator_survival_factor"], out=hazard, where=incubated(firms, p))
    # failure falls with size (Evans 1987, row 58): from 1 亿元 of revenue the hazard falls with a power of it (the
    # square root by default: 0.3 at 10 亿元, 0.03 at 1 000 亿元; the largest firms almost never close)
    large = np.flatnonzero(firms.revenue > 1.0)
    hazard[large] *= np.minimum(1.0, firms.revenue[large] ** -p["exit_size_elasticity"])
    yearly = np.minimum(hazard, p["probability_cap"])
    u = FirmDraws(ctx.streams["exit"], ctx.step).uniform("exit", firms.uid)  # keyed by firm uid
    leaving = firms.active & (u < -np.expm1(QUARTER * np.log1p(-yearly)))
    firms.active = firms.active & ~leaving
    return leaving
