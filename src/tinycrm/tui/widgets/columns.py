"""A board column: the stage's name, count and per-currency totals over its card list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tinycrm.core.board import Column
from tinycrm.domain.labels import compact_money
from tinycrm.tui.widgets.cards import CardList

HEADER_LINES = 4


def header_text(column: Column) -> str:
    """Return a column header: name and probability, count, then value and weighted value
    per currency (currencies are never added together)."""
    name = column.name if column.probability is None else f"{column.name} {column.probability}%"
    count = len(column.cards)
    lines = [name, f"{count} deal{'s' if count != 1 else ''}"]
    totals = column.totals
    room = HEADER_LINES - 2
    for total in totals[:room]:
        value = compact_money(total.value, total.currency)
        lines.append(f"{value} w {compact_money(total.weighted, total.currency)}")
    if len(totals) > room:
        lines[-1] = f"+{len(totals) - room + 1} more currencies"
    return "\n".join(lines)


class StageColumn(Vertical):
    """One stage of the board (or the closed deals at its end)."""

    def __init__(self, key: str, *, closed: bool = False) -> None:
        super().__init__(
            id=f"col-{key}", classes="stage-column closed" if closed else "stage-column"
        )
        self.key = key

    def compose(self) -> ComposeResult:
        yield Static("", classes="column-header")
        yield CardList(id=f"cards-{self.key}")

    @property
    def cards(self) -> CardList:
        """Return the column's card list."""
        return self.query_one(CardList)

    def show(self, column: Column, keep: int | None = None) -> None:
        """Show a column's header and cards."""
        # the header's size is fixed (app.tcss), so new text needs no layout of the screen
        self.query_one(".column-header", Static).update(header_text(column), layout=False)
        self.cards.set_cards(column.cards, keep)
