"""Driving the board with keys, and checking what landed in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.conftest import settle

Steps = Callable[[Any, Any], Awaitable[None]]


def drive(db: Any, steps: Steps, size: tuple[int, int] = (120, 40), watch: bool = False) -> Any:
    """Run the board on `db`, let `steps(pilot, app)` act, and return the app afterwards."""
    from tinycrm.tui.app import CrmApp

    app = CrmApp(db, watch=watch)

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot, app)
            await settle(pilot)

    asyncio.run(run())
    return app


async def press(pilot: Any, *keys: str) -> None:
    """Press keys one by one, letting the board reload after each."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def type_text(pilot: Any, text: str) -> None:
    """Type text into the focused input."""
    await pilot.press(*list(text))
    await settle(pilot)


async def fill_form(pilot: Any, **values: str) -> None:
    """Put values into the open form's fields and press its save button (once it has come
    back up from the last press: Textual's button ignores a click while it shows one)."""
    for name, value in values.items():
        pilot.app.screen.query_one(f"#field-{name}").value = value
    button = pilot.app.screen.query_one("#form-save")
    for _ in range(100):
        if not button.has_class("-active"):
            break
        await pilot.pause(0.02)
    await pilot.click("#form-save")
    await settle(pilot)


def shown(app: Any, selector: str) -> str:
    """Return the text a Static of the current screen shows, as a person would read it."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen.query_one(selector).content)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()).strip()


# Demo records by id: one id sequence for every kind, so the deals come after the people and
# their companies.
ADA = 2  # contact Ada Lovelace
LOVELACE = 62  # deal "Lovelace website redesign", the oldest in Prospecting
HOPPER = 64  # deal "Hopper CRM migration"
PAULING = 69  # deal "Pauling annual retainer"


def selected(app: Any) -> int | None:
    """Return the id of the deal selected on the board."""
    from tinycrm.tui.screens.board import BoardScreen

    board = next(s for s in app.screen_stack if isinstance(s, BoardScreen))
    return board.selected_id


def stage_of(db_path: Path, deal_id: int) -> str:
    return str(
        table_rows(
            db_path,
            "SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id=?",
            deal_id,
        )[0][0]
    )


def test_the_board_starts_on_the_oldest_prospecting_deal(board_db: Any) -> None:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        seen["deal"] = selected(app)
        seen["focus"] = app.focused.id

    drive(board_db, steps)
    assert seen == {"deal": LOVELACE, "focus": "cards-stage-1"}


def test_moving_right_then_left_records_stage_changes(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "greater_than_sign")
        assert app.focused.id == "cards-stage-2" and selected(app) == LOVELACE
        await press(pilot, "shift+right", "less_than_sign")

    drive(board_db, steps)
    rows = table_rows(
        db_path,
        "SELECT f.name, t.name FROM stage_change c JOIN stage f ON f.id = c.from_stage_id"
        " JOIN stage t ON t.id = c.to_stage_id WHERE c.deal_id = ? ORDER BY c.id",
        LOVELACE,
    )
    assert rows == [
        ("Prospecting", "Qualifying"),
        ("Qualifying", "Presenting"),
        ("Presenting", "Qualifying"),
    ]
    assert stage_of(db_path, LOVELACE) == "Qualifying"
    origins = table_rows(db_path, "SELECT DISTINCT origin FROM event WHERE entity='stage_change'")
    assert ("tui",) in origins


def test_moving_left_from_the_first_stage_is_refused_and_changes_nothing(
    board_db: Any, db_path: Path
) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "less_than_sign")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT count(*) FROM stage_change WHERE deal_id=?", LOVELACE) == [
        (1,)
    ]


def test_arrows_and_hjkl_move_the_selection(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j")
        seen.append(selected(app))
        await press(pilot, "l")
        seen.append(app.focused.id)
        await press(pilot, "left", "down", "up", "k")
        seen.append(selected(app))

    drive(board_db, steps)
    assert seen == [PAULING, "cards-stage-2", LOVELACE]


def test_won_marks_the_selected_deal_won(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "w")

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT status, closed_at IS NOT NULL FROM deal WHERE id=?", LOVELACE
    ) == [("won", 1)]


def test_lost_asks_for_the_reason(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "x")
        await type_text(pilot, "price")
        await press(pilot, "enter")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status, lost_reason FROM deal WHERE id=?", LOVELACE) == [
        ("lost", "price")
    ]


def test_escape_in_the_lost_dialog_changes_nothing(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "x", "escape")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("open",)]


def test_new_deal_goes_into_the_focused_stage(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "l", "n")
        await fill_form(pilot, title="Hopper training", contact="grace", value="2.5k")

    drive(board_db, steps)
    rows = table_rows(
        db_path,
        "SELECT d.value, d.currency, s.name, c.name FROM deal d JOIN stage s ON s.id=d.stage_id"
        " JOIN contact c ON c.id=d.contact_id WHERE d.title='Hopper training'",
    )
    assert rows == [(250000, "USD", "Qualifying", "Grace Hopper")]


def test_a_new_deal_with_a_bad_amount_stays_in_the_form(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "n")
        await fill_form(pilot, title="Odd deal", value="lots")
        seen.append(shown(app, "#form-error"))
        await press(pilot, "escape")

    drive(board_db, steps)
    assert "not an amount" in seen[0]
    assert table_rows(db_path, "SELECT count(*) FROM deal WHERE title='Odd deal'") == [(0,)]


def test_a_new_deal_may_recur(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "n")
        await fill_form(pilot, title="Hosting", value="500", recurring="daily")
        seen.append(shown(app, "#form-error"))
        await fill_form(pilot, recurring="monthly")

    drive(board_db, steps)
    assert "not a recurrence: 'daily'" in seen[0]
    assert table_rows(db_path, "SELECT value, recurring FROM deal WHERE title='Hosting'") == [
        (50000, "monthly")
    ]


def test_log_an_interaction_on_the_deal(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "i")
        await fill_form(pilot, kind="email", summary="sent the quote")

    drive(board_db, steps)
    assert table_rows(
        db_path,
        "SELECT kind, summary, contact_id FROM interaction WHERE deal_id=? ORDER BY id",
        LOVELACE,
    )[-1] == ("email", "sent the quote", ADA)


def test_follow_up_due_text_is_parsed(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "f")
        await fill_form(pilot, title="send contract", due="2026-11-25 15:30")

    drive(board_db, steps)
    assert table_rows(
        db_path,
        "SELECT due_at, all_day FROM follow_up WHERE title='send contract' AND deal_id=?",
        LOVELACE,
    ) == [("2026-11-25 15:30:00.000000", 0)]


def test_edit_changes_title_value_and_close(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "e", "end")
        await type_text(pilot, " v2")
        await fill_form(pilot, value="20000", close="2027-01-31")

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT title, value, expected_close FROM deal WHERE id=?", LOVELACE
    ) == [("Lovelace website redesign v2", 2000000, "2027-01-31")]


def test_edit_makes_a_value_recurring_and_refuses_an_unknown_period(
    board_db: Any, db_path: Path
) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "e")
        await fill_form(pilot, recurring="fortnightly")
        assert "not a recurrence: 'fortnightly'" in shown(app, "#form-error")
        await fill_form(pilot, recurring="Monthly")

    drive(board_db, steps)
    assert table_rows(db_path, "SELECT recurring FROM deal WHERE id=?", LOVELACE) == [("monthly",)]


def test_undo_on_the_board_reverts_the_move(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "greater_than_sign", "u")

    drive(board_db, steps)
    assert stage_of(db_path, LOVELACE) == "Prospecting"
    assert table_rows(db_path, "SELECT count(*) FROM stage_change WHERE deal_id=?", LOVELACE) == [
        (1,)
    ]


def test_crm_undo_in_a_shell_reverts_a_board_move(board_db: Any, db_path: Path, crm: Any) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "greater_than_sign")

    drive(board_db, steps)
    result = crm("--db", str(db_path), "undo")
    assert result.exit_code == 0, result.stderr
    assert f"move deal #{LOVELACE} Lovelace website redesign to Qualifying" in result.stdout
    assert stage_of(db_path, LOVELACE) == "Prospecting"


def test_board_undo_reverts_a_crm_command(board_db: Any, db_path: Path, crm: Any) -> None:
    assert crm("--db", str(db_path), "move", str(LOVELACE), "closing").exit_code == 0

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "u")

    drive(board_db, steps)
    assert stage_of(db_path, LOVELACE) == "Prospecting"


def test_filter_narrows_the_board(board_db: Any) -> None:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "slash")
        await type_text(pilot, "helix")
        await press(pilot, "enter")
        board = app.screen
        seen["ids"] = sorted(c.id for col in board.board.columns for c in col.cards)
        seen["selected"] = selected(app)
        await press(pilot, "escape")
        seen["after"] = sum(len(col.cards) for col in board.board.columns)

    drive(board_db, steps)
    assert seen["ids"] == [PAULING, 75]
    assert seen["selected"] == PAULING
    assert seen["after"] == 24


def test_sort_by_follow_up_puts_overdue_first(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "s")
        cards = app.screen.board.columns[0].cards
        seen.extend(c.follow_up for c in cards)

    drive(board_db, steps)
    assert seen == ["overdue", "overdue", "today", "today", "later"]


def test_enter_opens_the_deal_with_its_timeline(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter")
        seen.append(shown(app, "#details-title"))
        seen.append(shown(app, "#timeline"))
        await press(pilot, "greater_than_sign")
        seen.append(shown(app, "#details-fields"))
        await press(pilot, "escape")
        seen.append(app.screen.id)

    drive(board_db, steps)
    assert seen[0] == f"deal #{LOVELACE} Lovelace website redesign"
    assert "created in Prospecting" in seen[1]
    assert "Qualifying (Sales)" in seen[2]
    assert seen[3] == "board-screen"
    assert stage_of(db_path, LOVELACE) == "Qualifying"


def test_clicking_a_selected_card_opens_it(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.click("#cards-stage-2", offset=(3, 5))
        await settle(pilot)
        seen.append(selected(app))
        await pilot.click("#cards-stage-2", offset=(3, 5))
        await settle(pilot)
        seen.append(shown(app, "#details-title"))

    drive(board_db, steps)
    assert seen[0] == HOPPER
    assert seen[1] == f"deal #{HOPPER} Hopper CRM migration"


def test_agenda_marks_done_and_snoozes(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        lines = app.screen.query_one("#agenda")
        first = lines.row(lines.cursor)["id"]
        await press(pilot, "d")
        second = lines.row(lines.cursor)["id"]
        await press(pilot, "z")
        await fill_form(pilot, until="2026-11-30 09:00")
        app.done_ids = (int(first), int(second))

    app = drive(board_db, steps)
    first, second = app.done_ids
    assert table_rows(db_path, "SELECT status FROM follow_up WHERE id=?", first) == [("done",)]
    assert table_rows(
        db_path, "SELECT status, snoozed_until FROM follow_up WHERE id=?", second
    ) == [("open", "2026-11-30 09:00:00.000000")]


def test_contacts_search_and_open(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "c", "slash")
        await type_text(pilot, "curie")
        await press(pilot, "enter", "enter")
        seen.append(shown(app, "#details-title"))
        seen.append(shown(app, "#details-fields"))

    drive(board_db, steps)
    assert seen[0] == "contact #12 Marie Curie"
    assert "Radium & Co" in seen[1]


def test_another_process_writing_shows_up_within_two_seconds(board_db: Any, crm: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        result = crm("--db", str(board_db.path), "move", "85", "closing")
        assert result.exit_code == 0
        await asyncio.sleep(1.5)
        await settle(pilot)
        closing = app.screen.board.columns[3].cards
        seen.append(85 in [c.id for c in closing])

    drive(board_db, steps, watch=True)
    assert seen == [True]


def test_a_follow_up_falling_due_raises_a_notification(board_db: Any) -> None:
    from datetime import timedelta

    from tests.tui.conftest import NOW
    from tinycrm.core import deals, followups
    from tinycrm.domain import dates

    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        with board_db.transaction(summary="add a due follow-up") as s:
            followups.add_follow_up(
                s,
                "ring Ada now",
                dates.When(NOW - timedelta(minutes=1), all_day=False),
                now=NOW,
                deal=deals.get_deal(s, LOVELACE),
            )
        await asyncio.sleep(1.3)
        await settle(pilot)
        seen.extend(n.message for n in app._notifications)

    drive(board_db, steps, watch=True)
    assert "Follow-up due: ring Ada now" in seen


def test_command_palette_opens_the_agenda(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "ctrl+p")
        await type_text(pilot, "agenda")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        seen.append(app.screen.id)

    drive(board_db, steps)
    assert seen == ["agenda-screen"]


def test_p_switches_to_the_next_pipeline(board_db: Any, db_path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO pipeline (id, uuid, name, is_default, created_at, updated_at)"
            " VALUES (2, 'p2', 'Partners', 0, '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO stage (uuid, pipeline_id, name, position, probability, created_at,"
            " updated_at) VALUES ('s9', 2, 'Talking', 1, 20, '2026-01-01', '2026-01-01')"
        )
    conn.close()
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "p")
        seen.append([c.name for c in app.screen.board.columns])
        await press(pilot, "p")
        seen.append(len(app.screen.board.columns))

    drive(board_db, steps)
    assert seen == [["Talking"], 4]


def test_question_mark_lists_every_key(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "question_mark")
        seen.append("\n".join(str(w.content) for w in app.screen.query(".keys-what")))
        await press(pilot, "escape")
        seen.append(app.screen.id)

    drive(board_db, steps)
    assert "mark the deal lost (asks the reason)" in seen[0]
    assert seen[1] == "board-screen"


def test_log_from_a_contacts_details(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d", "i")
        await fill_form(pilot, kind="meeting", summary="lunch")
        lines = shown(app, "#timeline").splitlines()
        assert any(line.split()[2:] == ["meeting", "lunch"] for line in lines), lines

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT contact_id, deal_id FROM interaction WHERE summary='lunch'"
    ) == [(ADA, None)]


def test_agenda_enter_opens_the_follow_ups_deal(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a", "enter")
        seen.append(shown(app, "#details-title"))

    drive(board_db, steps)
    assert seen == ["deal #79 Noether brand refresh"]


def test_an_empty_database_gets_its_first_deal_from_the_board(db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "w")
        seen.append(app._notifications and list(app._notifications)[-1].message)
        await press(pilot, "n")
        await fill_form(pilot, title="First deal", value="1k", currency="eur")
        seen.append(selected(app))

    drive(db, steps)
    assert seen == ["No deal selected", 1]
    assert table_rows(db_path, "SELECT title, value, currency FROM deal") == [
        ("First deal", 100000, "EUR")
    ]


def test_a_deal_opens_its_company(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "j", "enter", "o")
        seen.append(shown(app, "#details-title"))
        seen.append(shown(app, "#details-fields"))

    drive(board_db, steps)
    assert seen[0] == "company #9 Helix Bio"
    assert "#10 Linus Pauling, #15 Rosalind Franklin" in seen[1]


def test_after_moves_and_a_win_the_board_matches_a_fresh_load(board_db: Any) -> None:
    from tests.tui.conftest import NOW
    from tinycrm.core import board

    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "greater_than_sign", "j", "greater_than_sign", "l", "w")
        data = app.screen.board
        seen.append([[c.id for c in col.cards] for col in [*data.columns, data.closed]])
        seen.append(shown(app, "#col-closed .column-header"))

    drive(board_db, steps)
    with board_db.snapshot() as s:
        fresh = board.load_board(s, NOW)
    assert seen[0] == [[c.id for c in col.cards] for col in [*fresh.columns, fresh.closed]]
    assert seen[1].splitlines()[1] == "5 deals"


def test_the_footer_is_kept_across_columns_and_rebuilt_when_its_keys_change(board_db: Any) -> None:
    seen: dict[str, Any] = {}

    def keys(app: Any) -> list[Any]:
        return list(app.screen.query("FooterKey"))

    async def steps(pilot: Any, app: Any) -> None:
        seen["first"] = keys(app)
        await press(pilot, "right", "right", "left")
        seen["after moves"] = keys(app)
        await press(pilot, "c")  # the contacts screen has keys of its own
        seen["contacts"] = [k.key for k in keys(app)]

    drive(board_db, steps)
    assert seen["first"], "the board shows its keys"
    assert seen["after moves"] == seen["first"]  # the very same widgets: nothing rebuilt
    assert seen["contacts"] and seen["contacts"] != [k.key for k in seen["first"]]
