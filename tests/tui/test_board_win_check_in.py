"""A win on the board follows the same rule as `crm move … won`: with
`deals.won_follow_up_days` set, a check-in is scheduled for the deal's contact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.test_board_workflows import LOVELACE, drive

CHECK_INS = (
    "SELECT title, date(due_at), all_day, deal_id FROM follow_up"
    " WHERE title LIKE 'check in after the win:%' ORDER BY id"
)


def test_a_win_on_the_board_schedules_the_check_in_the_settings_ask_for(
    board_db: Any, db_path: Path, hermetic: Path
) -> None:
    (hermetic / "config.toml").write_text("[deals]\nwon_follow_up_days = 14\n")

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("w")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]
    [(title, due, all_day, deal)] = table_rows(db_path, CHECK_INS)
    assert title.startswith("check in after the win: ")
    assert (due, all_day, deal) == ("2026-12-07", 1, LOVELACE)  # 14 days after 2026-11-23


def test_without_the_setting_a_win_on_the_board_schedules_nothing(
    board_db: Any, db_path: Path
) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("w")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]
    assert table_rows(db_path, CHECK_INS) == []
