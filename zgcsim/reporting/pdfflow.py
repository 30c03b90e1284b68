"""Text pages for the PDF brief: headings, wrapped paragraphs and tables laid out top-down on A4-landscape pages."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from zgcsim.reporting.style import A4_LANDSCAPE, printable, wrap

W, H = A4_LANDSCAPE
LINE = 1.3 / 72  # line height in inches per point of font size


def columns_for(inches: float, size: float) -> int:
    """Wrapping width in columns for a text box ``inches`` wide at ``size`` pt.

    An average Latin character of DejaVu Sans is about 0.55 em wide and a CJK one 1 em (two columns, so 1.1 em
    estimated), hence 130 / size columns per inch.
    """
    return max(6, int(inches * 130 / size))


class Flow:
    """Lays out content top-down; starts a new page (with the page heading) whenever the next block does not fit."""

    margin = 0.55  # inches

    def __init__(self, pdf: PdfPages, heading: str, heading_size: float = 13) -> None:
        self.pdf, self.heading, self.heading_size = pdf, heading, heading_size
        self.pages: list[str] = []
        self.fig: Figure | None = None
        self.y = 0.0

    # -- pages
    def _new_page(self) -> None:
        self.finish()
        self.fig = Figure(figsize=A4_LANDSCAPE)
        self.y = H - self.margin
        self.text(self.margin, self.heading, self.heading_size, bold=True)
        self.y -= 0.1

    def finish(self) -> None:
        """Write the current page, if any."""
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.pages.append(self.heading)
            self.fig = None

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        if self.fig is None or self.y - height < self.margin:
            self._new_page()

    # -- drawing
    def text(self, x: float, text: str, size: float, bold: bool = False, colour: str = "black") -> None:
        """Draw ``text`` (already wrapped) at ``x`` inches from the left, at the current height, and move down."""
        assert self.fig is not None
        self.fig.text(
            x / W,
            self.y / H,
            text,
            fontsize=size,
            va="top",
            ha="left",
            color=colour,
            fontweight="bold" if bold else None,
        )
        self.y -= (text.count("\n") + 1) * size * LINE

    def heading2(self, text: str) -> None:
        """A section heading, kept with at least an inch of what follows."""
        self.ensure(1.0)
        self.y -= 0.08
        self.text(self.margin, printable(text), 11, bold=True)
        self.y -= 0.04

    def paragraph(
        self, text: str, size: float = 8.5, indent: float = 0.0, colour: str = "black", bullet: str = ""
    ) -> None:
        """A paragraph wrapped to the page width; with ``bullet``, the bullet hangs left of the indented text."""
        width = W - 2 * self.margin - indent
        for i, line in enumerate(wrap(printable(text), columns_for(width, size)).split("\n")):
            self.ensure(size * LINE)
            if bullet and i == 0:
                top = self.y
                self.text(self.margin + indent - 0.12, bullet, size, colour=colour)
                self.y = top
            self.text(self.margin + indent, line, size, colour=colour)
        self.y -= 0.05

    def table(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 7.0,
        fills: Sequence[Sequence[str | None]] | None = None,
        groups: Sequence[tuple[int, int, str]] = (),
    ) -> None:
        """A table: first row is the header (repeated on each page it spans).

        Args:
            rows: header row, then body rows; every row has one string per column.
            widths: relative column widths.
            size: font size in points.
            fills: background colour per body cell (None for none).
            groups: (first column, column count, label) spanning headers drawn above the header row.
        """
        usable = W - 2 * self.margin
        inches = [w * usable / sum(widths) for w in widths]
        lefts = [self.margin + sum(inches[:i]) for i in range(len(inches))]
        pad = 0.05

        def wrapped(cells: Sequence[str]) -> list[str]:
            return [wrap(printable(c), columns_for(w - 2 * pad, size)) for c, w in zip(cells, inches, strict=True)]

        def row_height(cells: list[str]) -> float:
            return max(c.count("\n") + 1 for c in cells) * size * LINE + 2 * pad

        def draw_row(cells: list[str], fill: Sequence[str | None], bold: bool) -> None:
            assert self.fig is not None
            height = row_height(cells)
            top = self.y
            for left, w, cell, colour in zip(lefts, inches, cells, fill, strict=True):
                if colour:
                    self.fig.add_artist(
                        Rectangle((left / W, (top - height) / H), w / W, height / H, color=colour, linewidth=0)
                    )
                self.y = top - pad
                self.text(left + pad, cell, size, bold=bold)
            self.y = top - height
            x0, x1 = self.margin / W, (self.margin + usable) / W
            self.fig.add_artist(Line2D([x0, x1], [self.y / H] * 2, color="#BBBBBB", linewidth=0.5))

        def draw_header() -> None:
            if groups:
                assert self.fig is not None
                gh = size * LINE + 2 * pad
                for first, count, label in groups:
                    left, w = lefts[first], sum(inches[first : first + count])
                    text = wrap(printable(label), columns_for(w - 2 * pad, size))
                    gh = max(gh, (text.count("\n") + 1) * size * LINE + 2 * pad)
                top = self.y
                for first, count, label in groups:
                    left, w = lefts[first], sum(inches[first : first + count])
                    self.y = top - pad
                    self.text(left + pad, wrap(printable(label), columns_for(w - 2 * pad, size)), size, bold=True)
                    self.fig.add_artist(
                        Line2D([(left + pad) / W, (left + w - pad) / W], [(top - gh) / H] * 2, color="#444444", lw=0.6)
                    )
                self.y = top - gh
            draw_row(wrapped(rows[0]), ["#EEEEEE"] * len(inches), bold=True)

        header_h = row_height(wrapped(rows[0])) + (3 * size * LINE if groups else 0)
        self.ensure(header_h + row_height(wrapped(rows[1])) if len(rows) > 1 else header_h)
        draw_header()
        for i, row in enumerate(rows[1:]):
            cells = wrapped(row)
            if self.y - row_height(cells) < self.margin:
                self._new_page()
                draw_header()
            draw_row(cells, fills[i] if fills else [None] * len(inches), bold=False)
        self.y -= 0.1
