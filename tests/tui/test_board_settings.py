"""The board follows the settings as the commands do: the lost dialog offers
[deals] lost_reasons."""

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
        seen.append(field._suggestion)
        await press(pilot, "right", "enter")

    drive(board_db, steps)
    assert seen == ["price, timing", "timing"]
    assert table_rows(db_path, "SELECT status, lost_reason FROM deal WHERE id=?", LOVELACE) == [
        ("lost", "timing")
    ]
