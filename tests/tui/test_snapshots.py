"""What the board's screens look like, at a wide and a small terminal (seeded data, fixed now)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tui.conftest import settle

SIZES = [(120, 40), (80, 24)]


def app_on(db: Any) -> Any:
    from tinycrm.tui.app import CrmApp

    return CrmApp(db, watch=False)


def keys(*pressed: str) -> Any:
    """Return a run_before that presses keys and waits for the board after each."""

    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
class TestScreens:
    """Each screen of the board on the demo data."""

    def test_board(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys())

    def test_deal(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("l", "enter"))

    def test_contacts(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("c"))

    def test_agenda(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("a"))

    def test_reports(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("r"))

    def test_contact(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("enter", "d"))

    def test_company(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        run_before = keys("j", "enter", "o")
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=run_before)

    def test_contact_form(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        run_before = keys("enter", "d", "e")
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=run_before)

    def test_new_deal_form(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("n"))

    def test_log_form(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("i"))

    def test_keys(self, board_db: Any, snap_compare: Any, size: tuple[int, int]) -> None:
        assert snap_compare(app_on(board_db), terminal_size=size, run_before=keys("question_mark"))
