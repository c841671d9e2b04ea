"""The Textual app: opens the board, runs writes as undoable transactions, watches the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlmodel import Session
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import LineFilter

from tinycrm import clock
from tinycrm.core.db import Database
from tinycrm.tui.commands import CrmCommands
from tinycrm.tui.filters import ControlCharacters

T = TypeVar("T")
POLL_SECONDS = 1.0
CONTROL_CHARACTERS = ControlCharacters()


class CrmApp(App[None]):
    """tinycrm's full-screen board."""

    CSS_PATH = "app.tcss"
    TITLE = "tinycrm"
    COMMANDS = App.COMMANDS | {CrmCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "keys", "Keys"),
        Binding("u", "undo", "Undo"),
    ]

    def __init__(self, db: Database, pipeline: str | None = None, *, watch: bool = True) -> None:
        super().__init__()
        self.db = db
        self.pipeline = pipeline
        self.watch_file = watch
        self._watcher: sqlite3.Connection | None = None
        self._version = 0
        self._known_due: set[int] = set()

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, and one that keeps control characters in names off the screen."""
        return [*super().get_line_filters(), CONTROL_CHARACTERS]

    def now(self) -> datetime:
        """Return the current time (TINYCRM_NOW fixes it)."""
        return clock.now()

    def on_mount(self) -> None:
        from tinycrm.tui.screens.board import BoardScreen

        self.push_screen(BoardScreen(self.pipeline))
        if self.watch_file:
            # A connection of its own: its data_version changes only when another one commits.
            self._watcher = self.db.raw()
            self._version = self._data_version()
            self._known_due = {i for i, _ in self._due()}
            self.set_interval(POLL_SECONDS, self.poll)

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
        self.db.dispose()

    def _data_version(self) -> int:
        assert self._watcher is not None
        return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def _due(self) -> list[tuple[int, str]]:
        from tinycrm.core import board

        with self.db.read() as session:
            return board.due_follow_ups(session, self.now())

    def poll(self) -> None:
        """Reload when another process changed the file; announce follow-ups falling due."""
        version = self._data_version()
        if version != self._version:
            self._version = version
            self.reload_screens()
        for fu_id, title in self._due():
            if fu_id not in self._known_due:
                self._known_due.add(fu_id)
                self.notify(f"Follow-up due: {title}", title="Due now", timeout=10)

    def reload_screens(self, deal_id: int | None = None) -> None:
        """Ask every open screen to show fresh data; when only one deal changed, the board
        just updates that deal's card."""
        for screen in self.screen_stack:
            patch = getattr(screen, "patch", None)
            if deal_id is not None and patch is not None:
                patch(deal_id)
                continue
            reload = getattr(screen, "reload", None)
            if reload is not None:
                reload()

    def write(
        self, summary: str, change: Callable[[Session, datetime], T], deal_id: int | None = None
    ) -> T:
        """Run `change` in one transaction from the board (one undo step), then refresh.

        `deal_id` says the change touched only that deal (and rows that hang from it)."""
        now = self.now()
        with self.db.transaction(origin="tui", summary=summary, now=now) as session:
            result = change(session, now)
        if self._watcher is not None:
            self._version = self._data_version()
        self.reload_screens(deal_id)
        return result

    def attempt(
        self, summary: str, change: Callable[[Session, datetime], Any], deal_id: int | None = None
    ) -> bool:
        """Like write, but a refused change becomes an error notification."""
        from tinycrm.errors import TinyCrmError

        try:
            self.write(summary, change, deal_id)
        except TinyCrmError as error:
            self.notify(error.message, title="Not done", severity="error")
            return False
        return True

    def action_undo(self) -> None:
        """Undo the newest change, made here or by `crm` in a shell."""
        from tinycrm.core import history

        def undo(session: Session, now: datetime) -> str:
            return history.undo(session, now).summary or "a change"

        from tinycrm.errors import TinyCrmError

        try:
            what = self.write("undo", undo)
        except TinyCrmError as error:
            self.notify(error.message, severity="warning")
            return
        self.notify(f"Undid: {what}")

    def action_redo(self) -> None:
        """Re-apply what undo took back."""
        from tinycrm.core import history

        self.attempt("redo", lambda s, now: history.redo(s, now))

    def action_keys(self) -> None:
        """Show every key."""
        from tinycrm.tui.screens.keys import KeysScreen

        self.push_screen(KeysScreen())

    def open_deal(self, deal_id: int) -> None:
        """Show a deal's details."""
        from tinycrm.tui.screens.details import DetailsScreen

        self.push_screen(DetailsScreen("deal", deal_id))

    def open_record(self, kind: str, record_id: int) -> None:
        """Show a contact's, company's or deal's details."""
        from tinycrm.tui.screens.details import DetailsScreen

        self.push_screen(DetailsScreen(kind, record_id))

    def action_contacts(self) -> None:
        """Open the contacts list."""
        from tinycrm.tui.screens.contacts import ContactsScreen

        self.push_screen(ContactsScreen())

    def action_agenda(self) -> None:
        """Open the agenda of follow-ups."""
        from tinycrm.tui.screens.agenda import AgendaScreen

        self.push_screen(AgendaScreen())

    def action_reports(self) -> None:
        """Open the dashboard of reports."""
        from tinycrm.tui.screens.dashboard import DashboardScreen

        self.push_screen(DashboardScreen())
