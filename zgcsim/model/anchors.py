"""The start-year anchors: scale constants that make the knowledge rules and the global lists meet the start year.

Invention applications, PCT filings, new standards and contract turnover of the start year (sourced for 2017) set
the scale of their rules, so the rules' elasticities (priors) drive the change afterwards. The Global Innovation
1000 cut-off is set so the start year's global-list count equals the drawn one.
"""

from __future__ import annotations

import numpy as np

from zgcsim.model.contracts import contract_knowledge, contract_values, truncated_pareto_mean
from zgcsim.model.firms import FirmTable, returnee_share
from zgcsim.model.global_lists import fortune_threshold_yi, yuan_per_usd
from zgcsim.model.knowledge import knowledge_input, patent_returnee_factor, pct_weight, standards_weight


def standards_anchor_flow(p: dict[str, float], b: dict[str, float], year: int) -> float:
    """The yearly flow of new international standards the standards rule is anchored on.

    The record jumps in 2017 (+101 against 31.5 a year over 2012-2016, partly a wider definition), so the anchor
    is the average flow of the five years to the start year plus the drawn share
    ``standards_definition_change_<year>`` of the start year's excess over it. Where the record has no value five
    years back (the 2013 spin-up), or no drawn share, it is the start year's own flow.
    """
    last = b["standards"] - b["standards_prev"]
    years = int(p["standards_anchor_years"])
    earlier, share = p.get(f"standards_{year - years}"), p.get(f"standards_definition_change_{year}")
    if earlier is None or share is None:
        return last
    average = (b["standards"] - earlier) / years
    return average + share * (last - average)


def knowledge_scales(
    f: FirmTable, p: dict[str, float], b: dict[str, float], rng: np.random.Generator, year: int
) -> dict[str, float]:
    """Return the scale of each knowledge rule, and share the start year's contract turnover out across firms.

    Also sets each firm's starting knowledge ``knowledge0`` (the reference of the within-firm patent elasticity).
    """
    knowledge = knowledge_input(f, p)
    f.knowledge0 = knowledge
    returnees = returnee_share(f.returnees, f.employees)
    propensity = f.patent_fe * knowledge * patent_returnee_factor(returnees, p)
    pct_weights = propensity * pct_weight(f.revenue, returnees, p)
    new_standards = standards_anchor_flow(p, b, year)
    scale = {
        "applications": b["invention_applications"] / propensity.sum(),
        "pct_share": b["pct"] / (pct_weights * b["invention_applications"] / propensity.sum()).sum(),
        "standards": new_standards / standards_weight(f.patents_held[f.patents_held > 0], p).sum(),
        "contracts": b["tech_contracts"] / (truncated_pareto_mean(p) * contract_knowledge(f).sum()),
    }
    counts = rng.poisson(scale["contracts"] * contract_knowledge(f))
    drawn = contract_values(counts, p, rng)
    f.y_contracts = drawn * b["tech_contracts"] / max(drawn.sum(), 1e-9)  # the start year's total
    return scale


def global_list_cutoff(f: FirmTable, global_list_firms: float, year: int) -> float:
    """The Global Innovation 1000 R&D cut-off (million US$) that puts the drawn number of firms on either list."""
    fortune = f.y_revenue >= fortune_threshold_yi(year)
    need = int(round(global_list_firms)) - int(fortune.sum())
    rd = np.sort(f.y_rd_reported[~fortune])[::-1]
    cutoff_yi = rd[need - 1] if need >= 1 else rd[0] * 1.01
    # stored in US$ (the list's currency); nudged down so the marginal firm survives the round trip
    return float(cutoff_yi * (1 - 1e-9) * 100.0 / yuan_per_usd(year))
