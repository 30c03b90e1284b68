"""The brief's methods and provenance section as structured content (headings, paragraphs, tables), zh and en."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from zgcsim.inputs.parameters import PARAMETERS
from zgcsim.inputs.targets import load_targets
from zgcsim.reporting.inputs import Results, load_hindcast_summary
from zgcsim.reporting.labels import BASIS_NAMES, TARGET_NOTES_ZH, t
from zgcsim.reporting.style import format_value, indicator_name, scenario_label, unit_text
from zgcsim.reporting.tables import MET_AT, UNLIKELY_BELOW


@dataclass
class Section:
    """One heading with paragraphs, bullet points and at most one table (header row + rows)."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # relative column widths for the PDF


def marker_rule(lang: str) -> str:
    """The met / at risk / unlikely rule in words."""
    if lang == "zh":
        return (
            f"判断规则：达成概率 ≥ {MET_AT:.1f} 为“可达成”，{UNLIKELY_BELOW:.1f}-{MET_AT:.1f} 为“有风险”，"
            f"< {UNLIKELY_BELOW:.1f} 为“难达成”。达成概率 = 2022年达到规划目标的模拟次数占比。"
        )
    return (
        f"Marker rule: met when the probability of meeting the target is at least {MET_AT:.1f}, at risk from "
        f"{UNLIKELY_BELOW:.1f} up to {MET_AT:.1f}, unlikely below {UNLIKELY_BELOW:.1f}. Probability = share of runs "
        "that meet the plan's 2022 target."
    )


def _data_section(observed: pd.DataFrame, lang: str) -> Section:
    zh = lang == "zh"
    sec = Section("数据来源与口径" if zh else "Data sources and their basis")
    counts = observed["basis"].value_counts()
    sec.paragraphs.append(
        "图中的观测点仅取中关村示范区全口径、全年（FY）数据（zgcsim/data/zgc_observed_to_2017.csv），"
        "不含规模以上企业口径或部分年度数据。口径："
        + "；".join(f"{BASIS_NAMES[b][lang]} {n}条" for b, n in counts.items())
        if zh
        else "Observed points are full-year (FY), zone-wide figures only (zgcsim/data/zgc_observed_to_2017.csv); "
        "partial-year figures and figures for above-size firms only are left out. Basis: "
        + "; ".join(f"{BASIS_NAMES[b][lang]}: {n} rows" for b, n in counts.items())
        + "."
    )
    sec.table.append(["指标", "年份", "数值", "口径", "来源"] if zh else ["series", "year", "value", "basis", "source"])
    for row in observed.sort_values(["series", "year"]).itertuples():
        try:
            name = indicator_name(row.series, lang)
        except KeyError:
            name = row.series
        sec.table.append(
            [
                name,
                str(row.year),
                f"{format_value(row.value)} {unit_text(row.unit, lang)}",
                BASIS_NAMES[row.basis][lang],
                str(row.source),
            ]
        )
    sec.widths = [2.2, 0.5, 1.3, 1.2, 4.8]
    return sec


def _inputs_section(results: Results, lang: str) -> Section:
    zh = lang == "zh"
    sec = Section("不确定输入及其范围" if zh else "Uncertain inputs and their ranges")
    uncertain = [p for p in PARAMETERS if p.kind == "uncertain"]
    drawn = results.uncertain_inputs
    if drawn is not None and "input" in drawn:
        # the inputs these runs actually drew (the table also holds the 2013 inputs of the calibration spin-up)
        uncertain = [p for p in uncertain if p.name in set(drawn["input"])]
    kinds = pd.Series([p.kind for p in PARAMETERS]).value_counts()
    sec.paragraphs.append(
        f"以下{len(uncertain)}个2017年基线未知，每次模拟在区间内均匀抽样"
        "（结果文件 uncertain_inputs.parquet 记录每次抽样值）。"
        f"其余参数：有文献先验 {kinds.get('prior', 0)} 个（取中心值）、无来源的自由参数 {kinds.get('free', 0)} 个"
        f"（取起始值，待校准或敏感性分析）、数据 {kinds.get('data', 0)} 个、规则 {kinds.get('rule', 0)} 个"
        "（见 zgcsim/data/parameters.toml）。"
        if zh
        else f"The {len(uncertain)} 2017 baselines below are not known; each run draws them uniformly within the range "
        "(every draw is kept in uncertain_inputs.parquet). Other parameters: "
        f"{kinds.get('prior', 0)} with a literature prior (central value used), {kinds.get('free', 0)} free ones "
        f"without a source (starting value, to be calibrated or varied), {kinds.get('data', 0)} data and "
        f"{kinds.get('rule', 0)} rules (see zgcsim/data/parameters.toml)."
    )
    sec.table.append(["输入", "说明", "范围", "来源"] if zh else ["input", "what it is", "range", "source"])
    for p in uncertain:
        sec.table.append(
            [
                p.name,
                p.description,
                f"{format_value(p.low)} - {format_value(p.high)} {unit_text(p.unit, lang)}",
                p.source,
            ]
        )
    sec.widths = [1.8, 3.0, 1.8, 3.4]
    return sec


def _calibration_section(calibration_note: str, lang: str) -> Section:
    sec = Section("校准" if lang == "zh" else "Calibration")
    sec.paragraphs.append(calibration_note)
    return sec


