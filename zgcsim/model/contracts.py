"""Technology contracts: firms sell contracts in proportion to their knowledge stock (priors.md row 37)."""

from __future__ import annotations

import numpy as np

from zgcsim.model.context import StepContext
from zgcsim.model.draws import FirmDraws
from zgcsim.model.firms import FirmTable


def contract_knowledge(firms: FirmTable) -> np.ndarray:
    """The knowledge a firm sells contracts from: its R&D stock plus licensed-in knowledge (row 37)."""
    return firms.rd_stock + firms.licensed_knowledge


def contract_value(u: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """The contract value (亿元) at uniform ``u``: the inverse CDF of a Pareto truncated to [min, max] (row 37)."""
    alpha, lo, hi = p["contract_alpha"], p["contract_min_value"], p["contract_max_value"]
    return lo * np.exp(-np.log1p(-u * (1 - (lo / hi) ** alpha)) / alpha)


def contract_values(counts: np.ndarray, p: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Draw ``counts[i]`` contract values per firm from a truncated Pareto (row 37) and return each firm's sum."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(len(counts))
    values = contract_value(rng.random(total), p)
    owner = np.repeat(np.arange(len(counts)), counts)
    return np.bincount(owner, weights=values, minlength=len(counts))


def truncated_pareto_mean(p: dict[str, float]) -> float:
    """Mean of one contract value under the truncated Pareto of ``contract_values``."""
    alpha, lo, hi = p["contract_alpha"], p["contract_min_value"], p["contract_max_value"]
    norm = 1 - (lo / hi) ** alpha
    return alpha * lo**alpha * (lo ** (1 - alpha) - hi ** (1 - alpha)) / ((alpha - 1) * norm)


def sell_contracts(firms: FirmTable, ctx: StepContext, knowledge_scale: dict[str, float]) -> None:
    """Technology contracts of the year, drawn at year end (section 3, row 37).

    Each firm sells a Poisson number of contracts proportional to its knowledge stock (R&D stock plus
    licensed-in knowledge), each with a truncated Pareto value.
    """
    draws = FirmDraws(ctx.streams["contracts"], ctx.step)  # keyed by firm uid: counts, and values by (uid, k)
    mean = knowledge_scale["contracts"] * contract_knowledge(firms) * firms.active
    counts = draws.poisson("counts", firms.uid, mean)
    values = draws.totals("values", firms.uid, counts, lambda u: contract_value(u, ctx.params))
    firms.y_contracts = firms.y_contracts + values
