"""A small modal form: a title naming its record, labelled inputs, a submit that may refuse.

A refusal that names a field (a FieldError) says which field it was about and puts the cursor
in it. The form scrolls when it is taller than the terminal (80x24 shows every form whole)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from tinycrm.errors import TinyCrmError, ValidationError


@dataclass(frozen=True)
class Field:
    """One input of a form: its name, its label, what it holds, an example of what to type,
    and what it completes as it is typed (any other text is taken too)."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    suggestions: tuple[str, ...] = ()


class FieldError(ValidationError):
    """What was typed in one field cannot be used; `field` is that field's name."""

    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.field = field


@contextmanager
def about(field: str) -> Iterator[None]:
    """Let a refusal raised inside name `field` as the one it is about."""
    try:
        yield
    except FieldError:
        raise
    except TinyCrmError as error:
        raise FieldError(field, error.message, error.hint) from error


def problem_text(error: TinyCrmError, fields: Sequence[Field]) -> str:
    """Say what was wrong, starting with the label of the field it was about."""
    hint = f"\n{error.hint}" if error.hint else ""
    if isinstance(error, FieldError):
        label = next((f.label for f in fields if f.name == error.field), error.field)
        return f"{label}: {error.message}{hint}"
    return f"{error.message}{hint}"


class FormDialog(ModalScreen[bool]):
    """Ask for a few values; `submit` saves them or raises TinyCrmError, shown in the form."""

    DEFAULT_CSS = """
    FormDialog {
        align: center middle;
    }
    #form {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        background: $surface;
        border: thick $accent;
    }
    #form-title {
        text-style: bold;
        margin-bottom: 1;
    }
    .form-row {
        height: auto;
    }
    .form-row Label {
        width: 18;
        padding: 1 1 0 0;
    }
    .form-row Input {
        width: 1fr;
    }
    #form-error {
        color: $text-error;
        height: auto;
    }
    #form-buttons {
        height: auto;
    }
    #form-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        # handled as the key is read, so keys typed after enter go to the next field
        Binding("enter", "next_field", show=False, priority=True),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        submit: Callable[[dict[str, str]], object],
        *,
        action: str = "Save",
        error: str | TinyCrmError = "",
    ) -> None:
        super().__init__(classes="form-dialog")
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit
        self.action = action
        self.error = error

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form", can_focus=False):
            yield Static(self.title_text, id="form-title", markup=False)
            for item in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(item.label, markup=False)
                    yield Input(
                        item.value,
                        placeholder=item.placeholder,
                        id=f"field-{item.name}",
                        suggester=SuggestFromList(item.suggestions, case_sensitive=False)
                        if item.suggestions
                        else None,
                    )
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(self.action, variant="primary", id="form-save")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        if isinstance(self.error, TinyCrmError):
            self.show_problem(self.error)
        elif self.error:
            self.query_one("#form-error", Static).update(self.error)

    def values(self) -> dict[str, str]:
        """Return what was typed, by field name."""
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}

    def show_problem(self, error: TinyCrmError) -> None:
        """Show what was wrong; put the cursor in the field it was about, marked invalid."""
        self.query_one("#form-error", Static).update(problem_text(error, self.fields))
        for box in self.query(Input):
            box.remove_class("-invalid")
        if isinstance(error, FieldError) and any(f.name == error.field for f in self.fields):
            box = self.query_one(f"#field-{error.field}", Input)
            box.add_class("-invalid")
            self.set_focus(box)

    def action_next_field(self) -> None:
        """Enter in a field: on to the next one (focused at once), or save after the last."""
        from textual.actions import SkipAction

        focused = self.focused
        inputs = list(self.query(Input))
        if not isinstance(focused, Input) or focused not in inputs:
            raise SkipAction()  # a button presses itself
        position = inputs.index(focused)
        if position + 1 < len(inputs):
            self.set_focus(inputs[position + 1])
        else:
            self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-save":
            self.save()
        else:
            self.dismiss(False)

    def save(self) -> None:
        """Run the submit; close on success, show the error and stay open otherwise."""
        try:
            self.submit(self.values())
        except TinyCrmError as error:
            self.show_problem(error)
            return
        except Exception as error:  # never a crash: say it, keep what was typed
            self.query_one("#form-error", Static).update(f"something went wrong: {error}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(False)
