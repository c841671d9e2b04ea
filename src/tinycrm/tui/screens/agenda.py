"""The agenda: overdue, today's and upcoming follow-ups, contacts due for a touch, and the
contacts' birthdays, anniversaries and other dates; mark done, snooze, log a touch, open the
deal or contact.

An agenda can hold thousands of lines, so it is read in a thread and drawn as a virtual list
(only the lines on screen are drawn); a change made here redraws only the lines it touched.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static
from textual.worker import get_current_worker

from tinycrm.domain.dates import ISO_CALENDAR, Calendar, local_tz, to_local
from tinycrm.tui import actions, follow_ups
from tinycrm.tui.base import CrmScreen
from tinycrm.tui.messages import RowChosen
from tinycrm.tui.next_step import OFFER_SECONDS, Offer
from tinycrm.tui.widgets.footer import KeyFooter
from tinycrm.tui.widgets.rows import RowList, header_line

if TYPE_CHECKING:
    from tinycrm.core.agenda import AgendaItem
    from tinycrm.core.occasions import Occasion
    from tinycrm.core.touches import TouchDue

COLUMNS = [  # the contact before the deal, so 80 columns still show whom it is about
    ("when", "when", 8),
    ("due", "due", 16),
    ("title", "follow-up", 30),
    ("contact", "contact", 20),
    ("deal", "deal", 30),
]
FOLLOW_UP = "follow-up"
TOUCH = "keep-in-touch"
DATE = "date"
ORDER = {"overdue": 0, "today": 1, "upcoming": 2}
Row = dict[str, Any]


def follow_up_row(item: AgendaItem, tz: tzinfo, calendar: Calendar = ISO_CALENDAR) -> Row:
    """One line of the agenda for a follow-up (its time shown in `tz`, its day as the
    calendar shows days)."""
    fu = item.follow_up
    due = to_local(item.due, tz)
    day = calendar.show_day(due.date())
    return {
        "kind": FOLLOW_UP,
        "id": fu.id,
        "when": item.bucket,
        "due": day if item.all_day else f"{day} {due.strftime('%H:%M')}",
        "title": fu.title
        + (" (snoozed)" if fu.snoozed_until else "")
        + (f" [{item.step['label']}]" if item.step else ""),
        "deal": item.deal_title or "",
        "contact": item.contact_name or "",
        "deal_id": fu.deal_id,
        "contact_id": fu.contact_id,
        "order": (ORDER[item.bucket], item.due, 0, not fu.priority, fu.id),
    }


def touch_row(touch: TouchDue, bucket: str, tz: tzinfo, calendar: Calendar = ISO_CALENDAR) -> Row:
    """One line of the agenda for a contact due for a touch (its day in `tz`)."""
    return {
        "kind": TOUCH,
        "id": touch.contact_id,
        "when": bucket,
        "due": calendar.show_day(to_local(touch.due, tz).date()),
        "title": f"↺ keep in touch (every {touch.cadence_days} days)",
        "deal": "",
        "contact": touch.contact_name,
        "deal_id": None,
        "contact_id": touch.contact_id,
        "order": (ORDER[bucket], touch.due, 1, False, touch.contact_id),
    }


def date_row(occasion: Occasion, bucket: str, tz: tzinfo, calendar: Calendar = ISO_CALENDAR) -> Row:
    """One line of the agenda for a contact's kept date, on the local day it falls."""
    from tinycrm.core.agenda import date_due

    return {
        "kind": DATE,
        "id": occasion.date_id,
        "when": bucket,
        "due": calendar.show_day(occasion.on),
        "title": f"✦ {occasion.name}" + (f" ({occasion.count})" if occasion.count else ""),
        "deal": "",
        "contact": occasion.contact_name,
        "deal_id": None,
        "contact_id": occasion.contact_id,
        "order": (ORDER[bucket], date_due(occasion, tz), 2, False, occasion.date_id),
    }


