"""The board offers the next step after a stage move, a win and a follow-up done on the
agenda: a line on the status line, never in the way (keys go on working), `f` takes it and
`esc` skips it; a follow-up added from a contact is linked to their one open deal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.test_board_workflows import ADA, LOVELACE, drive, fill_form, press, shown

NAME = f"#{LOVELACE} Lovelace website redesign"
OFFER = f"Next step for {NAME}? f: follow-up, esc: skip"
NEW = "SELECT contact_id, deal_id, due_at FROM follow_up WHERE title = ?"


def _form_title(app: Any) -> str:
    from tinycrm.tui.dialogs.forms import FormDialog

    screen = app.screen
    return str(screen.title_text) if isinstance(screen, FormDialog) else ""


def test_a_stage_move_offers_the_next_step_and_f_takes_it(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, ">")
        seen.append(shown(app, "#board-status").startswith(OFFER))
        await press(pilot, "f")
        seen.append(_form_title(app))
        await fill_form(pilot, title="send the quote", due="2026-11-27 15:00")
        seen.append(OFFER in shown(app, "#board-status"))

    drive(board_db, steps)
    assert seen == [True, f"New follow-up on {NAME}", False]
    assert table_rows(db_path, NEW, "send the quote") == [
        (ADA, LOVELACE, "2026-11-27 15:00:00.000000")
    ]


def test_the_offer_never_blocks_and_esc_skips_it(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "w")
        seen.append(shown(app, "#board-status").startswith(OFFER))
        await press(pilot, "escape")
        seen.append(OFFER in shown(app, "#board-status"))
        await press(pilot, "escape")  # nothing offered, no filter: nothing happens
        seen.append(type(app.screen).__name__)

    drive(board_db, steps)
    assert seen == [True, False, "BoardScreen"]
    assert table_rows(db_path, "SELECT status FROM deal WHERE id = ?", LOVELACE) == [("won",)]


def test_esc_closes_a_filter_being_typed_before_it_skips_the_offer(board_db: Any) -> None:
    """A filter opened while a next step is offered: esc closes the filter (as it would
    without the offer) and keys act on the board again; a second esc skips the offer."""
    from tests.tui.test_board_workflows import type_text

    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        screen = app.screen
        await press(pilot, ">")
        await press(pilot, "slash")
        await type_text(pilot, "zz")
        await press(pilot, "escape")
        seen.append((screen.text, screen.focused.id if screen.focused else None))
        seen.append(OFFER in shown(app, "#board-status"))
        await press(pilot, "escape")
        seen.append(OFFER in shown(app, "#board-status"))
        await press(pilot, "a")
        seen.append(type(app.screen).__name__)

    drive(board_db, steps)
    assert seen[0][0] == "" and seen[0][1] != "filter"
    assert seen[1:] == [True, False, "AgendaScreen"]


def test_the_keys_after_a_move_still_act_on_the_board(board_db: Any, db_path: Path) -> None:
    """Three moves in a row: each is a move (the offer is a line, not a dialog)."""

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, ">", ">", ">")

    drive(board_db, steps)
    stage = "SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = ?"
    assert table_rows(db_path, stage, LOVELACE) == [("Closing",)]


def test_the_offer_goes_by_itself(board_db: Any) -> None:
    from dataclasses import replace

    seen: list[bool] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, ">")
        seen.append(OFFER in shown(app, "#board-status"))
        app.screen.offer = replace(app.screen.offer, until=0.0)  # its time has passed
        app.screen.check_time()
        seen.append(OFFER in shown(app, "#board-status"))

    drive(board_db, steps)
    assert seen == [True, False]


def test_done_on_the_agenda_offers_the_next_step(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a", "d")
        seen.append(shown(app, "#agenda-status"))
        await press(pilot, "f")
        seen.append(_form_title(app))
        await fill_form(pilot, title="book the kick-off", due="2026-11-30")

    drive(board_db, steps)
    # the agenda's first line: follow-up #80 "check in" on deal #79, overdue
    deal = table_rows(db_path, "SELECT id, title FROM deal WHERE id = 79")[0]
    name = f"#{deal[0]} {deal[1]}"
    assert seen[0].startswith(f"Next step for {name}? f: follow-up, esc: skip")
    assert seen[1] == f"New follow-up on {name}"
    assert table_rows(db_path, "SELECT status FROM follow_up WHERE id = 80") == [("done",)]
    assert table_rows(
        db_path, "SELECT deal_id FROM follow_up WHERE title = ?", "book the kick-off"
    ) == [(79,)]


def test_esc_on_the_agenda_skips_the_offer_before_going_back(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a", "d", "escape")
        seen.append((type(app.screen).__name__, "Next step" in shown(app, "#agenda-status")))
        await press(pilot, "escape")
        seen.append(type(app.screen).__name__)

    drive(board_db, steps)
    assert seen == [("AgendaScreen", False), "BoardScreen"]


def test_a_follow_up_from_a_contact_is_linked_to_their_one_open_deal(
    board_db: Any, db_path: Path
) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d", "f")  # the deal's details, its contact, a follow-up
        seen.append(_form_title(app))
        await fill_form(pilot, title="ask for a referral", due="2026-11-30")
        seen.extend(str(n.message) for n in app._notifications)

    drive(board_db, steps)
    assert seen[0] == "New follow-up for Ada Lovelace"
    new_id = table_rows(db_path, "SELECT max(id) FROM follow_up")[0][0]
    assert f"Follow-up #{new_id} ask for a referral on {NAME}, due Mon 2026-11-30" in seen
    assert table_rows(db_path, NEW, "ask for a referral") == [
        (ADA, LOVELACE, "2026-11-30 00:00:00.000000")
    ]
