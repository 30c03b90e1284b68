"""Talent: foreign and returnee hires and their attrition (priors.md rows 67-69)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.draws import FirmDraws
from zgcsim.model.firms import FirmTable, reported_intensity


def talent_programme_effect(levers: dict[str, float], p: dict[str, float]) -> float:
    """How the talent programme scales returnee hiring and founding: level ** elasticity (rows 67-68)."""
    return levers["talent_programme"] ** p["talent_programme_elasticity"]


def hire_talent(firms: FirmTable, ctx: StepContext, employees_before: np.ndarray) -> None:
    """Foreign and returnee hires: a share of hires rising with R&D intensity and the talent programme (rows 67-69).

    Hires are net employment growth plus replacement of the yearly staff turnover (10 %); returnee staff leave at the
    attrition rate and leave the zone when their firm exits.
    """
    p = ctx.params
    hires = np.maximum(firms.employees - employees_before, 0.0) + p["staff_turnover"] * QUARTER * firms.employees
    reported = reported_intensity(firms)
    share = (
        p["returnee_hire_share"]
        * np.sqrt(reported / p["returnee_reference_intensity"])
        * talent_programme_effect(ctx.levers, p)
    )
    mean = hires * np.clip(share, 0, p["returnee_hire_share_max"])
    new = FirmDraws(ctx.streams["talent"], ctx.step).poisson("returnee_hires", firms.uid, mean)  # keyed by uid
    firms.returnees = np.minimum(firms.returnees * (1 - p["returnee_attrition"] * QUARTER) + new, firms.employees)
