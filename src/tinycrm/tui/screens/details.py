"""One deal, contact or company: its fields, its timeline, and what can be done to it; a
contact's or a company's page shows its whole record (core.records), as `crm show` does."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from tinycrm.tui import actions, records
from tinycrm.tui.base import CrmScreen
from tinycrm.tui.widgets.footer import KeyFooter


def _fields(data: dict[str, Any]) -> list[tuple[str, str]]:
    from tinycrm.domain import labels
    from tinycrm.domain.record_lines import qualified

    def name(ref: dict[str, Any] | None) -> str:
        return f"#{ref['id']} {ref['name']}" if ref else ""

    kind = data["kind"]
    if kind == "deal":
        return [
            ("stage", labels.stage(data["stage"], data["pipeline"])),
            ("status", labels.deal_status(data["status"], data["lost_reason"])),
            ("value", labels.deal_value(data["value_minor"], data["currency"], data["recurring"])),
            ("probability", f"{data['probability']}%"),
            ("contact", name(data["contact"])),
            ("company", name(data["company"])),
            ("close", data["expected_close"] or ""),
            ("qualified", qualified(data["qualification"])),
            ("in stage since", (data["stage_entered_at"] or "")[:10]),
            ("tags", ", ".join(data["tags"])),
            ("notes", data["notes"] or ""),
        ]
    from tinycrm.domain.record_lines import address_lines, date_line, keep_in_touch

    if kind == "contact":
        touch = data["keep_in_touch"]
        return [
            ("nickname", data["nickname"] or ""),
            ("title", data["title"] or ""),
            ("company", name(data["company"])),
            ("email", ", ".join(e["email"] for e in data["emails"])),
            ("phone", ", ".join(p["phone"] for p in data["phones"])),
            ("address", "; ".join(address_lines(data["addresses"]))),
            *[date_line(d) for d in data["dates"]],
            ("lifecycle", data["lifecycle"]),
            ("source", data["source"] or ""),
            ("tags", ", ".join(data["tags"])),
            ("keep in touch", keep_in_touch(touch) if touch else ""),
            ("notes", data["notes"] or ""),
        ]
    return [
        ("domain", data["domain"] or ""),
        ("address", "; ".join(address_lines(data["addresses"]))),
        ("industry", data["industry"] or ""),
        ("size", data["size"] or ""),
        ("people", ", ".join(f"#{p['id']} {p['name']}" for p in data["contacts"])),
        ("tags", ", ".join(data["tags"])),
        ("notes", data["notes"] or ""),
    ]


def _record_parts(data: dict[str, Any]) -> Text:
    """A contact's or a company's next step, deals, open follow-ups and last interactions,
    each part under its heading, as `crm show` prints them (empty parts left out)."""
    from tinycrm.domain import record_lines as lines

    company = data["kind"] == "company"
    deals = data["deals"]
    step = data["next_step"]
    parts: list[tuple[str, list[str]]] = [
        (
            "Next step",
            [f"{lines.follow_up_when(step)}  {lines.follow_up_text(step, company)}"]
            if step
            else [],
        )
    ]
    if any(deals["counts"].values()):
        parts.append(
            (
                lines.deals_heading(deals["counts"]),
                [lines.deal_line(d, company) for d in deals["open"] + deals["recently_closed"]],
            )
        )
    more = data["open_follow_ups"] - len(data["follow_ups"])
    parts.append(
        (
            f"Open follow-ups ({data['open_follow_ups']})",
            [
                f"{lines.follow_up_when(f)}  {lines.follow_up_text(f, company)}"
                for f in data["follow_ups"]
            ]
            + ([f"… and {more} more in the timeline"] if more > 0 else []),
        )
    )
    parts.append(
        (
            "Last interactions",
            [
                f"{lines.interaction_when(i)}  {lines.interaction_what(i)}  "
                f"{lines.interaction_text(i, company)}"
                for i in data["interactions"]
            ],
        )
    )
    shown = Text()
    for heading, items in parts:
        if not items:
            continue
        if shown:
            shown.append("\n\n")
        shown.append(heading, style="bold")
        for item in items:
            shown.append("\n" + item)
    return shown


# The narrowest screen that shows a timeline entry on one line.
WIDE = 100
# What an empty timeline says, by kind: how to give it its first entry.
EMPTY = {
    "deal": "Nothing yet: i logs an interaction, f adds a follow-up.",
    "contact": "Nothing yet: i logs an interaction, f adds a follow-up.",
    "company": "Nothing yet: what its people and deals do shows here.",
}


def load(
    session: Any, kind: str, record_id: int, now: datetime
) -> tuple[dict[str, Any], list[Any]]:
    """Return a record as a dict (a contact's or a company's whole record) and its
    timeline."""
    from tinycrm.core import companies, contacts, deals, records, timeline, views

    data: Mapping[str, Any]
    if kind == "deal":
        data = views.deal_dict(session, deals.get_deal(session, record_id), with_history=False)
    elif kind == "contact":
        contact = contacts.get_contact(session, record_id)
        data = records.contact_record(session, _id(contact.id), now)
    else:
        company = companies.get_company(session, record_id)
        data = records.company_record(session, _id(company.id), now)
    return dict(data), timeline.timeline(session, kind, record_id, limit=200)


def _id(record_id: int | None) -> int:
    assert record_id is not None
    return record_id


class DetailsScreen(CrmScreen[None]):
    """Details of one record."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("i", "log", "Log"),
        Binding("f", "follow_up", "Follow-up"),
        Binding("e", "edit", "Edit"),
        Binding("less_than_sign,shift+left", "move(-1)", "Stage back"),
        Binding("greater_than_sign,shift+right", "move(1)", "Stage on"),
        Binding("w", "won", "Won"),
        Binding("x", "lost", "Lost"),
        Binding("d", "contact", "Contact"),
        Binding("o", "company", "Company"),
    ]

    def __init__(self, kind: str, record_id: int) -> None:
        super().__init__(classes="details-screen")
        self.kind = kind
        self.record_id = record_id
        self.data: dict[str, Any] = {}
        self.entries: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="details-title")
        with Horizontal(id="details-body"):
            with VerticalScroll(id="details-side", can_focus=False):
                yield Static("", id="details-fields")
                yield Static("", id="details-record")
            with VerticalScroll(id="details-timeline"):
                yield Static("Timeline", id="timeline-title")
                yield Static("", id="timeline")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the record again and show it."""
        from tinycrm.errors import NotFoundError

        try:
            with self.app.db.snapshot() as session:
                self.data, entries = load(session, self.kind, self.record_id, self.app.now())
        except NotFoundError as error:
            self.query_one("#details-title", Static).update(Text(error.message))
            return
        label = self.data["title"] if self.kind == "deal" else self.data["name"]
        self.query_one("#details-title", Static).update(
            Text(f"{self.kind} #{self.record_id} {label}")
        )
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for key, value in _fields(self.data):
            if value:
                grid.add_row(key, Text(value))
        self.query_one("#details-fields", Static).update(grid)
        parts = _record_parts(self.data) if self.kind != "deal" else Text()
        record = self.query_one("#details-record", Static)
        record.update(parts)
        record.display = bool(parts)
        self.entries = entries
        self._show_timeline()

    def on_resize(self) -> None:
        self._show_timeline()

    def _show_timeline(self) -> None:
        """Show the timeline: a line per entry (when, what, summary) on a wide screen; on a
        narrow one the summary goes under its when and what, so it has the whole width. An
        entry on a contact's or company's page names its deal under the summary."""
        if not self.data:
            return  # not read yet, or not found (the title says so)
        from datetime import datetime

        from tinycrm.core.timeline import label
        from tinycrm.domain import dates

        wide = self.size.width >= WIDE
        timeline = Table.grid(padding=(0, 1))
        if wide:
            timeline.add_column(no_wrap=True)
            timeline.add_column(no_wrap=True, style="bold")
        timeline.add_column()
        for entry in self.entries:
            when = dates.show(datetime.fromisoformat(entry["at"]))
            what = Text(str(entry["summary"] or ""))
            deal = entry.get("deal")
            if deal and self.kind != "deal":
                what.append(f"\n#{deal['id']} {deal['title']}", style="italic dim")
            if wide:
                timeline.add_row(when, label(entry), what)
            else:
                timeline.add_row(Text.assemble(when, "  ", (label(entry), "bold")))
                timeline.add_row(Padding(what, (0, 0, 0, 2)))
        empty = Text(EMPTY[self.kind], style="italic")
        self.query_one("#timeline", Static).update(timeline if self.entries else empty)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("move", "won", "lost", "contact"):
            return self.kind == "deal"
        if action == "company":
            return self.kind in ("deal", "contact")
        if action in ("log", "follow_up"):
            return self.kind in ("deal", "contact")
        return True

    def _ids(self) -> dict[str, int | None]:
        if self.kind == "deal":
            return {"deal_id": self.record_id}
        return {"contact_id": self.record_id}

    def action_log(self) -> None:
        """Log an interaction."""
        actions.ask_log(self.app, **self._ids())

    def action_follow_up(self) -> None:
        """Add a follow-up."""
        actions.ask_follow_up(self.app, **self._ids())

    def action_edit(self) -> None:
        """Edit the record."""
        if self.kind == "deal":
            actions.ask_edit(self.app, self.record_id)
        else:
            records.ask_edit(self.app, self.kind, self.record_id)

    def action_move(self, step: int) -> None:
        """Move the deal one stage."""
        actions.move(self.app, self.record_id, step)

    def action_won(self) -> None:
        """Mark the deal won."""
        actions.win(self.app, self.record_id)

    def action_lost(self) -> None:
        """Mark the deal lost."""
        actions.ask_lost(self.app, self.record_id)

    def action_contact(self) -> None:
        """Open the deal's contact."""
        contact = self.data.get("contact")
        if contact:
            self.app.open_record("contact", contact["id"])

    def action_company(self) -> None:
        """Open the company of the deal or contact."""
        company = self.data.get("company")
        if company:
            self.app.open_record("company", company["id"])
