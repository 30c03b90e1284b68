"""The policy levers: what a scenario can set, in which unit and bounds, and which plan tasks each implements.

Task numbers refer to the 23 tasks of section 二 of the action plan (shared/plan/action_plan_2018_2022.txt).
National instruments the plan does not itself set (the tax rates, the STAR Market) name the task that asks for
them or for the outcome they serve, and say so in ``reference``. The 2017 setting is the value in force at the
end of 2017; a scenario changes a lever from a date on.
"""

from __future__ import annotations

import datetime as dt
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
    whole: bool = False  # only whole numbers make sense (counts, 0/1 switches)
    # values in force before 2018, from each date (for the 2013-2017 spin-up); none: the 2017 setting throughout
    history: tuple[tuple[dt.date, float], ...] = ()

    def before_2018(self, on: dt.date) -> float:
        """The value in force on ``on``, a date before 2018 (the first history value before the history starts)."""
        value = self.history[0][1] if self.history else self.setting_2017
        for start, level in self.history:
            if start <= on:
                value = level
        return value


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
        "national; task 3 asks to improve it (推动完善研发费用加计扣除归集办法). 50 % in 2017 for most firms; "
        "75 % for all eligible firms from 2018-01-01 (财税〔2018〕99号); 100 % for all firms in 2022 Q4 "
        "(MOF/STA/MOST announcement 2022 No. 28, unverified); priors.md row 11",
    ),
    Lever(
        "rd_super_deduction_sme",
        "科技型中小企业研发费用加计扣除比例",
        "Extra deduction for technology-based SMEs (at most 500 staff, 2 亿元 revenue and 2 亿元 assets)",
        "share of R&D",
        0.0,
        2.0,
        0.75,
        (3,),
        "user cost of R&D for firms of SME size, times the drawn share registered as technology-based SMEs "
        "(the higher of this and the general rate applies)",
        "national; task 3. 75 % from 2017-01-01 to 2019-12-31 (财税〔2017〕34号, issued 2017-05-02), 50 % before; "
        "eligibility: 科技型中小企业评价办法 (国科发政〔2017〕115号): at most 500 staff, revenue and assets at most "
        "2 亿元 each; priors.md row 11",
        history=((dt.date(2008, 1, 1), 0.50), (dt.date(2017, 1, 1), 0.75)),
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
        "user cost of R&D for manufacturing firms (the higher of this and the general rate applies)",
        "national; task 3. 100 % from 2021-01-01 (MOF/STA announcement 2021 No. 13); priors.md row 11",
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
        "national (Enterprise Income Tax Law art. 28), 15 % throughout 2017-2022; nearest plan task 3 "
        "(完善创新激励政策); priors.md rows 12-13",
    ),
    Lever(
        "tto_funded",
        "支持建设技术转移机构数量",
        "Universities and institutes funded to build a professional TTO",
        "offices",
        0,
        250,
        0,
        (7,),
        "university TTO set-up (institutions.University.review_tto)",
        "plan task 7: 支持高校院所建立市场化专业化的技术转移机构; annex indicator 4, target 'over 50' (超过50家)",
        whole=True,
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
        "plan task 7 (professional TTOs) and task 8: 建立技术经纪人...科技成果转化服务人才队伍",
    ),
    Lever(
        "platform_support",
        "大企业开放式创新平台支持数量",
        "Large firms supported to open innovation platforms",
        "platforms",
        0,
        200,
        0,
        (8,),
        "large-firm platform decision (model.open_platforms)",
        "plan task 8: 支持大企业建设高水平开放式创新平台; annex indicator 5, target 'over 30' (超过30家)",
        whole=True,
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
        "entry of incubator graduates (growth up, survival not, priors.md row 70)",
        "plan task 8: 出台支持硬科技孵化器政策措施; goal 硬科技孵化器覆盖十六园; task 14: 创新型孵化器; no number "
        "in the plan",
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
        "co-investment with private VC (finance.GuidanceFund; priors.md rows 49-50)",
        "plan task 16: 发挥北京市科技创新基金引导放大作用; 2017 level is our assumption (no sourced figure)",
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
        "plan task 16 (前沿引领技术、颠覆性技术) and task 10 (重点产业); 2017 share is our assumption",
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
        "national reform, not in the plan (announced 2018-11-05, trading from 2019-07-22; priors.md row 51); "
        "nearest plan task 17: 充分发挥上交所、深交所...上市培育激励作用",
        whole=True,
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
        "plan task 17: 积极争取建设聚焦服务科技型中小微企业...新型全国交易场所; opened 2021-11-15 (priors.md row 52)",
        whole=True,
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
        "plan task 17: 优化科技型企业上市培育服务工作机制; intensity scale is ours",
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
        "plan task 13 (人才特区, foreign talent), 14 (young talent), 15 (high-end talent); intensity scale is ours",
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
        "PCT share of invention applications (priors.md row 22)",
        "plan task 2: 完善国外专利申请支持政策...加大对中小企业申请国外专利的支持力度; intensity scale is ours",
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
        "standards hazard (priors.md row 71)",
        "plan task 11: 鼓励支持企业主导或参与创制国际、国家标准; intensity scale is ours",
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
        "zone area: scales every park's area, so the denominator of revenue_per_km2 and land capacity (model/parks.py)",
        "plan task 19: 研究分园空间范围优化调整方案; 488 km² planned area of 一区十六园 (data/README.md)",
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
        "raises each park's capacity, lowering its land use, congestion and moves out (model/parks.py; per park)",
        "plan task 19 (存量更新) and task 20 (腾笼换鸟, 盘活工业用地、老旧厂房); 2017 rate is our assumption",
    ),
    Lever(
        "park_area_change",
        "分园面积调整",
        "Scale of each park's planned area (1 = the 2012 layout; per park, see PARK_LEVERS)",
        "share of the 2012 area",
        0.5,
        2.0,
        1.0,
        (19,),
        "each park's area: land capacity and the denominator of revenue per km² (model/parks.py); the zone's area "
        "is the sum of the parks' areas",
        "plan task 19: 研究分园空间范围优化调整方案 (存量优先、布局集中); no adjustment was approved by 2017",
    ),
    Lever(
        "relocation_support",
        "企业跨区转移支持",
        "Support for firms moving between the zone's parks (0 = 2017 practice)",
        "index",
        0,
        3,
        0,
        (19,),
        "odds that a firm outgrowing its park settles in another park of the zone (model/relocation.py)",
        "plan task 19: 支持企业跨区转移，支持迁入迁出地区政府建立利益分享机制; intensity scale is ours",
    ),
    Lever(
        "partner_park_capacity",
        "京外合作园区承接能力",
        "Firms per year the partner parks outside Beijing (Xiong'an, Tianjin Binhai) can take from the zone",
        "firms per year",
        0,
        2000,
        50,
        (23,),
        "destination of firms outgrowing their park; part of them keep their registration in the zone "
        "(model/relocation.py)",
        "plan task 23: 加快雄安新区中关村科技园、天津滨海-中关村科技园等合作园区建设; the Tianjin Binhai-ZGC park "
        "opened in 2016; 50 a year in 2017 is our assumption",
        whole=True,
    ),
    Lever(
        "energy_efficiency",
        "节能政策强度",
        "Energy-efficiency subsidies (0 = none beyond 2017 practice)",
        "index",
        0,
        3,
        0,
        (18, 20),
        "extra decline of firm energy intensity: an efficiency subsidy acting on ψ (priors.md section 6)",
        "the plan sets no energy measure of its own: task 20 (生态型 parks) and task 18 (绿色信贷) come "
        "closest; annex indicator 10 is the target it serves; quotas (priors.md row 66) are not modelled",
    ),
)

BY_NAME: Mapping[str, Lever] = MappingProxyType({lever.name: lever for lever in LEVERS})
# levers a scenario may also set park by park ([levers.NAME] with a dated table per park key, model/parks.py)
PARK_LEVERS: tuple[str, ...] = (
    "land_renewal",
    "park_area_change",
    "incubator_capacity",
    "relocation_support",
    "partner_park_capacity",
)
# park levers that are zone totals: the zone value is shared out by the parks' 2017 firm shares, a park's own
# value is that park's amount; the others are rates or scales that apply to every park as they are
PARK_TOTAL_LEVERS: tuple[str, ...] = ("incubator_capacity", "partner_park_capacity")
