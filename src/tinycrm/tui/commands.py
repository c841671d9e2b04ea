"""The command palette's tinycrm commands: screens, actions, pipelines, sorts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tinycrm.tui.app import CrmApp


class CrmCommands(Provider):
    """Offer every board action by name in the command palette."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        from tinycrm.core.board import SORTS
        from tinycrm.tui.screens.board import BoardScreen

        app = cast("CrmApp", self.app)  # a provider has no typed app getter; the app imports it
        found: list[tuple[str, Callable[[], Any], str]] = [
            ("Contacts", app.action_contacts, "every contact, searchable"),
            ("Agenda", app.action_agenda, "overdue, today's and upcoming follow-ups"),
            ("Reports", app.action_reports, "dashboard: pipeline, forecast, win rate, stale"),
            ("Undo", app.action_undo, "undo the last change"),
            ("Redo", app.action_redo, "re-apply what undo took back"),
            ("Keys", app.action_keys, "every key"),
        ]
        board = next((s for s in app.screen_stack if isinstance(s, BoardScreen)), None)
        if board is not None:
            found += [
                ("New deal", board.action_new, "add a deal to the focused stage"),
                ("Filter the board", board.action_filter, "words of a title, contact, company"),
                ("Clear the filter", board.action_clear_filter, "show every deal"),
            ]
            found += [
                (f"Sort board by {s}", partial(board.sort_by, s), "order of the cards")
                for s in SORTS
            ]
            if board.board is not None:
                found += [
                    (f"Pipeline: {name}", partial(board.show_pipeline, name), "show its board")
                    for name in board.board.pipelines
                ]
        return found

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
