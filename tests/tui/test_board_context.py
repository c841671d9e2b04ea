"""Context on the board: forms and questions name their record, every change says what it
did, a form error names its field, a closed card asks before it is reopened, forms fit."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.tui.conftest import settle
from tests.tui.test_board_workflows import (
    LOVELACE,
    drive,
    fill_form,
    press,
    shown,
    type_text,
)

NAME = f"#{LOVELACE} Lovelace website redesign"


def messages(app: Any) -> list[str]:
    """Return the notifications the board has shown, oldest first."""
    return [str(n.message) for n in app._notifications]


def focused_id(app: Any) -> str | None:
    return app.focused.id if app.focused is not None else None


def test_every_form_and_question_names_its_deal_and_contact(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        for key in ("f", "x", "i", "e", "n"):
            await press(pilot, key)
            seen.append(shown(app, "#form-title"))
            await press(pilot, "escape")
        await press(pilot, "w", "less_than_sign")
        seen.append(shown(app, "#confirm-title"))

    drive(board_db, steps)
    assert seen == [
        f"New follow-up on {NAME}",
        f"Mark {NAME} lost",
        f"Log an interaction with Ada Lovelace on {NAME}",
        f"Edit {NAME}",
        "New deal in Prospecting (Sales pipeline)",
        f"Reopen {NAME}",
    ]


def test_a_contacts_forms_name_the_contact(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "enter", "d")
        for key in ("i", "f"):
            await press(pilot, key)
            seen.append(shown(app, "#form-title"))
            await press(pilot, "escape")

    drive(board_db, steps)
    assert seen == ["Log an interaction with Ada Lovelace", "New follow-up for Ada Lovelace"]


def test_the_log_form_takes_when_and_direction(board_db: Any, db_path: Path) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "i")
        await fill_form(pilot, kind="meeting", direction="in", when="yesterday 3pm", summary="demo")
        seen.extend(messages(app))

    drive(board_db, steps)
    assert table_rows(
        db_path,
        "SELECT kind, direction, occurred_at FROM interaction WHERE summary='demo' AND deal_id=?",
        LOVELACE,
    ) == [("meeting", "in", "2026-11-22 15:00:00.000000")]
    assert seen[-1] == (
        f"Logged meeting (they reached out) with Ada Lovelace on {NAME} at Sun 2026-11-22 15:00"
    )


def test_the_log_form_defaults_to_now_and_no_direction(board_db: Any, db_path: Path) -> None:
    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "i")
        await fill_form(pilot, summary="quick note")

    drive(board_db, steps)
    assert table_rows(
        db_path, "SELECT kind, direction, occurred_at FROM interaction WHERE summary='quick note'"
    ) == [("call", None, "2026-11-23 10:00:00.000000")]


def test_a_when_that_cannot_be_read_or_is_to_come_is_refused_in_its_field(
    board_db: Any, db_path: Path
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "i")
        for when in ("sometime soon", "tomorrow"):
            await fill_form(pilot, when=when, summary="odd")
            seen.append((shown(app, "#form-error").splitlines()[0], focused_id(app)))
        await fill_form(pilot, when="now", direction="sideways")
        seen.append((shown(app, "#form-error").splitlines()[0], focused_id(app)))
        await press(pilot, "escape")

    drive(board_db, steps)
    assert seen == [
        ("When: cannot read the date 'sometime soon'", "field-when"),
        (
            "When: 'tomorrow' is in the future; an interaction is something that happened",
            "field-when",
        ),
        ("Direction: not a direction: 'sideways'", "field-direction"),
    ]
    assert table_rows(db_path, "SELECT count(*) FROM interaction WHERE summary='odd'") == [(0,)]


def test_a_form_error_names_its_field_and_focuses_it(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "n")
        await fill_form(pilot, title="Odd deal", value="lots")
        seen.append((shown(app, "#form-error"), focused_id(app)))
        # a contact is looked up when the deal is saved: the form comes back, naming it
        await fill_form(pilot, value="5k", contact="nobody like this")
        seen.append((shown(app, "#form-error").splitlines()[0], focused_id(app)))
        values = {n: app.screen.query_one(f"#field-{n}").value for n in ("title", "value")}
        seen.append(values)
        await press(pilot, "escape")

    drive(board_db, steps)
    assert seen[0][0].startswith("Value: not an amount")
    assert seen[0][1] == "field-value"
    assert seen[1][0].startswith("Contact: no contact matches")
    assert seen[1][1] == "field-contact"
    assert seen[2] == {"title": "Odd deal", "value": "5k"}
    assert table_rows(db_path, "SELECT count(*) FROM deal WHERE title='Odd deal'") == [(0,)]


def test_every_change_says_what_it_did(board_db: Any, db_path: Path) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        async def then(*keys: str, **values: str) -> None:
            await press(pilot, *keys)
            if values:
                await fill_form(pilot, **values)
            seen.append(messages(app)[-1])

        await then("greater_than_sign")
        await then("f", title="send contract", due="2026-11-25 15:30")
        await then("i", summary="sent it")
        await then("e", value="20000")
        await then("x", reason="price")
        await then("u")
        await then("w")
        await then("l", "n", title="Hopper training", contact="grace")

    drive(board_db, steps)
    new_fu = table_rows(db_path, "SELECT id FROM follow_up WHERE title='send contract'")[0][0]
    new_deal = table_rows(db_path, "SELECT id FROM deal WHERE title='Hopper training'")[0][0]
    assert seen == [
        f"Moved {NAME} to Qualifying",
        f"Follow-up #{new_fu} send contract on {NAME}, due Wed 2026-11-25 15:30",
        f"Logged call with Ada Lovelace on {NAME} at Mon 2026-11-23 10:00",
        f"Saved {NAME}: value",
        f"Lost {NAME} (price); cancelled 2 open follow-ups of #{LOVELACE}: #63 check in, "
        f"#{new_fu} send contract",
        f"Undid: move deal #{LOVELACE} Lovelace website redesign to lost",
        f"Won {NAME}; Ada Lovelace is now a customer; cancelled 2 open follow-ups of "
        f"#{LOVELACE}: #63 check in, #{new_fu} send contract",
        f"Added deal #{new_deal} Hopper training for Grace Hopper",
    ]


def test_done_and_snooze_on_the_agenda_say_what_they_did(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        rows = app.screen.query_one("#agenda")
        first = rows.row(rows.cursor)["id"]
        seen.append(first)
        await press(pilot, "d", "z")
        seen.append(shown(app, "#form-title"))
        await fill_form(pilot, until="2026-11-30 09:00")
        seen.extend(messages(app))

    drive(board_db, steps)
    first = int(seen[0])
    title = table_rows(db_path, "SELECT title FROM follow_up WHERE id=?", first)[0][0]
    assert seen[1].startswith("Snooze follow-up #") and " on #" in seen[1]
    assert seen[2] == f"Done: follow-up #{first} {title}"
    assert seen[3].startswith("Snoozed follow-up #")
    assert seen[3].endswith("until Mon 2026-11-30 09:00")


def test_a_recurring_follow_up_done_says_its_next_date(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        rows = app.screen.query_one("#agenda")
        first = int(rows.row(rows.cursor)["id"])
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute("UPDATE follow_up SET rrule='FREQ=WEEKLY' WHERE id=?", (first,))
        conn.close()
        await press(pilot, "d")
        seen.append(first)
        seen.extend(messages(app))

    drive(board_db, steps)
    first = seen[0]
    (due,) = table_rows(db_path, "SELECT due_at FROM follow_up WHERE id=?", first)[0]
    from datetime import UTC, datetime

    from tinycrm.domain import dates

    (all_day,) = table_rows(db_path, "SELECT all_day FROM follow_up WHERE id=?", first)[0]
    expected = dates.describe(datetime.fromisoformat(due).replace(tzinfo=UTC), bool(all_day))
    assert seen[1].endswith(f"; next on {expected}")
    assert table_rows(db_path, "SELECT status FROM follow_up WHERE id=?", first) == [("open",)]


def test_a_stage_key_on_a_closed_card_asks_before_reopening(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    def status() -> tuple[str, str]:
        return table_rows(
            db_path,
            "SELECT d.status, s.name FROM deal d JOIN stage s ON s.id=d.stage_id WHERE d.id=?",
            LOVELACE,
        )[0]

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "w", "less_than_sign")
        seen.append(shown(app, "#confirm-text").splitlines()[0])
        await press(pilot, "escape")
        seen.append(status())
        await press(pilot, "greater_than_sign", "escape")
        seen.append(status())
        await press(pilot, "greater_than_sign", "n")
        seen.append(status())
        await press(pilot, "greater_than_sign", "enter")
        seen.append(status())
        seen.append(messages(app)[-1])

    drive(board_db, steps)
    assert seen == [
        f"{NAME} is won. Reopen it? It goes back to Prospecting as an open deal.",
        ("won", "Prospecting"),
        ("won", "Prospecting"),
        ("won", "Prospecting"),
        ("open", "Prospecting"),
        f"Reopened {NAME} in Prospecting",
    ]


def test_a_stage_key_on_a_closed_deals_details_asks_too(board_db: Any, db_path: Path) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "x")
        await type_text(pilot, "timing")
        await press(pilot, "enter", "enter")
        seen.append(app.screen.query_one("#details-title").content)
        await press(pilot, "greater_than_sign")
        seen.append(shown(app, "#confirm-title"))
        await press(pilot, "y")

    drive(board_db, steps)
    assert seen[1] == f"Reopen {NAME}"
    assert table_rows(db_path, "SELECT status, lost_reason FROM deal WHERE id=?", LOVELACE) == [
        ("open", None)
    ]


def test_the_new_deal_form_fits_80x24(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "n")
        form = app.screen.query_one("#form")
        seen.append(form.region.bottom <= 24)
        for button in ("#form-save", "#form-cancel"):
            seen.append(app.screen.query_one(button).region.bottom <= form.region.bottom)
        await fill_form(pilot, title="Odd deal", value="lots", currency="nope")
        seen.append(form.region.bottom <= 24)
        await press(pilot, "escape")

    drive(board_db, steps, size=(80, 24))
    assert seen == [True, True, True, True]


def test_crm_move_names_a_reopening_too(jane: Path, crm: Any) -> None:
    assert crm("move", "2", "won").exit_code == 0
    result = crm("move", "2", "prospecting")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "Reopened deal #2 Acme website in Prospecting (it was won); Jane Doe stays a customer"
    )


def test_redo_from_the_palette_says_what_it_did(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "greater_than_sign", "u")
        app.action_redo()
        await settle(pilot)
        seen.append(messages(app)[-1])

    drive(board_db, steps)
    assert seen == [f"Redid: move deal #{LOVELACE} Lovelace website redesign to Qualifying"]


def test_a_snoozed_all_day_follow_up_shows_as_the_commands_show_it(
    board_db: Any, db_path: Path
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        rows = app.screen.query_one("#agenda")
        first = int(rows.row(rows.cursor)["id"])
        seen.append(first)
        conn = sqlite3.connect(db_path)
        with conn:  # all day, today
            conn.execute(
                "UPDATE follow_up SET all_day=1, due_at='2026-11-23 00:00:00.000000',"
                " snoozed_until=NULL WHERE id=?",
                (first,),
            )
        conn.close()
        app.reload_screens()
        await settle(pilot)

        def line() -> int:
            return next(i for i in range(rows.total) if rows.row(i)["id"] == first)

        rows.cursor = line()
        await press(pilot, "z")
        await fill_form(pilot, until="tomorrow")  # to a day: still all day
        rows.cursor = line()
        await press(pilot, "z")
        await fill_form(pilot, until="tomorrow 3pm")  # to a time: timed from then on
        seen.extend(messages(app))
        seen.append(rows.row(line())["due"])

    drive(board_db, steps)
    first = seen[0]
    assert seen[-3].endswith("until Tue 2026-11-24")
    assert seen[-2].endswith("until Tue 2026-11-24 15:00")
    assert seen[-1] == "2026-11-24 15:00"
    assert table_rows(db_path, "SELECT snoozed_until FROM follow_up WHERE id=?", first) == [
        ("2026-11-24 15:00:00.000000",)
    ]


def test_a_reply_logged_on_the_board_says_which_sequence_it_stopped(
    board_db: Any, db_path: Path, crm: Any
) -> None:
    assert crm("sequence", "add", "Onboarding", "--step", "0d call: intro").exit_code == 0
    assert crm("sequence", "start", "Onboarding", f"#{LOVELACE}").exit_code == 0
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "i")
        await fill_form(pilot, kind="email", direction="in", summary="yes, let's talk")
        seen.extend(messages(app))

    drive(board_db, steps)
    assert seen[-1].endswith("; Stopped sequence Onboarding for Ada Lovelace: they replied")
    assert table_rows(db_path, "SELECT status, stop_reason FROM sequence_run") == [
        ("stopped", "reply")
    ]
