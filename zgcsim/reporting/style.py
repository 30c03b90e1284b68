"""House style for charts and briefs: colours, fonts (including a real CJK font for Chinese), labels and saving."""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure

from zgcsim.errors import UserInputError
from zgcsim.model.indicators import REGISTRY
from zgcsim.reporting.labels import SCENARIO_NAMES_ZH, UNIT_EN
from zgcsim.running import atomic

LANGS = ("zh", "en")
A4_LANDSCAPE = (11.69, 8.27)  # inches

# Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design"). The reference scenarios keep
# their own colour in every chart, brief and page; other scenarios take the remaining colours in order.
SCENARIO_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
FIXED_COLOURS = {"no_new_policy": "#0072B2", "action_plan": "#D55E00", "as_happened": "#009E73"}
TARGET_COLOUR = "#B2182B"
OBSERVED_COLOUR = "#222222"
GRID_COLOUR = "#DDDDDD"

# CJK families in order of preference. The first is what the project installs (Debian ``fonts-noto-cjk``);
# the others are accepted if a machine already has them. Regional variant SC = simplified Chinese glyph forms.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans SC",
    "Droid Sans Fallback",
)
# File names of those fonts, for a matplotlib font cache built before the font was installed.
_CJK_FILE_PATTERN = re.compile(r"(NotoSansCJK|SourceHanSans|wqy-(microhei|zenhei)|NotoSansSC|DroidSansFallback)", re.I)
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib, so English output never depends on a system font

CJK_INSTALL_HINT = (
    "no Chinese (CJK) font found for --lang zh; install one with 'apt-get install fonts-noto-cjk' "
    "(Debian/Ubuntu; see README), or use --lang en"
)


def _english_unit(unit: str) -> str:
    for zh, en in UNIT_EN.items():
        unit = unit.replace(zh, en)
    return unit


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported brief language, else raise a user error."""
    if lang not in LANGS:
        raise UserInputError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}", key="--lang")
    return lang


@functools.cache
def find_cjk_font() -> str | None:
    """Return the family name of an installed CJK font that matplotlib can use, or None.

    Looks in matplotlib's font list first; if the font was installed after matplotlib built its cache, the
    system font folders are searched for known CJK font files, which are then registered with matplotlib.
    """
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in font_manager.findSystemFonts():
        if _CJK_FILE_PATTERN.search(Path(path).name):
            with contextlib.suppress(Exception):  # an unreadable font file is simply not a candidate
                font_manager.fontManager.addfont(path)
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in known), None)


def require_font(lang: str) -> str | None:
    """Return the CJK family for ``lang='zh'`` (None for English); raise a one-line user error when none exists."""
    check_lang(lang)
    if lang == "en":
        return None
    family = find_cjk_font()
    if family is None:
        raise UserInputError(CJK_INSTALL_HINT, key="--lang")
    return family


@contextlib.contextmanager
def house_style(lang: str) -> Iterator[None]:
    """Apply the house style for ``lang`` inside the block; a glyph missing from the fonts raises an error.

    Matplotlib draws an empty box for a character its fonts lack and only warns; here that warning becomes an
    error so that a chart with boxes instead of characters is never written.
    """
    cjk = require_font(lang)
    if cjk:
        families = [cjk, LATIN_FAMILY]
    else:
        # English text needs no CJK font, but data sources cite Chinese titles: use one when the machine has it
        # (see ``printable`` for when it does not).
        fallback = find_cjk_font()
        families = [LATIN_FAMILY, fallback] if fallback else [LATIN_FAMILY]
    rc = {
        # An explicit family list (not the 'sans-serif' alias) so that matplotlib falls back glyph by glyph.
        "font.family": families,
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "grid.color": GRID_COLOUR,
        "grid.linewidth": 0.6,
        "legend.frameon": False,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "figure.dpi": 100,
        "savefig.dpi": 300,
        # Type 3 (matplotlib's default): Type 42 mislabels the CFF-based Noto CJK fonts and PDF readers complain.
        "pdf.fonttype": 3,
        "svg.fonttype": "path",  # SVG shows the same glyphs on a machine without the font
    }
    with mpl.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph .* missing from.*")
        yield


_CJK_RUN = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")


def printable(text: str) -> str:
    """``text`` with runs of CJK characters replaced by '[zh]' when no CJK font is installed (never a box)."""
    if find_cjk_font() is not None:
        return text
    return _CJK_RUN.sub("[zh]", text)


def indicator_name(key: str, lang: str) -> str:
    """The indicator's display name in ``lang`` (registry names; the English gloss is cut at its parenthesis)."""
    ind = REGISTRY[key]
    if lang == "zh":
        return ind.name_zh
    # "10 000" -> "10,000" so that wrapping never splits a number
    return re.sub(r"(\d) (\d{3})", r"\1,\2", ind.name_en.split(" (")[0])