class AgendaScreen(CrmScreen[None]):
    """Follow-ups and keep-in-touch cadences that need the seller."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # while a next step is offered, esc skips it (the status line says so)
        Binding("escape", "skip_next", "Skip the next step", show=False),
        Binding("escape", "app.pop_screen", "Back"),
        Binding("d", "done", "Done"),
        Binding("f", "follow_up", "Follow-up"),
        Binding("z", "snooze", "Snooze"),
        Binding("l", "log", "Log"),
        Binding("enter", "open", "Open"),
    ]
    DEFAULT_CSS = """
    #agenda-header {
        height: 1;
        text-wrap: nowrap;
        text-style: bold;
        background: $panel-darken-1;
    }
    """

    def __init__(self, days: int = 7) -> None:
        super().__init__(id="agenda-screen")
        self.days = days
        self.rows: list[Row] = []
        self.loaded = False
        self._patches = 0  # lines redrawn since the screen was read; a read begun before is stale
        self.offer: Offer | None = None  # the next step offered after a follow-up was done
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Loading the agenda…", id="agenda-status")
        yield Static(header_line(COLUMNS), id="agenda-header")
        yield RowList(COLUMNS, id="agenda")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()
        self.set_focus(self.query_one(RowList))

    def reload(self) -> None:
        """Read the agenda again (in a thread) and show it."""
        self.loaded = False
        self._load(self._patches)

    @work(thread=True, exclusive=True, group="agenda")
    def _load(self, patches: int) -> None:
        from tinycrm.core import agenda

        app = self.app
        now, tz = app.now(), local_tz()
        with app.db.snapshot() as session:
            items = agenda.agenda(session, now, days=self.days, tz=tz)
            touches = agenda.touches(session, now, days=self.days, tz=tz)
            shown = app.settings.agenda
            kept = agenda.dates(
                session, now, min(self.days, shown.date_days), tz, kinds=shown.date_kinds
            )
        cal = app.calendar
        rows = [follow_up_row(item, tz, cal) for item in items]
        rows += [touch_row(touch, bucket, tz, cal) for touch, bucket in touches]
        rows += [date_row(occasion, bucket, tz, cal) for occasion, bucket in kept]
        rows.sort(key=lambda row: row["order"])
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self._show, rows, patches)

    def _show(self, rows: list[Row], patches: int) -> None:
        if patches != self._patches:
            self.reload()  # read before a line was redrawn: it may lack that change
            return
        self.rows = rows
        self._redraw()
        self.loaded = True

    def _redraw(self) -> None:
        rows = self.rows

        def fetch(offset: int, limit: int) -> Sequence[Mapping[str, Any]]:
            return rows[offset : offset + limit]

        self.query_one(RowList).show(len(rows), fetch)
        if not rows:
            self._status_text = (
                f"Nothing due in the next {self.days} days: f on a card of the board adds a "
                "follow-up, crm keep-in-touch a cadence for a contact"
            )
            self._show_status()
            return
        counts = dict.fromkeys(ORDER, 0)
        touches = kept = 0
        for row in rows:
            counts[row["when"]] += 1
            touches += row["kind"] == TOUCH
            kept += row["kind"] == DATE
        self._status_text = (
            f"Agenda, next {self.days} days  ·  {counts['overdue']:,} overdue  ·  "
            f"{counts['today']:,} today  ·  {counts['upcoming']:,} upcoming"
            + (f"  ·  {touches:,} to keep in touch with" if touches else "")
            + (f"  ·  {kept:,} date{'s' if kept != 1 else ''}" if kept else "")
        )
        self._show_status()

    def _show_status(self) -> None:
        """Show the status line: the next step offered first, then the counts."""
        text = self._status_text
        if self.offer is not None:
            text = f"{self.offer.line}    {text}"
        self.query_one("#agenda-status", Static).update(Content(text))

    def _replace(self, gone: Any, items: list[AgendaItem]) -> None:
        """Put `items` in place of the follow-up lines for which `gone(row)` is true (the
        other lines keep their order; the new ones are put in theirs)."""
        rows = [row for row in self.rows if not (row["kind"] == FOLLOW_UP and gone(row))]
        if len(rows) == len(self.rows) and not items:
            return
        tz = local_tz()
        for item in items:
            bisect.insort(
                rows, follow_up_row(item, tz, self.app.calendar), key=lambda row: row["order"]
            )
        self.rows = rows
        self._patches += 1
        self._redraw()

    def patch(self, deal_id: int) -> None:
        """Redraw only the lines of one deal's follow-ups (a deal changed)."""
        from tinycrm.core import agenda

        app = self.app
        with app.db.snapshot() as session:
            items = agenda.agenda(session, app.now(), days=self.days, deal_id=deal_id)
        self._replace(lambda row: row["deal_id"] == deal_id, items)

    def patch_follow_up(self, fu_id: int) -> None:
        """Redraw only the line of one follow-up (gone when done, moved when snoozed)."""
        from tinycrm.core import agenda

        app = self.app
        with app.db.snapshot() as session:
            items = agenda.agenda(session, app.now(), days=self.days, follow_up_id=fu_id)
        self._replace(lambda row: row["id"] == fu_id, items)

    def _selected(self) -> Row | None:
        rows = self.query_one(RowList)
        row = rows.row(rows.cursor)
        if row is None:
            self.notify("Nothing in the agenda", severity="warning")
            return None
        return dict(row)

    def _follow_up(self) -> Row | None:
        row = self._selected()
        if row is not None and row["kind"] == TOUCH:
            self.notify(f"{row['contact']} is due for a touch: l logs one", severity="warning")
            return None
        if row is not None and row["kind"] == DATE:
            self.notify(f"A date of {row['contact']}: l logs a touch", severity="warning")
            return None
        return row

    def action_done(self) -> None:
        """Mark the follow-up done."""
        row = self._follow_up()
        if row is not None:
            fu_id: int = row["id"]
            follow_ups.complete_follow_up(
                self.app,
                fu_id,
                row["deal_id"],
                lambda _: self.patch_follow_up(fu_id),
                lambda: self._offer_next(row),
            )

    def _offer_next(self, row: Row) -> None:
        """Offer the next step about a done follow-up's deal (or contact): see
        `tui.next_step`."""
        deal_id = row["deal_id"]
        name = f"#{deal_id} {row['deal']}" if deal_id is not None else row["contact"]
        self.offer = Offer(name, deal_id=row["deal_id"], contact_id=row["contact_id"])
        self._show_status()
        offered = self.offer
        self.set_timer(OFFER_SECONDS, lambda: self._expire(offered))

    def _expire(self, offer: Offer) -> None:
        if self.offer is offer:
            self.action_skip_next()

    def action_skip_next(self) -> None:
        """Skip the next step offered."""
        self.offer = None
        self._show_status()

    def action_follow_up(self) -> None:
        """Take the next step offered, or add a follow-up about the line's deal or contact."""
        offer = self.offer
        if offer is not None:
            self.action_skip_next()
            offer.take(self.app)
            return
        row = self._selected()
        if row is None:
            return
        deal_id = row["deal_id"]
        actions.ask_follow_up(
            self.app, deal_id=deal_id, contact_id=None if deal_id else row["contact_id"]
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "skip_next":
            return self.offer is not None
        return True

    def action_snooze(self) -> None:
        """Snooze the follow-up until a time typed in a form."""
        row = self._follow_up()
        if row is not None:
            fu_id: int = row["id"]
            follow_ups.ask_snooze(
                self.app, fu_id, row["deal_id"], lambda _: self.patch_follow_up(fu_id)
            )

    def action_log(self) -> None:
        """Log an interaction with the line's contact (a touch), or about its deal."""
        row = self._selected()
        if row is None:
            return
        if row["deal_id"] is None and row["contact_id"] is None:
            self.notify("This follow-up has no contact or deal", severity="warning")
            return
        actions.ask_log(self.app, deal_id=row["deal_id"], contact_id=row["contact_id"])

    def action_open(self) -> None:
        """Open the follow-up's deal, or the contact."""
        row = self._selected()
        if row is None:
            return
        if row["deal_id"] is not None:
            self.app.open_record("deal", row["deal_id"])
        elif row["contact_id"] is not None:
            self.app.open_record("contact", row["contact_id"])

    def on_row_chosen(self, event: RowChosen) -> None:
        event.stop()
        self.action_open()
