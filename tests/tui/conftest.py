"""Fixtures for the board's tests: a seeded demo database copied per test, a pilot runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import FIXED_NOW

if TYPE_CHECKING:
    from tinycrm.store.db import Database

NOW = datetime.fromisoformat(FIXED_NOW)


@pytest.fixture
def board_db(demo_template: Path, db_path: Path) -> Iterator[Database]:
    """This test's own copy of the demo database, opened."""
    from tinycrm.core import open_db

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
        writing = getattr(app, "writing", False)
        if boards and all(b.loaded for b in boards) and not writing:
            break
    await pilot.pause()


async def burst(pilot: Any, *keys: str) -> None:
    """Deliver keys the way a terminal does when they come in a burst (key repeat, a slow
    link, a paste): all queued at once, none waiting for the one before to be handled.

    A key is a single character ("a", ">", " ") or a key name ("enter", "escape", "tab")."""
    from textual import events
    from textual.keys import _character_to_key

    names = {"enter": "\r", "escape": "\x1b", "tab": "\t", "space": " "}
    driver = pilot.app._driver
    for key in keys:
        if key in names:
            name, char = key, names[key]
        elif len(key) == 1:
            name, char = (key if key.isalnum() else _character_to_key(key)), key
        else:
            name, char = key, None
        event = events.Key(name, char)
        event.set_sender(pilot.app)
        driver.send_message(event)


def typed(text: str) -> list[str]:
    """Return the keys that type `text`."""
    return list(text)
