"""The synthetic starting population: firms, with their flows of the start year, that reproduce its aggregates.

Sizes follow a lognormal body with a Zipf tail (priors.md row 55); R&D intensities bunch just above the
high-tech-enterprise thresholds (priors.md row 13, Chen et al. 2021); patents, PCT filings and standards are
shared out across firms in proportion to their R&D stock and a gamma propensity (priors.md row 18), so the
totals are met exactly. Unknown baselines come in as drawn uncertain inputs. The start year is 2017 for
projections and 2013 for the calibration spin-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np

from zgcsim.inputs.parameters import baseline
from zgcsim.inputs.sectors import SECTORS
from zgcsim.model.context import QUARTER
from zgcsim.model.firms import FIELDS, GRANT_PIPELINE_QUARTERS, FirmTable, grant_lag, returnee_share
from zgcsim.model.global_lists import fortune_threshold_yi
from zgcsim.model.knowledge import pct_weight, steady_stock


def hte_threshold(revenue: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Return the R&D/revenue threshold of the HTE rules: 5 % up to 50 m yuan, 4 % to 200 m, 3 % above (row 13)."""
    return np.where(
        revenue <= p["hte_small_revenue"],
        p["hte_threshold_small"],
        np.where(revenue <= p["hte_mid_revenue"], p["hte_threshold_mid"], p["hte_threshold_large"]),
    )


HAZARD_PREFIX = "exit_hazard_age_"  # parameters exit_hazard_age_<years>: the SAIC exit hazard by age (row 59)


def hazard_table(p: Mapping[str, float]) -> tuple[tuple[float, float], ...]:
    """The (age, yearly hazard) points of the exit profile, from the ``exit_hazard_age_<years>`` parameters."""
    points = ((float(name[len(HAZARD_PREFIX) :]), value) for name, value in p.items() if name.startswith(HAZARD_PREFIX))
    return tuple(sorted(points))


@cache
def _hazard_by_quarter_of_age(points: tuple[tuple[float, float], ...]) -> np.ndarray:
    ages, rates = (np.array(column) for column in zip(*points, strict=True))
    return np.interp(np.arange(0, ages[-1] + 1, QUARTER), ages, rates)


