"""The zone as its 16 sub-parks: where each firm is, each park's land and its use, and the parks' yearly table.

Every firm has a park (``FirmTable.park``, an index into ``inputs.parks.PARKS``). The start population is
shared out so that the drawn 2017 park shares of revenue and employees hold closely and the zone's totals are
untouched (parks are labels on the same firms). Each park's land holds a number of employees (its capacity);
land use is employees over capacity. Renewal adds capacity, an area change scales it, and after the origin the
central parks' capacity falls with the master plan's headcount cap (``headcount_regime``). Above capacity a
park's firms grow more slowly (``land_congestion``) and firms move out (model/relocation.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from zgcsim.inputs.levers import BY_NAME as LEVERS
from zgcsim.inputs.parks import (
    AREA_INPUTS,
    AREAS_KM2,
    CENTRAL,
    PARKS,
    SOURCED,
    SOURCED_AREA_KM2,
    TOTAL_AREA_KM2,
    industry_matrix,
)
from zgcsim.model.entry import INCUBATOR
from zgcsim.model.firms import FirmTable

N_PARKS = len(PARKS)
RENEWAL_2017 = LEVERS["land_renewal"].setting_2017
LARGE_FIRMS_REVENUE = 0.5  # the largest firms holding this share of revenue are placed one by one
# the parks' yearly table (parks.parquet): key -> (name zh, name en, unit)
PARK_INDICATORS: dict[str, tuple[str, str, str]] = {
    "revenue": ("总收入", "Revenue", "亿元"),
    "employees": ("从业人员", "Employees", "persons"),
    "enterprises": ("企业数", "Enterprises", "firms"),
    "area": ("面积", "Area", "km²"),
    "revenue_per_km2": ("地均总收入", "Revenue per km²", "亿元/km²"),
    "land_use": ("空间利用率", "Land use (share of capacity used)", "share"),
    "value_added": ("增加值", "Value added", "亿元"),
}

# the zone indicator whose model-discrepancy path each park indicator shares (area has none): the park values
# then add up to the zone's predictive values as the model values add up to the zone's model values
ZONE_SERIES: dict[str, str] = {
    "revenue": "total_revenue",
    "employees": "employees",
    "enterprises": "enterprises",
    "revenue_per_km2": "total_revenue",
    "land_use": "employees",
    "value_added": "value_added",
}


def draw_shares(p: Mapping[str, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw the 2017 park shares of firms, revenue and employees around data/parks.csv's central values."""
    concentration = p["park_share_concentration_2017"]
    return {
        kind: rng.dirichlet(concentration * np.array([getattr(park, f"{kind}_share") for park in PARKS]))
        for kind in ("firm", "revenue", "employee")
    }


def affinity(p: Mapping[str, float]) -> np.ndarray:
    """(sector, park) weights: ``park_industry_affinity`` where the sector is a main industry of the park, else 1."""
    return np.where(industry_matrix(), p["park_industry_affinity"], 1.0)


