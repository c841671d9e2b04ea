"""Hermetic tests: every test gets its own TINYCRM_HOME, database and fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner, Result

if TYPE_CHECKING:
    from tinycrm.store.db import Database

FIXED_NOW = "2026-11-23T10:00:00+00:00"


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point tinycrm's home at a temp folder and fix the clock and timezone."""
    home = tmp_path / "home"
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    monkeypatch.delenv("TINYCRM_DB", raising=False)
    monkeypatch.setenv("TINYCRM_NOW", FIXED_NOW)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    # Real `crm` processes run the command themselves unless a test starts a server.
    monkeypatch.setenv("TINYCRM_SERVER", "off")
    import time

    time.tzset()
    yield home
    from tinycrm.cli import state

    state.configure(None)


@pytest.fixture
def db_path(hermetic: Path) -> Path:
    """The path of the default database for this test."""
    return hermetic / "tinycrm.db"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made once per test session (the seeded data at the fixed time), in
    one file: copy it to use it."""
    import os
    import time
    from datetime import datetime

    from tinycrm.core import demo

    os.environ["TZ"] = "UTC"
    time.tzset()
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db, _ = demo.demo_database(path, datetime.fromisoformat(FIXED_NOW))
    db.dispose()
    table_rows(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """An opened, migrated database."""
    from tinycrm.core import open_db

    database = open_db(db_path)
    yield database
    database.dispose()


class Crm:
    """Runs `crm` in-process through Typer's CliRunner."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        from tinycrm.cli import app

        return self.runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def crm() -> Crm:
    """Call as crm("add", "contact", "Jane"); returns the Click result."""
    return Crm()


@pytest.fixture
def jane(crm: Crm, db_path: Path) -> Path:
    """Contact #1 Jane Doe <jane@acme.com> with deal #2 "Acme website"; the database's path."""
    assert crm("add", "contact", "Jane Doe", "--email", "jane@acme.com").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane").exit_code == 0
    return db_path


def table_rows(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read rows straight from the database file, as a user's sqlite3 would."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def snapshot_of(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (for 'nothing changed' assertions)."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type='table' AND name NOT LIKE 'search_index%'"
            )
        ]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}
    finally:
        conn.close()