def _runs_section(results: Results, lang: str) -> Section:
    zh = lang == "zh"
    m = results.manifest
    sec = Section("模拟设置、随机种子与版本" if zh else "Runs, seeds and versions")
    versions = ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items())
    sec.bullets += [
        (f"结果文件夹：{results.path.name}；生成时间 {m.get('created', '?')}")
        if zh
        else f"Results folder: {results.path.name}; created {m.get('created', '?')}",
        (
            f"每个情景 {m.get('replicates', '?')} 次模拟；根种子 {m.get('root_seed', '?')}；"
            f"{m.get('replicate_seeds', '')}"
        )
        if zh
        else f"{m.get('replicates', '?')} runs per scenario; root seed {m.get('root_seed', '?')}; "
        f"{m.get('replicate_seeds', '')}",
        (f"代码版本（git）：{m.get('git_commit', '?')}" if zh else f"Code version (git): {m.get('git_commit', '?')}"),
        (f"软件版本：{versions}" if zh else f"Software versions: {versions}"),
    ]
    sec.table.append(["情景", "文件", "SHA-256（前12位）"] if zh else ["scenario", "file", "SHA-256 (first 12)"])
    for s in m.get("scenarios", []):
        for f in s.get("files", []):
            label = scenario_label(s["name"], lang, results.titles)
            sec.table.append([label, f.get("path", "").split("/")[-1], f.get("sha256", "")[:12]])
    sec.widths = [3.0, 3.0, 2.0]
    return sec


def _caveats_section(results: Results, lang: str) -> Section:
    zh = lang == "zh"
    sec = Section("注意事项" if zh else "Caveats")
    n = results.replicates
    se = 0.5 / max(n, 1) ** 0.5
    notes = {t.key: (TARGET_NOTES_ZH.get(t.key, t.note) if zh else t.note) for t in load_targets() if t.note}
    sec.bullets += [
        "达成概率反映模型假设下的不确定性（企业层面的随机冲击与2017年未知基线），不是对未来的保证。"
        if zh
        else "The probabilities describe uncertainty under the model's assumptions (firm-level chance and the "
        "unknown 2017 baselines); they are not a guarantee about the world.",
        f"蒙特卡洛误差：每个情景 {n} 次模拟时，概率的标准误最大约为 {se:.2f}。"
        if zh
        else f"Monte Carlo error: with {n} runs per scenario the standard error of a probability is at most "
        f"about {se:.2f}.",
        "模型参数只使用2017年及以前的数据；2018-2022年的实际结果未用于拟合。"
        if zh
        else "Nothing in the model is fitted to outcomes after 2017; 2018-2022 is a true projection.",
        "情景之间的差异来自配对模拟（相同随机数），反映政策作用而非随机噪声。"
        if zh
        else "Scenario differences come from paired runs (same random numbers), so they show the policy's effect, "
        "not noise.",
    ]
    for key, note in notes.items():
        name = indicator_name(key, lang)
        sec.bullets.append(f"{name}：{note}" if zh else f"{name}: {note}")
    return sec


def reading_paragraphs(calibration_file: Path | None, lang: str) -> list[str]:
    """What the probabilities mean, and how the model was tested.

    The test is read from the hindcast summary beside the calibration the runs used, when there is one.
    """
    summary = load_hindcast_summary(calibration_file)
    if summary is None:
        return [t("reading_meaning", lang), t("reading_no_validation", lang)]
    origins = summary["origins"]
    span = f"{origins[0]}-{origins[-1]}" if len(origins) > 1 else str(origins[0])
    validation = t(
        "reading_validation",
        lang,
        origins=span,
        n=summary["points"],
        c90=100 * summary["coverage_90"],
        c50=100 * summary["coverage_50"],
        skill=summary["skill"],
    )
    return [t("reading_meaning", lang), validation]


def _concepts_section(results: Results, lang: str) -> Section:
    """The plan's concept and the published concept of the two indicators where they differ, side by side."""
    sec = Section(t("concepts_title", lang), paragraphs=[t("concepts_text", lang)])
    final = results.indicators[results.indicators["year"] == 2022]
    medians = final.groupby(["scenario", "indicator"])["value"].median()
    pairs = (("rd_intensity", "rd_intensity_published"), ("profit_margin", "profit_margin_published"))
    sec.table.append(["", *(f"{indicator_name(a, lang)} / {indicator_name(b, lang)}" for a, b in pairs)])
    for scenario in results.scenarios:
        cells = [scenario_label(scenario, lang, results.titles)]
        for plan, published in pairs:
            if (scenario, published) in medians.index:
                cells.append(f"{format_value(medians[scenario, plan])} / {format_value(medians[scenario, published])}")
            else:
                cells.append("-")
        sec.table.append(cells)
    sec.widths = [2.5, 3.5, 3.5]
    return sec


def methods_sections(results: Results, observed: pd.DataFrame, calibration_note: str, lang: str) -> list[Section]:
    """All methods and provenance sections for the brief, in reading order."""
    rule = Section("判断规则" if lang == "zh" else "How to read the markers", paragraphs=[marker_rule(lang)])
    return [
        rule,
        _data_section(observed, lang),
        _inputs_section(results, lang),
        _concepts_section(results, lang),
        _calibration_section(calibration_note, lang),
        _runs_section(results, lang),
        _caveats_section(results, lang),
    ]
