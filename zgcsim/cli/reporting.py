"""The ``zgcsim plot`` and ``zgcsim brief`` commands (registered into the main parser by ``register``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from zgcsim.errors import UserInputError

PLOT_KINDS = ("fan", "fans", "heatmap", "differences", "parks", "sensitivity", "calibration", "all")


def _resolve_lang(lang: str, fallback_en: bool) -> str:
    """``lang``, or 'en' when Chinese was asked for, no CJK font exists and the user allowed the fallback."""
    from zgcsim.reporting.style import find_cjk_font

    if lang == "zh" and fallback_en and find_cjk_font() is None:
        print("zgcsim: no CJK font found; writing English instead (--fallback-en)", file=sys.stderr)
        return "en"
    return lang


def _cmd_plot(args: argparse.Namespace) -> int:
    from matplotlib.figure import Figure

    from zgcsim.cli import check_range
    from zgcsim.model.indicators import REGISTRY, TARGET_KEYS
    from zgcsim.reporting import charts, inputs, tables
    from zgcsim.reporting.style import house_style, require_font, save_figure

    check_range(args.top, "--top", 1, 1000)
    lang = _resolve_lang(args.lang, args.fallback_en)
    require_font(lang)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise UserInputError(f"unknown format(s) {', '.join(bad) or '(none)'}; use png, svg, pdf", key="--formats")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError("exists and is not a folder", path=out, key="--out")
    jobs: list[tuple[str, Callable[[], Figure]]] = []
    if args.kind in ("sensitivity", "calibration"):
        if args.kind == "sensitivity":
            table, method = inputs.load_sensitivity(args.source)
            jobs.append((f"sensitivity_{method}", lambda: charts.sensitivity_chart(table, method, lang, top=args.top)))
        else:
            fit = inputs.load_calibration(args.source)
            jobs.append(("calibration", lambda: charts.calibration_chart(fit, lang)))
    else:
        results = inputs.load_results(args.source)
        observed = inputs.load_observed()
        sc, ti = results.scenarios, results.titles
        keys = args.indicator or list(TARGET_KEYS)
        unknown = [k for k in keys if k not in REGISTRY]
        if unknown:
            raise UserInputError(f"unknown indicator(s) {', '.join(unknown)}", key="--indicator")
        if args.kind in ("fan", "all"):
            for key in keys:
                jobs.append(
                    (
                        f"fan_{key}",
                        lambda key=key: charts.fan_chart(
                            results.summary, key, lang, scenarios=sc, titles=ti, observed=observed
                        ),
                    )
                )
        if args.kind in ("fans", "all"):
            jobs.append(
                (
                    "fans",
                    lambda: charts.fan_small_multiples(
                        results.summary, lang, scenarios=sc, titles=ti, observed=observed
                    ),
                )
            )
        if args.kind in ("heatmap", "all"):
            jobs.append(
                ("heatmap", lambda: charts.attainment_heatmap(results.attainment, lang, scenarios=sc, titles=ti))
            )
        if args.kind in ("differences", "all") and len(sc) > 1:
            reference = args.reference or sc[0]
            if reference not in sc:
                raise UserInputError(
                    f"scenario {reference!r} is not in the results", path=args.source, key="--reference"
                )
            diffs = tables.paired_differences(results.indicators, reference)
            others = [s for s in sc if s != reference]
            jobs.append(
                (
                    f"differences_vs_{reference}",
                    lambda: charts.paired_difference_chart(diffs, reference, lang, titles=ti, scenarios=others),
                )
            )
        elif args.kind == "differences":
            raise UserInputError("needs at least two scenarios to compare", path=args.source)
        if args.kind == "parks" or (args.kind == "all" and results.parks is not None):
            from zgcsim.reporting.parkbrief import map_drawers

            try:
                jobs.extend(map_drawers(results, args.reference or sc[0], lang))
            except UserInputError as err:
                if args.kind == "parks":
                    raise
                print(f"zgcsim: no map of the parks: {err.one_line()}", file=sys.stderr)
    written = 0
    with house_style(lang):
        for name, draw in tqdm(jobs, desc="charts", unit="chart", disable=args.quiet or len(jobs) < 2):
            fig = draw()
            written += len(save_figure(fig, out / f"{name}_{lang}", formats))
    print(f"zgcsim: {written} file(s) in {out}", file=sys.stderr)
    return 0


def _cmd_brief(args: argparse.Namespace) -> int:
    from zgcsim.reporting.brief import build_brief

    lang = _resolve_lang(args.lang, args.fallback_en)
    files = build_brief(
        args.results,
        lang,
        args.out,
        analysis=args.analysis,
        calibration=args.calibration,
        reference=args.reference,
        optimisation=args.optimisation,
        progress=not args.quiet,
    )
    print(f"zgcsim: {files.html} and {files.pdf} ({len(files.pages)} pages)", file=sys.stderr)
    return 0


def _add_lang(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of all text (%(default)s)")
    parser.add_argument(
        "--fallback-en",
        action="store_true",
        help="write English instead of failing when --lang zh is asked for and no CJK font is installed",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plot`` and ``brief`` to the ``zgcsim`` command line."""
    plot = subparsers.add_parser(
        "plot",
        help="draw briefing charts as PNG (300 dpi), SVG and PDF",
        description="Draw briefing charts. KIND fan|fans|heatmap|differences|parks|all reads a results folder "
        "(parks: the map of the 16 parks, which needs parks.parquet and the maps extra); "
        "sensitivity reads sobol.csv/morris.csv (or their folder); calibration reads fit.csv (or its folder).",
    )
    plot.add_argument("kind", choices=PLOT_KINDS, help="which chart")
    plot.add_argument("source", help="results folder, or the sensitivity / calibration table")
    plot.add_argument("--out", default="charts", help="folder for the chart files (%(default)s)")
    plot.add_argument("--indicator", action="append", help="indicator key for fan charts (repeatable; default: all 16)")
    plot.add_argument("--reference", help="scenario the others are compared with (default: the first one run)")
    plot.add_argument("--formats", default="png,svg,pdf", help="comma-separated file formats (%(default)s)")
    plot.add_argument("--top", type=int, default=6, help="inputs shown per indicator in sensitivity charts")
    _add_lang(plot)
    plot.set_defaults(func=_cmd_plot)

    brief = subparsers.add_parser(
        "brief",
        help="write a briefing pack (self-contained HTML + multi-page PDF) from a results folder",
        description="Write brief_<lang>.html (images embedded, no external references) and brief_<lang>.pdf: "
        "headline table of the 16 targets, charts, methods and provenance.",
    )
    brief.add_argument("results", help="a results folder written by 'zgcsim run'")
    brief.add_argument("--out", required=True, help="folder to write the two files into")
    brief.add_argument("--analysis", help="sobol.csv / morris.csv or their folder (default: RESULTS/analysis)")
    brief.add_argument("--calibration", help="calibration fit.csv or its folder (default: RESULTS/calibration)")
    brief.add_argument("--reference", help="scenario the others are compared with (default: the first one run)")
    brief.add_argument(
        "--optimisation",
        help="a folder written by 'zgcsim optimise': adds the Pareto front and the least-cost mix per target",
    )
    _add_lang(brief)
    brief.set_defaults(func=_cmd_brief)
