"""A yes-or-no question about one record, asked before a change a key alone should not make."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes-or-no question about one record; `confirmed()` runs on yes."""

    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
    }
    #confirm {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        background: $surface;
        border: thick $accent;
    }
    #confirm-title {
        text-style: bold;
        margin-bottom: 1;
    }
    #confirm-buttons {
        height: auto;
        margin-top: 1;
    }
    #confirm-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm", "Yes", show=False),
    ]

    def __init__(self, title: str, text: str, action: str, confirmed: Callable[[], None]) -> None:
        super().__init__(classes="confirm-dialog")
        self.title_text = title
        self.text = text
        self.action = action
        self.confirmed = confirmed

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="confirm", can_focus=False):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.text, id="confirm-text", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.action, variant="primary", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        """Yes: close, then do it."""
        self.dismiss(True)
        self.confirmed()

    def action_cancel(self) -> None:
        """No: close, changing nothing."""
        self.dismiss(False)
