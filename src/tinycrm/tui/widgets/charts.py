"""Charts drawn with block characters: the forecast by month, the funnel and the win rate over
time, each with its figures written beside the bars, so that the exact numbers stay readable.

Textual's own drawing (a Static of text) serves better here than a plotting library: the axes
can carry money and month names, every bar can be labelled with its figure, and the module
costs about a millisecond to import, with the reports screen (docs/performance.md has the
measurement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.events import Resize
from textual.widgets import Static

if TYPE_CHECKING:
    from tinycrm.domain.figures import ForecastReport, FunnelReport, WinTrendReport

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UP = " ▁▂▃▄▅▆▇█"  # a cell filled from the bottom, in eighths
FORECAST_ROWS = 6  # 4 on a terminal under TALL lines high
TALL = 32
FORECAST_COLUMN = 8
WIN_ROWS = 4
WIN_COLUMN = 5
GAP = 4  # between two charts side by side
NOTHING = "·"

FORECAST_STYLE = "$primary"
FUNNEL_STYLE = "$accent"
WIN_STYLE = "$success"
AXIS_STYLE = "$text-muted"  # the lines of an axis only: its figures are in the text colour


# --- figures for an axis --------------------------------------------------------------------


def short_amount(minor: int, currency: str) -> str:
    """An amount in about three figures for an axis or under a column ('$62.6k', '€950',
    '$1.2M'), as the board's headers write it; a currency written by its code goes without
    it, since the chart's title names it."""
    from tinycrm.domain.money import short_money

    return short_money(minor, currency).removesuffix(f" {currency}")


def percent(rate: float | None) -> str:
    """A rate as a whole percentage ('67%'), the chart's precision; blank for none."""
    return "" if rate is None else f"{rate * 100:.0f}%"


def month_label(month: str) -> tuple[str, str]:
    """'2026-11' as its name and year: ('Nov', '2026')."""
    year, number = month.split("-")
    return MONTH_NAMES[int(number) - 1], year


def years_line(months: Sequence[str], column: int) -> str:
    """The year under the first month and under every January, blank elsewhere."""
    return "".join(
        (month_label(m)[1] if n == 0 or m.endswith("-01") else "").center(column)
        for n, m in enumerate(months)
    )


# --- drawing --------------------------------------------------------------------------------


def column_cells(value: float, biggest: float, rows: int) -> list[str]:
    """A column of `rows` cells, bottom first, as high as `value` is of `biggest` (to an
    eighth of a cell; a value above nothing shows at least an eighth)."""
    eighths = round(value / biggest * rows * 8) if biggest > 0 and value > 0 else 0
    eighths = max(eighths, 1) if value > 0 else 0
    return [UP[min(max(eighths - 8 * row, 0), 8)] for row in range(rows)]


def column_chart(
    values: Sequence[float],
    biggest: float,
    rows: int,
    column: int,
    ticks: dict[int, str],
    style: str,
) -> list[Content]:
    """The bars of a column chart, top row first, with a vertical axis on the left labelled
    at the rows in `ticks` (a row's top edge; row 0 is the bottom one), and a baseline."""
    axis = max(len(label) for label in ticks.values())
    bar = max(column - 2, 1)
    cells = [column_cells(v, biggest, rows) for v in values]
    lines = []
    for row in reversed(range(rows)):
        label = ticks.get(row, "")
        parts: list[str | tuple[str, str]] = [
            f"{label:>{axis}} ",
            ("┤" if label else "│", AXIS_STYLE),
        ]
        for col in cells:
            parts += [" ", (col[row] * bar, style), " " * (column - bar - 1)]
        lines.append(Content.assemble(*parts).rstrip())
    base = "└" + "─" * (column * len(values))
    lines.append(Content.assemble(f"{ticks.get(-1, ''):>{axis}} ", (base, AXIS_STYLE)))
    return lines


