"""Entry of new firms into the zone's statistics.

Sources of entry: de novo start-ups, university spin-offs, returnee founders and hard-tech incubator graduates
(priors.md section 6, rows 60, 67, 70, 33).
"""

from __future__ import annotations

import numpy as np

from zgcsim.inputs.sectors import SECTORS
from zgcsim.model.context import QUARTER, StepContext
from zgcsim.model.firms import FIELDS, FirmTable
from zgcsim.model.knowledge import steady_stock
from zgcsim.model.talent import talent_programme_effect

DE_NOVO, SPIN_OFF, RETURNEE, INCUBATOR = 1, 2, 3, 4  # firms.ORIGINS


def incubated(firms: FirmTable, p: dict[str, float]) -> np.ndarray:
    """Mask of incubator graduates in their first years (``incubation_effect_years``): the incubator's effects."""
    return (firms.origin == INCUBATOR) & (firms.age < p["incubation_effect_years"])


def entrant_counts(n_firms: int, spinoffs: int, ctx: StepContext) -> dict[int, int]:
    """Number of entrants this quarter by origin.

    De novo entry is Poisson at the entry rate times the firm count; returnee founders add a share that rises
    with the talent programme (row 67); incubator graduates are the lever's yearly capacity spread over the
    quarters; spin-offs come from the universities this quarter.
    """
    p, lv, rng = ctx.params, ctx.levers, ctx.streams["entry"]
    de_novo = int(rng.poisson(p["startup_entry_rate"] * n_firms * QUARTER))
    returnee_share = p["returnee_founder_share"] * talent_programme_effect(lv, p)
    returnees = int(rng.poisson(de_novo * returnee_share))
    incubated = int(rng.poisson(lv["incubator_capacity"] * QUARTER))
    return {DE_NOVO: de_novo, SPIN_OFF: spinoffs, RETURNEE: returnees, INCUBATOR: incubated}


def make_entrants(counts: dict[int, int], firms: FirmTable, next_uid: int, ctx: StepContext) -> dict[str, np.ndarray]:
    """Return the columns of this quarter's entrants: small young firms, R&D-intensive, sectors as incumbents.

    Spin-offs carry a few patents and a higher team quality; returnee founders a returnee on staff and a
    higher team quality (rows 33, 67); incubator graduates are marked for the incubator boost (row 70).
    """
    p, rng = ctx.params, ctx.streams["entry"]
    origin = np.concatenate([np.full(k, o, np.int8) for o, k in counts.items()]) if counts else np.zeros(0, np.int8)
    k = len(origin)
    col: dict[str, np.ndarray] = {name: np.zeros(k, dtype) for name, dtype in FIELDS.items()}
    if k == 0:
        return col
    col["uid"] = np.arange(next_uid, next_uid + k)
    col["origin"] = origin
    col["sector"] = rng.choice(len(SECTORS), size=k, p=_sector_shares(firms))
    revenue = p["entrant_revenue_median"] * rng.lognormal(0.0, p["entrant_size_dispersion"], k)
    col["revenue"] = revenue
    per_person = p["entrant_revenue_per_employee"] * rng.lognormal(
        0, p["entrant_productivity_dispersion"], k
    )  # ~60 万元 per person
    col["employees"] = np.maximum(revenue / per_person, p["min_employees"])
    col["age"] = rng.random(k) * QUARTER
    col["manufacturer"] = rng.random(k) < np.array([s.manufacturing_share for s in SECTORS])[col["sector"]]
    col["team_quality"] = rng.standard_normal(k) + p["founder_team_quality_bonus"] * np.isin(
        origin, (SPIN_OFF, RETURNEE)
    )
    va_noise = rng.lognormal(0, p["va_ratio_dispersion"], k)
    col["va_ratio0"] = np.array([s.va_ratio for s in SECTORS])[col["sector"]] * va_noise
    intensity = np.clip(
        p["entrant_rd_median"] * rng.lognormal(0, p["entrant_rd_dispersion"], k),
        p["entrant_rd_min"],
        p["entrant_rd_max"],
    )
    col["rd_intensity"] = intensity
    col["rd_stock"] = steady_stock(intensity * revenue, p) + p["spinoff_rd_stock"] * (origin == SPIN_OFF)
    col["knowledge0"] = col["rd_stock"].copy()
    col["patent_fe"] = rng.gamma(p["patent_dispersion"], 1 / p["patent_dispersion"], k)
    col["patents_held"] = np.where(origin == SPIN_OFF, 1 + rng.poisson(p["spinoff_patents_mean"], k), 0)
    col["hte_eligible"] = rng.random(k) < p["hte_eligible_share"]
    margin = rng.normal(p["entrant_margin_mean"], p["entrant_margin_sd"], k)
    col["margin_pre"] = margin + intensity
    col["profit_last"] = margin * revenue
    col["returnees"] = (origin == RETURNEE).astype(float)
    mean_energy = (firms.energy_intensity * firms.va_ratio0 * firms.revenue).sum() / (
        firms.va_ratio0 * firms.revenue
    ).sum()
    factor = np.array([s.energy_factor for s in SECTORS])
    col["energy_intensity"] = (
        mean_energy * factor[col["sector"]] / factor.mean() * rng.lognormal(0, p["energy_intensity_dispersion"], k)
    )
    col["vc_last_year"] = np.full(k, np.nan)
    col["vc_first_year"] = np.full(k, np.nan)
    col["ipo_exchange"] = np.full(k, -1)
    col["active"] = np.ones(k, bool)
    return col


def _sector_shares(firms: FirmTable) -> np.ndarray:
    counts = np.bincount(firms.sector[firms.active], minlength=len(SECTORS)).astype(float) + 1.0
    return counts / counts.sum()
