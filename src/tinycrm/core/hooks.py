"""Hooks: a face attaches the seller's hook commands ([hooks] in config.toml) to the database
it opened; the database then runs them after every write transaction that committed recorded
changes, whichever service, import or face made it (`core.hookevents` says which events a
change made and runs the commands).

This module is what every command that writes imports, so it is small and reads only whether
config.toml mentions [hooks]: with no hook set, nothing else is imported, read or run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycrm.config.hooks import HookSettings
    from tinycrm.core.hookevents import Hooks
    from tinycrm.store.db import Database


def attach(
    db: Database, settings: Callable[[], HookSettings], report: Callable[[str], None]
) -> None:
    """Have `db` run the seller's hooks after each change it commits, if any hook is set;
    `report` says a hook's failure in one line.

    `settings` reads them; it is called only when config.toml mentions [hooks] at all, so a
    command pays one small read for hooks it does not have."""
    if not _mentions_hooks():
        return
    found = settings()
    if found.configured:
        from tinycrm.core.hookevents import Hooks

        db.after_commit = Hooks(db, found, report)


def attached(db: Database) -> Hooks | None:
    """The hooks attached to `db`, if any."""
    if db.after_commit is None:
        return None
    from tinycrm.core.hookevents import Hooks

    return db.after_commit if isinstance(db.after_commit, Hooks) else None


def _mentions_hooks() -> bool:
    from tinycrm import paths

    try:
        with open(paths.config_file(), "rb") as fh:
            return b"hooks" in fh.read()
    except OSError:
        return False