def under_axis(axis: int, text: str) -> Content:
    """A line written under the bars of a chart whose axis is `axis` cells wide."""
    return Content(" " * (axis + 2) + text).rstrip()


def forecast_block(months: list[tuple[str, int, int]], currency: str, rows: int) -> list[Content]:
    """One currency's weighted value per month ((month, deals, weighted minor units)): the
    bars (`rows` high), the months, the years and each month's weighted value."""
    biggest = max(w for _, _, w in months)
    ticks = {
        rows - 1: short_amount(biggest, currency),
        rows // 2 - 1: short_amount(biggest // 2, currency),
        -1: short_amount(0, currency),
    }
    axis = max(len(t) for t in ticks.values())
    column = FORECAST_COLUMN
    names = [m for m, _, _ in months]
    lines = [Content.styled(f"{currency}, weighted", "bold")]
    values = [float(w) for _, _, w in months]
    lines += column_chart(values, biggest, rows, column, ticks, FORECAST_STYLE)
    lines.append(under_axis(axis, "".join(month_label(m)[0].center(column) for m in names)))
    lines.append(under_axis(axis, years_line(names, column)))
    amounts = "".join(
        (short_amount(w, currency) if deals else NOTHING).center(column) for _, deals, w in months
    )
    lines.append(under_axis(axis, amounts))
    return lines


def side_by_side(blocks: list[list[Content]], width: int) -> list[Content]:
    """Put blocks of lines next to each other as far as `width` allows, the rest below."""
    out: list[Content] = []
    row: list[list[Content]] = []
    used = 0

    def flush() -> None:
        if not row:
            return
        widths = [max(line.cell_length for line in block) for block in row]
        for n in range(max(len(block) for block in row)):
            parts = []
            for block, block_width in zip(row, widths, strict=True):
                line = block[n] if n < len(block) else Content("")
                parts.append(line.pad_right(block_width - line.cell_length + GAP))
            out.append(Content("").join(parts).rstrip())
        row.clear()

    for block in blocks:
        block_width = max(line.cell_length for line in block)
        if row and used + GAP + block_width > width:
            flush()
            out.append(Content(""))
            used = 0
        used += (GAP if row else 0) + block_width
        row.append(block)
    flush()
    return out


def forecast_chart(report: ForecastReport, width: int, height: int) -> Content:
    """The weighted value of open deals by expected close month: a chart per currency (a
    currency's bars are never compared with another's), side by side when they fit in
    `width`, lower on a terminal less than TALL lines high."""
    rows = [r for r in report["rows"] if r["period"] not in ("overdue", "later", "none")]
    currencies = sorted({r["currency"] for r in rows if r["deals"]})
    if not currencies:
        return Content(
            f"No open deal is expected to close in the next {report['months']} months — "
            "give a deal an expected close date to see it here"
        )
    high = FORECAST_ROWS if height >= TALL else 4
    blocks = [
        forecast_block(
            [
                (r["period"], r["deals"], r["weighted"]["value_minor"])
                for r in rows
                if r["currency"] == cur
            ],
            cur,
            high,
        )
        for cur in currencies
    ]
    return Content("\n").join(side_by_side(blocks, width))


def centred_bar(value: int, biggest: int, width: int) -> str:
    """A bar of full blocks centred in `width` cells, as long as `value` is of `biggest`."""
    cells = round(value / biggest * width) if biggest > 0 else 0
    cells = max(cells, 1) if value > 0 else 0
    left = (width - cells) // 2
    return " " * left + "█" * cells + " " * (width - cells - left)


