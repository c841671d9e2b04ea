"""Every key of the board, in one table (the `?` screen and docs/tui.md show the same)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Board",
        [
            ("← → ↑ ↓ / h l k j", "move the selection between columns and cards"),
            ("< > / shift+← shift+→", "move the selected deal one stage left / right"),
            ("w", "mark the deal won"),
            ("x", "mark the deal lost (asks the reason)"),
            ("n", "new deal in the focused stage"),
            ("f", "new follow-up on the deal (title and when)"),
            ("i", "log an interaction on the deal (call, email, meeting, message, note)"),
            ("e", "edit the deal's title, value and expected close"),
            ("enter / click a selected card", "the deal's details"),
            ("/", "filter the board by words of a title, contact or company; esc clears"),
            ("s", "sort cards: days in stage, follow-up, value, title"),
            ("p", "next pipeline"),
            ("c", "contacts"),
            ("a", "agenda of follow-ups"),
            ("r", "reports: pipeline, forecast, win rate, velocity, stale"),
        ],
    ),
    (
        "Details",
        [
            ("i f e", "log an interaction, add a follow-up, edit (a deal, contact or company)"),
            ("< > w x", "move the deal, mark it won or lost"),
            ("d", "open the deal's contact"),
            ("o", "open the deal's or the contact's company"),
            ("esc", "back"),
        ],
    ),
    (
        "Contacts",
        [
            ("type in the search box", "narrow the list by name (it has the cursor at first)"),
            ("enter / ↓ in the search", "on to the list"),
            ("/", "back to the search box"),
            ("↑ ↓ pgup pgdn home end", "move through the list"),
            ("n / N", "new contact / new company"),
            ("e", "edit the selected contact"),
            ("s / r", "sort by the next field / reverse the order"),
            ("enter / click", "the contact's details"),
            ("esc", "back"),
        ],
    ),
    (
        "Agenda",
        [
            ("d", "mark the follow-up done (a recurring one moves to its next date)"),
            ("z", "snooze it until a time you type"),
            ("enter", "open its deal (or contact)"),
            ("esc", "back"),
        ],
    ),
    (
        "Reports",
        [
            ("↑ ↓ pgup pgdn", "scroll the page"),
            ("tab", "into the stale deals (↑ ↓ choose one) and back"),
            ("enter", "open the stale deal"),
            ("esc", "back"),
        ],
    ),
    (
        "Everywhere",
        [
            ("u", "undo the last change (the board's or a crm command's)"),
            ("ctrl+p", "command palette: every action, pipelines, sorts, screens"),
            ("?", "this list"),
            ("q", "quit"),
        ],
    ),
]


def keys_text() -> str:
    """Return the key table as plain text."""
    lines: list[str] = []
    for section, rows in KEYS:
        lines.append(section)
        lines.extend(f"  {key:<30} {what}" for key, what in rows)
        lines.append("")
    return "\n".join(lines).rstrip()


class KeysScreen(ModalScreen[None]):
    """All keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="keys"):
            yield Static(keys_text(), markup=False)
