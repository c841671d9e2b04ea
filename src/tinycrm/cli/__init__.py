"""The `crm` command line: the root app, its global options and the one error edge.

Only typer and the standard library are imported here, so `crm --help`, completion and cron
start quickly; each command imports the core when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm import __version__
from tinycrm.cli import groups, state
from tinycrm.errors import TinyCrmError


def report(error: TinyCrmError) -> None:
    """Print an error (and its hint) as plain lines on stderr."""
    sys.stderr.write(f"error: {error.message}\n")
    if error.hint:
        sys.stderr.write(f"hint: {error.hint}\n")


def _storage_error(exc: BaseException) -> TinyCrmError | None:
    """Translate a database driver error that reached the edge into a TinyCrmError."""
    import sqlite3

    from tinycrm.errors import StorageError

    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    orig = getattr(exc, "orig", None)
    if sqlalchemy_exc is not None and type(orig) is sqlite3.DatabaseError:
        return _damaged(str(orig))
    if type(exc) is sqlite3.DatabaseError:  # a damaged file, not a failed statement
        return _damaged(str(exc))
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.OperationalError):
        text = str(exc.orig) if getattr(exc, "orig", None) is not None else str(exc)
        if "locked" in text or "busy" in text:
            return StorageError(
                "the database is busy (another crm is writing); nothing was changed",
                hint="try again in a moment",
            )
        return StorageError(f"the database could not be used: {text}; nothing was changed")
    if isinstance(exc, sqlite3.OperationalError):
        return StorageError(f"the database could not be used: {exc}; nothing was changed")
    return None


def _damaged(text: str) -> TinyCrmError:
    from tinycrm.errors import StorageError

    return StorageError(
        f"the database could not be read: {text}; nothing was changed",
        hint="the file is damaged; restore a backup (see docs/data.md), or use --db",
    )


HELP_ORDER = (
    "add", "list", "show", "move", "edit", "tag", "log", "timeline", "search",
    "follow-up", "agenda", "done", "snooze", "cancel", "keep-in-touch", "remind", "cron",
    "board", "demo", "report", "score", "segment", "pipeline", "import", "export",
    "undo", "redo", "history", "delete", "restore", "trash", "merge", "forget", "config",
)  # fmt: skip


class CrmGroup(TyperGroup):
    """The root group: turns TinyCrmError into a message on stderr and an exit code, and
    holds the command groups that are built only when used (see cli/groups.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, sub in groups.LAZY.items():
            self.add_command(groups.LazyGroup(name, sub, self.rich_markup_mode))
        # `crm --help` lists commands by how often a seller reaches for them
        rank = {name: i for i, name in enumerate(HELP_ORDER)}
        ordered = sorted(self.commands.items(), key=lambda item: rank.get(item[0], len(rank)))
        self.commands = dict(ordered)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TinyCrmError as error:
            report(error)
            raise typer.Exit(error.exit_code) from None
        except Exception as exc:
            translated = _storage_error(exc)
            if translated is None:
                raise
            report(translated)
            raise typer.Exit(translated.exit_code) from None


app = typer.Typer(
    name="crm",
    cls=CrmGroup,
    help="tinycrm: an offline-first CRM for solo sellers, in your terminal.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tinycrm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Path | None = typer.Option(
        None, "--db", envvar="TINYCRM_DB", help="Database file (default: in your data folder)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """tinycrm: contacts, deals and follow-ups in one SQLite file you own.

    Start with `crm add contact "Jane Doe" --email jane@acme.com`, then `crm list contacts`.
    """
    state.configure(db)


def _register() -> None:
    from tinycrm.cli import (
        adding,
        board,
        deleting,
        editing,
        followups,
        history,
        interactions,
        io_commands,
        listing,
        moving,
        pipelines,
        reminding,
        reports,
        searching,
        settings,
        showing,
    )

    groups.add("add", adding.app)
    groups.add("list", listing.app)
    moving.register(app)
    showing.register(app)
    editing.register(app)
    interactions.register(app)
    followups.register(app)
    searching.register(app)
    history.register(app)
    deleting.register(app)
    board.register(app)
    groups.add("pipeline", pipelines.app)
    reports.register(app)
    groups.add("import", io_commands.import_app)
    groups.add("export", io_commands.export_app)
    groups.add("config", settings.app)
    reminding.register(app)


_register()


def main() -> None:
    """Run `crm`; the process exit code follows the error's."""
    app()