def funnel_chart(report: FunnelReport, width: int) -> Content:
    """Deals that reached each stage as a funnel of centred bars, each line with its count,
    the deals lost there and the conversion to the next stage (names measured in terminal
    cells, so that wide characters keep the columns aligned)."""
    stages = report["stages"]
    first = stages[0]["reached"] if stages else 0
    if not first:
        return Content(
            f"No deals in the {report['pipeline']} pipeline yet — the funnel appears when "
            "you add one"
        )
    name = min(max(cell_len(s["stage"]) for s in stages), 16)
    # The stage, the bar, 'Reached', 'Lost' and '100.0% to ' a stage, two cells apart.
    bar = max(min(width - (name + 2 + 2 + 7 + 2 + 4 + 2 + 10 + name), 48), 8)
    head = f"{'Stage':<{name}}  {'':<{bar}}  {'Reached':>7}  {'Lost':>4}  Conversion"
    lines = [Content.styled(head, "bold")]
    for s in stages:
        conversion = s["conversion"]
        following = set_cell_size(s["next"], name).rstrip()
        to = f"{conversion * 100:.1f}% to {following}" if conversion is not None else ""
        lines.append(
            Content.assemble(
                set_cell_size(s["stage"], name) + "  ",
                (centred_bar(s["reached"], first, bar), FUNNEL_STYLE),
                f"  {s['reached']:>7}  {s['lost_here']:>4}  {to}",
            ).rstrip()
        )
    overall = report["overall"]
    lines.append(
        Content.assemble(
            f"{'Won':<{name}}  ",
            (centred_bar(report["won"], first, bar), WIN_STYLE),
            f"  {report['won']:>7}  {'':>4}  "
            + (f"{overall * 100:.1f}% overall" if overall is not None else ""),
        ).rstrip()
    )
    return Content("\n").join(lines)


def win_trend_chart(report: WinTrendReport, ever_closed: bool) -> Content:
    """The win rate by count of each month as a column on a 0-100 % axis, with the month's
    won and lost deals and its rate written under it."""
    months = report["months"]
    if not ever_closed:
        return Content(
            "No closed deals yet — the win rate appears after your first won or lost deal"
        )
    if not report["won"] + report["lost"]:
        return Content(f"No deal won or lost in the last {len(months)} months")
    ticks = {WIN_ROWS - 1: "100%", WIN_ROWS // 2 - 1: "50%", -1: "0%"}
    axis = max(len(t) for t in ticks.values())
    column = WIN_COLUMN
    values = [m["win_rate"] or 0.0 for m in months]
    lines = column_chart(values, 1.0, WIN_ROWS, column, ticks, WIN_STYLE)
    names = [m["month"] for m in months]
    lines.append(under_axis(axis, "".join(month_label(m)[0].center(column) for m in names)))
    lines.append(under_axis(axis, years_line(names, column)))

    def row(label: str, cell: Callable[[int], str]) -> Content:
        cells = "".join(
            (cell(n) if months[n]["won"] + months[n]["lost"] else NOTHING).center(column)
            for n in range(len(months))
        )
        return Content(f"{label:>{axis}}  " + cells).rstrip()

    lines.append(row("won", lambda n: str(months[n]["won"])))
    lines.append(row("lost", lambda n: str(months[n]["lost"])))
    lines.append(row("rate", lambda n: percent(months[n]["win_rate"])))
    return Content("\n").join(lines)


# --- the widget -----------------------------------------------------------------------------


class Chart(Static):
    """A chart drawn for the width it has and the terminal's height, and drawn again when
    either changes."""

    DEFAULT_CSS = """
    Chart {
        width: 1fr;
        height: auto;
        margin-bottom: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__("", id=id)
        self._draw: Callable[[int, int], Content] | None = None
        self._drawn_for: tuple[int, int] | None = None

    def show(self, draw: Callable[[int, int], Content]) -> None:
        """Draw the chart `draw(width, height)` returns, now and at every new size."""
        self._draw = draw
        self._drawn_for = None
        self.redraw()

    def on_resize(self, event: Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the chart again if its width or the terminal's height changed since."""
        size = (self.content_size.width or self.app.size.width - 4, self.app.size.height)
        if self._draw is not None and size != self._drawn_for:
            self._drawn_for = size
            self.update(self._draw(*size))
