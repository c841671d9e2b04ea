"""A small modal form: labelled inputs, a submit that may refuse with a message."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tinycrm.errors import TinyCrmError


@dataclass(frozen=True)
class Field:
    """One input of a form."""

    name: str
    label: str
    value: str = ""
    placeholder: str = ""


class FormDialog(ModalScreen[bool]):
    """Ask for a few values; `submit` saves them or raises TinyCrmError, shown in the form."""

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
        error: str = "",
    ) -> None:
        super().__init__(classes="form-dialog")
        self.title_text = title
        self.fields = list(fields)
        self.submit = submit
        self.action = action
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.title_text, id="form-title")
            for item in self.fields:
                yield Label(item.label)
                yield Input(item.value, placeholder=item.placeholder, id=f"field-{item.name}")
            yield Static(self.error, id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button(self.action, variant="primary", id="form-save")
                yield Button("Cancel", id="form-cancel")

    def values(self) -> dict[str, str]:
        """Return what was typed, by field name."""
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}

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
            hint = f"\n{error.hint}" if error.hint else ""
            self.query_one("#form-error", Static).update(f"{error.message}{hint}")
            return
        except Exception as error:  # never a crash: say it, keep what was typed
            self.query_one("#form-error", Static).update(f"something went wrong: {error}")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(False)
