"""Another crm holding the write lock: the board keeps answering, says it is waiting, and a
write that cannot be made becomes a notification, never a crash."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows
from tests.tui.conftest import burst, settle
from tests.tui.test_board_workflows import LOVELACE, drive, stage_of


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch, board_db: Any) -> Iterator[None]:
    """Wait at most 8 s for a lock (instead of 10 s), so a frozen board fails sooner."""
    from tinycrm.store import files

    board_db.dispose()
    monkeypatch.setattr(files, "BUSY_TIMEOUT_MS", 8000)
    yield


def hold_lock(db_path: Path) -> sqlite3.Connection:
    """Take the write lock as another crm would, from a connection of another writer."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def test_a_held_lock_keeps_the_board_answering_and_the_move_lands_once(
    board_db: Any, db_path: Path, short_timeout: None
) -> None:
    from tinycrm.tui.screens.keys import KeysScreen

    seen: dict[str, Any] = {}
    holder = hold_lock(db_path)

    async def steps(pilot: Any, app: Any) -> None:
        try:
            await burst(pilot, ">")
            await asyncio.sleep(0.3)
            await pilot.press("question_mark")  # the help opens while the write waits
            await pilot.pause()
            seen["help"] = isinstance(app.screen, KeysScreen)
            seen["moved while held"] = stage_of(db_path, LOVELACE)
            seen["waiting"] = [m for m in messages(app) if "waiting for another crm" in m]
            await pilot.press("escape")
        finally:
            holder.execute("COMMIT")
        await settle(pilot)

    drive(board_db, steps)
    holder.close()
    assert seen["help"] is True
    assert seen["moved while held"] == "Prospecting"
    assert seen["waiting"], "the board says it is waiting"
    assert stage_of(db_path, LOVELACE) == "Qualifying"
    assert table_rows(db_path, "SELECT count(*) FROM stage_change WHERE deal_id = ?", LOVELACE) == [
        (2,)
    ]


def test_a_lock_held_past_the_timeout_is_a_notification_and_changes_nothing(
    board_db: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.store import files

    board_db.dispose()
    monkeypatch.setattr(files, "BUSY_TIMEOUT_MS", 300)
    before = snapshot_of(db_path)
    seen: dict[str, Any] = {}
    holder = hold_lock(db_path)

    async def steps(pilot: Any, app: Any) -> None:
        try:
            await burst(pilot, "w")
            for _ in range(100):
                await asyncio.sleep(0.1)
                if any("could not save" in m for m in messages(app)):
                    break
            seen["messages"] = messages(app)
            seen["running"] = app.is_running
        finally:
            holder.execute("ROLLBACK")
        await settle(pilot)

    app = drive(board_db, steps)
    holder.close()
    assert "could not save: the database is busy; nothing was changed" in seen["messages"]
    assert not any("won" in m for m in seen["messages"])
    assert seen["running"] is True and not app.return_code
    assert snapshot_of(db_path) == before


def test_an_unexpected_error_in_a_change_is_a_notification(
    board_db: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.core import deals

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(deals, "close_deal", broken)
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("w")
        await settle(pilot)
        seen.extend(messages(app))

    app = drive(board_db, steps)
    assert any("disk on fire" in m and "nothing was changed" in m for m in seen), seen
    assert not app.return_code
    assert table_rows(db_path, "SELECT status FROM deal WHERE id = ?", LOVELACE) == [("open",)]


def test_a_board_that_crashes_exits_non_zero(
    board_db: Any, db_path: Path, crm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.tui.app import CrmApp

    def crash(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            raise RuntimeError("widget exploded")
        except RuntimeError as error:
            self._handle_exception(error)

    monkeypatch.setattr(CrmApp, "run", crash)
    result = crm("--db", str(db_path), "board")
    assert result.exit_code == 1
    assert "widget exploded" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
