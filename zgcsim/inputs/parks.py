"""The zone's 16 sub-parks (一区十六园): names, planned areas, 2017 shares and main industries (data/parks.csv).

The 2012 State Council approval of the adjusted layout (国函〔2012〕168号) gave the zone 488 km² in 16 sub-parks.
Each row of ``data/parks.csv`` says whether its area is sourced or ours (and why), and where its main
industries come from. No published table of the parks' 2017 shares of firms, revenue and employees was
retrieved, so the shares in the file are our central values; every replicate draws the shares it uses around
them (Dirichlet, concentration ``park_share_concentration``, parameters.toml).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from zgcsim.inputs.sectors import SECTOR_KEYS


@dataclass(frozen=True)
class Park:
    """One sub-park of the zone."""

    key: str
    name_zh: str
    name_en: str
    district_zh: str
    central: bool  # in one of the six central districts the 2017 master plan caps
    area_km2: float  # planned area (2012 layout)
    area_basis: str  # "sourced" or "ours"
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


def industry_matrix() -> np.ndarray:
    """Boolean (sector, park) matrix: True where the sector is one of the park's main industries."""
    m = np.zeros((len(SECTOR_KEYS), len(PARKS)), bool)
    for j, park in enumerate(PARKS):
        for key in park.industries:
            m[SECTOR_KEYS.index(key), j] = True
    return m
