"""The zone's 16 sub-parks (一区十六园): names, planned areas, 2017 shares and main industries (data/parks.csv).

The 2012 State Council approval of the adjusted layout (国函〔2012〕168号) gave the zone 488 km² in 16 sub-parks.
Each row of ``data/parks.csv`` says whether its area is sourced or ours (and why), and where its main
industries come from. Eight planned areas are sourced (93.86 km² in all); the other eight are uncertain inputs
(``AREA_INPUTS``: ``park_area_<key>_2017`` in parameters.toml, with their ranges), drawn every replicate and
rescaled together so the 16 sum to 488 km² (``model.parks.planned_areas``). For those eight the file's
``area_km2`` is a central value: the range midpoints rescaled the same way, used where there is no draw.
No published table of the parks' 2017 shares of firms, revenue and employees was retrieved, so the shares in
the file are our central values; every replicate draws the shares it uses around them (Dirichlet, concentration
``park_share_concentration_2017``, parameters.toml).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from zgcsim.inputs.parameters import BY_NAME as PARAMETERS
from zgcsim.inputs.sectors import SECTOR_KEYS


@dataclass(frozen=True)
class Park:
    """One sub-park of the zone."""

    key: str
    name_zh: str
    name_en: str
    district_zh: str
    central: bool  # in one of the six central districts the 2017 master plan caps
    area_km2: float  # planned area (2012 layout); for an unsourced one its central value
    area_basis: str  # "sourced" or "ours" (then drawn: AREA_INPUTS)
    area_source: str
    revenue_share: float  # central value of the 2017 share of zone revenue (ours)
    firm_share: float  # central value of the 2017 share of the zone's firms (ours)
    employee_share: float  # central value of the 2017 share of the zone's employees (ours)
    industries: tuple[str, ...]  # sector keys of its main industries
    industries_source: str


def _load() -> tuple[Park, ...]:
    text = resources.files("zgcsim").joinpath("data/parks.csv").read_text(encoding="utf-8")
    parks = []
    for row in csv.DictReader(text.splitlines()):
        industries = tuple(row["industries"].split(";"))
        unknown = set(industries) - set(SECTOR_KEYS)
        if unknown:
            raise ValueError(f"parks.csv: unknown sectors {sorted(unknown)} for {row['key']}")
        parks.append(
            Park(
                row["key"],
                row["name_zh"],
                row["name_en"],
                row["district"],
                row["central"] == "1",
                float(row["area_km2"]),
                row["area_basis"],
                row["area_source"],
                float(row["revenue_share"]),
                float(row["firm_share"]),
                float(row["employee_share"]),
                industries,
                row["industries_source"],
            )
        )
    return tuple(parks)


PARKS: tuple[Park, ...] = _load()
PARK_KEYS: tuple[str, ...] = tuple(p.key for p in PARKS)
PARK_INDEX: dict[str, int] = {key: i for i, key in enumerate(PARK_KEYS)}
AREAS_KM2 = np.array([p.area_km2 for p in PARKS])
CENTRAL = np.array([p.central for p in PARKS])
TOTAL_AREA_KM2 = float(AREAS_KM2.sum())  # 488 km², the approved total
# the uncertain input (parameters.toml) that gives each unsourced park's planned area, in park order
AREA_INPUTS: dict[str, str] = {p.key: f"park_area_{p.key}_2017" for p in PARKS if p.area_basis != "sourced"}
SOURCED = np.array([p.area_basis == "sourced" for p in PARKS])
SOURCED_AREA_KM2 = float(AREAS_KM2[SOURCED].sum())  # 93.86 km²


def area_range(key: str) -> tuple[float, float] | None:
    """The stated range (km²) of an unsourced park's planned area, or None for a sourced one."""
    name = AREA_INPUTS.get(key)
    return None if name is None else (PARAMETERS[name].low, PARAMETERS[name].high)


def industry_matrix() -> np.ndarray:
    """Boolean (sector, park) matrix: True where the sector is one of the park's main industries."""
    m = np.zeros((len(SECTOR_KEYS), len(PARKS)), bool)
    for j, park in enumerate(PARKS):
        for key in park.industries:
            m[SECTOR_KEYS.index(key), j] = True
    return m
