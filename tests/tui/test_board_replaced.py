"""The board's database file replaced (a restored backup, `mv`) or deleted while it is open."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.conftest import settle
from tests.tui.test_board_workflows import LOVELACE


def messages(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def replacement(demo_template: Path, folder: Path) -> Path:
    """A copy of the demo database in which the oldest prospecting deal has another title."""
    path = folder / "restored.db"
    shutil.copy(demo_template, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE deal SET title = 'Restored website' WHERE id = ?", (LOVELACE,))
    conn.close()
    return path


def run_board(db: Any, steps: Any, watch: bool = False) -> Any:
    from tests.tui.test_board_workflows import drive

    return drive(db, steps, watch=watch)


def test_a_win_after_the_file_was_replaced_lands_in_the_new_file(
    board_db: Any, db_path: Path, demo_template: Path, tmp_path: Path
) -> None:
    restored = replacement(demo_template, tmp_path)
    old = tmp_path / "old.db"
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press(">", "<")  # changes in the old file: its log sits beside it
        await settle(pilot)
        os.link(db_path, old)  # keep the replaced file to look at it afterwards
        os.replace(restored, db_path)
        await pilot.press("w")
        await settle(pilot)
        seen.extend(messages(app))

    run_board(board_db, steps)
    moves = f"SELECT count(*) FROM stage_change WHERE deal_id = {LOVELACE}"
    assert table_rows(
        db_path, "SELECT title, status, stage_id FROM deal WHERE id = ?", LOVELACE
    ) == [("Restored website", "won", 1)]
    assert table_rows(db_path, moves) == table_rows(demo_template, moves)
    assert table_rows(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert table_rows(old, "SELECT status FROM deal WHERE id = ?", LOVELACE) == [("open",)]
    assert table_rows(old, moves) == [(table_rows(demo_template, moves)[0][0] + 2,)]
    assert any(m.startswith(f"Won #{LOVELACE} Restored website") for m in seen), seen


def test_a_replaced_file_without_the_deal_refuses_and_claims_nothing(
    board_db: Any, db_path: Path, demo_template: Path, tmp_path: Path
) -> None:
    restored = replacement(demo_template, tmp_path)
    conn = sqlite3.connect(restored)
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        for table in ("stage_change", "interaction", "follow_up", "deal_tag"):
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute(f"DELETE FROM {table} WHERE deal_id = ?", (LOVELACE,))
        conn.execute("DELETE FROM deal WHERE id = ?", (LOVELACE,))
    conn.close()
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        os.replace(restored, db_path)
        await pilot.press("w")
        await settle(pilot)
        seen.extend(messages(app))

    run_board(board_db, steps)
    assert table_rows(db_path, "SELECT count(*) FROM deal WHERE id = ?", LOVELACE) == [(0,)]
    assert table_rows(db_path, "SELECT count(*) FROM event WHERE origin = 'tui'") == [(0,)]
    assert not any(m.startswith(f"Won #{LOVELACE} ") for m in seen), seen
    assert any(f"#{LOVELACE}" in m for m in seen), seen


def test_a_deleted_file_stops_the_writes_with_a_message(board_db: Any, db_path: Path) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        await pilot.press("w")
        await settle(pilot)
        seen.extend(messages(app))

    run_board(board_db, steps)
    assert not any(m.startswith(f"Won #{LOVELACE} ") for m in seen), seen
    assert any("was deleted or moved" in m and "nothing was saved" in m for m in seen), seen
    assert not db_path.exists()


def test_the_live_board_follows_a_replaced_file(
    board_db: Any, db_path: Path, demo_template: Path, tmp_path: Path
) -> None:
    restored = replacement(demo_template, tmp_path)
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        os.replace(restored, db_path)
        for _ in range(50):  # the board looks once a second; a loaded machine is slower
            await asyncio.sleep(0.2)
            await settle(pilot)
            if app.screen.board.card(LOVELACE).title == "Restored website":
                break
        seen.append(app.screen.board.card(LOVELACE).title)

    run_board(board_db, steps, watch=True)
    assert seen == ["Restored website"]
