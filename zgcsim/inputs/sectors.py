"""The zone's industries (sectors), with our assumptions for their 2017 structure, and the guidance funds' mandate."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    """An industry of the zone, with our assumptions for its 2017 structure (no sourced split exists)."""

    key: str
    name_zh: str
    name_en: str
    revenue_share: float  # share of 2017 zone revenue: our assumption, varied by sector_share_noise
    va_ratio: float  # value added / revenue: our assumption, rescaled to the zone's 7 352.2 亿元
    manufacturing_share: float  # share of firms that are manufacturers
    rd_median: float  # median real R&D intensity of its firms
    energy_factor: float  # relative energy intensity per unit of value added


SECTORS: tuple[Sector, ...] = (
    Sector("it", "新一代信息技术", "Next-generation IT", 0.46, 0.15, 0.15, 0.040, 0.6),
    Sector("advanced_manufacturing", "高端装备与智能制造", "Advanced manufacturing", 0.12, 0.13, 0.90, 0.030, 1.6),
    Sector("energy_environment", "新能源与节能环保", "New energy and environment", 0.12, 0.12, 0.60, 0.025, 1.8),
    Sector("biomedicine", "生物医药与大健康", "Biomedicine and health", 0.06, 0.20, 0.60, 0.060, 1.0),
    Sector("new_materials", "新材料", "New materials", 0.05, 0.12, 0.90, 0.030, 2.2),
    Sector("aerospace_transport", "航空航天与现代交通", "Aerospace and modern transport", 0.05, 0.13, 0.70, 0.035, 1.2),
    Sector("tech_services", "科技服务与现代服务业", "Technology and modern services", 0.14, 0.14, 0.05, 0.030, 0.5),
)
SECTOR_KEYS: tuple[str, ...] = tuple(s.key for s in SECTORS)
# Sectors of the guidance funds' mandate: the plan's key technologies (task 4: chips, operating systems,
# materials, drugs and medical devices) and high-end manufacturing (task 10).
MANDATE_SECTORS: tuple[int, ...] = tuple(
    i for i, s in enumerate(SECTORS) if s.key in {"it", "biomedicine", "new_materials", "advanced_manufacturing"}
)
