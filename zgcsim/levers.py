"""The policy levers: what a scenario can set, in which unit and bounds, and which plan tasks each implements.

Task numbers refer to the 23 tasks of section 二 of the action plan (shared/plan/action_plan_2018_2022.txt).
The 2017 setting is the value in force at the end of 2017; a scenario changes a lever from a date on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Lever:
    """One policy instrument."""

    name: str
    name_zh: str
    description: str
    unit: str
    low: float
    high: float
    setting_2017: float
    tasks: tuple[int, ...]
    mechanism: str
    reference: str


LEVERS: tuple[Lever, ...] = (
    Lever(
        "rd_super_deduction",
        "研发费用加计扣除比例",
        "Extra deduction of eligible R&D expenses, all firms",
        "share of R&D",
        0.0,
        2.0,
        0.50,
        (3,),
        "user cost of R&D (enterprises.decide_rd)",
        "50 % before 2018; 75 % from 2018-01-01 (财税〔2018〕99号); priors.md row 11",
    ),
    Lever(
        "rd_super_deduction_manufacturing",
        "制造业研发费用加计扣除比例",
        "Extra deduction for manufacturers (at least half of revenue from manufacturing)",
        "share of R&D",
        0.0,
        2.0,
        0.50,
        (3,),
        "user cost of R&D for manufacturing firms",
        "100 % from 2021-01-01 (MOF/STA announcement 2021 No. 13); priors.md row 11",
    ),
    Lever(
        "hte_tax_rate",
        "高新技术企业所得税税率",
        "Corporate income tax rate of certified high-tech enterprises",
        "rate",
        0.05,
        0.25,
        0.15,
        (3,),
        "HTE notch and user cost (enterprises.decide_rd)",
        "priors.md rows 12-13",
    ),
    Lever(
        "tto_funded",
        "支持建设技术转移机构数量",
        "Universities and institutes funded to build a professional TTO",
        "offices",
        0,
        250,
        0,
        (1, 7),
        "university TTO set-up (institutions.University.review_tto)",
        "plan task 7: 支持高校院所建立市场化专业化的技术转移机构; target 'over 50'",
    ),
    Lever(
        "tto_subsidy",
        "技术转移机构专业人员资助",
        "Professional staff funded per supported TTO",
        "staff per office",
        0,
        30,
        0,
        (7, 8),
        "TTO staff -> licences (constant returns, priors.md row 28)",
        "plan task 8: 技术经纪人队伍",
    ),
    Lever(
        "platform_support",
        "大企业开放式创新平台支持数量",
        "Large firms supported to open innovation platforms",
        "platforms",
        0,
        200,
        0,
        (8, 11),
        "large-firm platform decision (enterprises.open_platforms)",
        "plan task 8: 支持大企业建设高水平开放式创新平台; target 'over 30'",
    ),
    Lever(
        "incubator_capacity",
        "硬科技孵化器毕业企业",
        "Start-ups graduating from hard-tech incubators per year",
        "firms per year",
        0,
        3000,
        0,
        (8, 14),
        "entry of incubator graduates (growth up, survival not, row 70)",
        "plan task 8: 出台支持硬科技孵化器政策措施",
    ),
    Lever(
        "guidance_fund",
        "政府引导基金年度出资",
        "Government guidance-fund commitments to sub-funds per year",
        "亿元 per year",
        0,
        1000,
        60,
        (16,),
        "co-investment with private VC (finance.GuidanceFund)",
        "plan task 16: 北京市科技创新基金; 2017 level is our assumption (no sourced figure)",
    ),
    Lever(
        "guidance_mandate_share",
        "引导基金投向重点产业比例",
        "Share of guidance money restricted to mandate sectors",
        "share",
        0,
        1,
        0.5,
        (10, 16),
        "sector mandate and crowd-out (priors.md rows 49-50)",
        "plan tasks 10, 16",
    ),
    Lever(
        "star_market",
        "科创板",
        "STAR Market open (unprofitable firms may list on market-value, revenue and R&D tests)",
        "0/1",
        0,
        1,
        0,
        (17,),
        "listing eligibility, lag, exit multiple (finance.StockExchange)",
        "trading from 2019-07-22 (priors.md row 51)",
    ),
    Lever(
        "beijing_exchange",
        "北京证券交易所",
        "Beijing Stock Exchange open for NEEQ-quoted SMEs",
        "0/1",
        0,
        1,
        0,
        (17,),
        "listing channel for small profitable firms",
        "opened 2021-11-15 (priors.md row 52)",
    ),
    Lever(
        "listing_support",
        "上市培育支持强度",
        "Intensity of listing-preparation support (1 = 2017)",
        "index",
        0.5,
        3.0,
        1.0,
        (17,),
        "multiplies the filing rate of eligible firms",
        "plan task 17: 上市培育",
    ),
    Lever(
        "talent_programme",
        "人才计划强度",
        "Intensity of talent programmes (1 = 2017)",
        "index",
        0.5,
        4.0,
        1.0,
        (13, 14, 15),
        "returnee hiring and returnee founders (priors.md rows 67-69)",
        "plan tasks 13-15",
    ),
    Lever(
        "pct_support",
        "国外专利申请支持强度",
        "Support for overseas (PCT) patent filing (1 = 2017)",
        "index",
        0.5,
        4.0,
        1.0,
        (2,),
        "PCT share of invention applications",
        "plan task 2: 完善国外专利申请支持政策",
    ),
    Lever(
        "standards_support",
        "国际标准创制支持强度",
        "Support for international standard-setting (1 = 2017)",
        "index",
        0.5,
        4.0,
        1.0,
        (11,),
        "standards hazard",
        "plan task 11: 鼓励支持企业主导或参与创制国际标准",
    ),
    Lever(
        "park_area",
        "园区面积",
        "Park land counted in revenue per km²",
        "km²",
        100,
        2000,
        488,
        (19,),
        "denominator of revenue_per_km2",
        "488 km² planned area (一区十六园)",
    ),
    Lever(
        "land_renewal",
        "存量空间更新率",
        "Share of park floor space renewed per year",
        "share per year",
        0,
        0.1,
        0.01,
        (19, 20),
        "raises capacity and lowers the congestion drag on growth",
        "plan task 20: 腾笼换鸟; 2017 rate is our assumption",
    ),
    Lever(
        "energy_efficiency",
        "节能政策强度",
        "Energy-efficiency subsidies (0 = none beyond 2017 practice)",
        "index",
        0,
        3,
        0,
        (10, 20),
        "extra decline of firm energy intensity (priors.md row 66)",
        "plan tasks 10, 20",
    ),
)

BY_NAME: Mapping[str, Lever] = MappingProxyType({lever.name: lever for lever in LEVERS})


def settings_2017() -> dict[str, float]:
    """Return every lever at its 2017 setting."""
    return {lever.name: lever.setting_2017 for lever in LEVERS}
