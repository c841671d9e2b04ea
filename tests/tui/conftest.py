"""Fixtures for the board's tests: a seeded demo database copied per test, a pilot runner."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXED_NOW

NOW = datetime.fromisoformat(FIXED_NOW)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made once per test session (the seeded data at the fixed time)."""
    from tinycrm.core import demo

    os.environ["TZ"] = "UTC"
    time.tzset()
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db, _ = demo.demo_database(path, NOW)
    conn = db.raw()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    db.dispose()
    return path


@pytest.fixture
def board_db(demo_template: Path, db_path: Path) -> Iterator[Any]:
    """This test's own copy of the demo database, opened."""
    from tinycrm.core.db import open_db

    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, db_path)
    database = open_db(db_path)
    yield database
    database.dispose()


async def settle(pilot: Any) -> None:
    """Wait until the board has loaded whatever it was loading, and has been drawn."""
    from tinycrm.tui.screens.board import BoardScreen

    app = pilot.app
    for _ in range(500):
        await pilot.pause()
        await app.workers.wait_for_complete()
        boards = [s for s in app.screen_stack if isinstance(s, BoardScreen)]
        if boards and all(b.loaded for b in boards):
            break
    await pilot.pause()
