"""The form that adds or edits a contact or a company: one compact row per field, so a
contact's ten fields fit a 24-line terminal, and an error that names the field it is about
(the field is focused and marked)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from tinycrm.domain.text import check_text
from tinycrm.errors import TinyCrmError
from tinycrm.tui.dialogs.forms import Field, FieldError, FormDialog

if TYPE_CHECKING:
    from tinycrm.tui.app import CrmApp
    from tinycrm.tui.writer import Job


@dataclass(frozen=True)
class RecordField(Field):
    """One input of a record's form: `what` is what an error calls it (as the store's check
    does: "contact name", "job title"); a `many` field holds a comma-separated list."""

    what: str = ""
    many: bool = False
    multi_line: bool = False


def items(text: str) -> list[str]:
    """Return the entries of a comma-separated field, trimmed, the empty ones left out."""
    return [item.strip() for item in text.split(",") if item.strip()]


def check_fields(fields: Sequence[RecordField], values: dict[str, str]) -> None:
    """Refuse, naming the field, a value holding a control character (the rule the store
    applies to every write, checked here so the form can say which field it is)."""
    for item in fields:
        try:
            check_text(values.get(item.name, ""), item.what or item.name, item.multi_line)
        except TinyCrmError as error:
            raise FieldError(item.name, error.message, error.hint) from None


def field_of(error: TinyCrmError, fields: Sequence[RecordField], values: dict[str, str]) -> str:
    """Return the name of the field a refusal is about: its own, or the field whose typed
    value the message quotes (the longest such, as "x@y.com already belongs to …" or "not a
    phone number: '12'" do); '' when none."""
    if isinstance(error, FieldError):
        return error.field
    best, length = "", 0
    for item in fields:
        typed = values.get(item.name, "")
        for entry in items(typed) if item.many else [typed.strip()]:
            pattern = rf"(?<![\w@.#-]){re.escape(entry)}(?![\w@.-])"
            if entry and len(entry) > length and re.search(pattern, error.message):
                best, length = item.name, len(entry)
    return best


class RecordForm(FormDialog):
    """A form for a contact or company; `error`, a refusal to show (and its field to mark)
    when it opens again after a save the core refused."""

    DEFAULT_CSS = """
    RecordForm #form { max-height: 100%; }
    RecordForm .record-row { height: 1; }
    RecordForm .record-row Label { width: 16; color: $text-muted; }
    RecordForm .record-row Input {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    RecordForm .record-row Input:focus { background: $accent 30%; }
    RecordForm .record-row.-problem Label { color: $error; text-style: bold; }
    RecordForm .record-row.-problem Input { background: $error 25%; }
    """

    def __init__(
        self,
        title: str,
        fields: Sequence[RecordField],
        submit: Callable[[dict[str, str]], object],
        *,
        action: str = "Save",
        error: TinyCrmError | None = None,
    ) -> None:
        super().__init__(title, fields, submit, action=action, error=error or "")
        self.record_fields = list(fields)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form", can_focus=False):
            # names and typed values are shown as text: brackets in them are not markup
            yield Static(Text(self.title_text), id="form-title")
            for item in self.fields:
                with Horizontal(classes="record-row", id=f"row-{item.name}"):
                    yield Label(item.label)
                    yield Input(item.value, placeholder=item.placeholder, id=f"field-{item.name}")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(self.action, variant="primary", id="form-save")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        # the scrolling frame could take the focus: the wrong field, or the first, gets it
        if isinstance(self.error, TinyCrmError):
            self.show_problem(self.error)
        else:
            self.set_focus(self.query_one(f"#field-{self.record_fields[0].name}", Input))

    def show_problem(self, error: TinyCrmError) -> None:
        """Say what is wrong, naming the field it is about (its own, or the one whose typed
        value the message quotes): that row is marked and gets the cursor."""
        name = field_of(error, self.record_fields, self.values())
        for row in self.query(".record-row"):
            row.set_class(row.id == f"row-{name}", "-problem")
        label = next((f.label for f in self.fields if f.name == name), "")
        hint = f"\n{error.hint}" if error.hint else ""
        said = f"{label}: {error.message}" if label else error.message
        self.query_one("#form-error", Static).update(Text(f"{said}{hint}"))
        if name:
            self.set_focus(self.query_one(f"#field-{name}", Input))


def with_values(fields: Sequence[RecordField], values: dict[str, str]) -> list[RecordField]:
    """Return the fields holding what was typed in them."""
    return [replace(f, value=values.get(f.name, f.value)) for f in fields]


def open_record_form(
    app: CrmApp,
    title: str,
    fields: Sequence[RecordField],
    build: Callable[[dict[str, str]], Job | None],
    *,
    action: str = "Save",
    error: TinyCrmError | None = None,
) -> None:
    """Ask for a record's values; `build(values)` checks them (an error keeps the form open,
    naming its field) and returns the change to queue, or None when there is nothing to
    save. A change the core refuses when it runs (a duplicate email) opens the form again
    with what was typed, the reason and its field."""

    def submit(values: dict[str, str]) -> None:
        job = build(values)
        if job is None:
            return

        def refused(reason: TinyCrmError) -> None:
            typed = with_values(fields, values)
            open_record_form(app, title, typed, build, action=action, error=reason)

        job.refused = refused
        app.submit(job)

    app.push_screen(RecordForm(title, fields, submit, action=action, error=error))
