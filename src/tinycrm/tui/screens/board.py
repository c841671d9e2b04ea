"""The pipeline board: a column per stage, the recently closed deals, keys for every move."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from tinycrm.core.board import SORTS, Board, Card
from tinycrm.core.cardmoves import moved_card
from tinycrm.tui import actions
from tinycrm.tui.base import CrmScreen
from tinycrm.tui.next_step import Offer
from tinycrm.tui.widgets.cards import CardList
from tinycrm.tui.widgets.columns import BoardColumns, StageColumn
from tinycrm.tui.widgets.footer import KeyFooter

LEGEND = ("▲ overdue", "● today", "○ later", "· none", "12d! stale")
TICK_SECONDS = 1.0  # how often the board asks whether the time for a change has come


class BoardScreen(CrmScreen[None]):
    """The board of one pipeline."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # while a next step is offered, esc skips it (the status line says so)
        Binding("escape", "skip_next", "Skip the next step", show=False),
        # first shown, so the footer shows it while a filter is on (and only then: check_action)
        Binding("escape", "clear_filter", "Clear filter"),
        Binding("left,h", "column(-1)", "Left", show=False),
        Binding("right,l", "column(1)", "Right", show=False),
        Binding("less_than_sign,shift+left", "move(-1)", "Stage back"),
        Binding("greater_than_sign,shift+right", "move(1)", "Stage on"),
        Binding("w", "won", "Won"),
        Binding("x", "lost", "Lost"),
        Binding("n", "new", "New"),
        Binding("f", "follow_up", "Follow-up"),
        Binding("i", "log", "Log"),
        Binding("e", "edit", "Edit"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("p", "pipeline", "Pipeline", show=False),
        Binding("c", "app.contacts", "Contacts"),
        Binding("a", "app.agenda", "Agenda"),
        Binding("r", "app.reports", "Reports"),
        # handled as the key is read, so keys typed after enter act on the cards
        Binding("enter", "filter_done", show=False, priority=True),
    ]

    AUTO_FOCUS = None

    # Textual repaints the whole screen when the focus moves (2,000 cells, 40-90 ms at
    # 120x40), though what looks focused repaints itself: the card lists on focus and blur,
    # the footer when its keys change. Here the focus moves with every column change and
    # every stage move, so the board leaves that repaint out.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, pipeline: str | None = None) -> None:
        super().__init__(id="board-screen")
        self.pipeline = pipeline
        self.text = ""
        self.sort = "stage"
        self.board: Board | None = None
        self.column_keys: list[str] = []
        self.loaded = False
        self._next_change: datetime | None = None  # when a card will next look different
        self._timed_at: datetime | None = None  # when the cards were last brought up to date
        self._status_line = ""
        self.offer: Offer | None = None  # the next step offered after a move or a win

    def compose(self) -> ComposeResult:
        yield Static("Loading the board…", id="board-status")
        yield Static("", id="board-empty")
        yield BoardColumns(id="columns")
        yield Input(placeholder="filter: words of a title, contact or company", id="filter")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(TICK_SECONDS, self.check_time)

    def check_time(self) -> None:
        """Bring the cards up to date once the time has come when one would look different
        (a follow-up falls due, a deal turns stale, the day changes): nothing is read, the
        time is the app's clock, and between those moments this only compares two times."""
        from tinycrm.core import board

        if self.offer is not None and self.offer.expired():
            self.action_skip_next()
        data = self.board
        if data is None or not self.loaded:
            return
        now = self.app.now()
        if self._next_change is None:  # the cards changed since it was worked out
            self._next_change = board.next_change(data, self._timed_at or now)
        if now < self._next_change:
            return
        changed = board.bring_up_to_date(data, now, self.sort, since=self._timed_at)
        self._next_change = board.next_change(data, now)
        self._timed_at = now
        if changed:
            self._redraw(changed, self.selected_id)

    def reload(self) -> None:
        """Load the board again (in a thread) and show it."""
        self.loaded = False
        self._load(self.pipeline, self.text, self.sort)

    @work(thread=True, exclusive=True, group="board")
    def _load(self, pipeline: str | None, text: str, sort: str) -> None:
        from tinycrm.core import board
        from tinycrm.errors import TinyCrmError

        app = self.app
        try:
            with app.db.snapshot() as session:
                now = app.now()
                data = board.load_board(session, now, pipeline, text=text, sort=sort)
        except TinyCrmError as error:
            self.pipeline = None
            app.call_from_thread(app.notify, error.message, severity="error")
            self.loaded = True
            return
        if not get_current_worker().is_cancelled:
            # mypy cannot solve call_from_thread's "T | Awaitable[T]" for a coroutine function
            app.call_from_thread(self._show, data, now)  # type: ignore[arg-type]

    def patch(self, deal_id: int) -> None:
        """Update one deal's card in place (after a change made here); reload if in doubt.
        The selected deal stays selected, in whatever column it is now."""
        from tinycrm.core import cardmoves

        data = self.board
        if data is None or not self.loaded:
            self.reload()
            return
        app = self.app
        chosen = self.selected_id
        with app.db.snapshot() as session:
            changed = cardmoves.place_cards(
                session, data, [deal_id], app.now(), text=self.text, sort=self.sort
            )
        if changed:  # else it was saved as it was shown: nothing to draw again
            self._redraw(changed, chosen)

    def _redraw(self, changed: set[str], chosen: int | None, at: str | None = None) -> None:
        """Show the changed columns again, with deal `chosen` selected where it is now (in
        column `at`, when the caller knows)."""
        data = self.board
        assert data is not None
        current = self.current
        keep_key = current.key_of() if current else None
        key = at or self._column_of(chosen) or keep_key
        for column in [*data.columns, data.closed]:
            if column.key in changed or column.key == key:
                keep = chosen if column.key == key else None
                self.query_one(f"#col-{column.key}", StageColumn).show(column, keep)
        if key is not None and key != keep_key and not self._typing():
            self.set_focus(self.query_one(f"#cards-{key}", CardList))
        self._status()

    def _column_of(self, deal_id: int | None) -> str | None:
        data = self.board
        if data is None or deal_id is None:
            return None
        found = data.where(deal_id)
        return found[0].key if found is not None else None

    def _typing(self) -> bool:
        return isinstance(self.focused, Input) and self.focused.has_class("shown")

    async def _show(self, data: Board, now: datetime) -> None:
        self._timed_at = now  # the time the cards' signs and days are worked out for
        current = self.current
        keep_key = current.key_of() if current else None
        keep_deal = self.selected_id
        self.board = data
        keys = [c.key for c in data.columns] + [data.closed.key]
        if keys != self.column_keys:
            holder = self.query_one("#columns", BoardColumns)
            await holder.remove_children()
            await holder.mount_all(
                [StageColumn(c.key) for c in data.columns]
                + [StageColumn(data.closed.key, closed=True)]
            )
            holder.size_columns()
            self.column_keys = keys
        self._fill(data, keep_key, keep_deal)

    def _fill(self, data: Board, keep_key: str | None, keep_deal: int | None) -> None:
        columns = [*data.columns, data.closed]
        key = keep_key if keep_key in self.column_keys else None
        key = self._column_of(keep_deal) or key or columns[0].key
        for column in columns:
            chosen = keep_deal if column.key == key else None
            self.query_one(f"#col-{column.key}", StageColumn).show(column, chosen)
        if not self._typing():
            target = self.query_one(f"#cards-{key}", CardList)
            if self.focused is not target:
                self.set_focus(target)
        self._status()
        self.loaded = True

    def show_status(self) -> None:
        """Show the status line again (the app's waiting or file state changed)."""
        self._status()

    def _status(self) -> None:
        data = self.board
        if data is None:
            return
        self._next_change = None  # worked out at the next tick, not in the time of a key
        self._guide(data)
        open_count = sum(len(c.cards) for c in data.columns)
        parts = [f"{data.pipeline} pipeline", f"{open_count} open deals", f"sort: {self.sort}"]
        if self.text:
            parts.append(f"filter: {self.text}")
        if len(data.pipelines) > 1:
            parts.append("p: next pipeline")
        line = "  ·  ".join(parts)
        if self.offer is not None:  # first, so a narrow terminal still shows it
            line = f"{self.offer.line}    {line}"
        if self.app.waiting:
            line += "    ⏳ waiting for another crm to finish writing…"
        else:
            # as much of the legend as fits, whole entries only
            room = self.size.width - 2 - cell_len(line) - 4
            shown = [
                x for i, x in enumerate(LEGEND) if cell_len("  ".join(LEGEND[: i + 1])) <= room
            ]
            if shown:
                line += "    " + "  ".join(shown)
        if line != self._status_line:  # one line, fixed: no layout, and no repaint if the same
            self._status_line = line
            self.query_one("#board-status", Static).update(Content(line), layout=False)

    def on_resize(self) -> None:
        self._status()

    def _guide(self, data: Board) -> None:
        """Say what to do when there is no card to show."""
        guide = self.query_one("#board-empty", Static)
        if any(c.cards for c in [*data.columns, data.closed]):
            guide.display = False
            return
        if self.text:
            words = f"No deal matches '{self.text}' — esc clears the filter"
        else:
            words = "No deals yet — press n to add one"
        guide.update(Content(words))  # a filter is text, never markup
        guide.display = True

    @property
    def lists(self) -> list[CardList]:
        """Return the card lists, left to right."""
        return list(self.query(CardList))

    @property
    def current(self) -> CardList | None:
        """Return the focused card list (or the one focused last)."""
        focused = self.focused
        if isinstance(focused, CardList):
            return focused
        lists = self.lists
        return lists[0] if lists else None

    @property
    def selected(self) -> Card | None:
        """Return the selected deal's card."""
        current = self.current
        return current.selected if current else None

    @property
    def selected_id(self) -> int | None:
        """Return the selected deal's id."""
        card = self.selected
        return card.id if card else None

    def action_column(self, step: int) -> None:
        """Move the focus to the next column left or right."""
        lists = self.lists
        current = self.current
        if not lists or current is None:
            return
        index = max(0, min(len(lists) - 1, lists.index(current) + step))
        target = lists[index]
        target.cursor = min(current.cursor, max(0, len(target.cards) - 1))
        self.set_focus(target)

    def _need_deal(self) -> int | None:
        deal_id = self.selected_id
        if deal_id is None:
            self.notify("No deal selected", severity="warning")
        return deal_id

    def _show_now(self, card: Card) -> actions.Revert:
        """Show a change to a deal before it is saved (the selection goes with the card, so
        the next key acts on the same deal); return how to put back what was shown."""
        from tinycrm.core import cardmoves

        data = self.board
        assert data is not None
        before = data.card(card.id)

        def show(shown: Card) -> None:
            changed = cardmoves.put_card(data, shown, self.sort)
            column = data.column_for(shown)
            self._redraw(changed, shown.id, column.key if column is not None else None)

        show(card)

        def revert() -> None:
            if before is not None and self.board is data:
                show(before)

        return revert

    def action_move(self, step: int) -> None:
        """Move the selected deal one stage left or right (the selection follows it)."""
        from tinycrm.domain.values import CLOSED

        card = self.selected
        if card is None or self.board is None:
            self._need_deal()
            return
        if card.status in CLOSED:  # a won or lost deal is reopened only when asked
            actions.ask_reopen(self.app, card.id)
            return
        stage_ids = [c.stage_id for c in self.board.columns]
        index = stage_ids.index(card.stage_id) + step if card.stage_id in stage_ids else -1
        if not 0 <= index < len(stage_ids):
            edge = "first" if step < 0 else "last"
            self.notify(f"{card.title} is in the {edge} stage", title="Not done", severity="error")
            return
        column = self.board.columns[index]
        moved = moved_card(card, column, self.app.now())
        self._offer_next(card)
        revert = self._show_now(moved)
        actions.move_to(self.app, card.id, moved.stage_id, revert)

    def _show_closed(self, card: Card, status: str, reason: str | None = None) -> actions.Revert:
        from dataclasses import replace

        app = self.app
        shown = replace(card, status=status, closed_at=app.now(), lost_reason=reason or None)
        return self._show_now(shown)

    def action_won(self) -> None:
        """Mark the selected deal won (the selection follows it to the closed deals)."""
        card = self.selected
        if card is None:
            self._need_deal()
            return
        revert = None
        if card.status != "won":
            self._offer_next(card)
            revert = self._show_closed(card, "won")
        actions.win(self.app, card.id, revert)

    def _offer_next(self, card: Card) -> None:
        """Offer the next step for a deal moved or won (shown with the change, on the status
        line: see `tui.next_step`)."""
        self.offer = Offer(f"#{card.id} {card.title}", deal_id=card.id)

    def action_skip_next(self) -> None:
        """Skip the next step offered."""
        self.offer = None
        self._status()

    def action_lost(self) -> None:
        """Mark the selected deal lost (asks why)."""
        card = self.selected
        if card is None:
            self._need_deal()
            return

        def shown(reason: str) -> actions.Revert | None:
            return self._show_closed(card, "lost", reason) if card.status != "lost" else None

        actions.ask_lost(self.app, card.id, shown)

    def action_new(self) -> None:
        """Add a deal to the focused stage."""
        stage = None
        current = self.current
        if self.board is not None and current is not None:
            for column in self.board.columns:
                if current.id == f"cards-{column.key}":
                    stage = column.name
        name = self.board.pipeline if self.board else self.pipeline
        actions.ask_new_deal(self.app, name, stage)

    def action_follow_up(self) -> None:
        """Add a follow-up to the selected deal, or take the next step offered."""
        offer = self.offer
        if offer is not None:
            self.action_skip_next()
            offer.take(self.app)
            return
        deal_id = self._need_deal()
        if deal_id is not None:
            actions.ask_follow_up(self.app, deal_id=deal_id)

    def action_log(self) -> None:
        """Log an interaction about the selected deal."""
        deal_id = self._need_deal()
        if deal_id is not None:
            actions.ask_log(self.app, deal_id=deal_id)

    def action_edit(self) -> None:
        """Edit the selected deal's title, value and close date."""
        deal_id = self._need_deal()
        if deal_id is not None:
            actions.ask_edit(self.app, deal_id)

    def action_filter(self) -> None:
        """Show the filter and type into it."""
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        self.set_focus(box)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "skip_next":  # a filter being typed in is closed by esc first
            return self.offer is not None and not self._typing()
        if action == "filter_done":
            return self.focused is not None and self.focused.id == "filter"
        if action == "clear_filter":
            return bool(self.text) or self.query_one("#filter", Input).has_class("shown")
        return True

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        from tinycrm.core import cardmoves

        text = event.value.strip()
        typed_on = text.startswith(self.text)
        self.text = text
        if typed_on and self.board is not None and self.loaded:
            self._show_in_place(cardmoves.narrowed(self.board, text))  # a subset of what it shows
        else:
            self.reload()
        self.refresh_bindings()

    def action_filter_done(self) -> None:
        """Enter in the filter: back to the cards, the filter kept."""
        lists = self.lists
        if lists:
            self.set_focus(lists[0])
        if not self.text:
            self.query_one("#filter", Input).remove_class("shown")
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        """Clear the filter and hide it."""
        box = self.query_one("#filter", Input)
        box.remove_class("shown")
        if box.value:
            box.value = ""
        if self.text:
            self.text = ""
            self.reload()
        if self.lists:
            self.set_focus(self.lists[0])
        self.refresh_bindings()

    def action_sort(self) -> None:
        """Sort the cards by the next order: stage age, follow-up, value, title."""
        self.sort_by(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])

    def sort_by(self, sort: str) -> None:
        """Sort the cards by one of SORTS (the cards shown, when the board is loaded)."""
        from tinycrm.core import cardmoves

        self.sort = sort
        if self.board is not None and self.loaded:
            self._show_in_place(cardmoves.sorted_by(self.board, sort))
        else:
            self.reload()

    def _show_in_place(self, data: Board) -> None:
        """Show a board made from the one shown (the same columns), the selection kept."""
        current = self.current
        keep_key = current.key_of() if current else None
        keep_deal = self.selected_id
        self.board = data
        self._fill(data, keep_key, keep_deal)

    def action_pipeline(self) -> None:
        """Switch to the next pipeline."""
        if self.board is None or len(self.board.pipelines) < 2:
            self.notify("There is only one pipeline")
            return
        names = self.board.pipelines
        self.show_pipeline(names[(names.index(self.board.pipeline) + 1) % len(names)])

    def show_pipeline(self, name: str) -> None:
        """Show another pipeline's board."""
        self.pipeline = name
        self.reload()
