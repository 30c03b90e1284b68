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
    p, col = ctx.params, firms.columns
    employees = col["employees"]
    hires = employees - employees_before
    np.maximum(hires, 0.0, out=hires)
    hires += p["staff_turnover"] * QUARTER * employees
    # the returnee share of hires: base share x sqrt(reported intensity / reference) x programme effect, capped
    share = reported_intensity(firms)
    share /= p["returnee_reference_intensity"]
    share = np.sqrt(share, out=share)
    share *= p["returnee_hire_share"]
    share *= talent_programme_effect(ctx.levers, p)
    mean = np.multiply(hires, np.clip(share, 0, p["returnee_hire_share_max"], out=share), out=hires)
    new = FirmDraws(ctx.streams["talent"], ctx.step).poisson("returnee_hires", col["uid"], mean)  # keyed by uid
    staying = col["returnees"] * (1 - p["returnee_attrition"] * QUARTER)
    staying += new
    np.minimum(staying, employees, out=col["returnees"])
