"""Keys that come in a burst act on the deal the seller pressed them on, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.conftest import burst, settle, typed
from tests.tui.test_board_workflows import LOVELACE, drive, selected, stage_of

DEALS = "SELECT id, stage_id, status, lost_reason, title, value FROM deal ORDER BY id"


def changed_deals(before: list[tuple[Any, ...]], db_path: Path) -> list[int]:
    """Return the ids of the deals whose row differs from `before`."""
    after = {row[0]: row for row in table_rows(db_path, DEALS)}
    return sorted(i for i, row in {r[0]: r for r in before}.items() if after.get(i) != row)


def moves_of(db_path: Path) -> dict[int, int]:
    rows = table_rows(db_path, "SELECT deal_id, count(*) FROM stage_change GROUP BY deal_id")
    return dict(rows)


def test_three_moves_in_a_burst_move_the_selected_deal_three_stages(
    board_db: Any, db_path: Path
) -> None:
    before, moves = table_rows(db_path, DEALS), moves_of(db_path)
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await burst(pilot, ">", ">", ">")
        await settle(pilot)
        seen.append((selected(app), app.focused.id))

    drive(board_db, steps)
    assert stage_of(db_path, LOVELACE) == "Closing"
    assert changed_deals(before, db_path) == [LOVELACE]
    after = moves_of(db_path)
    assert {d: n - moves.get(d, 0) for d, n in after.items() if n != moves.get(d, 0)} == {
        LOVELACE: 3
    }
    assert seen == [(LOVELACE, "cards-stage-4")]  # the selection followed the deal


def test_three_moves_pressed_without_a_pause_move_the_same_deal(
    board_db: Any, db_path: Path
) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press(">", ">", ">")

    drive(board_db, steps)
    assert stage_of(db_path, LOVELACE) == "Closing"
    assert changed_deals(before, db_path) == [LOVELACE]


def test_a_move_and_a_win_in_a_burst_win_the_moved_deal(board_db: Any, db_path: Path) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        await burst(pilot, ">", "w")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]
    assert stage_of(db_path, LOVELACE) == "Qualifying"
    assert changed_deals(before, db_path) == [LOVELACE]


def test_won_pressed_twice_in_a_burst_wins_only_the_selected_deal(
    board_db: Any, db_path: Path
) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        await burst(pilot, "w", "w")

    drive(board_db, steps)
    assert changed_deals(before, db_path) == [LOVELACE]


def test_a_move_then_lost_typed_fast_marks_the_moved_deal_lost(
    board_db: Any, db_path: Path
) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        await burst(pilot, ">", "x", *typed("price"), "enter")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status, lost_reason FROM deal WHERE id=?", LOVELACE) == [
        ("lost", "price")
    ]
    assert changed_deals(before, db_path) == [LOVELACE]


def test_a_move_then_a_follow_up_typed_fast_lands_on_the_moved_deal(
    board_db: Any, db_path: Path
) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        keys = [">", "f", *typed("ring the board"), "enter", *typed("2026-12-03"), "enter"]
        await burst(pilot, *keys)

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT deal_id, due_at FROM follow_up WHERE title='ring the board'"
    ) == [(LOVELACE, "2026-12-03 00:00:00.000000")]
    assert changed_deals(before, db_path) == [LOVELACE]


def test_a_move_then_a_log_typed_fast_lands_on_the_moved_deal(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        # kind (call), direction (none), when (now), then what happened
        await burst(pilot, ">", "i", "enter", "enter", "enter", *typed("sent the quote"), "enter")

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT deal_id, kind FROM interaction WHERE summary='sent the quote'"
    ) == [(LOVELACE, "call")]
    assert stage_of(db_path, LOVELACE) == "Qualifying"


def test_a_new_deal_typed_fast_puts_each_value_in_its_field(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        keys = ["n", *typed("Acme"), "enter", *typed("ada"), "enter", *typed("5k"), "enter"]
        await burst(pilot, *keys, "enter", "enter")  # past the currency and the value per

    drive(board_db, steps)
    rows = table_rows(
        db_path,
        "SELECT d.title, c.name, d.value, s.name FROM deal d JOIN contact c ON c.id = d.contact_id"
        " JOIN stage s ON s.id = d.stage_id WHERE d.title LIKE 'Acme%'",
    )
    assert rows == [("Acme", "Ada Lovelace", 500000, "Prospecting")]


def test_an_edit_typed_fast_changes_the_deal_the_key_was_pressed_on(
    board_db: Any, db_path: Path
) -> None:
    before = table_rows(db_path, DEALS)

    async def steps(pilot: Any, app: Any) -> None:
        # title, value, value per, close: the fourth enter saves
        await burst(pilot, ">", "e", "end", *typed(" v2"), "enter", "enter", "enter", "enter")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT title FROM deal WHERE id=?", LOVELACE) == [
        ("Lovelace website redesign v2",)
    ]
    assert changed_deals(before, db_path) == [LOVELACE]


def test_quitting_right_after_a_move_still_saves_it(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await burst(pilot, ">", "q")

    drive(board_db, steps)
    assert stage_of(db_path, LOVELACE) == "Qualifying"
