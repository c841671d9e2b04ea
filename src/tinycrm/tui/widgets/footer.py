"""The key footer, on two lines: the keys that reach the other screens, help, undo and quit,
always shown; and under them the keys of what is on the screen (Textual's footer, rebuilt only
when its keys change)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

# Actions a person needs wherever they are: the way to the other screens, back, help, undo,
# the palette and quit. They have a line of their own, so a narrow terminal never hides them.
EVERYWHERE = (
    "app.contacts",
    "app.agenda",
    "app.reports",
    "app.pop_screen",
    "app.keys",
    "keys",
    "app.undo",
    "undo",
    "app.quit",
    "quit",
    "app.command_palette",
    "command_palette",
)


def shown_keys(screen: Screen[Any]) -> tuple[tuple[Any, ...], ...]:
    """What a footer on `screen` shows: each shown binding's key, label, action and state."""
    return tuple(
        (binding.key, binding.description, binding.action, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )


def everywhere_line(screen: Screen[Any]) -> Content:
    """The line of keys that go elsewhere, in the order of EVERYWHERE: "c Contacts  …"."""
    app = screen.app
    found: dict[str, tuple[str, str]] = {}
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        action = binding.action
        if action in EVERYWHERE and enabled and action not in found:
            description = "Palette" if "palette" in action else binding.description
            if binding.show or "palette" in action:
                found[action] = (app.get_key_display(binding), description)
    parts: list[Content] = []
    for action in EVERYWHERE:
        if action in found:
            key, description = found[action]
            parts.append(Content.assemble((f"{key} ", "$footer-key-foreground bold"), description))
    return Content("  ").join(parts)


class ActionFooter(Footer):
    """Textual's footer without the keys shown on the line above it. It rebuilds its ~30
    keys whenever the focus moves; on the board the keys are the same in every column, and
    that rebuild was most of the time a move between columns took (0.2-0.4 s at 10,000
    deals), so this footer rebuilds only on a change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, show_command_palette=False, **kwargs)
        self._shown: tuple[tuple[Any, ...], ...] | None = None

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if not (isinstance(widget, FooterKey) and widget.action in EVERYWHERE):
                yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Rebuild the keys if they differ from those shown."""
        shown = shown_keys(screen)
        if shown == self._shown:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # a rebuild was asked for
            parent = self.parent
            if isinstance(parent, KeyFooter):
                parent.show_everywhere(screen)


class KeyFooter(Vertical):
    """The two-line footer every screen of the board has."""

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
    }
    KeyFooter > ActionFooter {
        dock: none;
    }
    KeyFooter > .everywhere {
        height: 1;
        padding: 0 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", classes="everywhere")
        yield ActionFooter()

    def show_everywhere(self, screen: Screen[Any]) -> None:
        """Show the keys that go elsewhere from `screen`, and the line of its own keys only
        if it has some."""
        self.query_one(".everywhere", Static).update(everywhere_line(screen), layout=False)
        own = any(key[2] not in EVERYWHERE for key in shown_keys(screen))
        self.query_one(ActionFooter).display = own