def round_size_factor(revenue: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """How a venture round's size rises with the firm's revenue (亿元): sqrt(offset + revenue) (ours).

    The start population's rounds and the funds' later rounds (``venture.round_sizes``) share it, so the
    later rounds can keep the start year's scale.
    """
    return np.sqrt(p["round_size_offset"] + revenue)


def exit_hazard_by_age(age: np.ndarray, p: Mapping[str, float]) -> np.ndarray:
    """Return the yearly exit hazard of firms of the given ages (SAIC profile, interpolated by quarter of age).

    The profile's points are the ``exit_hazard_age_<years>`` parameters (1.6 % at age 0, 6.3 % at 1, a peak of
    9.5 % at 2, about 8 % through 7, then declining, priors.md row 59); beyond the oldest point it stays flat.
    """
    table = _hazard_by_quarter_of_age(hazard_table(p))
    index = np.minimum((age * 4).astype(np.int64), len(table) - 1)
    return table[index]


def _allocate(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Share an integer total out across firms at random in proportion to ``weights`` (multinomial)."""
    p = weights / weights.sum()
    return rng.multinomial(int(round(total)), p)


def _top_k(weights: np.ndarray, k: int, rng: np.random.Generator, eligible: np.ndarray | None = None) -> np.ndarray:
    """Pick ``k`` distinct rows with probability rising with ``weights`` (Gumbel top-k); return a mask."""
    keys = np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=len(weights))
    if eligible is not None:
        keys = np.where(eligible, keys, -np.inf)
    k = int(min(k, np.isfinite(keys).sum()))
    mask = np.zeros(len(weights), bool)
    if k > 0:
        mask[np.argpartition(-keys, k - 1)[:k]] = True
    return mask


def _head_sector_weights(shares: np.ndarray) -> np.ndarray:
    """Sector odds of the largest firms: proportional to the square of the revenue share (big sectors host them)."""
    w = shares**2
    return w / w.sum()


def draw_sizes(n: int, total: float, p: Mapping[str, float], rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` firm revenues summing to ``total``: a lognormal body with a Zipf tail of exponent ``zipf_alpha``.

    The largest firms (``size_tail_share``, 2 %) are placed on a Pareto rank-size line (size ∝ rank^(-1/alpha),
    Axtell 2001) that joins the body at its 98th percentile, so the upper tail has the stated exponent whatever
    ``n``.
    """
    alpha = p["zipf_alpha"]
    # median 0.25 亿元 = 25 m yuan by default (our assumption)
    body = rng.lognormal(mean=np.log(p["size_body_median"]), sigma=p["size_body_sigma"], size=n)
    order = np.argsort(-body)
    k = max(int(p["size_tail_share"] * n), 10)
    joint = body[order[k]]
    ranks = np.arange(1, k + 1)
    body[order[:k]] = joint * (k / ranks) ** (1.0 / alpha) * rng.lognormal(0, p["size_tail_noise"], k)
    return body * (total / body.sum())


def build_firms(p: dict[str, float], rng: np.random.Generator, year: int = 2017, first_uid: int = 0) -> FirmTable:
    """Build the firm table at the end of ``year`` from parameters ``p`` (defaults plus drawn uncertain inputs).

    ``p`` must hold the year's baseline (``revenue_2017``, ``employees_2017``, ...; see ``parameters.baseline``).
    """
    b = baseline(p, year)
    n = int(round(b["n_firms"]))
    col: dict[str, np.ndarray] = {name: np.zeros(n, dtype) for name, dtype in FIELDS.items()}
    col["uid"] = np.arange(first_uid, first_uid + n)

    # sectors and sizes: revenue shares around our assumption, perturbed per replicate
    shares = np.array([s.revenue_share for s in SECTORS])
    shares = shares * rng.lognormal(0.0, p["sector_share_noise"], len(shares))
    shares /= shares.sum()
    # only the IT cluster was at trillion-yuan scale in 2017 (shared data/README.md): others stay below it
    cap = p["sector_revenue_cap"] / b["revenue"]
    excess = np.clip(shares[1:] - cap, 0.0, None)
    shares[1:] -= excess
    shares[0] += excess.sum()
    sector = rng.choice(len(SECTORS), size=n, p=shares)
    revenue = draw_sizes(n, b["revenue"], p, rng)
    # the head: the zone's Fortune Global 500 firms (7 in 2016, the only count found) sit above the list's
    # entry threshold, where a pure Zipf line from 20 000 firms would place about three
    fg500 = fortune_threshold_yi(year)
    head = np.argsort(-revenue)[: int(round(b["fortune_firms"]))]
    head_size = rng.lognormal(np.log(p["fortune_head_median"]), p["fortune_head_sigma"], len(head))
    revenue[head] = fg500 * head_size.clip(p["fortune_head_min"], None)
    sector[head] = rng.choice(len(SECTORS), size=len(head), p=_head_sector_weights(shares))
    for j in range(len(SECTORS)):  # rescale each sector's other firms to its revenue share
        in_j = sector == j
        in_j[head] = False
        residual = shares[j] * b["revenue"] - revenue[head][sector[head] == j].sum()
        if in_j.any():
            revenue[in_j] *= max(residual, p["sector_residual_floor"] * shares[j] * b["revenue"]) / revenue[in_j].sum()
    revenue *= b["revenue"] / revenue.sum()
    col["sector"], col["revenue"] = sector, revenue
    sec = SECTORS
    pick = np.array

    # age rises with size; young firms are many (entry at ~12 %/yr, exit peaking at age 3)
    col["age"] = (
        1.0
        + rng.gamma(p["age_gamma_shape"], p["age_gamma_scale"], n)
        + p["age_size_slope"] * np.log1p(revenue / p["size_body_median"])
    )
    # the 2017 entry cohort: the entry rate's share of firms, aged under a year, drawn among the smaller firms
    cohort = _top_k(
        revenue**-1.0, int(round(p["startup_entry_rate"] * n)), rng, eligible=revenue < p["start_cohort_max_revenue"]
    )
    col["age"][cohort] = rng.random(cohort.sum())
    col["manufacturer"] = rng.random(n) < pick([s.manufacturing_share for s in sec])[sector]
    col["team_quality"] = rng.standard_normal(n)

    # employees: revenue per employee rises with size; rescaled to the drawn 2017 total
    employees = revenue ** p["employees_revenue_elasticity"] * rng.lognormal(0, p["employees_dispersion"], n)
    col["employees"] = np.maximum(employees * b["employees"] / employees.sum(), p["min_employees"])
    va = pick([s.va_ratio for s in sec])[sector] * rng.lognormal(0, p["va_ratio_dispersion"], n)
    col["va_ratio0"] = va * b["value_added"] / (va * revenue).sum()

    # R&D: lognormal around the sector median, lower for large firms; bunching above the HTE thresholds
    intensity = (
        pick([s.rd_median for s in sec])[sector]
        * rng.lognormal(0, p["rd_dispersion"], n)
        * (revenue / p["size_body_median"]) ** p["rd_size_elasticity"]
    )
    col["hte_eligible"] = rng.random(n) < p["hte_eligible_share"]  # other HTE criteria (row 13)
    threshold = hte_threshold(revenue, p)
    near = col["hte_eligible"] & (intensity < threshold) & (intensity > threshold - p["notch_window"])
    bunch = near & (rng.random(n) < p["notch_bunching_share"])
    target = b["st_intensity"] / 100.0
    free = ~bunch
    width = p["notch_bunch_width"]  # bunched firms report uniformly in [threshold, threshold + width]
    bunched_spend = ((threshold + width / 2) * revenue)[bunch].sum()
    intensity[free] *= (target * revenue.sum() - bunched_spend) / (intensity * revenue)[free].sum()
    reported = np.where(bunch, threshold + rng.uniform(0, width, n), intensity)
    real = np.where(bunch, reported - p["relabel_share"] * (reported - intensity), intensity)
    col["rd_intensity"], col["relabel_intensity"] = real, reported - real
    col["hte"] = col["hte_eligible"] & (reported >= threshold)
    col["rd_stock"] = steady_stock(real * revenue, p)
    col["knowledge0"] = col["rd_stock"].copy()

    # profit: margins spread around the drawn 2017 zone margin; young and small firms lose money more often
    margin = rng.normal(0.0, p["margin_dispersion"], n) - p["young_margin_penalty"] * (col["age"] < 3)
    margin += b["profit_margin"] / 100.0 - (margin * revenue).sum() / revenue.sum()
    col["margin_pre"] = margin + real
    col["profit_last"] = margin * revenue

    # patents, PCT and standards shared out in proportion to R&D stock and a persistent propensity
    col["patent_fe"] = rng.gamma(p["patent_dispersion"], 1 / p["patent_dispersion"], n)
    weight = col["patent_fe"] * col["rd_stock"]
    col["patents_held"] = _allocate(b["patents_held"], weight, rng)
    col["y_applications"] = _allocate(b["invention_applications"], weight, rng)
    col["y_grants"] = _allocate(b["invention_grants"], weight, rng)
    floor, elasticity = p["standards_allocation_floor"], p["standards_allocation_elasticity"]
    standards_weight = np.maximum(col["patents_held"], floor) ** elasticity
    col["standards"] = _allocate(b["standards"], standards_weight, rng)

    # talent: foreign and returnee staff concentrate in R&D-intensive firms
    talent_w = col["employees"] * np.sqrt(reported) * rng.gamma(1.0, 1.0, n)
    col["returnees"] = talent_w * b["talent"] / talent_w.sum()
    col["y_pct"] = _allocate(
        b["pct"],
        weight * pct_weight(revenue, returnee_share(col["returnees"], col["employees"]), p),
        rng,
    )

    # energy intensity per 万元 of value added, rescaled to the drawn 2017 zone figure
    e = pick([s.energy_factor for s in sec])[sector] * rng.lognormal(0, p["energy_intensity_dispersion"], n)
    value_added = col["va_ratio0"] * revenue
    col["energy_intensity"] = e * b["energy_intensity"] * value_added.sum() / (e * value_added).sum()

    # listing: the drawn number of listed firms, mostly large and older; listing years follow the path
    # 113 (mid-2009) -> 230 (2013) -> 320 (2017) of zgc_observed_to_2017.csv
    listed = _top_k(
        revenue ** p["listing_size_elasticity"],
        int(round(b["listed"])),
        rng,
        eligible=col["age"] >= p["a_share_min_age"],
    )
    years = rng.choice(np.arange(2000, year + 1), size=n, p=_listing_year_weights(year))
    col["listed"], col["listing_year"] = listed, np.where(listed, years, 0)
    col["neeq"] = _top_k(
        np.ones(n),
        int(round(b["neeq"])),
        rng,
        eligible=~listed & (revenue > p["neeq_min_revenue"]) & (revenue < p["neeq_max_revenue"]),
    )  # NEEQ-quoted firms

    # venture funding: 2017 rounds among young firms, chosen on team quality; sums to the drawn VC total
    young = (col["age"] < p["start_vc_max_age"]) & ~listed
    selection = np.exp(p["vc_team_selection"] * col["team_quality"])
    rounds = _top_k(selection, int(p["start_vc_backed_share"] * young.sum()), rng, eligible=young)
    amount = np.where(rounds, rng.lognormal(0, p["start_round_sigma"], n) * round_size_factor(revenue, p), 0.0)
    amount *= b["vc_investment"] / amount.sum()
    col["y_vc"], col["vc_total"], col["vc_recent"] = amount, amount * p["vc_total_to_year"], amount
    col["vc_last_year"] = np.where(rounds, year + rng.random(n), np.nan)
    col["vc_first_year"] = col["vc_last_year"] - np.where(rounds, rng.random(n) * 2, np.nan)
    growth_since = p["vc_entry_revenue_growth"] * rng.random(n)
    col["vc_entry_revenue"] = np.where(rounds, revenue * np.exp(-growth_since), 0.0)

    col["ipo_exchange"] = np.full(n, -1)
    col["export_penalty"] = np.zeros(n)
    col["active"] = np.ones(n, bool)

    # 2017 flows that follow from the state above
    col["y_revenue"] = revenue
    col["y_value_added"] = value_added
    col["y_profit"] = col["profit_last"]
    col["y_rd_real"] = real * revenue
    col["y_rd_reported"] = reported * revenue
    col["y_energy"] = col["energy_intensity"] * value_added * 1e4  # 亿元 -> 万元
    col["y_contracts"] = np.zeros(n)  # filled by the model with the contract rule, scaled to 3 500 亿元

    # the state holds the end-of-2017 revenue rate, half a year's growth above the 2017 average (the flows)
    col["revenue"] = revenue * np.exp(0.5 * b["revenue_growth"])

    # pending applications: the filings of the last `lag` quarters, not yet decided (priors.md rows 23-24). The
    # pipeline is a ring: column s % 8 holds the filings of step s (the first step is 0, so the start year's Q4 is
    # step -1). Their path is geometric between two start-year figures: the year's filings (centred 1.5 quarters
    # before the year's end) and the filings its grants were decided on (grants / grant rate, centred `lag`
    # quarters earlier). So the first year's grants carry on from the start year's grants instead of jumping.
    lag = grant_lag(p)
    # growth of filings per quarter
    per_quarter = (b["invention_applications"] * p["grant_rate"] / b["invention_grants"]) ** (1 / lag)
    pending = np.zeros((n, GRANT_PIPELINE_QUARTERS), np.int64)
    centre = sum(range(4)) / 4  # the year's filings are centred 1.5 quarters before its end
    for q in range(lag):  # q quarters before the start year's Q4; older filings were all decided
        filed = b["invention_applications"] / 4 * per_quarter ** (centre - q)
        pending[:, (-1 - q) % GRANT_PIPELINE_QUARTERS] = _allocate(filed, weight, rng)
    return FirmTable(col, pending)


def _listing_year_weights(year: int) -> np.ndarray:
    """Weights of listing years 2000 to ``year`` for firms listed at its end (from the observed counts)."""
    years = np.arange(2000, year + 1)
    w = np.where(years <= 2009, 113 / 10, np.where(years <= 2013, (230 - 113) / 4, (320 - 230) / 4))
    return w / w.sum()
