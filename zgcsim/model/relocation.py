"""Firms outgrowing their park move: within the zone, to a partner park outside Beijing, or out of the statistics.

Once a year (after the year's statistics), in every park whose employees exceed its capacity, firms holding
``relocation_rate`` of the excess move out (drawn in proportion to their employees: the larger a firm, the
likelier it outgrows its space). Each mover takes one route (every share is ours and ranged, parameters.toml):

- within the zone (plan task 19 supports moves between districts): with odds ``relocation_within_share``,
  raised by the park's ``relocation_support`` lever, if some park has spare capacity; it settles in a park with
  spare room (odds: spare capacity times the industry affinity);
- to a partner park outside Beijing (task 23: Xiong'an, Tianjin Binhai), up to the park's
  ``partner_park_capacity`` a year: a share ``partner_retained_share`` keeps its registered head office and so
  stays in the zone's statistics (they count firms by place of registration) with the rest of its staff,
  moving ``partner_moved_employees`` of them; the others leave the statistics;
- otherwise out of the zone's statistics (elsewhere in Beijing or beyond).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from zgcsim.model.firms import FirmTable
from zgcsim.model.parks import N_PARKS, ParkSpace, affinity

WITHIN, PARTNER, OUT = 0, 1, 2  # routes, in the order of the counts ``relocate`` returns


def _logit(share: float) -> float:
    return float(np.log(share / (1.0 - share)))


def movers(firms: FirmTable, park: int, excess: float, rng: np.random.Generator) -> np.ndarray:
    """Rows of the firms of ``park`` that move, holding about ``excess`` employees (Gumbel top-k by employees)."""
    rows = np.flatnonzero(firms.active & (firms.park == park))
    if len(rows) == 0 or excess <= 0:
        return rows[:0]
    employees = firms.employees[rows]
    keys = np.log(employees) + rng.gumbel(size=len(rows))
    order = rows[np.argsort(-keys, kind="stable")]
    cumulative = np.cumsum(firms.employees[order])
    return order[: int(np.searchsorted(cumulative, excess)) + 1]


def relocate(
    firms: FirmTable,
    space: ParkSpace,
    park_levers: Mapping[str, np.ndarray],
    p: Mapping[str, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Move firms out of the parks above capacity (stream ``relocation``); return the moves by (park, route).

    Firms leaving the statistics become inactive (their flows of the year stay counted, as for exits).
    """
    moves = np.zeros((N_PARKS, 3), np.int64)
    # one generator per park and year, drawn every year: a park's moves do not shift another park's draws, and
    # paired scenarios stay on the same random numbers
    park_rngs = [np.random.default_rng(seed) for seed in rng.integers(0, 2**63 - 1, size=N_PARKS)]
    space.update_use(firms)
    excess = (space.use - 1.0) * space.capacity * p["relocation_rate"]
    aff = affinity(p)
    partner_room = park_levers["partner_park_capacity"].copy()
    for park in np.flatnonzero(excess > 0):
        rng = park_rngs[park]
        rows = movers(firms, int(park), float(excess[park]), rng)
        if len(rows) == 0:
            continue
        odds_within = (
            _logit(p["relocation_within_share"])
            + p["relocation_support_effect"] * (park_levers["relocation_support"][park])
        )
        u = rng.random(len(rows))
        for row, draw in zip(rows, u, strict=True):
            spare = space.spare()
            spare[park] = 0.0
            if spare.sum() > 0 and draw < 1.0 / (1.0 + np.exp(-odds_within)):
                weights = spare * aff[firms.sector[row]]
                target = int(rng.choice(N_PARKS, p=weights / weights.sum()))
                _move_within(firms, space, row, target)
                moves[park, WITHIN] += 1
            elif partner_room[park] >= 1.0:
                partner_room[park] -= 1.0
                if rng.random() < p["partner_retained_share"]:
                    firms.employees[row] *= 1.0 - p["partner_moved_employees"]
                else:
                    firms.active[row] = False
                moves[park, PARTNER] += 1
            else:
                firms.active[row] = False
                moves[park, OUT] += 1
    space.update_use(firms)
    return moves


def _move_within(firms: FirmTable, space: ParkSpace, row: int, target: int) -> None:
    """Move one firm to park ``target`` and update both parks' land use."""
    source = int(firms.park[row])
    staff = firms.employees[row]
    firms.park[row] = target
    space.use[source] -= staff / space.capacity[source]
    space.use[target] += staff / space.capacity[target]
