"""The dashboard's words in Chinese and English; indicator and lever names come from their registries."""

from __future__ import annotations

from zgcsim.inputs.levers import BY_NAME
from zgcsim.model.indicators import REGISTRY

LANGUAGES = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "title": ("中关村 2018-2022 行动计划目标模拟", "Zhongguancun 2018-2022 action-plan targets"),
    "subtitle": (
        "在不同政策情景下，16 项目标在 2022 年实现的可能性有多大？",
        "Under a given mix of policies, how likely is each of the 16 targets to be met by 2022?",
    ),
    "compare_card": ("比较情景", "Compare scenarios"),
    "compare_label": ("要比较的结果", "Results to compare"),
    "compare_help": (
        "可选：命令行给出的结果文件夹中的情景，以及在本页运行的情景。",
        "Choose among the scenarios of the results folders given on the command line and those run in this page.",
    ),
    "no_results": (
        "还没有结果：在下面运行情景库中的情景，或编辑一个情景并运行。",
        "No results yet: run scenarios from the library below, or edit a scenario and run it.",
    ),
    "run_card": ("运行情景库中的情景", "Run scenarios from the library"),
    "library_label": ("情景库", "Library scenarios"),
    "run_library": ("运行所选情景", "Run the chosen scenarios"),
    "ensemble_card": ("模拟设置", "Ensemble settings"),
    "replicates": ("每个情景的运行次数", "Runs per scenario"),
    "seed": ("随机数种子", "Random seed"),
    "quick": (
        "快速试算：只模拟 3 000 家企业（全规模约 2-2.5 万家）；仅供试用本页，不能用于决策",
        "Quick test: only 3 000 firms (full scale is about 20 000-25 000); for trying the page, not for decisions",
    ),
    "full_scale_note": (
        "全规模：每次运行约 0.5-2 秒。",
        "Full scale: each run takes about 0.5-2 s.",
    ),
    "edit_card": ("编辑情景", "Edit a scenario"),
    "parent": ("从这个情景出发", "Start from scenario"),
    "new_name": ("新情景名称（字母、数字、_、-）", "Name of the new scenario (letters, digits, _ and -)"),
    "from_year": ("改动生效年份（1 月 1 日起）", "Changes hold from 1 January of"),
    "lever_help": (
        "留空表示沿用出发情景的取值；填入的值从生效年份起一直保持到 2022 年底。",
        "Leave a lever blank to keep the parent's schedule; a value you enter holds from that year to the end of 2022.",
    ),
    "parent_value": ("出发情景", "parent"),
    "bounds": ("范围", "bounds"),
    "run_edit": ("运行编辑后的情景及其出发情景（配对）", "Run the edited scenario and its parent (paired)"),
    "download_toml": ("下载情景文件 (TOML)", "Download scenario file (TOML)"),
    "fix_inputs": ("请先更正标红的输入。", "Correct the inputs marked in red first."),
    "no_changes": ("还没有改动任何政策杠杆。", "No lever has been changed yet."),
    "progress": ("运行进度", "Progress"),
    "runs_done": ("已完成 {done} / {total} 次运行", "{done} of {total} runs done"),
    "cancel": ("停止", "Stop"),
    "run_failed": ("运行失败：", "The run failed: "),
    "run_cancelled": ("运行已停止，未保存结果。", "The run was stopped; no results were kept."),
    "run_saved": ("结果已保存到 {path}", "Results saved in {path}"),
    "busy": ("已有运行在进行中。", "A run is already in progress."),
    "attainment_card": ("2022 年目标实现概率", "Probability of meeting each 2022 target"),
    "attainment_help": (
        "每格：达到目标的运行占比（± 蒙特卡洛标准误）与 2022 年中位数。",
        "Each cell: share of runs that meet the target (± Monte Carlo standard error), and the 2022 median.",
    ),
    "target": ("目标", "Target"),
    "indicator": ("指标", "Indicator"),
    "effect_card": ("改动的效果（与出发情景配对比较）", "Effect of your changes (paired with the parent)"),
    "effect_help": (
        "两者使用相同的随机数种子：差异来自政策，而非偶然。中位差为逐次配对差值的中位数（5%-95% 区间）。",
        "Both use the same seeds, so the difference is the policy's, not chance's. Median difference: median of the "
        "run-by-run differences in 2022 (5-95 % range).",
    ),
    "delta_p": ("实现概率变化", "Change in probability"),
    "median_diff": ("2022 年中位差", "Median difference in 2022"),
    "fan_card": ("扇形图", "Fan chart"),
    "fan_indicator": ("指标", "Indicator"),
    "download_png": ("下载图 (PNG)", "Download chart (PNG)"),
    "median": ("线为中位数", "line: median"),
    "band_50": ("深色带 25%-75%", "dark band 25-75 %"),
    "band_90": ("浅色带 5%-95%", "light band 5-95 %"),
    "target_line": ("2022 年目标", "2022 target"),
    "year": ("年份", "Year"),
    "quick_tag": ("快速试算", "quick test"),
    "runs_tag": ("{n} 次运行", "{n} runs"),
    "err_not_number": ("不是数字：{text}", "not a number: {text}"),
    "err_bounds": ("{value} 超出范围 [{low}, {high}] {unit}", "{value} is outside the bounds [{low}, {high}] {unit}"),
    "err_whole": ("{value} 须为整数（{unit}）", "{value} must be a whole number ({unit})"),
    "err_replicates": ("运行次数须在 1 到 {max} 之间", "runs per scenario must be from 1 to {max}"),
    "err_seed": ("种子须为非负整数", "the seed must be a whole number, 0 or more"),
    "err_name": (
        "名称只能含字母、数字、_ 和 -，且不能与出发情景或情景库中的情景同名",
        "the name may hold only letters, digits, _ and -, and must differ from the parent's and the library's",
    ),
}


def t(key: str, lang: str, **values: object) -> str:
    """Return the text ``key`` in ``lang`` ("zh" or "en"), with ``values`` filled in."""
    zh, en = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def indicator_name(key: str, lang: str) -> str:
    """The indicator's name in ``lang``, from the indicator registry."""
    ind = REGISTRY[key]
    return ind.name_zh if lang == "zh" else ind.name_en


def indicator_unit(key: str, lang: str) -> str:
    """The indicator's unit in ``lang`` (targets carry an English unit; auxiliary series have one unit)."""
    ind = REGISTRY[key]
    if lang == "en" and ind.target is not None:
        return ind.target.unit_en
    return ind.unit


def lever_name(name: str, lang: str) -> str:
    """The lever's name in ``lang``: its Chinese name, or its English description."""
    lever = BY_NAME[name]
    return lever.name_zh if lang == "zh" else lever.description


# Chinese for the lever units of zgcsim.levers (which states them in English); a unit not listed stays as it is.
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


def lever_unit(name: str, lang: str) -> str:
    """The lever's unit in ``lang``."""
    unit = BY_NAME[name].unit
    return LEVER_UNITS_ZH.get(unit, unit) if lang == "zh" else unit
