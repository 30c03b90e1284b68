"""Estimate the model discrepancy from hindcast residuals and build the versioned ``discrepancy.json``.

Per hindcast point i (an origin T, a series, a year t > T) the residual is r_i = log(observed) - median of the
simulator's log values over the origin's posterior runs, and s_i^2 is the variance of those log values (what the
ensemble's spread already explains). The discrepancy of a base series is a random walk in logs with a per-year
s.d. sigma_g shared by its group g, started at the origin, so a point h_i = t - T years ahead has
r_i ~ N(0, s_i^2 + h_i * sum_g c_ig sigma_g^2), with c_ig the summed squared coefficients of the series' terms in
group g (2 for a ratio of two series of one group). The sigmas are the maximum-likelihood estimate of that
Gaussian model over all points (scipy L-BFGS-B, sigma_g in [0, 2]); a group without any point takes the estimate
pooled over every point (one sigma for all). This is the random-walk discrepancy of Kennedy & O'Hagan (2001) with
its variance read off out-of-sample residuals, as history matching does for its discrepancy variance (Vernon et
al. 2010; Andrianakis et al. 2015). It is zero-mean: a systematic bias of the model shows up as variance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from zgcsim.inputs.discrepancy_file import FORMAT_VERSION

# base series -> group whose hindcast residuals set its per-year discrepancy s.d. (the closest observed kind)
GROUPS: dict[str, str] = {
    "total_revenue": "output",
    "value_added": "output",
    "st_expenditure": "output",
    "total_profit": "output",
    "energy_use": "output",
    "tech_contract_turnover": "output",
    "vc_investment": "output",
    "employees": "headcount",
    "foreign_returnee_talent": "headcount",
    "enterprises": "headcount",
    "startups_founded": "headcount",
    "invention_patents_held": "patents",
    "invention_applications": "patents",
    "invention_grants": "patents",
    "pct_applications": "patents",
    "international_standards": "standards",
    "listed_companies": "listings",
    "new_listings": "listings",
    "global_list_firms": "listings",
    "open_innovation_platforms": "listings",
}
GROUP_NOTE = {
    "output": "money flows of the zone's firms (revenue, value added, S&T spending, profit, energy, technology "
    "contracts, venture investment)",
    "headcount": "people and firm counts (employees, returnee talent, enterprises, entrants)",
    "patents": "patent filings, grants and stock, PCT filings",
    "standards": "international standards (their own group: the 2016-2017 jump is a documented structural miss)",
    "listings": "counts of firms with a status (listed, on a global list, running an open platform)",
}

# indicator -> signed base-series terms: a level is its own series; a ratio is numerator minus denominator
TERMS: dict[str, dict[str, float]] = {
    **{b: {b: 1.0} for b in GROUPS},
    "rd_intensity": {"st_expenditure": 1.0, "total_revenue": -1.0},
    "invention_patents_per_10k": {"invention_patents_held": 1.0, "employees": -1.0},
    "profit_margin": {"total_profit": 1.0, "total_revenue": -1.0},
    "labour_productivity": {"value_added": 1.0, "employees": -1.0},
    "revenue_per_employee": {"total_revenue": 1.0, "employees": -1.0},
    "revenue_per_km2": {"total_revenue": 1.0},  # the area is a lever, not a modelled quantity
    "energy_per_10k_va": {"energy_use": 1.0, "value_added": -1.0},
}
NOT_COVERED = {
    "tech_transfer_offices": "a count of university offices that the TTO lever sets directly; no series to learn "
    "a discrepancy from, and the lever's own uncertainty is the policy-effect input",
    "pillar_clusters": "a 0-3 count from a stated rule over revenue, standards and global-list firms; its "
    "discrepancy would come through those series, which the rule does not see here",
}


def coefficients(series: str) -> dict[str, float]:
    """Summed squared coefficients per group of a series' discrepancy terms (its variance per sigma_g^2)."""
    out: dict[str, float] = {}
    for base, c in TERMS.get(series, {}).items():
        out[GROUPS[base]] = out.get(GROUPS[base], 0.0) + c * c
    return out


