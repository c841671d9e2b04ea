"""The board shows names holding control characters as escapes, never raw."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from tests.tui.conftest import settle

RAW = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x202E)]


def _plant(db_path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db_path)
    with conn:
        deal_id, contact_id = conn.execute(
            "SELECT id, contact_id FROM deal WHERE contact_id IS NOT NULL AND status = 'open'"
            " ORDER BY id LIMIT 1"
        ).fetchone()
        conn.execute("UPDATE deal SET title = ? WHERE id = ?", ("Evil\x1b[2J\x1b]0;x\x07", deal_id))
        conn.execute(
            "UPDATE contact SET name = ? WHERE id = ?", ("Mal\x9b31m\u202eory", contact_id)
        )
    conn.close()
    return deal_id, contact_id


def _painted(app: Any) -> list[str]:
    """Every piece of text the board hands the terminal for its current screen."""
    update = app.screen._compositor.render_update(full=True)
    texts: list[str] = []
    for line in update.strips:
        for strip in line:
            texts.extend(segment.text for segment in strip if not segment.control)
    return texts


def test_the_board_paints_no_raw_control_characters(board_db: Any, db_path: Path) -> None:
    """The board, and the details of the deal and of its contact."""
    from tinycrm.tui.app import CrmApp
    from tinycrm.tui.screens.details import DetailsScreen

    deal_id, contact_id = _plant(db_path)
    app = CrmApp(board_db, watch=False)
    painted: dict[str, str] = {}

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            painted["board"] = "".join(_painted(app))
            for kind, record_id in (("deal", deal_id), ("contact", contact_id)):
                await app.push_screen(DetailsScreen(kind, record_id))
                await settle(pilot)
                painted[kind] = "".join(_painted(app))
                app.pop_screen()
                await settle(pilot)

    asyncio.run(run())
    assert "Evil" in painted["board"] and "Evil" in painted["deal"]
    assert "Mal" in painted["contact"]
    for screen, text in painted.items():
        assert [c for c in text if c in RAW] == [], screen
