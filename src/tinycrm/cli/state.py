"""What the root command decided (the database path) and how commands open the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from tinycrm.config import Settings
    from tinycrm.domain.dates import Calendar
    from tinycrm.store.db import Database


@dataclass
class _State:
    db_path: Path | None = None
    db: Database | None = None
    writable: bool = False  # the open database passed the checks for writing
    settings: Settings | None = None
    calendar: Calendar | None = None


_state = _State()


def configure(db_path: Path | None) -> None:
    """Remember the --db choice for this run (called by the root callback)."""
    if _state.db is not None:
        _state.db.dispose()
    _state.db_path = db_path
    _state.db = None
    _state.writable = False
    _state.settings = None
    _state.calendar = None


def database(*, write: bool = True, create: bool | None = None) -> Database:
    """Open (once per run) the database this run works on.

    Commands that only read pass write=False: a missing database is then an error instead of
    a new file, and a read-only one can be read. `create` (default: `write`) says whether a
    missing database may be created; `crm remind` writes but never creates.
    """
    if _state.db is None or (write and not _state.writable):
        from tinycrm.core import open_db

        db = open_db(_state.db_path, create=write if create is None else create, write=write)
        if write:
            _attach_hooks(db)
        if _state.db is not None:
            _state.db.dispose()
        _state.db = db
        _state.writable = write
    return _state.db


def _attach_hooks(db: Database) -> None:
    """Run the seller's hooks after each change this run commits; a hook's failure is one
    line on stderr."""
    import sys

    from tinycrm.core import hooks

    def report(line: str) -> None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    hooks.attach(db, lambda: settings().hooks, report)


def settings() -> Settings:
    """Read config.toml once per run."""
    if _state.settings is None:
        from tinycrm import config

        _state.settings = config.load()
    return _state.settings


def calendar() -> Calendar:
    """The seller's calendar ([general] week_start and date_format), for reading what is typed
    and showing days (once per run: lists show a day on every row)."""
    if _state.calendar is None:
        from tinycrm.domain.dates import calendar_of

        general = settings().general
        _state.calendar = calendar_of(general.week_start, general.date_format)
    return _state.calendar


def now() -> datetime:
    """The current time (TINYCRM_NOW fixes it)."""
    from tinycrm import clock

    return clock.now()
