"""The command palette: every action by name, once each (the screens, the actions of the
screen it was opened on, sorts, pipelines, undo, help, quit), and the palette made safe."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.screen import Screen

    from tinycrm.tui.app import CrmApp

Command = tuple[str, Callable[[], Any], str]

# What a screen can do, by the name the palette offers it under: (name, action, help). A
# screen offers those it has (an `action_…` method) and allows now (its check_action).
SCREEN_ACTIONS: list[tuple[str, str, str]] = [
    ("Move the deal left (stage back)", "move(-1)", "one stage left; a closed deal: reopen"),
    ("Move the deal right (stage on)", "move(1)", "one stage right; a closed deal: reopen"),
    ("Mark the deal won", "won", "close it as won (with the check-in you set)"),
    ("Mark the deal lost", "lost", "close it as lost, asking the reason"),
    ("New deal", "new", "add a deal to the focused stage"),
    ("New follow-up", "follow_up", "something to do, and when"),
    ("Log an interaction", "log", "a call, email, meeting, message or note"),
    ("Edit", "edit", "change the title, value, close date (a contact: name, title…)"),
    ("Open the deal's contact", "contact", "the contact's details"),
    ("Open the company", "company", "the company's details"),
    ("Filter the board", "filter", "words of a title, contact or company"),
    ("Clear the filter", "clear_filter", "show every deal"),
    ("Next pipeline", "pipeline", "show the next pipeline's board"),
    ("Mark the follow-up done", "done", "a recurring one moves to its next date"),
    ("Snooze the follow-up", "snooze", "until a time you type"),
]


def _offers(screen: Screen[Any], action: str) -> bool:
    """Tell whether a screen has an action and allows it now."""
    name, _, _ = action.partition("(")
    if not callable(getattr(screen, f"action_{name}", None)):
        return False
    return bool(screen.check_action(name, ()))


class CrmCommands(Provider):
    """Offer every board action by name in the command palette."""

    def _commands(self) -> list[Command]:
        from tinycrm.core.board import SORTS
        from tinycrm.tui import records
        from tinycrm.tui.screens.board import BoardScreen

        app = cast("CrmApp", self.app)  # a provider has no typed app getter; the app imports it
        screen = self.screen
        board = next((s for s in app.screen_stack if isinstance(s, BoardScreen)), None)
        found: list[Command] = [
            (name, partial(app.run_action, action, screen), help_text)
            for name, action, help_text in SCREEN_ACTIONS
            if _offers(screen, action)
        ]
        if isinstance(screen, BoardScreen):
            found += [
                (f"Sort the board by {s}", partial(screen.sort_by, s), "order of the cards")
                for s in SORTS
            ]
            if screen.board is not None:
                found += [
                    (f"Pipeline: {name}", partial(screen.show_pipeline, name), "show its board")
                    for name in screen.board.pipelines
                ]
        if board is not None and screen is not board:
            found.append(("Board", partial(self._back_to, board), "the pipeline board"))
        found += [
            ("Contacts", app.action_contacts, "every contact, searchable"),
            ("New contact", partial(records.ask_new_contact, app), "add a person"),
            ("New company", partial(records.ask_new_company, app), "add an organisation"),
            ("Agenda", app.action_agenda, "overdue, today's and upcoming follow-ups"),
            (
                "Reports",
                app.action_reports,
                "dashboard: the week, forecast, win rate, losses, stale",
            ),
            ("Undo", app.action_undo, "undo the last change"),
            ("Redo", app.action_redo, "re-apply what undo took back"),
            ("Help: every key", app.action_keys, "what each key does, on each screen"),
        ]
        return found

    def _back_to(self, board: Screen[Any]) -> None:
        """Close the screens opened over the board."""
        app = self.app
        while app.screen is not board and len(app.screen_stack) > 1:
            app.pop_screen()

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class Palette(CommandPalette):
    """Textual's command palette, made safe at one edge: a page key (pgup, pgdn) that comes
    after the first commands are listed but before they are laid out has no page to move by
    (Textual's option list would fail looking up a line it has not measured yet)."""

    def _action_command_list(self, action: str) -> None:
        if action in ("page_up", "page_down"):
            found = self.query(CommandList)
            if not found or not found.first().scrollable_content_region:
                return
        super()._action_command_list(action)
