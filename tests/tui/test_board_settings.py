"""The board follows the settings and the echoes of the commands: the lost dialog offers
[deals] lost_reasons, a close date typed is named as it was read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.test_board_workflows import LOVELACE, drive, press, type_text


def test_the_board_lost_dialog_offers_the_suggested_reasons(
    board_db: Any, db_path: Path, hermetic: Path
) -> None:
    from textual.widgets import Input

    (hermetic / "config.toml").write_text('[deals]\nlost_reasons = ["price", "timing"]\n')
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "x")
        field = app.screen.query_one("#field-reason", Input)
        seen.append(field.placeholder)
        await type_text(pilot, "ti")
        await pilot.pause(0.1)
        await press(pilot, "right")  # takes the suggestion
        seen.append(field.value)
        await press(pilot, "enter")

    drive(board_db, steps)
    assert seen == ["price, timing", "timing"]
    assert table_rows(db_path, "SELECT status, lost_reason FROM deal WHERE id=?", LOVELACE) == [
        ("lost", "timing")
    ]


def test_the_board_names_the_close_date_it_read(board_db: Any, db_path: Path) -> None:
    from tests.tui.test_board_context import messages
    from tests.tui.test_board_workflows import fill_form

    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "e")
        await fill_form(pilot, close="next fri")
        seen.extend(messages(app))

    drive(board_db, steps)
    assert seen[-1].endswith(": expected close Fri 2026-12-04")
    assert table_rows(db_path, "SELECT expected_close FROM deal WHERE id=?", LOVELACE) == [
        ("2026-12-04",)
    ]
