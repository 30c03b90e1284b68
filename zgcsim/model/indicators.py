"""The indicator registry: the 16 plan indicators and the auxiliary series, each a function of model state.

Every value is computed from agent state at the end of a calendar year: flows sum the year's accumulators of
every firm that was in the zone during the year (including firms that left during it); stocks and counts use
the firms present at the year's end. Units are those of the plan's annex (percent as 0-100).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from zgcsim.inputs.levers import BY_NAME as LEVERS
from zgcsim.inputs.sectors import SECTORS
from zgcsim.inputs.targets import Target, load_targets
from zgcsim.model.firms import FirmTable
from zgcsim.model.fiscal import COST_ITEMS, OUTLAY
from zgcsim.model.global_lists import fortune_threshold_yi, yuan_per_usd


class ParkState(Protocol):
    """What indicators read: the firms, the institutions, the year, the levers and a few zone counters."""

    firms: FirmTable
    institutions: list
    year: int
    levers: dict[str, float]
    params: dict[str, float]
    standards_created: int
    entrants_year: int
    gi1000_cutoff_usd_m: float
    fiscal: dict[str, float]  # the year's cost of each costed lever, 亿元 (model/fiscal.py)
    area_km2: float  # the zone's area: the sum of the parks' areas


def on_global_list(state: ParkState) -> np.ndarray:
    """Mask of firms on the Fortune Global 500 or the Global Innovation 1000 this year.

    Fortune: revenue at or above the list's entry threshold. Innovation 1000: reported R&D at or above the
    cut-off; the list publishes no cut-off, so the model's cut-off is set to match the drawn 2017 count and
    grows with the list's total R&D afterwards.
    """
    f = state.firms
    gi_cutoff_yi = state.gi1000_cutoff_usd_m * yuan_per_usd(state.year) / 100.0  # 1 m US$ = rate / 100 亿元
    return f.active & ((f.y_revenue >= fortune_threshold_yi(state.year)) | (f.y_rd_reported >= gi_cutoff_yi))


def pillar_cluster_mask(state: ParkState) -> np.ndarray:
    """Sectors that are pillar clusters with technological leadership (our rule; the plan defines none).

    A sector counts when (1) its firms' revenue is at least 1 trillion yuan (the 'trillion-yuan cluster' scale),
    (2) its firms hold at least 15 % of the zone's international standards (they help set the rules of the
    technology), and (3) at least two of its firms are on a global list (it has globally leading firms).
    Thresholds are the ``cluster_*`` rule parameters.
    """
    f, p = state.firms, state.params
    active = f.active
    k = len(SECTORS)
    revenue = np.bincount(f.sector, weights=f.y_revenue, minlength=k)
    standards = np.bincount(f.sector[active], weights=f.standards[active], minlength=k)
    share = standards / max(standards.sum(), 1.0)
    leaders = np.bincount(f.sector[on_global_list(state)], minlength=k)
    return (
        (revenue >= p["cluster_min_revenue"])
        & (share >= p["cluster_min_standards_share"])
        & (leaders >= p["cluster_min_global_firms"])
    )


def _employees(s: ParkState) -> float:
    return float(s.firms.employees[s.firms.active].sum())


def _tax_expenditure(s: ParkState) -> float:
    """Tax under the 2017 rules minus tax due, summed over every firm of the year (model/fiscal.py)."""
    return float(s.firms.y_tax_2017_rules.sum() - s.firms.y_tax.sum())


def _fiscal_cost(s: ParkState) -> float:
    """Tax expenditure plus the spending levers' outlays, relative to the 2017 rules (model/fiscal.py)."""
    return _tax_expenditure(s) + sum(s.fiscal.get(item.lever, 0.0) for item in COST_ITEMS if item.kind == OUTLAY)


def _sum(column: str, active_only: bool = False) -> Callable[[ParkState], float]:
    def compute(s: ParkState) -> float:
        values = s.firms.columns[column]
        return float(values[s.firms.active].sum() if active_only else values.sum())

    return compute


