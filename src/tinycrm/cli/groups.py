"""Command groups that Typer turns into commands only when they are used.

Typer builds a parameter object for every option of every command on every start, even for
`crm --help` or a completion; most commands live in groups (`crm report …`, `crm pipeline …`),
so the root lists each group by its name and help, and builds its commands only when a
command line (or a completion) goes into it.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

LAZY: dict[str, typer.Typer] = {}


def add(name: str, app: typer.Typer) -> None:
    """Register `app` as the group `crm NAME`, built on first use."""
    LAZY[name] = app


class LazyGroup(TyperGroup):
    """Stands for a group in the root's listing; builds the real one when it is entered."""

    def __init__(self, name: str, app: typer.Typer, markup: Any = None) -> None:
        help_text = app.info.help if isinstance(app.info.help, str) else None
        super().__init__(name=name, help=help_text, rich_markup_mode=markup)
        self._app = app
        self._markup = markup
        self._real: Any = None

    def real(self) -> Any:
        """Return the group's real command, built once as `add_typer` would build it (with
        the root's help style, and no completion options of its own)."""
        if self._real is None:
            from typer.models import TyperInfo

            command = typer.main.get_group_from_info(
                TyperInfo(self._app),
                pretty_exceptions_short=self._app.pretty_exceptions_short,
                suggest_commands=self._app.suggest_commands,
                rich_markup_mode=self._markup,
            )
            command.name = self.name
            self._real = command
        return self._real

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.real().list_commands(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self.real().get_command(ctx, cmd_name)
