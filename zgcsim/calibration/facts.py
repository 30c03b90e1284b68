"""Stylised facts the calibrated model must show in its 2013-2017 spin-up (priors.md sections 6, 9).

Each check states the fact, the statistic measured on the simulated zone, and the range taken as holding.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from zgcsim.calibration.spinup import SPINUP_END, SPINUP_START
from zgcsim.inputs.scenario import resolve_scenario
from zgcsim.inputs.seeds import replicate_seed
from zgcsim.model.park import ParkModel
from zgcsim.model.population import hte_threshold


def _hill_alpha(sizes: np.ndarray, k: int = 200) -> float:
    top = np.sort(sizes)[::-1]
    k = min(k, len(top) - 1)
    return float(1.0 / np.mean(np.log(top[:k] / top[k])))


def stylised_facts(values: Mapping[str, float], seed: int, extra: Mapping[str, float] | None = None) -> list[dict]:
    """Run one spin-up at ``values`` and check each stylised fact; return one record per fact."""
    model = ParkModel(
        resolve_scenario("no_new_policy"),
        replicate_seed(seed, 0),
        {**values, **(extra or {})},
        start_year=SPINUP_START,
        end_year=SPINUP_END,
    )
    f = model.firms
    cohort: dict[int, float] = {}  # first backed in the spin-up's first year -> entry revenue
    failed: set[int] = set()
    at_risk = np.zeros(12)
    exits = np.zeros(12)
    revenue_2016: dict[int, float] = {}
    while model.year < SPINUP_END or model.quarter < 4:
        f = model.firms
        ages = np.minimum(f.age[f.active].astype(int), 11)
        at_risk += np.bincount(ages, minlength=12) * 0.25
        before = dict(zip(f.uid[f.active].tolist(), ages.tolist(), strict=True))
        model.step()
        f = model.firms
        for uid in model.last_exits.tolist():
            exits[before.get(uid, 11)] += 1
            if uid in cohort:
                failed.add(uid)
        if model.year == SPINUP_START + 1:
            new = (f.vc_first_year >= SPINUP_START + 1) & ~np.isin(f.uid, list(cohort))
            cohort.update(zip(f.uid[new].tolist(), f.vc_entry_revenue[new].tolist(), strict=True))
        if model.year == SPINUP_END - 1 and model.quarter == 4:
            revenue_2016 = dict(zip(f.uid[f.active].tolist(), f.y_revenue[f.active].tolist(), strict=True))

    f = model.firms
    facts = []

    def check(name: str, statistic: float, low: float, high: float, source: str) -> None:
        facts.append(
            {
                "fact": name,
                "statistic": round(statistic, 4),
                "range": [low, high],
                "holds": bool(low <= statistic <= high),
                "source": source,
            }
        )

    check(
        "Zipf-like upper tail of firm revenue (Hill exponent, largest 200 firms)",
        _hill_alpha(f.y_revenue),
        0.8,
        1.3,
        "priors.md row 55 (Axtell 2001: about 1)",
    )
    alive = [u for u in f.uid[f.active].tolist() if u in revenue_2016]
    index = {u: i for i, u in enumerate(f.uid.tolist())}
    rows = np.array([index[u] for u in alive])
    g = np.log(f.y_revenue[rows] / np.array([revenue_2016[u] for u in alive]))
    g = g[np.isfinite(g)]
    kurtosis = float(np.mean((g - g.mean()) ** 4) / np.var(g) ** 2 - 3)
    check(
        "Fat-tailed yearly growth rates (excess kurtosis of log growth, 2016-17)",
        kurtosis,
        1.0,
        50.0,
        "priors.md row 56 (Laplace body: excess kurtosis 3)",
    )
    size = np.log(np.array([revenue_2016[u] for u in alive]))[: len(g)]
    spread = np.log(np.abs(g - np.median(g)) + 1e-9)
    slope = float(np.polyfit(size, spread, 1)[0])
    check(
        "Growth spread falls with size (slope of log |growth| on log size)",
        slope,
        -0.4,
        -0.05,
        "priors.md row 57 (about -0.2)",
    )
    reported = f.y_rd_reported / np.maximum(f.y_revenue, 1e-9)
    gap = reported - hte_threshold(f.y_revenue, model.params)
    above, below = ((gap >= 0) & (gap < 0.004)).sum(), ((gap < 0) & (gap >= -0.004)).sum()
    check(
        "R&D intensity bunches just above the HTE thresholds (firms 0-0.4 pp above / below)",
        float(above / max(below, 1)),
        1.5,
        100.0,
        "priors.md row 13, Chen et al. 2021",
    )
    hazard = exits / np.maximum(at_risk, 1e-9)
    peak = float(hazard[2:5].mean() / max(hazard[0], hazard[10:].mean(), 1e-9))
    check(
        "Exit hazard peaks at ages 2-4 (ratio to the hazard at age 0 or 10+)",
        peak,
        1.2,
        20.0,
        "priors.md row 59 (SAIC 2013)",
    )
    multiples = []
    for uid, entry in cohort.items():
        if uid in failed or uid not in index or entry <= 0:
            multiples.append(0.0)
        else:
            i = index[uid]
            multiples.append(float(f.revenue[i] / entry) * (1.5 if f.listed[i] else 1.0))
    m = np.sort(np.array(multiples))[::-1]
    if len(m) >= 20:
        check(
            "Skewed venture outcomes: share of the 2014 cohort below 1x by 2017",
            float((m < 1).mean()),
            0.3,
            0.85,
            "priors.md rows 39-40 (55-65 % lose money)",
        )
        top = m[: max(1, len(m) // 10)].sum() / max(m.sum(), 1e-9)
        check(
            "Skewed venture outcomes: value share of the top 10 % of the cohort",
            float(top),
            0.3,
            1.0,
            "priors.md rows 39-40 (top 6 % bring over half of returns)",
        )
    return facts