def unit_label(key: str, lang: str) -> str:
    """The indicator's unit in ``lang``: the plan's unit in Chinese, the targets file's English unit otherwise."""
    ind = REGISTRY[key]
    if lang == "zh":
        return ind.unit
    if ind.target is not None:
        return ind.target.unit_en
    return _english_unit(ind.unit)


def unit_text(unit: str, lang: str) -> str:
    """A unit as written in the data files, in ``lang`` (Chinese units get their English gloss in 'en')."""
    return unit if lang == "zh" else _english_unit(unit)


def scenario_label(name: str, lang: str, titles: dict[str, str] | None = None) -> str:
    """Display name of a scenario: the Chinese name for library scenarios in zh, else its title or name."""
    if lang == "zh":
        return SCENARIO_NAMES_ZH.get(name, name)
    return (titles or {}).get(name) or name


def palette(scenarios: Sequence[str]) -> list[str]:
    """One colour per entry of ``scenarios`` (scenario names; a name may repeat, e.g. two runs of one scenario).

    ``no_new_policy``, ``action_plan`` and ``as_happened`` always get their fixed colour; every other entry, and a
    repeat, takes the first colour not yet used in the list, so no two entries share one while colours last.
    """
    colours: list[str] = []
    for name in scenarios:
        fixed = FIXED_COLOURS.get(name)
        if fixed is not None and fixed not in colours:
            colours.append(fixed)
            continue
        reserved = {c for n, c in FIXED_COLOURS.items() if n in scenarios and c not in colours}
        free = [c for c in SCENARIO_COLOURS if c not in colours and c not in reserved]
        colours.append(free[0] if free else SCENARIO_COLOURS[len(colours) % len(SCENARIO_COLOURS)])
    return colours


def scenario_colours(scenarios: Sequence[str]) -> dict[str, str]:
    """One colour per scenario name (see ``palette``), the same in every chart, brief and page."""
    return dict(zip(scenarios, palette(scenarios), strict=True))


def format_value(value: float) -> str:
    """A value rounded for a table or a label: three significant figures, thousands separated."""
    if value != value:  # NaN
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000 or value == round(value):
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def tick_value(value: float, _pos: object = None) -> str:
    """An axis tick label: whole numbers with thousands separators, others with as few digits as they need."""
    if value == round(value):
        return f"{value:,.0f}"
    return f"{value:.6g}"


FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, stem: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (300 dpi), ``stem.svg`` and ``stem.pdf``; return the paths written."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        atomic.write_with(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=300), suffix=f".{fmt}")
        paths.append(path)
    return paths


def display_width(text: str) -> int:
    """Width of ``text`` in columns: East Asian wide characters count two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# One wrapping unit: a CJK character with any opening punctuation before it and closing punctuation after it
# (so that no line starts with ” or ， nor ends with “), a run of other non-space characters, or spaces.
_OPEN = "“‘「『（《〈【"
_CLOSE = "”’」』）》〉】，。、；：！？"
_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_WRAP_TOKEN = re.compile(rf"[{_OPEN}]*[{_CJK}][{_CLOSE}]*|[{_OPEN}]*[^\s{_CJK}{_OPEN}]+[{_CLOSE}]*|[{_OPEN}]+|\s+")


def wrap(text: str, width: int) -> str:
    """Wrap ``text`` to ``width`` columns, breaking Latin text at spaces and CJK text between any two characters."""
    lines: list[str] = []
    line = ""
    for token in _WRAP_TOKEN.findall(text):
        if token.isspace():
            if line:
                line += " "
            continue
        candidate = line + token
        if line and display_width(candidate.rstrip()) > width:
            lines.append(line.rstrip())
            line = token
        else:
            line = candidate
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)
