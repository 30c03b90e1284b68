"""Charts and the briefing pack: every chart draws something, both languages, self-contained HTML, PDF pages."""

from __future__ import annotations

import io
import re

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from zgcsim.cli import main
from zgcsim.reporting import charts, inputs, style, tables
from zgcsim.reporting.brief import build_brief
from zgcsim.reporting.style import house_style

LANGS = ["zh", "en"]


def coloured_share(fig: Figure, axes_index: int | None = None) -> float:
    """Share of rendered pixels that carry colour (data ink); text, axes and grid are black or grey.

    With ``axes_index`` only that axes' area counts.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    buf.seek(0)
    rgb = mpimg.imread(buf)[..., :3]
    if axes_index is not None:
        box = fig.axes[axes_index].get_window_extent()  # in pixels at the figure's own dpi
        x0, x1, y0, y1 = (v * 50 / fig.dpi for v in (box.x0, box.x1, box.y0, box.y1))
        height = rgb.shape[0]
        rgb = rgb[int(height - y1) : int(height - y0), int(x0) : int(x1)]
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return float((saturation > 0.15).mean())


# chart name -> (draw function taking (results, analysis, fit, lang), minimum coloured share, axes to measure)
def _fan(r, a, f, lang):
    return charts.fan_chart(r.summary, "rd_intensity", lang, scenarios=r.scenarios, observed=inputs.load_observed())


def _fans(r, a, f, lang):
    return charts.fan_small_multiples(r.summary, lang, scenarios=r.scenarios, observed=inputs.load_observed())


def _heatmap(r, a, f, lang):
    return charts.attainment_heatmap(r.attainment, lang, scenarios=r.scenarios)


def _differences(r, a, f, lang):
    diffs = tables.paired_differences(r.indicators, "no_new_policy")
    return charts.paired_difference_chart(diffs, "no_new_policy", lang)


def _sobol(r, a, f, lang):
    return charts.sensitivity_chart(*inputs.load_sensitivity(a / "sobol.csv"), lang)


def _morris(r, a, f, lang):
    return charts.sensitivity_chart(*inputs.load_sensitivity(a / "morris.csv"), lang)


def _calibration(r, a, f, lang):
    return charts.calibration_chart(inputs.load_calibration(f), lang)


CHARTS = {
    "fan": (_fan, 0.015, None),
    "fans": (_fans, 0.015, None),
    "heatmap": (_heatmap, 0.10, None),
    "differences": (_differences, 0.002, 0),
    "sobol": (_sobol, 0.01, None),
    "morris": (_morris, 0.01, None),
    "calibration": (_calibration, 0.01, None),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_type_draws_data_in_both_languages(name, lang, small_results, analysis_dir, calibration_fit):
    draw, minimum, axes_index = CHARTS[name]
    results = inputs.load_results(small_results)
    with house_style(lang):
        fig = draw(results, analysis_dir, calibration_fit, lang)
        assert coloured_share(fig, axes_index) > minimum


def test_rendering_check_fails_on_blank_charts(small_results):
    results = inputs.load_results(small_results)
    empty = results.summary.iloc[:0]
    no_p = results.attainment.assign(p_attain=np.nan)
    diffs = tables.paired_differences(results.indicators, "no_new_policy")
    no_diffs = diffs.assign(**dict.fromkeys(("median", "p05", "p25", "p75", "p95"), np.nan))
    with house_style("en"):
        assert coloured_share(charts.fan_chart(empty, "rd_intensity", "en")) < CHARTS["fan"][1]
        assert coloured_share(charts.fan_small_multiples(empty, "en")) < CHARTS["fans"][1]
        assert coloured_share(charts.attainment_heatmap(no_p, "en")) < CHARTS["heatmap"][1]
        assert (
            coloured_share(charts.paired_difference_chart(no_diffs, "no_new_policy", "en"), 0)
            < CHARTS["differences"][1]
        )


def test_plot_command_writes_png_at_300_dpi_svg_and_pdf(small_results, tmp_path):
    assert main(["plot", "heatmap", str(small_results), "--lang", "en", "--out", str(tmp_path), "--quiet"]) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["heatmap_en.pdf", "heatmap_en.png", "heatmap_en.svg"]
    assert all((tmp_path / f).stat().st_size > 1000 for f in files)
    with house_style("en"):
        fig = charts.attainment_heatmap(inputs.load_results(small_results).attainment, "en")
    height, width = mpimg.imread(tmp_path / "heatmap_en.png").shape[:2]
    assert abs(width - fig.get_figwidth() * 300) <= 2 and abs(height - fig.get_figheight() * 300) <= 2
    assert (tmp_path / "heatmap_en.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (tmp_path / "heatmap_en.svg").read_bytes()[:2000]


@pytest.mark.parametrize("kind", ["fan", "fans", "differences"])
def test_plot_command_draws_results_charts_in_chinese(kind, small_results, tmp_path):
    args = ["plot", kind, str(small_results), "--out", str(tmp_path), "--formats", "png", "--quiet"]
    assert main([*args, "--indicator", "listed_companies"] if kind == "fan" else args) == 0
    written = list(tmp_path.glob("*_zh.png"))
    assert written and all(p.stat().st_size > 10_000 for p in written)


def test_plot_command_reads_sensitivity_and_calibration_tables(analysis_dir, calibration_fit, tmp_path):
    assert main(["plot", "sensitivity", str(analysis_dir), "--out", str(tmp_path), "--formats", "png", "--quiet"]) == 0
    assert main(["plot", "calibration", str(calibration_fit), "--out", str(tmp_path), "--formats", "svg"]) == 0
    assert (tmp_path / "sensitivity_sobol_zh.png").stat().st_size > 10_000
    assert (tmp_path / "calibration_zh.svg").stat().st_size > 10_000


def test_plot_command_rejects_bad_input_with_exit_2(small_results, tmp_path, capsys):
    assert main(["plot", "heatmap", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert main(["plot", "fan", str(small_results), "--indicator", "nope", "--out", str(tmp_path)]) == 2
    assert main(["plot", "heatmap", str(small_results), "--formats", "gif", "--out", str(tmp_path)]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,parameter,x\nrd_intensity,a,1\n")
    assert main(["plot", "sensitivity", str(bad), "--out", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("zgcsim plot: ") for line in errors)


def test_zh_without_cjk_font_exits_2_with_install_hint_and_en_still_works(small_results, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(style, "find_cjk_font", lambda: None)
    assert main(["brief", str(small_results), "--lang", "zh", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "apt-get install fonts-noto-cjk" in err
    assert not list(tmp_path.iterdir())
    png = ["--formats", "png", "--quiet", "--out", str(tmp_path)]
    assert main(["plot", "heatmap", str(small_results), "--lang", "en", *png]) == 0
    assert main(["plot", "heatmap", str(small_results), "--fallback-en", *png]) == 0
    assert (tmp_path / "heatmap_en.png").stat().st_size > 10_000


def test_brief_rejects_bad_input_with_exit_2_and_writes_nothing(small_results, tmp_path, capsys):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    out = tmp_path / "out"
    assert main(["brief", str(tmp_path / "missing"), "--lang", "en", "--out", str(out)]) == 2
    assert main(["brief", str(small_results), "--lang", "en", "--out", str(not_a_folder)]) == 2
    assert main(["brief", str(small_results), "--lang", "en", "--reference", "nope", "--out", str(out)]) == 2
    assert main(["brief", str(small_results), "--lang", "en", "--analysis", str(tmp_path), "--out", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 4
    assert not out.exists() or not list(out.iterdir())


def test_a_missing_glyph_is_an_error_not_a_box(monkeypatch):
    monkeypatch.setattr(style, "find_cjk_font", lambda: None)
    with house_style("en"), pytest.raises(UserWarning, match="missing from"):
        fig = Figure()
        fig.text(0.5, 0.5, "中关村")
        fig.savefig(io.BytesIO(), format="png")


def test_printable_replaces_chinese_only_when_no_cjk_font(monkeypatch):
    assert style.printable("人民网 2018") == "人民网 2018"
    monkeypatch.setattr(style, "find_cjk_font", lambda: None)
    assert style.printable("人民网 2018-12-20, 《中关村报告》") == "[zh] 2018-12-20, [zh]"


def test_calibration_note_names_the_calibration_the_runs_sampled(tmp_path):
    from zgcsim.reporting.brief import calibration_note

    used = {"id": "abc123", "members": 40, "path": "calibration/calibration.json", "sha256": "f" * 64}
    note = calibration_note({**used, "data_matches_current": False}, None, "en")
    assert "abc123" in note and "40 parameter sets" in note and "different version" in note
    assert "no 2013-2017 fit chart" in note
    assert "abc123" in calibration_note(used, tmp_path / "fit.csv", "zh") and "fit.csv" in note
    assert "未使用校准" in calibration_note(None, None, "zh")


def test_status_marker_rule_boundaries():
    assert [tables.status(p) for p in (1.0, 0.8, 0.79, 0.2, 0.19, 0.0)] == [
        "met",
        "met",
        "at_risk",
        "at_risk",
        "unlikely",
        "unlikely",
    ]


def test_paired_differences_are_taken_within_each_replicate():
    rows = []
    for r, base in enumerate([10.0, 100.0, 1000.0]):
        rows.append(("ref", r, 0, 2022, "rd_intensity", base))
        rows.append(("policy", r, 0, 2022, "rd_intensity", base + 1.0))
    table = pd.DataFrame(rows, columns=["scenario", "replicate", "seed", "year", "indicator", "value"])
    diffs = tables.paired_differences(table, "ref")
    row = diffs.iloc[0]
    # unpaired quantiles would spread over ~990; paired differences are all exactly 1
    assert (row["median"], row["p05"], row["p95"], row["pairs"]) == (1.0, 1.0, 1.0, 3)
    assert row["ref_median"] == 100.0


def test_wrap_keeps_lines_within_width_and_punctuation_attached():
    text = "入选“世界500强”“全球创新千强”等世界榜单的企业超过40家，高校院所市场化专业化技术转移机构"
    for width in (10, 14, 20, 30):
        lines = style.wrap(text, width).split("\n")
        assert "".join(lines) == text
        assert all(style.display_width(line) <= width + 4 for line in lines)
        assert not any(line[0] in "”，。、）" for line in lines)
    assert style.wrap("Valid invention patents held per 10,000 employees", 20).split("\n")[0] == "Valid invention"


def test_chinese_names_of_inputs_match_parameters():
    from zgcsim.inputs.parameters import BY_NAME
    from zgcsim.reporting.labels import PARAMETER_NAMES_ZH

    assert set(PARAMETER_NAMES_ZH) <= set(BY_NAME)


# ---------------------------------------------------------------- the brief


@pytest.fixture(scope="session")
def briefs(small_results, analysis_dir, calibration_fit, tmp_path_factory):
    """Both briefs, built once: zh with sensitivity and calibration, en without either."""
    out = tmp_path_factory.mktemp("brief")
    zh = build_brief(small_results, "zh", out, analysis=analysis_dir, calibration=calibration_fit, progress=False)
    en = build_brief(small_results, "en", out, progress=False)
    return {"zh": zh, "en": en}


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_brief_html_is_self_contained(lang, briefs):
    text = briefs[lang].html.read_text(encoding="utf-8")
    assert len(text) > 100_000
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", text, re.I)
    assert not re.search(r"<link\b", text, re.I)
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", text, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", text, re.I)
    images = re.findall(r"<img [^>]*>", text)
    assert images and all('src="data:image/png;base64,' in img for img in images)


@pytest.mark.slow
def test_brief_pdf_has_the_expected_pages(briefs, small_results):
    from pypdf import PdfReader

    parks = (small_results / "parks.parquet").is_file()  # the parks table and the map, in folders that have parks
    for lang, chart_pages in (("zh", 6), ("en", 4)):
        files = briefs[lang]
        reader = PdfReader(files.pdf)
        assert len(reader.pages) == len(files.pages)
        # headline page(s), the charts (heatmap, fans, differences, variance [, sensitivity, calibration]), the park
        # table and map when there are parks, then methods
        assert files.pages.count(files.pages[0]) == 1
        methods = files.pages[-1]
        assert len(files.pages) - 1 - files.pages.count(methods) == chart_pages + (2 if parks else 0)
        assert files.pages.count(methods) >= 2
        html = files.html.read_text(encoding="utf-8")
        assert html.count("<img ") == chart_pages + (1 if parks else 0)


@pytest.mark.slow
def test_brief_headline_and_methods_content(briefs, small_results):
    zh = briefs["zh"].html.read_text(encoding="utf-8")
    en = briefs["en"].html.read_text(encoding="utf-8")
    assert "企业科技经费投入强度达到6%" in zh  # the plan's own wording
    assert "达成概率 ≥ 0.8" in zh and "at least 0.8" in en  # the marker rule is stated
    assert "No calibration fit table" in en and "use no calibration" in en  # absence is said, not hidden
    assert "fit.csv" in zh and "未找到校准拟合表" not in zh  # present calibration is named with its file
    manifest = inputs.load_results(small_results).manifest
    for text in (zh, en):
        assert str(manifest["root_seed"]) in text and manifest["git_commit"] in text
        assert "n_firms_2017" in text  # uncertain inputs and their ranges
    assert "zh-CN" in zh[:200]
    # the headline's last row: each scenario's five-year fiscal cost, median [5-95 %]
    assert "五年财政成本" in zh and "Five-year fiscal cost" in en


@pytest.mark.slow
def test_brief_pdf_pages_are_a4_landscape_and_not_blank(briefs):
    from pypdf import PdfReader

    for files in briefs.values():
        for page in PdfReader(files.pdf).pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert (round(width), round(height)) == (842, 595)
            assert len(page.get_contents().get_data()) > 2000


def test_every_lever_has_a_short_chart_name_in_both_languages():
    """Charts label points with short lever names; a lever without one would show its code key."""
    from zgcsim.inputs.levers import LEVERS
    from zgcsim.reporting.labels import LEVER_SHORT

    missing = [lever.name for lever in LEVERS if set(LEVER_SHORT.get(lever.name, {})) != {"zh", "en"}]
    assert missing == []