_COMPUTE: dict[str, Callable[[ParkState], float]] = {
    # the plan's 16 (shared/data/targets_2022.csv)
    "rd_intensity": lambda s: 100.0 * s.firms.y_rd_reported.sum() / s.firms.y_revenue.sum(),
    "invention_patents_per_10k": lambda s: 1e4 * s.firms.patents_held[s.firms.active].sum() / _employees(s),
    "tech_contract_turnover": _sum("y_contracts"),
    "tech_transfer_offices": lambda s: float(sum(u.tto for u in s.institutions)),
    "open_innovation_platforms": lambda s: float(s.firms.platform[s.firms.active].sum()),
    "profit_margin": lambda s: 100.0 * s.firms.y_profit.sum() / s.firms.y_revenue.sum(),
    "labour_productivity": lambda s: 1e4 * s.firms.y_value_added.sum() / _employees(s),
    "revenue_per_employee": lambda s: 1e4 * s.firms.y_revenue.sum() / _employees(s),
    "revenue_per_km2": lambda s: s.firms.y_revenue.sum() / s.area_km2,
    "energy_per_10k_va": lambda s: s.firms.y_energy.sum() / (1e4 * s.firms.y_value_added.sum()),
    "listed_companies": lambda s: float(s.firms.listed[s.firms.active].sum()),
    "pillar_clusters": lambda s: float(pillar_cluster_mask(s).sum()),
    "pct_applications": _sum("y_pct"),
    "international_standards": lambda s: float(s.standards_created),
    "foreign_returnee_talent": _sum("returnees", active_only=True),
    "global_list_firms": lambda s: float(on_global_list(s).sum()),
    # auxiliary series (DESIGN.md)
    "total_revenue": _sum("y_revenue"),
    "value_added": _sum("y_value_added"),
    "employees": _employees,
    "st_expenditure": _sum("y_rd_reported"),
    "total_profit": _sum("y_profit"),
    "energy_use": _sum("y_energy"),
    "invention_patents_held": _sum("patents_held", active_only=True),
    "invention_applications": _sum("y_applications"),
    "invention_grants": _sum("y_grants"),
    "enterprises": lambda s: float(s.firms.active.sum()),
    "new_listings": lambda s: float((s.firms.listed & (s.firms.listing_year == s.year)).sum()),
    "vc_investment": _sum("y_vc"),
    "startups_founded": lambda s: float(s.entrants_year),
    # the published concepts since 2018 (research/uncertainty.md section 4): R&D expenses, not S&T expenditure;
    # net profit, not total profit; the mapping is an uncertain factor drawn per replicate
    "rd_intensity_published": lambda s: s.params["rd_concept_ratio"] * _COMPUTE["rd_intensity"](s),
    "profit_margin_published": lambda s: s.params["net_profit_ratio"] * _COMPUTE["profit_margin"](s),
    # fiscal cost relative to the 2017 rules (model/fiscal.py; 0 in the start year)
    "fiscal_cost": _fiscal_cost,
    "tax_expenditure": _tax_expenditure,
}
COST_PREFIX = "cost_"  # the per-lever cost series: cost_<lever>
for _item in COST_ITEMS:
    _COMPUTE[COST_PREFIX + _item.lever] = lambda s, lever=_item.lever: float(s.fiscal.get(lever, 0.0))

_AUX_META: dict[str, tuple[str, str, str]] = {
    "total_revenue": ("总收入", "Total revenue", "亿元"),
    "value_added": ("增加值", "Value added", "亿元"),
    "employees": ("从业人员", "Employees", "persons"),
    "st_expenditure": ("企业科技经费投入", "Enterprise S&T expenditure (reported)", "亿元"),
    "total_profit": ("利润总额", "Total profit", "亿元"),
    "energy_use": ("能源消费量", "Energy use", "tce"),
    "invention_patents_held": ("有效发明专利", "Valid invention patents held", "patents"),
    "invention_applications": ("发明专利申请", "Invention patent applications", "applications"),
    "invention_grants": ("发明专利授权", "Invention patents granted", "patents"),
    "enterprises": ("企业数", "Active enterprises", "firms"),
    "new_listings": ("新上市企业", "New listings", "companies"),
    "vc_investment": ("创业投资额", "Venture investment", "亿元"),
    "startups_founded": ("新进入企业", "Firms entering the zone's statistics", "firms"),
    "rd_intensity_published": ("研发费用强度（统计口径）", "R&D expenses / revenue, as published since 2018", "%"),
    "profit_margin_published": ("净利润率（统计口径）", "Net profit / revenue, as published", "%"),
    "fiscal_cost": ("财政成本（相对2017年政策）", "Fiscal cost (relative to the 2017 policy)", "亿元"),
    "tax_expenditure": ("税式支出（相对2017年税制）", "Tax expenditure (relative to the 2017 tax rules)", "亿元"),
}
# per-lever costs: registered series, kept out of AUX_KEYS (the dashboard's list) and read as costs.csv
_COST_META: dict[str, tuple[str, str, str]] = {
    COST_PREFIX + item.lever: (
        f"财政成本：{LEVERS[item.lever].name_zh}",
        f"Fiscal cost: {LEVERS[item.lever].description}",
        "亿元",
    )
    for item in COST_ITEMS
}


@dataclass(frozen=True)
class Indicator:
    """One output series: key, names, unit, how it is computed, and the plan target if it has one."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    compute: Callable[[ParkState], float]
    target: Target | None


def _build_registry() -> dict[str, Indicator]:
    registry = {t.key: Indicator(t.key, t.name_zh, t.name_en, t.unit, _COMPUTE[t.key], t) for t in load_targets()}
    for key, (zh, en, unit) in (_AUX_META | _COST_META).items():
        registry[key] = Indicator(key, zh, en, unit, _COMPUTE[key], None)
    return registry


REGISTRY: dict[str, Indicator] = _build_registry()
TARGET_KEYS: tuple[str, ...] = tuple(t.key for t in load_targets())
AUX_KEYS: tuple[str, ...] = tuple(_AUX_META)
COST_KEYS: tuple[str, ...] = tuple(_COST_META)


def compute_all(state: ParkState) -> dict[str, float]:
    """Compute every registered indicator for the state's current year."""
    return {key: float(ind.compute(state)) for key, ind in REGISTRY.items()}
