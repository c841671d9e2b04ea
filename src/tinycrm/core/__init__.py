"""The tinycrm library: the services both faces call, on the store's models."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tinycrm.store.db import Database


def open_db(path: Path | str | None = None, *, create: bool = True, write: bool = True) -> Database:
    """Open the database at `path` (None: the default one) for a command, as the store does,
    and give a database opened for writing its default pipeline on first use."""
    from tinycrm.store.db import open_db as open_store

    return open_store(path, create=create, write=write, seed=_seed)


def _seed(db: Database) -> None:
    from tinycrm.core.pipelines import ensure_defaults

    ensure_defaults(db)
