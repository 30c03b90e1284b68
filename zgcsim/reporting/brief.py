"""The briefing pack: one self-contained HTML file and one multi-page PDF from a results folder, in zh or en."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from tqdm import tqdm

from zgcsim.errors import UserInputError
from zgcsim.model.indicators import REGISTRY, TARGET_KEYS
from zgcsim.reporting import charts, inputs, pareto, parkbrief, style, tables
from zgcsim.reporting.labels import t
from zgcsim.reporting.methods import Section, marker_rule, methods_sections, reading_paragraphs
from zgcsim.reporting.pdfflow import Flow
from zgcsim.reporting.style import (
    A4_LANDSCAPE,
    format_value,
    house_style,
    indicator_name,
    require_font,
    scenario_label,
    unit_label,
)
from zgcsim.running import atomic
from zgcsim.running.costs import five_year_costs

HTML_DPI = 200  # embedded images: sharp on screen and in print, while keeping the file a few MB
STATUS_COLOURS = {"met": "#D1E5F0", "at_risk": "#FDDBC7", "unlikely": "#F4A582"}
STATUS_SYMBOLS = {"met": "●", "at_risk": "◐", "unlikely": "○"}


@dataclass(frozen=True)
class BriefFiles:
    """What ``build_brief`` wrote: the two files and the PDF's page titles in order."""

    html: Path
    pdf: Path
    pages: list[str]


def calibration_note(used: dict | None, fit_path: Path | None, lang: str) -> str:
    """What the brief says about calibration: the one the runs sampled (from the manifest) and where its fit is."""
    if used:
        match = t("calib_match" if used.get("data_matches_current", True) else "calib_mismatch", lang)
        fields = {k: used.get(k, "?") for k in ("id", "members", "path")}
        note = t("calib_used", lang, sha=str(used.get("sha256", ""))[:12], match=match, **fields)
    else:
        note = t("calib_none", lang)
    fit = t("calib_present", lang, path=fit_path) if fit_path is not None else t("calib_no_fit", lang)
    return f"{note} {fit}"


def headline_rows(results: inputs.Results, lang: str) -> list[dict[str, object]]:
    """One row per target: number, wording, 2017 baseline, target, and per scenario the 2022 median, p and status."""
    att = results.attainment.set_index(["scenario", "indicator"])
    rows = []
    for key in TARGET_KEYS:
        target = REGISTRY[key].target
        unit = unit_label(key, lang)
        row: dict[str, object] = {
            "number": target.number,
            "key": key,
            "wording": target.plan_wording if lang == "zh" else indicator_name(key, lang),
            "unit": unit,
            "baseline": format_value(tables.baseline_2017(results.summary, key)),
            "target": tables.target_expression(target, ""),
        }
        for s in results.scenarios:
            if (s, key) in att.index:
                a = att.loc[(s, key)]
                row[s] = {
                    "median": float(a["p50_2022"]),
                    "p": float(a["p_attain"]),
                    "status": tables.status(float(a["p_attain"])),
                }
        rows.append(row)
    cost = cost_row(results, lang)
    return rows + ([cost] if cost else [])


def cost_row(results: inputs.Results, lang: str) -> dict[str, object] | None:
    """The headline's last row: each scenario's five-year fiscal cost, median [5-95 %] across runs, 亿元.

    None for a results folder written before the model counted costs (no ``fiscal_cost`` series).
    """
    costs = five_year_costs(results.indicators)
    if costs.empty:
        return None
    row: dict[str, object] = {
        "number": "",
        "key": "fiscal_cost",
        "wording": t("fiscal_cost_row", lang),
        "unit": unit_label("fiscal_cost", lang),
        "baseline": "0",
        "target": "-",
    }
    for s in results.scenarios:
        values = costs.loc[costs["scenario"] == s, "cost"]
        if len(values):
            low, mid, high = (format_value(float(values.quantile(q))) for q in (0.05, 0.5, 0.95))
            row[s] = {"text": f"{mid} [{low} - {high}]"}
    return row


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=HTML_DPI)
    return buf.getvalue()


# ---------------------------------------------------------------- PDF headline pages