def assign_start(firms: FirmTable, p: Mapping[str, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Give every firm of the start population a park; return the drawn 2017 shares (stream ``parks``).

    The smaller firms are drawn in proportion to the parks' firm shares times the industry affinity; then the
    largest firms (holding ``LARGE_FIRMS_REVENUE`` of revenue), largest first, each go to a park with the
    largest remaining gap to its revenue and employee targets (times the affinity, with Gumbel noise), so the
    parks' 2017 revenue and employees come close to the drawn shares.
    """
    shares = draw_shares(p, rng)
    aff = affinity(p)
    revenue, employees = firms.revenue, firms.employees
    order = np.argsort(-revenue, kind="stable")
    cumulative = np.cumsum(revenue[order]) / revenue.sum()
    n_large = int(np.searchsorted(cumulative, LARGE_FIRMS_REVENUE)) + 1
    large, small = order[:n_large], order[n_large:]
    park = np.zeros(len(firms), np.int16)
    weights = shares["firm"][None, :] * aff
    weights /= weights.sum(axis=1, keepdims=True)
    cumulative_w = np.cumsum(weights, axis=1)
    u = rng.random(len(small))
    # a firm's park: the number of its sector's cumulative weights below its uniform (inverse CDF)
    small_sector = firms.sector[small]
    for sector in np.unique(small_sector):
        in_sector = small_sector == sector
        below = np.searchsorted(cumulative_w[sector], u[in_sector], side="left")
        park[small[in_sector]] = np.minimum(below, N_PARKS - 1)
    total_revenue, total_employees = revenue.sum(), employees.sum()
    gap_revenue = shares["revenue"] * total_revenue - np.bincount(park[small], revenue[small], N_PARKS)
    gap_employees = shares["employee"] * total_employees - np.bincount(park[small], employees[small], N_PARKS)
    noise = rng.gumbel(size=(n_large, N_PARKS))
    log_affinity = np.log(aff)
    for i, row in enumerate(large):
        gap = 0.5 * gap_revenue / total_revenue + 0.5 * gap_employees / total_employees
        key = np.log(np.maximum(gap, 1e-9)) + log_affinity[firms.sector[row]] + noise[i]
        j = int(np.argmax(key))
        park[row] = j
        gap_revenue[j] -= revenue[row]
        gap_employees[j] -= employees[row]
    firms.park = park
    return shares


def planned_areas(p: Mapping[str, float]) -> np.ndarray:
    """The run's 2012 planned area of each park, km²: the sourced ones from data/parks.csv, the others drawn.

    The eight unsourced parks take their drawn uncertain inputs (``park_area_<key>_2017``, each uniform on its
    stated range) rescaled together so that they share what the sourced parks leave of the approved total
    (488 - 93.86 = 394.14 km²): the 16 parks always sum to 488 km². Without a draw (a model that starts before
    2017) the central values give the file's ``area_km2``.
    """
    areas = AREAS_KM2.copy()
    drawn = np.array([p[name] for name in AREA_INPUTS.values()])
    areas[~SOURCED] = drawn * ((TOTAL_AREA_KM2 - SOURCED_AREA_KM2) / drawn.sum())
    return areas


def park_areas(levers: Mapping[str, float], park_levers: Mapping[str, np.ndarray], planned: np.ndarray) -> np.ndarray:
    """Each park's area in km².

    Its planned area (``planned_areas``), scaled by ``park_area_change`` and by the zone's ``park_area`` over the
    planned areas' sum (488 km²). The zone's area is their sum.
    """
    return planned * park_levers["park_area_change"] * (levers["park_area"] / planned.sum())


def zone_area(levers: Mapping[str, float], park_levers: Mapping[str, np.ndarray], planned: np.ndarray) -> float:
    """The zone's area in km²: the sum of ``park_areas`` (``park_area`` itself while no park's area changes)."""
    return levers["park_area"] * float((planned * park_levers["park_area_change"]).sum()) / float(planned.sum())


def zone_levers(park_levers: Mapping[str, np.ndarray], set_by_park: Mapping[str, object]) -> dict[str, float]:
    """The zone-wide value of each lever a scenario sets park by park, for what reads the zone's value.

    ``incubator_capacity``: the parks' sum (the entry count). Levers not set park by park keep their zone value
    (so a scenario without per-park values is unchanged). The fiscal cost prices a land renewal set park by
    park at the parks' area-weighted rate itself (``fiscal.priced_levers``).
    """
    zone: dict[str, float] = {}
    if set_by_park.get("incubator_capacity"):
        zone["incubator_capacity"] = float(park_levers["incubator_capacity"].sum())
    return zone


def employees_by_park(firms: FirmTable) -> np.ndarray:
    """Employees of the active firms in each park."""
    active = firms.active
    return np.bincount(firms.park[active], firms.employees[active], N_PARKS)


class ParkSpace:
    """Each park's area, its capacity in employees, its land use and the growth drag above capacity."""

    def __init__(
        self,
        firms: FirmTable,
        p: Mapping[str, float],
        levers: Mapping[str, float],
        park_levers: Mapping[str, np.ndarray],
    ) -> None:
        """Set the start year's capacity from the drawn 2017 land use of central and outer parks.

        ``planned`` holds the run's planned areas (``planned_areas``: sourced or drawn), which every area reads.
        """
        use = np.where(CENTRAL, p["land_use_central_2017"], p["land_use_outer_2017"])
        self.planned = planned_areas(p)
        self.area = park_areas(levers, park_levers, self.planned)
        self.capacity = np.maximum(employees_by_park(firms), 1.0) / use
        self.use = use.copy()
        self.use_start = use.copy()
        self.drag = np.zeros(N_PARKS)  # yearly log-growth drag of each park's firms

    def start_year(
        self,
        firms: FirmTable,
        levers: Mapping[str, float],
        park_levers: Mapping[str, np.ndarray],
        p: Mapping[str, float],
        past_origin: bool,
        land_binds: bool = True,
    ) -> None:
        """Yearly (first quarter): capacity, land use and the congestion drag.

        Renewal and area changes move capacity; after the origin the central parks' capacity falls with the
        master plan's cap. Before ``land_binds`` (the years before 2018, which only a spin-up from an earlier
        population runs) capacity keeps pace with each park's employees, so land use stays at its start value and
        there is no drag: the drawn land use is that of the end of 2017 and no earlier per-park land figure
        exists, and the zone doubled its approved area (233 to 488 km²) at the end of 2012, so land is not taken
        to have held growth back in 2013-2017 (ours). Without this, a 2013 population started at the 2017 land use
        crowded its parks by 2017, and the calibration's spin-up under-grew revenue and employment.
        """
        if not land_binds:
            self.capacity = np.maximum(employees_by_park(firms), 1.0) / self.use_start
            self.update_use(firms)
            self.drag = np.zeros(N_PARKS)
            return
        # renewal above the 2017 rate counts land_renewal_effect of itself (1 up to the origin)
        renewal = RENEWAL_2017 + p["land_renewal_effect"] * (park_levers["land_renewal"] - RENEWAL_2017)
        self.capacity *= 1.0 + p["renewal_capacity_multiplier"] * renewal
        area = park_areas(levers, park_levers, self.planned)
        self.capacity *= area / self.area
        self.area = area
        if past_origin:  # the master plan's cap on the six central districts, as strong as the headcount regime
            self.capacity[CENTRAL] *= np.exp(-p["headcount_regime"] * p["central_headcount_cut"])
        self.update_use(firms)
        self.drag = p["land_congestion"] * np.log(np.maximum(self.use, 1.0))

    def update_use(self, firms: FirmTable) -> None:
        """Land use now: each park's employees over its capacity."""
        self.use = employees_by_park(firms) / self.capacity

    def spare(self) -> np.ndarray:
        """Each park's free capacity as a share of capacity (at least 0)."""
        return np.maximum(1.0 - self.use, 0.0)


def choose_parks(
    sectors: np.ndarray,
    space: ParkSpace,
    p: Mapping[str, float],
    firm_shares: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The park each entrant settles in, by sector, free space and cost (stream ``parks``).

    Odds: the park's 2017 firm share, times the industry affinity, times exp(-``entry_space_elasticity`` x the
    rise of its land use since 2017): a filling park has less room and dearer space, an emptier one draws more.
    """
    if len(sectors) == 0:
        return np.zeros(0, np.int16)
    room = np.exp(-p["entry_space_elasticity"] * (space.use - space.use_start))
    weights = firm_shares[None, :] * affinity(p) * room[None, :]
    weights /= weights.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(sectors))
    return np.minimum((u[:, None] > cumulative[sectors]).sum(axis=1), N_PARKS - 1).astype(np.int16)


def place_incubator_graduates(
    entrants: dict[str, np.ndarray], park_levers: Mapping[str, np.ndarray], rng: np.random.Generator
) -> None:
    """Incubator graduates settle in the parks of their incubators (stream ``parks``).

    In proportion to each park's ``incubator_capacity``; other entrants keep the park they chose.
    """
    graduates = np.flatnonzero(entrants["origin"] == INCUBATOR)
    capacity = park_levers["incubator_capacity"]
    if len(graduates) and capacity.sum() > 0:
        entrants["park"][graduates] = rng.choice(N_PARKS, size=len(graduates), p=capacity / capacity.sum())


def park_table(firms: FirmTable, space: ParkSpace) -> np.ndarray:
    """The year's park indicators (rows: ``PARK_INDICATORS`` order; columns: parks).

    Flows (revenue, value added) sum the year's accumulators of every firm that was in the park during the
    year, as the zone's indicators do, so the parks add up to the zone; stocks use the firms active at the end.
    A firm that moved during the year counts in the park it is in at the year's end.
    """
    active = firms.active
    revenue = np.bincount(firms.park, firms.y_revenue, N_PARKS)
    employees = employees_by_park(firms)
    enterprises = np.bincount(firms.park[active], minlength=N_PARKS).astype(float)
    value_added = np.bincount(firms.park, firms.y_value_added, N_PARKS)
    use = employees / space.capacity
    columns = {
        "revenue": revenue,
        "employees": employees,
        "enterprises": enterprises,
        "area": space.area,
        "revenue_per_km2": revenue / space.area,
        "land_use": use,
        "value_added": value_added,
    }
    return np.vstack([columns[key] for key in PARK_INDICATORS])
