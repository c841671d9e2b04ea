"""The agenda: overdue, today's and upcoming follow-ups; mark done, snooze, open the deal."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tinycrm.tui import follow_ups
from tinycrm.tui.base import CrmScreen
from tinycrm.tui.widgets.footer import KeyFooter


class AgendaScreen(CrmScreen[None]):
    """Follow-ups that need the seller."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("d", "done", "Done"),
        Binding("z", "snooze", "Snooze"),
        Binding("enter", "open", "Open"),
    ]

    def __init__(self, days: int = 7) -> None:
        super().__init__(id="agenda-screen")
        self.days = days
        self.targets: dict[int, tuple[str, int] | None] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="agenda-status")
        yield DataTable(id="agenda", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("when", "due", "follow-up", "deal", "contact")
        self.reload()
        self.set_focus(table)

    def reload(self) -> None:
        """Read the agenda again."""
        from tinycrm.core import agenda
        from tinycrm.domain import dates

        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.targets = {}
        with self.app.db.snapshot() as session:
            items = agenda.agenda(session, self.app.now(), days=self.days)
        counts = {"overdue": 0, "today": 0, "upcoming": 0}
        for item in items:
            fu = item.follow_up
            assert fu.id is not None
            counts[item.bucket] += 1
            due = dates.to_local(item.due)
            shown = due.strftime("%Y-%m-%d") if fu.all_day else due.strftime("%Y-%m-%d %H:%M")
            table.add_row(
                item.bucket,
                shown,
                fu.title + (" (snoozed)" if fu.snoozed_until else ""),
                item.deal_title or "",
                item.contact_name or "",
                key=str(fu.id),
            )
            if fu.deal_id:
                self.targets[fu.id] = ("deal", fu.deal_id)
            elif fu.contact_id:
                self.targets[fu.id] = ("contact", fu.contact_id)
            else:
                self.targets[fu.id] = None
        if items:
            table.move_cursor(row=min(keep, len(items) - 1))
        self.query_one("#agenda-status", Static).update(
            f"Agenda, next {self.days} days  ·  {counts['overdue']} overdue  ·  "
            f"{counts['today']} today  ·  {counts['upcoming']} upcoming"
        )

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("Nothing in the agenda", severity="warning")
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_done(self) -> None:
        """Mark the follow-up done."""
        fu_id = self._selected()
        if fu_id is not None:
            follow_ups.complete_follow_up(self.app, fu_id)

    def action_snooze(self) -> None:
        """Snooze the follow-up until a time typed in a form."""
        fu_id = self._selected()
        if fu_id is not None:
            follow_ups.ask_snooze(self.app, fu_id)

    def action_open(self) -> None:
        """Open the follow-up's deal, or its contact."""
        fu_id = self._selected()
        target = self.targets.get(fu_id) if fu_id is not None else None
        if target is not None:
            self.app.open_record(*target)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