def _pdf_headline(flow: Flow, rows: list[dict[str, object]], results: inputs.Results, lang: str, subtitle: str) -> None:
    """The headline table, at most three scenarios per table so that it stays readable on a landscape page."""
    flow.ensure(0.5)
    flow.paragraph(subtitle, size=8, colour="#444444")
    flow.paragraph(marker_rule(lang), size=8, colour="#444444")
    scenarios = results.scenarios
    for chunk in [scenarios[i : i + 3] for i in range(0, len(scenarios), 3)]:
        header = [
            t("col_no", lang),
            t("col_target", lang),
            t("col_unit", lang),
            t("col_baseline", lang),
            t("col_goal", lang),
        ]
        groups = []
        for s in chunk:
            groups.append((len(header), 2, scenario_label(s, lang, results.titles)))
            header += [t("col_median", lang), t("col_p", lang)]
        body, fills = [], []
        for row in rows:
            cells = [str(row[c]) for c in ("number", "wording", "unit", "baseline", "target")]
            fill: list[str | None] = [None] * 5
            for s in chunk:
                v = row.get(s)
                if isinstance(v, dict) and "text" in v:  # the cost row: one value across both columns
                    cells += [str(v["text"]), ""]
                    fill += [None] * 2
                elif isinstance(v, dict):
                    st = v["status"]
                    cells += [format_value(v["median"]), f"{v['p']:.2f}  {STATUS_SYMBOLS[st]} {t(st, lang)}"]
                    fill += [None, STATUS_COLOURS[st]]
                else:
                    cells += ["-", "-"]
                    fill += [None] * 2
            body.append(cells)
            fills.append(fill)
        widths = [0.3, 3.6, 1.5, 0.8, 0.8] + [0.9, 1.3] * len(chunk)
        flow.table([header, *body], widths, size=7.5, fills=fills, groups=groups)


