"""The help screen (`?`): titled, each description in its own column, scrolling when small."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.test_board_workflows import drive, press


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_help_screen_is_titled_and_wraps_in_its_own_column(
    board_db: Any, size: tuple[int, int]
) -> None:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "question_mark")
        box = app.screen.query_one("#keys")
        seen["title"] = box.border_title
        keys = list(app.screen.query(".keys-key"))
        whats = list(app.screen.query(".keys-what"))
        seen["columns"] = {w.region.x for w in whats}
        seen["keys fit"] = all(
            k.region.right <= w.region.x for k, w in zip(keys, whats, strict=True)
        )
        seen["inside"] = all(w.region.right <= box.region.right for w in whats)
        seen["box fits"] = box.region.bottom <= size[1]
        seen["wrapped"] = any(w.region.height > 1 for w in whats)
        before = box.scroll_y
        await press(pilot, "pagedown")
        seen["scrolls"] = box.scroll_y > before
        await press(pilot, "escape")
        seen["closed"] = app.screen.id

    drive(board_db, steps, size=size)
    assert seen["title"] == "Every key"
    assert len(seen["columns"]) == 1
    assert seen["keys fit"] and seen["inside"] and seen["box fits"]
    assert seen["wrapped"] == (size == (80, 24))
    assert seen["scrolls"]
    assert seen["closed"] == "board-screen"
