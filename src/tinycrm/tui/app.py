"""The Textual app: opens the board, hands changes to the writer, watches the file.

Keys are handled in the order they came, each against what the one before left: bindings are
resolved as the key is read (not after it has travelled to the focused widget and back), focus
moves at once, and keys that come while a new screen is still being built wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Literal

from sqlmodel import Session
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.filter import LineFilter
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input

from tinycrm import clock
from tinycrm.config import Settings
from tinycrm.domain.dates import Calendar
from tinycrm.errors import TinyCrmError
from tinycrm.store.db import Database
from tinycrm.store.files import Watcher
from tinycrm.tui.commands import CrmCommands
from tinycrm.tui.filters import ControlCharacters
from tinycrm.tui.messages import DataChanged, DealChosen, WaitingChanged
from tinycrm.tui.writer import Job, Writer

POLL_SECONDS = 1.0
HOLD_SECONDS = 1.0  # longest a key waits for a new screen to be built
WAITING = "waiting for another crm to finish writing…"
FileState = Literal["same", "replaced", "gone"]
CONTROL_CHARACTERS = ControlCharacters()


class CrmApp(App[None]):
    """tinycrm's full-screen board; with `hooks`, the changes it saves run the seller's hooks
    (not on the demo's data)."""

    CSS_PATH = "app.tcss"
    TITLE = "tinycrm"
    COMMANDS = App.COMMANDS | {CrmCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "keys", "Keys"),
        Binding("u", "undo", "Undo"),
    ]

    def __init__(
        self, db: Database, pipeline: str | None = None, *, watch: bool = True, hooks: bool = True
    ) -> None:
        super().__init__()
        self.db = db
        self.pipeline = pipeline
        self.watch_file = watch
        self.run_hooks = hooks
        self.crash: BaseException | None = None
        self._watcher: Watcher | None = None
        self._version = 0
        self._told_due: set[int] = set()  # follow-ups announced as falling due
        self._due_checked: datetime | None = None  # due times up to here were looked at
        self._next_due: datetime | None = None
        self._seen_change = 0  # the newest history event the due check has read
        self._due_stale = False  # a change here may have made a follow-up due
        self._identity = db.file_identity()
        self._gone_told = False
        self._writer: Writer | None = None
        self._pending: dict[int | None, int] = {}  # jobs not yet done, by deal id
        self._reload_wanted = False
        self.waiting = False
        self._held: list[events.Key] = []
        self._release_timer: Timer | None = None
        self._held_since = 0.0

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, and one that keeps control characters in names off the screen."""
        return [*super().get_line_filters(), CONTROL_CHARACTERS]

    def now(self) -> datetime:
        """Return the current time (TINYCRM_NOW fixes it)."""
        return clock.now()

    @cached_property
    def settings(self) -> Settings:
        """The seller's settings (config.toml), read once when first needed."""
        from tinycrm import config

        return config.load()

    @cached_property
    def calendar(self) -> Calendar:
        """The seller's calendar ([general] week_start and date_format)."""
        from tinycrm.domain.dates import calendar_of

        general = self.settings.general
        return calendar_of(general.week_start, general.date_format)

    def on_mount(self) -> None:
        from tinycrm.tui.screens.board import BoardScreen

        self._writer = Writer(self)
        if self.run_hooks:
            self._attach_hooks()
        self.push_screen(BoardScreen(self.pipeline))
        self._open_watcher()
        if self.watch_file:
            self._watch_due()
            self.set_interval(POLL_SECONDS, self.poll)

    def _attach_hooks(self) -> None:
        """Run the seller's hooks after each change the board saves (in the writer thread,
        so the board goes on answering keys); a hook's failure is a notification."""
        from tinycrm.core import hooks

        def report(line: str) -> None:
            self.notify(line, title="Hook failed", severity="warning", timeout=10)

        hooks.attach(self.db, lambda: self.settings.hooks, lambda line: self.post(report, line))

    def on_unmount(self) -> None:
        from tinycrm.store import files

        if self._writer is not None:
            # changes asked for before quitting are still made
            self._writer.stop(files.BUSY_TIMEOUT_MS / 1000 + 5)
        if self._watcher is not None:
            self._watcher.close()
        self.db.dispose()

    # -- keys, in order ------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held or not self._screen_ready():
                if not self._held:
                    self._held_since = time.monotonic()
                self._held.append(event)
                self._release_later()
                return
            if await self._key_first(event):
                return
        await super().on_event(event)

    async def _on_key(self, event: events.Key) -> None:
        # a key that comes back up from the focused widget had its bindings looked up
        # already, against the focus it was pressed in; looking again would use a later one
        if getattr(event, "_tinycrm_checked", False):
            return
        await super()._on_key(event)

    def _screen_ready(self) -> bool:
        """Tell whether the top screen is built and can take keys."""
        try:
            screen = self.screen
        except Exception:
            return False
        focused = screen.focused
        return screen.is_mounted and (focused is None or focused.is_mounted)

    async def _key_first(self, event: events.Key) -> bool:
        """Handle the key now, against the current focus: its binding, or the character typed
        into the focused input; False passes it on to the focused widget."""
        if await self._check_bindings(event.key, priority=True):
            return True
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character is not None:
            # typed here rather than by the input later, so a key after it (enter, tab)
            # finds the text already in its field
            selection = focused.selection
            if selection.is_empty:
                focused.insert_text_at_cursor(event.character)
            else:
                focused.replace(event.character, *selection)
            return True
        event._tinycrm_checked = True  # type: ignore[attr-defined]
        return await self._check_bindings(event.key)

    def _release_later(self) -> None:
        if self._release_timer is None:
            self._release_timer = self.set_timer(0.01, self._release)

    async def _release(self) -> None:
        """Hand the keys that waited for a screen to it, in order."""
        self._release_timer = None
        while self._held:
            if not self._screen_ready() and time.monotonic() - self._held_since < HOLD_SECONDS:
                self._release_later()
                return
            event = self._held.pop(0)
            if not await self._key_first(event):
                await super().on_event(event)

    async def run_action(
        self,
        action: str | tuple[str, str, tuple[object, ...]],
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Run an action; an error in it becomes a notification instead of ending the board."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except TinyCrmError as error:
            self.notify(error.message, title="Not done", severity="error")
        except Exception as error:
            self.notify(f"something went wrong: {error}", title="Error", severity="error")
        return True

    def _handle_exception(self, error: Exception) -> None:
        self.crash = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # the crash is reported by `crm board` as one line, never as a traceback
        self.bell()
        self._close_messages_no_wait()

    # -- the file ------------------------------------------------------------------------

    def _open_watcher(self) -> None:
        # It tells when another connection commits, and stays on the file the board opened
        # when the path is given to another one.
        self._watcher = self.db.watch()
        self._version = self._data_version()

    def _data_version(self) -> int:
        assert self._watcher is not None
        return self._watcher.version()

    def file_state(self) -> FileState:
        """Tell whether the path still names the file the board opened (any thread)."""
        now = self.db.file_identity()
        if now is None:
            return "gone"
        return "same" if now == self._identity else "replaced"

    def drop_file(self, dropped: Any = None) -> None:
        """Close every connection to the file the board opened (it was replaced)."""
        if self._watcher is not None:
            # The old file's write-ahead log lies beside the path under its name; fold it
            # back into the old file and empty it, so the new file never reads its pages.
            self._watcher.close(empty_log=True)
            self._watcher = None
        self.db.dispose()
        if dropped is not None:
            dropped.set()

    def switch_file(self, switched: Any = None) -> None:
        """Show the file the path names now (the one the board opened was replaced)."""
        self.drop_file()
        self._identity = self.db.file_identity()
        self._gone_told = False
        self._open_watcher()
        if switched is not None:
            switched.set()
        if self.watch_file:
            self._watch_due()
        self.notify(f"The database file {self.db.path} was replaced; the board shows the new one")
        self.reload_screens()

    def _watch_due(self) -> None:
        """Start announcing follow-ups that fall due from now on (those due already are on
        the board and the agenda): remember when the next one falls due."""
        from tinycrm.core import agenda

        now = self.now()
        with self.db.snapshot() as session:
            self._next_due = agenda.next_due(session, now)
            self._seen_change = agenda.last_change(session)
        self._due_checked = now

    def _check_due(self, changed: bool) -> None:
        """Announce the follow-ups that fell due since the last check: when the next due time
        has passed, those due in between; when the data changed (`changed`), those the new
        changes made due. Asks the database nothing while neither happened."""
        from tinycrm.core import agenda

        now = self.now()
        after = self._due_checked or now
        passed = self._next_due is not None and self._next_due <= now
        if not (passed or changed):
            return
        with self.db.snapshot() as session:
            found = agenda.falling_due(session, after, now) if passed else []
            if changed:
                made_due, self._seen_change = agenda.changed_due(session, self._seen_change, now)
                found += made_due
            self._next_due = agenda.next_due(session, now)
        self._due_checked = now
        for fu_id, title in found:
            if fu_id not in self._told_due:
                self._told_due.add(fu_id)
                self.notify(f"Follow-up due: {title}", title="Due now", timeout=10)

    def poll(self) -> None:
        """Reload when another process changed the file, or the file was replaced; announce
        follow-ups falling due."""
        state = self.file_state()
        if state == "gone":
            if not self._gone_told:
                self._gone_told = True
                self.notify(
                    f"The database file {self.db.path} was deleted or moved; "
                    "nothing can be saved until it is back",
                    severity="error",
                    timeout=10,
                )
            return
        if state == "replaced":
            if not self.writing:
                self.submit(Job(None))
            return
        version = self._data_version()
        changed = version != self._version or self._due_stale
        if version != self._version:
            self._version = version
            self.reload_screens()
        self._due_stale = False
        self._check_due(changed)

    def reload_screens(self, deal_id: int | None = None) -> None:
        """Tell every open screen to show fresh data (DataChanged); when only one deal
        changed, the board just updates that deal's card. Waits while changes are still
        being saved (what the board shows already has them) and while the file is gone."""
        if self.file_state() == "gone":
            return
        if self._pending.get(deal_id) or (deal_id is None and self.writing):
            if deal_id is None:
                self._reload_wanted = True
            return
        for screen in self.screen_stack:
            screen.post_message(DataChanged(deal_id))

    # -- writing -------------------------------------------------------------------------

    @property
    def writing(self) -> bool:
        """Tell whether changes asked for are still being saved."""
        return any(self._pending.values())

    def post(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback(*args)` on the UI thread soon (from any thread, without waiting)."""

        async def run() -> None:
            with self._context():
                try:
                    callback(*args)
                except Exception as error:
                    self.notify(f"something went wrong: {error}", title="Error", severity="error")

        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the board is closing
                asyncio.run_coroutine_threadsafe(run(), loop)

    def submit(self, job: Job) -> None:
        """Queue a change; the board goes on answering keys while it is saved."""
        assert self._writer is not None
        self._pending[job.deal_id] = self._pending.get(job.deal_id, 0) + 1
        if job.revert is not None and job.shown is None:  # saved once the screen shows it
            # two refreshes: the change's own, then the one its focus and blur events ask for
            shown = job.shown = threading.Event()
            self.call_after_refresh(self.call_after_refresh, shown.set)
        self._writer.submit(job)

    def write(
        self,
        change: Callable[[Session, datetime], Any],
        deal_id: int | None = None,
        done: Callable[[Any], None] | None = None,
    ) -> None:
        """Queue `change` to run in one transaction (one undo step), then refresh.

        `deal_id` says the change touched only that deal (and rows that hang from it)."""
        self.submit(Job(change, deal_id, done))

    def _finished(self, job: Job) -> None:
        left = self._pending.get(job.deal_id, 0) - 1
        if left > 0:
            self._pending[job.deal_id] = left
        else:
            self._pending.pop(job.deal_id, None)

    def _refresh_after(self, job: Job) -> None:
        if self._watcher is not None and self.file_state() == "same":
            self._version = self._data_version()
        self._due_stale = True
        if job.deal_id is None:
            self._reload_wanted = True
        else:
            self.reload_screens(job.deal_id)
        if self._reload_wanted and not self.writing:
            self._reload_wanted = False
            self.reload_screens()

    def write_done(self, job: Job, result: Any) -> None:
        """A change was saved (UI thread)."""
        self._finished(job)
        try:
            if job.done is not None:
                job.done(result)
        finally:
            self._refresh_after(job)

    def write_refused(self, job: Job, error: TinyCrmError) -> None:
        """The core refused a change; nothing of it was saved (UI thread)."""
        self._finished(job)
        try:
            if job.refused is not None:
                job.refused(error)
            else:
                self.notify(error.message, title="Not done", severity="error")
        finally:
            self._refresh_after(job)

    def write_failed(self, jobs: list[Job], message: str, gone: bool = False) -> None:
        """Changes could not be saved at all (UI thread): say so, show what the file has."""
        for job in jobs:
            self._finished(job)
        self.notify(message, title="Not saved", severity="error", timeout=10)
        if gone:
            # nothing can be read either: put back what the board showed before
            for job in reversed(jobs):
                if job.revert is not None:
                    job.revert()
            return
        for job in jobs:
            self._refresh_after(job)

    def set_waiting(self, waiting: bool) -> None:
        """Show (or stop showing) that a change waits for another crm's write lock."""
        self.waiting = waiting
        if waiting:
            self.notify(WAITING, title="Busy", timeout=5)
        for screen in self.screen_stack:
            screen.post_message(WaitingChanged())

    def action_undo(self) -> None:
        """Undo the newest change, made here or by `crm` in a shell."""
        from tinycrm.store import history

        def undo(session: Session, now: datetime) -> str:
            return history.undo(session, now).summary or "a change"

        def warn(error: TinyCrmError) -> None:
            self.notify(error.message, severity="warning")

        job = Job(undo, done=lambda what: self.notify(f"Undid: {what}"), refused=warn)
        self.submit(job)

    def action_redo(self) -> None:
        """Re-apply what undo took back."""
        from tinycrm.store import history

        def redo(session: Session, now: datetime) -> str:
            return history.redo(session, now).summary or "a change"

        self.write(redo, done=lambda what: self.notify(f"Redid: {what}"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette commands, less its "Keys" panel ("Help: every key" is ours)."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command

    def action_command_palette(self) -> None:
        """Open the command palette (tinycrm's, safe against page keys while it opens)."""
        from tinycrm.tui.commands import Palette

        # one palette at a time, even when a screen (help) was opened over it
        if self.use_command_palette and not any(isinstance(s, Palette) for s in self.screen_stack):
            self.push_screen(Palette(id="--command-palette"))

    def action_keys(self) -> None:
        """Show every key."""
        from tinycrm.tui.screens.keys import KeysScreen

        self.push_screen(KeysScreen())

    def open_deal(self, deal_id: int) -> None:
        """Show a deal's details."""
        from tinycrm.tui.screens.details import DetailsScreen

        self.push_screen(DetailsScreen("deal", deal_id))

    def on_deal_chosen(self, event: DealChosen) -> None:
        """A card was opened on the board: show its deal."""
        event.stop()
        self.open_deal(event.deal_id)

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
