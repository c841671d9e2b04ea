"""A board column: the stage's name, count and per-currency totals over its card list."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalScroll, Vertical
from textual.content import Content
from textual.widgets import Static

from tinycrm.core.board import Column
from tinycrm.domain.money import short_money
from tinycrm.domain.values import DealStatus
from tinycrm.tui.widgets.cards import CardList
from tinycrm.tui.widgets.cells import clip

HEADER_LINES = 4
MIN_WIDTH = 16  # the narrowest a column gets: a card's id, a few words and its sign
CLOSED_WIDTH = 26  # the widest the won / lost column gets


def _deals(count: int) -> str:
    return f"{count} deal{'s' if count != 1 else ''}"


def header_lines(column: Column, width: int) -> list[str]:
    """Return a column header that fits `width` cells: name, probability and count, then per
    currency the value and weighted value ("$68.5k w $6.9k"); for the closed deals, how many
    were won and lost and their value. Amounts are abbreviated, never cut: one that does not
    fit beside its weighted value goes on a line of its own. Currencies are never added."""
    name, count = column.name, _deals(len(column.cards))
    if column.probability is not None:
        if cell_len(f"{name} {column.probability}%") <= width:
            name = f"{name} {column.probability}%"
        else:  # the probability goes beside the count rather than be cut off
            count = f"{count} · {column.probability}%"
    elif cell_len(name) > width and " (" in name:
        name = name[: name.rindex(" (")]  # "Won / lost (30 d)": the days are the first to go
    lines = [clip(name, width), clip(count, width)]
    if column.stage_id is None:
        return lines + _outcome_lines(column, width)
    totals = column.totals
    room = HEADER_LINES - len(lines)
    for index, total in enumerate(totals):
        left = len(totals) - index
        if room == 1 and left > 1:
            lines.append(clip(f"+{left} currencies", width))
            break
        value = short_money(total.value, total.currency)
        weighted = f"w {short_money(total.weighted, total.currency)}"
        if cell_len(f"{value} {weighted}") <= width:
            lines.append(f"{value} {weighted}")
            room -= 1
        elif room >= 2 and left == 1:
            lines += [clip(value, width), clip(weighted, width)]
            room -= 2
        else:
            lines.append(clip(value, width))
            room -= 1
        if room <= 0:
            break
    return lines


def _outcome_lines(column: Column, width: int) -> list[str]:
    """Won and lost: a line each, the count and the value per currency."""
    lines = []
    outcomes = column.outcomes
    for status in (DealStatus.WON, DealStatus.LOST):
        mine = [o for o in outcomes if o.status == status]
        line = f"{sum(o.count for o in mine)} {status}"
        for outcome in mine:
            more = f"{line} {short_money(outcome.value, outcome.currency)}"
            if cell_len(more) > width:
                line += " …"  # more currencies than there is room for
                break
            line = more
        lines.append(clip(line, width))
    return lines


class ColumnHeader(Static):
    """The head of a column, laid out again for each width it is given."""

    def __init__(self) -> None:
        super().__init__(classes="column-header")
        self.column: Column | None = None
        self._lines: tuple[int, list[str]] | None = None  # laid out for a width

    def show(self, column: Column) -> None:
        """Show this column's figures (the header's size is fixed, so no layout is needed)."""
        self.column = column
        self._lines = None
        self.on_resize()

    def on_resize(self) -> None:
        # kept as the header's content too, for what reads it; drawing lays it out afresh
        self.update(self.render(), layout=False)

    def render(self) -> Content:
        """Lay the header out for the width it has now (the first paint can come before the
        header is told its size)."""
        if self.column is None:
            return Content("")
        width = self.content_size.width
        if self._lines is None or self._lines[0] != width:  # totals are summed once a show
            self._lines = (width, header_lines(self.column, width))
        return Content("\n".join(self._lines[1]))


class StageColumn(Vertical):
    """One stage of the board (or the closed deals at its end)."""

    def __init__(self, key: str, *, closed: bool = False) -> None:
        super().__init__(
            id=f"col-{key}", classes="stage-column closed" if closed else "stage-column"
        )
        self.key = key

    def compose(self) -> ComposeResult:
        yield ColumnHeader()
        yield CardList(id=f"cards-{self.key}")

    @property
    def cards(self) -> CardList:
        """Return the column's card list."""
        return self.query_one(CardList)

    def show(self, column: Column, keep: int | None = None) -> None:
        """Show a column's header and cards."""
        self.query_one(ColumnHeader).show(column)
        self.cards.set_cards(column.cards, keep)


def column_widths(count: int, width: int) -> list[int]:
    """Return the widths of `count` columns (the last one the won / lost deals) sharing
    `width` cells: equal shares, the closed deals' at most CLOSED_WIDTH, none narrower than
    MIN_WIDTH (the board then scrolls sideways)."""
    if count <= 0:
        return []
    closed = max(MIN_WIDTH, min(CLOSED_WIDTH, width // count))
    stages = count - 1
    if not stages:
        return [closed]
    share, extra = divmod(max(0, width - closed), stages)
    if share < MIN_WIDTH:
        share, extra = MIN_WIDTH, 0
    return [share + (1 if i < extra else 0) for i in range(stages)] + [closed]


class BoardColumns(HorizontalScroll, can_focus=False, inherit_bindings=False):
    """The board's columns side by side, sized to share the width; when they can't fit at
    their narrowest they keep that width and the board scrolls sideways. Its keys are the
    board's: the arrows move the selection, and the selected column is scrolled into view."""

    def on_resize(self) -> None:
        self.size_columns()

    def size_columns(self) -> None:
        """Give every column its share of the width."""
        columns = list(self.query_children(StageColumn))
        for column, width in zip(
            columns, column_widths(len(columns), self.size.width), strict=True
        ):
            if column.styles.width is None or column.styles.width.value != width:
                column.styles.width = width