def residuals(points: pd.DataFrame) -> pd.DataFrame:
    """Residual table from model samples: ``points`` has origin, series, year, observed, and ``samples`` (array).

    Returns origin, series, year, horizon, residual (log observed - median log model), spread_var (variance of
    the log model values).
    """
    rows = []
    for p in points.itertuples():
        logs = np.log(np.asarray(p.samples, dtype=float))
        rows.append(
            {
                "origin": int(p.origin),
                "series": p.series,
                "year": int(p.year),
                "horizon": int(p.year) - int(p.origin),
                "residual": float(np.log(p.observed) - np.median(logs)),
                "spread_var": float(np.var(logs, ddof=1)) if len(logs) > 1 else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["origin", "series", "year", "horizon", "residual", "spread_var"])


def _neg_loglik(sigmas: np.ndarray, r: np.ndarray, s2: np.ndarray, hc: np.ndarray) -> float:
    var = s2 + hc @ (sigmas**2) + 1e-12
    return float(0.5 * np.sum(np.log(var) + r * r / var))


def estimate(res: pd.DataFrame, groups: Iterable[str] | None = None) -> dict[str, dict]:
    """Maximum-likelihood per-year discrepancy s.d. of each group from a residual table (see the module doc).

    Returns group -> {"sigma", "points", "pooled"}; a group with no point gets the one-sigma-for-all estimate
    and ``pooled`` True.
    """
    names = sorted(set(GROUP_NOTE) if groups is None else set(groups))
    if len(res):
        res = res[[bool(coefficients(s)) for s in res["series"]]]
    r = res["residual"].to_numpy(float)
    s2 = res["spread_var"].to_numpy(float)
    hc = np.array(
        [[row.horizon * coefficients(row.series).get(g, 0.0) for g in names] for row in res.itertuples()]
    ).reshape(len(res), len(names))
    counts = (hc > 0).sum(axis=0)
    if len(res) == 0:
        return {g: {"sigma": 0.0, "points": 0, "pooled": True} for g in names}
    pooled_fit = minimize(
        lambda x: _neg_loglik(np.full(len(names), x[0]), r, s2, hc), [0.1], bounds=[(0.0, 2.0)], method="L-BFGS-B"
    )
    pooled = float(pooled_fit.x[0])
    observed = counts > 0
    fit = minimize(
        lambda x: _neg_loglik(np.where(observed, x, pooled), r, s2, hc),
        np.full(len(names), max(pooled, 0.02)),
        bounds=[(0.0, 2.0)] * len(names),
        method="L-BFGS-B",
    )
    return {
        g: {
            "sigma": round(float(fit.x[k]) if observed[k] else pooled, 6),
            "points": int(counts[k]),
            "pooled": not bool(observed[k]),
        }
        for k, g in enumerate(names)
    }


def build_record(res: pd.DataFrame, origins: Iterable[int], provenance: Mapping[str, object], identifier: str) -> dict:
    """The ``discrepancy.json`` record: group and base-series sigmas, indicator terms, origins and provenance."""
    groups = estimate(res)
    return {
        "format_version": FORMAT_VERSION,
        "id": identifier,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": __doc__.strip().split("\n\n")[0].replace("\n", " ")
        if __doc__
        else "maximum-likelihood random-walk discrepancy",
        "estimator": "per point r ~ N(0, s^2 + h * sum_g c_g sigma_g^2); maximum likelihood over the sigmas",
        "origins": sorted(int(o) for o in origins),
        "points": len(res),
        "groups": {g: {**v, "covers": GROUP_NOTE[g]} for g, v in groups.items()},
        "base_series": {b: {"group": g, "sigma": groups[g]["sigma"]} for b, g in GROUPS.items()},
        "indicators": {
            ind: {
                "terms": t,
                "sigma_per_year": round(
                    float(np.sqrt(sum(c * c * groups[GROUPS[b]]["sigma"] ** 2 for b, c in t.items()))), 6
                ),
            }
            for ind, t in TERMS.items()
        },
        "not_covered": NOT_COVERED,
        "rule": "each indicator takes the random walk of its own series; ratio indicators take numerator minus "
        "denominator (variances add); each base series takes its group's sigma; a group without hindcast "
        "points takes the sigma pooled over all points",
        "provenance": dict(provenance),
    }