# ---------------------------------------------------------------- HTML

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","DejaVu Sans",sans-serif;
max-width:1180px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eee}td.num{text-align:right;white-space:nowrap}
.met{background:#D1E5F0}.at_risk{background:#FDDBC7}.unlikely{background:#F4A582}
img{max-width:100%;height:auto;border:0}.note{color:#555;font-size:.9em}
"""


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_headline(rows: list[dict[str, object]], results: inputs.Results, lang: str) -> str:
    scen = results.scenarios
    top = "".join(f'<th colspan="2">{html.escape(scenario_label(s, lang, results.titles))}</th>' for s in scen)
    cols = [t(c, lang) for c in ("col_no", "col_target", "col_unit", "col_baseline", "col_goal")]
    head1 = "".join(f'<th rowspan="2">{html.escape(c)}</th>' for c in cols) + top
    head2 = "".join(
        f"<th>{html.escape(t('col_median', lang))}</th><th>{html.escape(t('col_p', lang))}</th>" for _ in scen
    )
    body = []
    for row in rows:
        cells = [f'<td class="num">{row["number"]}</td>', f"<td>{html.escape(str(row['wording']))}</td>"]
        cells += [f"<td>{html.escape(str(row['unit']))}</td>"]
        cells += [f'<td class="num">{html.escape(str(row["baseline"]))}</td>']
        cells += [f'<td class="num">{html.escape(str(row["target"]))}</td>']
        for s in scen:
            v = row.get(s)
            if isinstance(v, dict) and "text" in v:  # the cost row: one value across both columns
                cells.append(f'<td class="num" colspan="2">{html.escape(str(v["text"]))}</td>')
            elif isinstance(v, dict):
                st = v["status"]
                cells.append(f'<td class="num">{html.escape(format_value(v["median"]))}</td>')
                cells.append(f'<td class="{st}">{v["p"]:.2f} {STATUS_SYMBOLS[st]} {html.escape(t(st, lang))}</td>')
            else:
                cells.append("<td>-</td><td>-</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head1}</tr><tr>{head2}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _html_section(section: Section) -> str:
    parts = [f"<h3>{html.escape(section.heading)}</h3>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
    if section.table:
        parts.append(_html_table(section.table))
    return "\n".join(parts)


def _park_pages(
    pdf: PdfPages, section: parkbrief.ParkSection, lang: str, html_parts: list[str], page_titles: list[str]
) -> None:
    """The per-park table: a PDF page of its own and a section of the HTML page (the maps follow it)."""
    flow = Flow(pdf, t("parks", lang))
    for note in section.notes:
        flow.paragraph(note, size=8, colour="#444444")
    flow.table(section.table, section.widths, size=7.5)
    flow.finish()
    page_titles.extend(flow.pages)
    html_parts.append(f"<h2>{html.escape(t('parks', lang))}</h2>")
    html_parts.extend(f'<p class="note">{html.escape(note)}</p>' for note in section.notes)
    html_parts.append(_html_table(section.table))


# ---------------------------------------------------------------- assembly


def _chart_pages(
    results: inputs.Results,
    observed: pd.DataFrame,
    lang: str,
    reference: str,
    sensitivity: tuple[pd.DataFrame, str] | None,
    calibration: pd.DataFrame | None,
) -> list[tuple[str, Callable[[], Figure]]]:
    """The chart pages in reading order, each a section title and a function drawing its figure."""
    sc, ti = results.scenarios, results.titles
    pages: list[tuple[str, Callable[[], Figure]]] = [
        (t("heatmap", lang), lambda: charts.attainment_heatmap(results.attainment, lang, scenarios=sc, titles=ti)),
        (
            t("fans", lang),
            lambda: charts.fan_small_multiples(results.summary, lang, scenarios=sc, titles=ti, observed=observed),
        ),
    ]
    if len(sc) > 1:
        others = [s for s in sc if s != reference]
        pages.append(
            (
                t("diffs", lang),
                lambda: charts.paired_difference_chart(
                    tables.paired_differences(results.indicators, reference),
                    reference,
                    lang,
                    titles=ti,
                    scenarios=others,
                ),
            )
        )
    if results.variance is not None and not results.variance.empty:
        first = sc[0]
        pages.append(
            (
                t("variance", lang),
                lambda: charts.variance_chart(results.variance, lang, scenario=first, replicates=results.replicates),
            )
        )
    if sensitivity is not None:
        pages.append((t("sensitivity", lang), lambda: charts.sensitivity_chart(sensitivity[0], sensitivity[1], lang)))
    if calibration is not None:
        pages.append((t("calibration", lang), lambda: charts.calibration_chart(calibration, lang)))
    return pages


def build_brief(
    results_dir: str | Path,
    lang: str,
    out: str | Path,
    *,
    analysis: str | Path | None = None,
    calibration: str | Path | None = None,
    reference: str | None = None,
    optimisation: str | Path | None = None,
    progress: bool = True,
) -> BriefFiles:
    """Write ``brief_<lang>.html`` (self-contained) and ``brief_<lang>.pdf`` for a results folder into ``out``.

    Args:
        results_dir: a folder written by ``zgcsim run``.
        lang: 'zh' or 'en'; 'zh' needs a CJK font (a one-line user error says how to install one).
        out: the folder to write into (created if missing; other files in it are left alone).
        analysis: a folder or file with ``sobol.csv`` / ``morris.csv``; default ``results_dir/analysis`` if present.
        calibration: a ``fit.csv`` or its folder; default ``results_dir/calibration/fit.csv`` if present.
        reference: the scenario the others are compared with (default: the first scenario run).
        optimisation: a folder written by ``zgcsim optimise``: adds the Pareto front and the least-cost mix per
            target.
        progress: show a progress bar.
    """
    require_font(lang)  # fail before any work when Chinese is asked for and no CJK font exists
    results = inputs.load_results(results_dir)
    opt = pareto.load_optimisation(optimisation) if optimisation is not None else None
    observed = inputs.load_observed()
    reference = reference or results.scenarios[0]
    if reference not in results.scenarios:
        raise UserInputError(f"scenario {reference!r} is not in the results", key="--reference")
    sens_path = inputs.find_optional(results.path, analysis, ("analysis",))
    sensitivity = inputs.load_sensitivity(sens_path) if sens_path is not None else None
    used = results.manifest.get("calibration")
    used = used if isinstance(used, dict) else None
    calib_path = inputs.find_optional(results.path, calibration, ("calibration/fit.csv",))
    if calib_path is None and used and used.get("path"):
        beside = Path(used["path"]).parent / "fit.csv"  # beside the calibration file the runs sampled
        calib_path = beside if beside.is_file() else None
    calib = inputs.load_calibration(calib_path) if calib_path is not None else None
    calib_note = calibration_note(used, calib_path if calib is not None else None, lang)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", path=out, key="--out")
    out.mkdir(parents=True, exist_ok=True)

    today = dt.date.today().isoformat()
    subtitle = t("brief_subtitle", lang, n=results.replicates, folder=results.path.name, date=today)
    rows = headline_rows(results, lang)
    sections = methods_sections(results, observed, calib_note, lang)
    # what P means and how it was tested: above the headline table in the page, first in the PDF's methods (the
    # PDF's headline keeps to one landscape page)
    sections[0].paragraphs[:0] = reading_paragraphs(inputs.calibration_path(results), lang)
    if sensitivity is None:
        sections[0].paragraphs.append(t("no_sensitivity", lang))
    if style.find_cjk_font() is None:  # English on a machine without a CJK font: say why sources show [zh]
        sections[1].paragraphs.append(t("no_cjk_pdf", lang))
    chart_pages = _chart_pages(results, observed, lang, reference, sensitivity, calib)
    if opt is not None:
        chart_pages += [
            (t("pareto", lang), lambda: pareto.pareto_chart(opt, lang)),
            (t("least_cost", lang), lambda: pareto.least_cost_chart(opt, lang)),
        ]
    park_section = parkbrief.park_section(results, reference, lang)  # None for a folder without parks.parquet

    html_parts = [
        f"<h1>{html.escape(t('brief_title', lang))}</h1>",
        f'<p class="note">{html.escape(subtitle)}</p>',
        f"<h2>{html.escape(t('headline', lang))}</h2>",
        f'<p class="note">{html.escape(marker_rule(lang))}</p>',
        *(f'<p class="note">{html.escape(p)}</p>' for p in reading_paragraphs(inputs.calibration_path(results), lang)),
        _html_headline(rows, results, lang),
    ]
    page_titles: list[str] = []

    def write_pdf(pdf_file: Path) -> None:  # also fills html_parts and page_titles, page by page
        with (
            house_style(lang),
            PdfPages(pdf_file, metadata={"Title": t("brief_title", lang), "Creator": "zgcsim"}) as pdf,
        ):
            pages = len(chart_pages) + 2 + (1 + len(park_section.maps) if park_section else 0)
            bar = tqdm(total=pages, desc=f"brief ({lang})", unit="page", disable=not progress)
            head = Flow(pdf, t("brief_title", lang), heading_size=14)
            _pdf_headline(head, rows, results, lang, subtitle)
            head.finish()
            page_titles.extend(head.pages)
            bar.update()

            def chart_page(title: str, draw: Callable[[], Figure], heading: bool = True) -> None:
                fig = draw()
                fig.set_size_inches(A4_LANDSCAPE)  # every PDF page the same size; constrained layout re-fits
                pdf.savefig(fig)
                page_titles.append(title)
                encoded = base64.b64encode(_png(fig)).decode("ascii")
                if heading:
                    html_parts.append(f"<h2>{html.escape(title)}</h2>")
                html_parts.append(f'<img alt="{html.escape(title)}" src="data:image/png;base64,{encoded}">')
                bar.update()

            for title, draw in chart_pages:
                chart_page(title, draw)
            if park_section is not None:
                _park_pages(pdf, park_section, lang, html_parts, page_titles)
                bar.update()
                for draw in park_section.maps:
                    chart_page(t("parks_map", lang), draw, heading=False)
            flow = Flow(pdf, t("methods", lang))
            html_parts.append(f"<h2>{html.escape(t('methods', lang))}</h2>")
            for section in sections:
                flow.heading2(section.heading)
                for p in section.paragraphs:
                    flow.paragraph(p)
                for b in section.bullets:
                    flow.paragraph(b, indent=0.15, bullet="•")
                if section.table:
                    flow.table(section.table, section.widths)
                html_parts.append(_html_section(section))
            flow.finish()
            page_titles.extend(flow.pages)
            bar.update()
            bar.close()

    pdf_path = atomic.write_with(out / f"brief_{lang}.pdf", write_pdf, suffix=".pdf")
    lang_attr = "zh-CN" if lang == "zh" else "en"
    document = (
        f'<!DOCTYPE html>\n<html lang="{lang_attr}"><head><meta charset="utf-8">'
        f"<title>{html.escape(t('brief_title', lang))}</title><style>{_CSS}</style></head>"
        f"<body>\n{chr(10).join(html_parts)}\n</body></html>\n"
    )
    html_path = atomic.write_text(out / f"brief_{lang}.html", document)
    return BriefFiles(html_path, pdf_path, page_titles)
