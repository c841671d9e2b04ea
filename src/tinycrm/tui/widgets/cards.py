"""A column's deal cards as a virtual list: only the visible lines are ever rendered."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tinycrm.core.board import Card
from tinycrm.domain.labels import compact_money
from tinycrm.domain.money import short_money
from tinycrm.domain.qualification import letters
from tinycrm.domain.values import PER_PERIOD, Recurring
from tinycrm.tui.messages import DealChosen
from tinycrm.tui.widgets.cells import clip, fit

CARD_HEIGHT = 4
BADGES = {"overdue": "▲", "today": "●", "later": "○", "none": "·"}


def money(card: Card, short: bool = False) -> str:
    """Render a card's value compactly (no zero cents), or abbreviated ("$68.5k"), with the
    period a recurring value is per ("€500/mo")."""
    if card.value is None:
        return "no value"
    per = PER_PERIOD[Recurring(card.recurring)] if card.recurring in PER_PERIOD else ""
    if short:
        return short_money(card.value, card.currency) + per
    return compact_money(card.value, card.currency) + per


class CardList(ScrollView, can_focus=True):
    """The cards of one board column, drawn line by line for the visible range only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "cursor(-5)", show=False),
        Binding("pagedown", "cursor(5)", show=False),
        Binding("home", "cursor(-1000000)", show=False),
        Binding("end", "cursor(1000000)", show=False),
        Binding("enter", "open", "Details"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cards--title",
        "cards--meta",
        "cards--cursor",
        "cards--overdue",
        "cards--today",
        "cards--later",
        "cards--none",
        "cards--stale",
        "cards--won",
        "cards--lost",
        "cards--yes",
        "cards--no",
        "cards--unknown",
    }

    cursor: reactive[int] = reactive(0, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.cards: list[Card] = []

    def key_of(self) -> str:
        """Return the key of the column this list belongs to."""
        return (self.id or "").removeprefix("cards-")

    @property
    def selected(self) -> Card | None:
        """Return the card under the cursor, if any."""
        if 0 <= self.cursor < len(self.cards):
            return self.cards[self.cursor]
        return None

    def set_cards(self, cards: list[Card], keep: int | None = None) -> None:
        """Show these cards; keep the cursor on deal `keep` (or the same row) if it is here."""
        previous = self.cursor
        self.cards = cards
        index = next((i for i, c in enumerate(cards) if c.id == keep), None)
        size = Size(self.size.width, len(cards) * CARD_HEIGHT)
        if size != self.virtual_size:
            # A longer or shorter list changes nothing outside this widget: set its size
            # without the screen-wide layout that assigning `virtual_size` asks for (30 ms
            # and a full repaint at 120x40). Its scrollbars are brought up to date as a
            # resize does; one appearing or going still lays the screen out.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
        self.cursor = index if index is not None else min(previous, max(0, len(cards) - 1))
        self.refresh()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.cards) - 1)) if self.cards else 0

    def watch_cursor(self, value: int) -> None:
        top = value * CARD_HEIGHT
        height = self.scrollable_content_region.height
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False)
        elif top + CARD_HEIGHT > self.scroll_y + height:
            self.scroll_to(y=top + CARD_HEIGHT - height, animate=False)
        self.refresh()

    def on_focus(self) -> None:
        # when the stages don't fit, the board scrolls sideways to show the selected column
        column = self.parent
        if isinstance(column, Widget):
            column.scroll_visible(animate=False, immediate=True)
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_cursor(self, step: int) -> None:
        """Move the selection up or down."""
        self.cursor = self.cursor + step

    def action_open(self) -> None:
        """Open the selected deal."""
        if self.selected is not None:
            self.post_message(DealChosen(self.selected.id))

    def on_click(self, event: events.Click) -> None:
        index = int(event.y + self.scroll_y) // CARD_HEIGHT
        if not 0 <= index < len(self.cards):
            return
        already = index == self.cursor and self.has_focus
        self.focus()
        self.cursor = index
        if already or event.chain > 1:
            self.post_message(DealChosen(self.cards[index].id))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index, part = divmod(int(self.scroll_y) + y, CARD_HEIGHT)
        base = self.rich_style
        if index >= len(self.cards) or part == CARD_HEIGHT - 1:
            return Strip.blank(width, base)
        card = self.cards[index]
        cursor = index == self.cursor and (self.has_focus or self.screen.focused is None)
        # the cursor lends its background only: a sign keeps its colour on the selected card
        background = self.get_component_rich_style("cards--cursor") if cursor else Style()
        over = Style(bgcolor=background.bgcolor)
        segments = self._line(card, part, width)
        return Strip([Segment(t, base + s + over) for t, s in segments], width)

    def _line(self, card: Card, part: int, width: int) -> list[tuple[str, Style]]:
        style = self.get_component_rich_style
        pad = Style()
        if part == 0:
            badge = BADGES[card.follow_up]
            title = fit(f" #{card.id} {card.title}", width - 2)
            return [
                (title, style("cards--title")),
                (f"{badge} ", style(f"cards--{card.follow_up}")),
            ]
        if part == 1:
            who = " · ".join(x for x in (card.contact, card.company) if x) or "no contact"
            return [(fit(f" {who}", width), style("cards--meta"))]
        if card.status != "open":
            note = card.status + (f": {card.lost_reason}" if card.lost_reason else "")
            right, right_style = note, style(f"cards--{card.status}")
        else:
            right = f"{card.days_in_stage}d" + ("!" if card.stale else "")
            right_style = style("cards--stale") if card.stale else style("cards--meta")
        value = f" {money(card)}"
        if cell_len(value) + 1 + cell_len(right) + 1 > width:
            value = f" {money(card, short=True)}"
        room = width - cell_len(value) - 2  # a space before and after the right-hand part
        right = clip(right, room) + " " if room > 0 else ""
        value = clip(value, width)
        gap = max(0, width - cell_len(value) - cell_len(right))
        bant = self._bant(card)
        if bant and gap > len(bant) + 1:  # a space on either side of the four letters
            gap -= len(bant) + 1
            return [(value, pad), (" " * gap, pad), *bant, (" ", pad), (right, right_style)]
        return [(value, pad), (" " * gap, pad), (right, right_style)]

    def _bant(self, card: Card) -> list[tuple[str, Style]]:
        """The deal's qualification as its four initials, B A N T: each bright when answered
        yes, struck through in red when no, dim when not known; nothing when none is known."""
        if not card.bant:
            return []
        style = self.get_component_rich_style
        return [
            (letter, style(f"cards--{answer or 'unknown'}"))
            for letter, answer in letters(card.bant)
        ]
