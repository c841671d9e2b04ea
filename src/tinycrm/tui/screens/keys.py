"""Every key of the board, in one table (the `?` screen and docs/tui.md show the same)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Board",
        [
            ("← → ↑ ↓ / h l k j", "move the selection between columns and cards"),
            ("< > / shift+← shift+→", "move the selected deal one stage left / right"),
            ("< > on a won or lost card", "ask whether to reopen it (back in its last stage)"),
            ("w", "mark the deal won"),
            ("x", "mark the deal lost (asks the reason)"),
            ("n", "new deal in the focused stage"),
            ("f", "new follow-up on the deal (title and when), or the next step offered"),
            ("esc after a move or a win", "skip the next step the status line offers"),
            ("i", "log an interaction on the deal: kind, direction (in/out), when, what"),
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
            ("< > w x", "move the deal (a closed one: ask to reopen it), mark it won or lost"),
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
            ("f", "new follow-up on its deal (or contact), or the next step offered after d"),
            ("z", "snooze it until a time you type"),
            ("enter", "open its deal (or contact)"),
            ("esc", "back (after d: skip the next step offered)"),
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


KEY_WIDTH = max(len(key) for _, rows in KEYS for key, _ in rows) + 2


class KeysScreen(ModalScreen[None]):
    """Every key, titled, in a box that scrolls when the terminal is small: a heading per
    screen, then each key beside what it does (descriptions wrap in their own column)."""

    DEFAULT_CSS = f"""
    KeysScreen {{
        align: center middle;
    }}
    #keys {{
        width: 96%;
        max-width: 110;
        height: 90%;
        padding: 0 1;
        background: $surface;
        border: thick $accent;
        border-title-style: bold;
    }}
    #keys .keys-section {{
        text-style: bold underline;
        margin-top: 1;
    }}
    #keys .keys-row {{
        height: auto;
    }}
    #keys .keys-key {{
        width: {KEY_WIDTH};
        text-style: bold;
    }}
    #keys .keys-what {{
        width: 1fr;
    }}
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll(id="keys")
        scroll.border_title = "Every key"
        scroll.border_subtitle = "↑ ↓ pgup pgdn scroll · esc closes"
        with scroll:
            for section, rows in KEYS:
                yield Static(section, classes="keys-section", markup=False)
                for key, what in rows:
                    with Horizontal(classes="keys-row"):
                        yield Static(key, classes="keys-key", markup=False)
                        yield Static(what, classes="keys-what", markup=False)
