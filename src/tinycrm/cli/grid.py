"""The tables of `render.table`, drawn for output without styles (a pipe, a file) exactly as
rich draws them, without rich's layout machinery.

rich lays a table out through measurements, paddings and segments for every cell: for a page
of twenty deals that is most of a warm command's own time. Piped output has no styles, so the
same table is only text: the column widths rich would choose (its own collapsing rules are
called), each cell folded with rich's own line breaking, and the box's lines between. A test
draws random tables both ways and compares them; whatever this drawing does not cover (a cell
with a line break or any character `str.isprintable` refuses, a column too narrow for its
padding, a narrow or non-UTF-8 console) is left to rich.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

_TRAILING_SPACE = re.compile(r"\s+$")
HEAD, BODY, RULE, CROSS = "┃", "│", "━", "╇"  # rich's HEAVY_HEAD box, without its edges


def _measure(texts: Sequence[str], pad: int, limit: int) -> tuple[int, int]:
    """A column's narrowest and widest cell in `limit` cells, padding included: the words that
    cannot be broken, and the whole line (what rich's Measurement of padded text gives)."""
    from rich.cells import cell_len

    if limit < 1:
        return 0, 0
    lows, highs = [], []
    for text in texts:
        if limit - pad < 1:
            low = high = limit
        else:
            high = cell_len(text)
            words = text.split()
            low = max(cell_len(word) for word in words) if words else high
            low, high = min(low, high, limit), min(high, limit)
            if high < 1:
                low = high = 0
            low, high = min(low + pad, limit), min(high + pad, limit)
        lows.append(low)
        highs.append(high)
    low = max(lows) if lows else 1
    high = max(highs) if highs else limit
    return min(low, limit), min(high, limit)


def _widths(columns: Sequence[Sequence[str]], pads: Sequence[int], room: int) -> list[int]:
    """The widths rich gives the columns in `room` cells (their dividers taken out)."""
    from rich._ratio import ratio_reduce
    from rich.table import Table

    widths = [_measure(texts, pad, room)[1] or 1 for texts, pad in zip(columns, pads, strict=True)]
    if sum(widths) > room:
        widths = Table._collapse_widths(widths, [True] * len(widths), room)
        if sum(widths) > room:
            widths = ratio_reduce(sum(widths) - room, [1] * len(widths), widths, widths)
        widths = [
            _measure(texts, pad, width)[1] or 0
            for texts, pad, width in zip(columns, pads, widths, strict=True)
        ]
    return widths


def _fold(text: str, width: int) -> list[str]:
    """Break a cell's text into lines of exactly `width` cells, as rich folds a Text."""
    from rich._wrap import divide_line
    from rich.cells import cell_len, set_cell_size

    offsets = divide_line(text, width, fold=True)
    bounds = [0, *offsets, len(text)]
    lines = []
    for start, end in itertools.pairwise(bounds):
        line = text[start:end]
        if len(line) > width:  # rich strips what it can of trailing space, by characters
            space = _TRAILING_SPACE.search(line)
            if space is not None:
                line = line[: len(line) - min(len(space.group(0)), len(line) - width)]
        size = cell_len(line)
        if size > width:
            line = set_cell_size(line, width)
        elif size < width:
            line += " " * (width - size)
        lines.append(line)
    return lines


def natural_width(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The width at which no cell of the table is broken: its widest cells, their padding
    and the dividers between them."""
    from rich.cells import cell_len

    count = len(headings)
    widest = [
        max(cell_len(text) for text in [heading, *(row[i] for row in rows)])
        for i, heading in enumerate(headings)
    ]
    pads = sum((i > 0) + (i < count - 1) for i in range(count))
    return sum(widest) + pads + max(count - 1, 0)


def draw(headings: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str | None:
    """Return the table as rich prints it on a console `width` cells wide with no styles, or
    None where this drawing does not hold (see the module's docstring)."""
    count = len(headings)
    columns = [[heading, *(row[i] for row in rows)] for i, heading in enumerate(headings)]
    if (
        width < 2 * count
        or any("[" in heading for heading in headings)
        or not all(text.isprintable() for texts in columns for text in texts)
    ):
        return None
    pads = [(i > 0) + (i < count - 1) for i in range(count)]
    widths = _widths(columns, pads, width - (count - 1))
    out: list[str] = []
    for index in range(len(rows) + 1):
        cells = []
        for i in range(count):
            left, right = int(i > 0), int(i < count - 1)
            inner = widths[i] - left - right
            if inner < 1:
                return None
            cells.append(
                [" " * left + line + " " * right for line in _fold(columns[i][index], inner)]
            )
        height = max(len(lines) for lines in cells)
        for i, lines in enumerate(cells):
            blank = [" " * widths[i]] * (height - len(lines))
            cells[i] = blank + lines if index == 0 else lines + blank  # a heading sits low
        divider = HEAD if index == 0 else BODY
        out.extend(divider.join(parts) for parts in zip(*cells, strict=True))
        if index == 0:
            out.append(CROSS.join(RULE * w for w in widths))
    return "\n".join(out) + "\n"
