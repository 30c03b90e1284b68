"""Every fixed piece of chart and brief text, in Chinese and English, looked up by key."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "median": {"zh": "中位数", "en": "median"},
    "band_50": {"zh": "25-75% 区间", "en": "25-75 % of runs"},
    "band_90": {"zh": "5-95% 区间", "en": "5-95 % of runs"},
    "baseline": {"zh": "2017年基线（中位数）", "en": "2017 baseline (median)"},
    "target": {"zh": "2022年目标", "en": "2022 target"},
    "observed": {"zh": "观测值", "en": "observed"},
    "basis_sourced": {"zh": "观测值（公开数据）", "en": "observed (published)"},
    "basis_derived": {"zh": "观测值（推算）", "en": "observed (derived)"},
    "basis_lower_bound": {"zh": "观测值（下限）", "en": "observed (lower bound)"},
    "basis_proxy": {"zh": "观测值（替代口径）", "en": "observed (proxy)"},
    "year": {"zh": "年份", "en": "year"},
    "fans_title": {
        "zh": "16项指标2017-2022年预测（中位数、25-75%与5-95%区间）",
        "en": "The 16 indicators, 2017-2022 (median, 25-75 % and 5-95 % of runs)",
    },
    "heatmap_title": {"zh": "2022年目标达成概率", "en": "Probability of meeting each 2022 target"},
    "heatmap_note": {
        "zh": "格内数字：达成目标的模拟比例（{n}次/情景）",
        "en": "Each cell: share of runs meeting the target ({n} runs per scenario)",
    },
    "diff_title": {
        "zh": "{scen}与{ref}相比的2022年差异（配对模拟，随机数相同）",
        "en": "2022 difference of {scen} from {ref} (paired runs, same random numbers)",
    },
    "diff_median": {"zh": "差异中位数（原单位）", "en": "median difference (indicator's unit)"},
    "diff_axis": {
        "zh": "差异，占参照情景2022年中位数的百分比",
        "en": "difference, % of the reference scenario's 2022 median",
    },
    "diff_note": {
        "zh": "点：配对差异的中位数；粗线：25-75%；细线：5-95%（各次配对模拟之间）",
        "en": "Dot: median of the paired differences; thick line: 25-75 %; thin line: 5-95 % (across paired runs)",
    },
    "sobol_title": {"zh": "敏感性分析（Sobol指数）", "en": "Sensitivity (Sobol indices)"},
    "morris_title": {"zh": "敏感性分析（Morris方法）", "en": "Sensitivity (Morris screening)"},
    "sobol_total": {"zh": "总效应 ST", "en": "total effect ST"},
    "sobol_first": {"zh": "一阶效应 S1", "en": "first-order S1"},
    "morris_mu": {"zh": "μ*（平均绝对效应）", "en": "μ* (mean absolute effect)"},
    "morris_sigma": {"zh": "σ（非线性/交互）", "en": "σ (non-linearity / interactions)"},
    "sens_note": {
        "zh": "每项指标列出影响最大的{k}个参数；误差线为置信区间",
        "en": "Top {k} inputs per indicator; error bars are confidence intervals",
    },
    "calib_title": {
        "zh": "校准拟合：2017年及以前的模拟值与观测值",
        "en": "Calibration fit: simulated against observed, up to 2017",
    },
    "sim_median": {"zh": "模拟中位数", "en": "simulated median"},
    "sim_band": {"zh": "模拟5-95%区间", "en": "simulated 5-95 %"},
    "met": {"zh": "可达成", "en": "met"},
    "at_risk": {"zh": "有风险", "en": "at risk"},
    "unlikely": {"zh": "难达成", "en": "unlikely"},
}


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, with ``{field}`` placeholders filled."""
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


# Chinese display names of the uncertain inputs (zgcsim.parameters, kind 'uncertain'); other parameters are shown
# by their key.
PARAMETER_NAMES_ZH = {
    "n_firms_2017": "2017年企业数",
    "employees_2017": "2017年从业人员",
    "st_intensity_2017": "2017年科技经费投入强度",
    "profit_margin_2017": "2017年利润率",
    "listed_2017": "2017年上市企业数",
    "talent_2017": "2017年外籍和归国人才",
    "tto_2017": "2017年技术转移机构数",
    "platforms_2017": "2017年开放式创新平台数",
    "energy_intensity_2017": "2017年万元增加值能耗",
    "global_list_firms_2017": "2017年世界榜单企业数",
    "n_universities": "高校数",
    "n_institutes": "科研院所数",
    "vc_investment_2017": "2017年创业投资额",
    "startup_entry_rate": "新企业进入率",
    "sector_share_noise": "行业收入结构扰动",
    "gi1000_cutoff_growth": "全球创新千强门槛增速",
    "demand_growth": "名义需求增速",
    "research_budget_2017": "2017年高校院所科研经费",
}


# Periods of non-full-year observations (data file's ``period`` column), as Chinese labels; "Jun" = end of June.
PERIOD_ZH = {
    **{
        m: f"{i}月末"
        for i, m in enumerate(
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
        )
    },
    "H1": "上半年",
    "Q1": "一季度",
    "Jan-Sep": "1-9月",
    "Jan-Oct": "1-10月",
    "Jan-Jul": "1-7月",
}
