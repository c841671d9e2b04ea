"""Every contact: searchable, sortable, fetched a page at a time, opening details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from tinycrm.tui import records
from tinycrm.tui.base import CrmScreen
from tinycrm.tui.messages import RowChosen
from tinycrm.tui.widgets.footer import KeyFooter
from tinycrm.tui.widgets.rows import RowList, header_line

COLUMNS = [
    ("id", "id", 6),
    ("name", "name", 24),
    ("company", "company", 22),
    ("email", "email", 30),
    ("lifecycle", "lifecycle", 10),
    ("tags", "tags", 16),
]
SORTS = ("name", "created", "updated", "lifecycle", "id")


class ContactsScreen(CrmScreen[None]):
    """The contacts list. It opens in the search box, so a name typed at once narrows the
    list; enter (or ↓) goes on to the list, where the letters are keys again."""

    DEFAULT_CSS = """
    #contacts-empty { display: none; height: auto; padding: 1 2; color: $text-muted; }
    #contacts-empty.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        # handled as the key is read: "/" always goes back to the search, even from inside it
        Binding("slash", "search", "Search", priority=True),
        Binding("enter", "searched", "To the list", priority=True),
        Binding("down", "searched", show=False),
        Binding("n", "new", "New contact"),
        Binding("N", "new_company", "New company"),
        Binding("e", "edit", "Edit"),
        Binding("s", "sort", "Sort"),
        Binding("r", "reverse", "Reverse"),
    ]

    def __init__(self) -> None:
        super().__init__(id="contacts-screen")
        self.sort = "name"
        self.descending = False
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder="search contacts by name (enter or ↓: on to the list)", id="contact-search"
        )
        yield Static("", id="contacts-status")
        yield Static(header_line(COLUMNS), id="contacts-header")
        yield Static("", id="contacts-empty")
        yield RowList(COLUMNS, id="contact-rows")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()
        self.set_focus(self.query_one("#contact-search", Input))

    def reload(self) -> None:
        """Count the matching contacts and show them from the first page."""
        from tinycrm.core import listing

        flt = listing.ListFilter(text=self.text or None)
        db = self.app.db
        with db.snapshot() as session:
            total = listing.count_contacts(session, flt)

        def fetch(offset: int, limit: int) -> Sequence[Mapping[str, Any]]:
            page = listing.Page(self.sort, self.descending, limit, offset)
            with db.snapshot() as session:
                return listing.list_contacts(session, flt, page)

        self.query_one(RowList).show(total, fetch)
        empty = self.query_one("#contacts-empty", Static)
        empty.set_class(total == 0, "shown")
        # what was typed is shown as text: brackets in it are not markup
        if self.text:
            empty.update(Text(f"No one matches '{self.text}'. Press n to add a contact."))
        else:
            empty.update("No contacts yet. Press n to add one (N adds a company).")
        order = "descending" if self.descending else "ascending"
        self.query_one("#contacts-status", Static).update(
            Text(
                f"{total:,} contacts  ·  sort: {self.sort} ({order})"
                + (f"  ·  search: {self.text}" if self.text else "")
            )
        )

    @on(Input.Changed, "#contact-search")
    def _search(self, event: Input.Changed) -> None:
        self.text = event.value.strip()
        self.query_one(RowList).cursor = 0
        self.reload()

    def _in_search(self) -> bool:
        return self.focused is not None and self.focused.id == "contact-search"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "searched":
            return self._in_search()
        if action == "edit":
            return self._selected() is not None or None
        return True

    def _selected(self) -> int | None:
        """Return the id of the contact under the cursor, if any."""
        for rows in self.query(RowList):  # none while the screen is being built
            row = rows.row(rows.cursor)
            return int(row["id"]) if row is not None else None
        return None

    def action_new(self) -> None:
        """Add a contact."""
        records.ask_new_contact(self.app)

    def action_new_company(self) -> None:
        """Add a company."""
        records.ask_new_company(self.app)

    def action_edit(self) -> None:
        """Edit the contact under the cursor."""
        contact_id = self._selected()
        if contact_id is not None:
            records.ask_edit(self.app, "contact", contact_id)

    def action_searched(self) -> None:
        """Enter in the search box: on to the list."""
        self.set_focus(self.query_one(RowList))

    def action_search(self) -> None:
        """Type a search."""
        self.set_focus(self.query_one("#contact-search", Input))

    def action_sort(self) -> None:
        """Sort by the next field."""
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.reload()

    def action_reverse(self) -> None:
        """Reverse the order."""
        self.descending = not self.descending
        self.reload()

    def on_row_chosen(self, event: RowChosen) -> None:
        event.stop()
        self.app.open_record("contact", event.row["id"])
