"""Talent: foreign and returnee hires and their attrition (priors.md rows 67-69)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.firms import FirmTable, reported_intensity


def talent_programme_effect(levers: dict[str, float], p: dict[str, float]) -> float:
    """How the talent programme scales returnee hiring and founding: level ** elasticity (rows 67-68)."""
    return levers["talent_programme"] ** p["talent_programme_elasticity"]


def hire_talent(firms: FirmTable, ctx: StepContext, employees_before: np.ndarray) -> None:
    """Foreign and returnee hires: a share of hires rising with R&D intensity and the talent programme (rows 67-69).

    Hires are net employment growth plus replacement of 10 % turnover a year; returnee staff leave at the
    attrition rate and leave the zone when their firm exits.
    """
    p, rng = ctx.params, ctx.streams["talent"]
    hires = np.maximum(firms.employees - employees_before, 0.0) + 0.10 * QUARTER * firms.employees
    reported = reported_intensity(firms)
    share = p["returnee_hire_share"] * np.sqrt(reported / 0.043) * talent_programme_effect(ctx.levers, p)
    new = rng.poisson(hires * np.clip(share, 0, 0.5))
    firms.returnees = np.minimum(firms.returnees * (1 - p["returnee_attrition"] * QUARTER) + new, firms.employees)
