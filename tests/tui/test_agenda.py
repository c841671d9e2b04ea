"""The agenda screen: keep-in-touch lines beside follow-ups, and a change that redraws only
the lines it touched (counted, not timed: the times are in the board's benchmark)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tests.tui.conftest import NOW
from tests.tui.test_board_workflows import ADA, drive, fill_form, press, shown


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every read of the agenda's follow-ups: what it asked for, how many lines it returned,
    and whether it ran on the UI thread."""
    from tinycrm.core import agenda

    seen: list[dict[str, Any]] = []
    read = agenda.agenda

    def counted(*args: Any, **kwargs: Any) -> list[Any]:
        items = read(*args, **kwargs)
        narrowed = {k: v for k, v in kwargs.items() if k in ("deal_id", "follow_up_id")}
        ui = threading.current_thread() is threading.main_thread()
        seen.append({"narrowed": narrowed, "lines": len(items), "ui_thread": ui})
        return items

    monkeypatch.setattr(agenda, "agenda", counted)
    return seen


def lines_of(app: Any) -> list[dict[str, Any]]:
    rows = app.screen.query_one("#agenda")
    return [dict(rows.row(i)) for i in range(rows.total)]


def test_the_agenda_is_read_off_the_ui_thread(board_db: Any, reads: list[dict[str, Any]]) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        seen.append(len(lines_of(app)))

    drive(board_db, steps)
    assert seen[0] > 0
    assert [r["ui_thread"] for r in reads] == [False]


def test_marking_done_redraws_only_that_line(
    board_db: Any, db_path: Path, reads: list[dict[str, Any]]
) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        before = lines_of(app)
        reads.clear()
        await press(pilot, "d")
        after = lines_of(app)
        seen.extend([before, after])

    drive(board_db, steps)
    before, after = seen
    done = before[0]
    assert table_rows(db_path, "SELECT status FROM follow_up WHERE id=?", done["id"]) == [("done",)]
    assert [line["id"] for line in after] == [line["id"] for line in before[1:]]
    # only the follow-up and its deal were read again, never the whole agenda
    assert reads and all(r["narrowed"] for r in reads), reads
    assert sum(r["lines"] for r in reads) <= 5


def test_keep_in_touch_lines_log_a_touch_and_open_the_contact(board_db: Any, db_path: Path) -> None:
    from datetime import timedelta

    from tinycrm.core import contacts, followups

    with board_db.transaction(summary="keep in touch with Ada") as s:
        ada = contacts.get_contact(s, ADA)
        ada.created_at = NOW - timedelta(days=400)
        followups.set_keep_in_touch(s, ada, 30, NOW)
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        lines = lines_of(app)
        touch = [line for line in lines if line["kind"] == "keep-in-touch"]
        seen.append([(line["contact"], line["title"]) for line in touch])
        rows = app.screen.query_one("#agenda")
        rows.cursor = lines.index(touch[0])
        await press(pilot, "enter")
        seen.append(shown(app, "#details-title"))
        await press(pilot, "escape", "l")
        await fill_form(pilot, kind="call", summary="caught up with Ada")
        seen.append([line["kind"] for line in lines_of(app) if line["contact_id"] == ADA])

    drive(board_db, steps)
    assert ("Ada Lovelace", "↺ keep in touch (every 30 days)") in seen[0]
    assert seen[1] == f"contact #{ADA} Ada Lovelace"
    assert table_rows(
        db_path, "SELECT kind, contact_id FROM interaction WHERE summary='caught up with Ada'"
    ) == [("call", ADA)]
    assert "keep-in-touch" not in seen[2]  # touched today: due again in 30 days


def test_an_empty_agenda_says_how_to_fill_it(db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        seen.append(shown(app, "#agenda-status"))

    drive(db, steps)
    assert seen == [
        "Nothing due in the next 7 days: f on a card of the board adds a follow-up, "
        "crm keep-in-touch a cadence for a contact"
    ]


def test_birthdays_and_anniversaries_have_lines_of_their_own(board_db: Any) -> None:
    from tinycrm.core import details
    from tinycrm.domain.parts import read_partial_date

    with board_db.transaction(summary="dates of Ada") as s:
        details.set_date(s, ADA, "birthday", "1815-11-23")
        details.add_date(s, ADA, "first order", read_partial_date("--11-26"))
        details.set_date(s, ADA, "anniversary", "2020-12-25")  # past the 7 days shown
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        lines = [line for line in lines_of(app) if line["kind"] == "date"]
        seen.append([(line["when"], line["due"], line["title"], line["contact"]) for line in lines])
        seen.append(shown(app, "#agenda-status"))
        rows = app.screen.query_one("#agenda")
        rows.cursor = lines_of(app).index(lines[0])
        await press(pilot, "d")  # not a follow-up: nothing is marked done
        await press(pilot, "enter")
        seen.append(shown(app, "#details-title"))

    drive(board_db, steps)
    assert seen[0] == [
        ("today", "2026-11-23", "✦ birthday (turns 211)", "Ada Lovelace"),
        ("upcoming", "2026-11-26", "✦ first order", "Ada Lovelace"),
    ]
    assert seen[1].endswith("  ·  2 dates")
    assert seen[2] == f"contact #{ADA} Ada Lovelace"


def test_the_agenda_setting_turns_the_dates_off(board_db: Any, crm: Any) -> None:
    from tinycrm.core import details

    with board_db.transaction(summary="birthday of Ada") as s:
        details.set_date(s, ADA, "birthday", "1815-11-23")
    assert crm("config", "set", "agenda.date_kinds", "anniversary").exit_code == 0
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "a")
        seen.append([line for line in lines_of(app) if line["kind"] == "date"])

    drive(board_db, steps)
    assert seen == [[]]
