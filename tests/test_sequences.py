"""Sequences from the command line: steps scheduled as follow-ups on their days (calendar and
business days, in the seller's timezone), a reply stopping the rest, stop by hand, delete,
undo and redo, and the step shown in the agenda."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows
from tinycrm.domain.sequences import step_day

ONBOARDING = ("--step", "0d call: intro", "--step", "3d email: case study",
              "--step", "7d call: check in")  # fmt: skip


def _follow_ups(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db_path,
        "SELECT id, title, due_at, all_day, status, contact_id, deal_id, sequence_run_id,"
        " sequence_step_id FROM follow_up ORDER BY id",
    )


def _runs(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db_path, "SELECT id, contact_id, deal_id, status, stop_reason FROM sequence_run"
    )


@pytest.fixture
def onboarding(crm: Any, jane: Path) -> Path:
    """Jane Doe (#1, with deal #2) and the sequence Onboarding (days 0, 3 and 7)."""
    r = crm("sequence", "add", "Onboarding", *ONBOARDING)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added sequence Onboarding (3 steps, in days)\n"
    return jane


def test_a_start_schedules_each_step_on_its_day(crm: Any, onboarding: Path) -> None:
    r = crm("sequence", "start", "onboarding", "jane")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Started sequence Onboarding for Jane Doe (deal #2 Acme website): run #1",
        "  1/3 2026-11-23   #3 call: intro",
        "  2/3 2026-11-26   #4 email: case study",
        "  3/3 2026-11-30   #5 call: check in",
    ]
    steps = table_rows(onboarding, "SELECT id FROM sequence_step ORDER BY position")
    assert _follow_ups(onboarding) == [
        (3, "call: intro", "2026-11-23 00:00:00.000000", 1, "open", 1, 2, 1, steps[0][0]),
        (4, "email: case study", "2026-11-26 00:00:00.000000", 1, "open", 1, 2, 1, steps[1][0]),
        (5, "call: check in", "2026-11-30 00:00:00.000000", 1, "open", 1, 2, 1, steps[2][0]),
    ]
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]


def test_business_days_skip_the_weekend(crm: Any, jane: Path) -> None:
    r = crm("sequence", "add", "Trial", "--business-days", "--step", "0d call: hello",
            "--step", "1d email: docs", "--step", "5d call: how is it going")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    # a Friday start: day 1 is the Monday after, day 5 the next Friday
    assert crm("sequence", "start", "Trial", "jane", "--at", "2026-11-27").exit_code == 0
    days = [row[2][:10] for row in _follow_ups(jane)]
    assert days == ["2026-11-27", "2026-11-30", "2026-12-04"]
    # a Saturday start: day 0 moves to the Monday
    assert crm("sequence", "stop", "Trial", "jane").exit_code == 0
    assert crm("sequence", "start", "Trial", "jane", "--at", "2026-11-28").exit_code == 0
    days = [row[2][:10] for row in _follow_ups(jane) if row[4] == "open"]
    assert days == ["2026-11-30", "2026-12-01", "2026-12-07"]


def test_step_days_count_weekdays_only() -> None:
    from datetime import date, timedelta

    friday = date(2026, 11, 27)
    assert step_day(friday, 0, False) == friday
    assert step_day(friday, 1, False) == date(2026, 11, 28)
    for start in (friday + timedelta(days=n) for n in range(7)):
        for offset in range(12):
            day = step_day(start, offset, True)
            assert day.weekday() < 5
            first = step_day(start, 0, True)
            weekdays = sum(
                1 for n in range((day - first).days) if (first + timedelta(days=n)).weekday() < 5
            )
            assert weekdays == offset


def test_the_days_are_the_sellers_local_days(
    crm: Any, onboarding: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10:00 UTC on Monday is already Tuesday 00:00 at UTC+14
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    r = crm("sequence", "start", "Onboarding", "jane")
    assert r.exit_code == 0, r.stderr
    assert "  1/3 2026-11-24   #3 call: intro" in r.stdout
    assert [row[2] for row in _follow_ups(onboarding)] == [
        "2026-11-23 10:00:00.000000",  # Tuesday's local midnight, in UTC
        "2026-11-26 10:00:00.000000",
        "2026-11-30 10:00:00.000000",
    ]


def test_bad_steps_are_one_line_errors_that_change_nothing(crm: Any, jane: Path) -> None:
    before = snapshot_of(jane)
    cases = {
        "3 call: intro": "not a sequence step: '3 call: intro'",
        "0d phone: intro": "not a sequence step: '0d phone: intro' (not an interaction kind",
        "0d call:": "not a sequence step: '0d call:'",
    }
    for step, said in cases.items():
        r = crm("sequence", "add", "Bad", "--step", step)
        assert r.exit_code == 1
        assert r.stderr.startswith(f"error: {said}")
        assert len(r.stderr.splitlines()) == 2  # the error and its hint
    r = crm("sequence", "add", "Bad", "--step", "3d call: a", "--step", "1d email: b")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: step '1d email: b' comes before the step ahead of it")
    r = crm("sequence", "add", "Bad")
    assert r.exit_code == 1 and "at least one step" in r.stderr
    assert snapshot_of(jane) == before


def test_names_are_unique_among_live_sequences(crm: Any, onboarding: Path) -> None:
    r = crm("sequence", "add", "ONBOÁRDING", "--step", "0d call: x")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: there is already a sequence called Onboarding\n")
    assert crm("sequence", "delete", "Onboarding").exit_code == 0
    assert crm("sequence", "add", "Onboarding", "--step", "0d call: x").exit_code == 0


def test_a_contact_is_in_a_sequence_once_at_a_time(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    before = snapshot_of(onboarding)
    r = crm("sequence", "start", "Onboarding", "acme website")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: Jane Doe is already in sequence Onboarding\n")
    assert snapshot_of(onboarding) == before


def test_a_reply_stops_the_rest(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    assert crm("done", "3", "--no-next").exit_code == 0
    r = crm("log", "jane", "email", "sounds good, let's talk", "--in")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1:] == ["Stopped sequence Onboarding for Jane Doe: they replied"]
    assert _runs(onboarding) == [(1, 1, 2, "stopped", "reply")]
    assert [row[4] for row in _follow_ups(onboarding)] == ["done", "cancelled", "cancelled"]
    # the whole command is one change: undo brings the run and its follow-ups back
    assert crm("undo").exit_code == 0
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]
    assert [row[4] for row in _follow_ups(onboarding)] == ["done", "open", "open"]
    assert table_rows(onboarding, "SELECT count(*) FROM interaction") == [(0,)]


def test_what_does_not_stop_a_sequence(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    # the seller reaching out, a note without a direction
    assert crm("log", "jane", "call", "left a voicemail", "--out").stdout.count("Stopped") == 0
    assert crm("log", "jane", "note", "likes blue").exit_code == 0
    # a reply from before the sequence was started
    r = crm("log", "jane", "email", "an old answer", "--in", "--at", "yesterday")
    assert r.exit_code == 0 and "Stopped" not in r.stdout
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]


def test_keep_on_reply_keeps_going(crm: Any, onboarding: Path) -> None:
    r = crm("sequence", "start", "Onboarding", "jane", "--keep-on-reply")
    assert r.exit_code == 0, r.stderr
    r = crm("log", "jane", "email", "thanks", "--in")
    assert r.exit_code == 0 and "Stopped" not in r.stdout
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]
    assert [row[4] for row in _follow_ups(onboarding)] == ["open", "open", "open"]


def test_stop_by_hand(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "add", "Nurture", "--step", "0d email: hello").exit_code == 0
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    assert crm("sequence", "start", "Nurture", "jane").exit_code == 0
    assert crm("done", "3", "--no-next").exit_code == 0
    r = crm("sequence", "stop", "Onboarding", "acme website")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Stopped sequence Onboarding for Jane Doe: by hand\n"
    assert _runs(onboarding)[0] == (1, 1, 2, "stopped", "by hand")
    assert [row[4] for row in _follow_ups(onboarding)] == ["done", "cancelled", "cancelled", "open"]
    before = snapshot_of(onboarding)
    r = crm("sequence", "stop", "Onboarding", "jane")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: Jane Doe is not in sequence Onboarding\n")
    assert snapshot_of(onboarding) == before
    # a contact alone: all of their runs
    r = crm("sequence", "stop", "jane")
    assert r.stdout == "Stopped sequence Nurture for Jane Doe: by hand\n"
    assert crm("undo").exit_code == 0
    assert crm("undo").exit_code == 0
    assert [row[3] for row in _runs(onboarding)] == ["active", "active"]
    assert [row[4] for row in _follow_ups(onboarding)] == ["done", "open", "open", "open"]


def test_the_last_step_done_finishes_the_run(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    assert crm("done", "3", "--no-next").exit_code == 0
    assert crm("cancel", "4").exit_code == 0
    assert _runs(onboarding)[0][3] == "active"
    assert crm("done", "5", "--no-next").exit_code == 0
    assert _runs(onboarding)[0][3] == "finished"
    # finished, the contact can go through the sequence again
    assert crm("sequence", "start", "Onboarding", "jane", "--at", "dec 1").exit_code == 0


def test_delete_stops_the_runs_and_undo_brings_it_back(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    r = crm("sequence", "delete", "onboarding")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Deleted sequence Onboarding",
        "Stopped sequence Onboarding for Jane Doe: sequence deleted",
    ]
    assert json.loads(crm("sequence", "list", "--json").stdout) == []
    assert [row[4] for row in _follow_ups(onboarding)] == ["cancelled"] * 3
    r = crm("sequence", "show", "Onboarding")
    assert r.exit_code == 1 and r.stderr.startswith("error: no sequence called 'Onboarding'")
    assert crm("undo").exit_code == 0
    assert [row["name"] for row in json.loads(crm("sequence", "list", "--json").stdout)] == [
        "Onboarding"
    ]
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]
    assert [row[4] for row in _follow_ups(onboarding)] == ["open"] * 3


def test_undo_and_redo_of_a_start(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    r = crm("undo")
    assert r.stdout.startswith("Undid: start sequence Onboarding for Jane Doe")
    assert _runs(onboarding) == [] and _follow_ups(onboarding) == []
    assert crm("redo").exit_code == 0
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]
    assert [row[0] for row in _follow_ups(onboarding)] == [3, 4, 5]


def test_a_deal_or_a_contact_with_several_deals(crm: Any, onboarding: Path) -> None:
    assert crm("add", "deal", "Hosting", "--contact", "jane").exit_code == 0
    # on the contact: two open deals, so the follow-ups name none
    assert crm("sequence", "start", "Onboarding", "#1").exit_code == 0
    assert {row[6] for row in _follow_ups(onboarding)} == {None}
    assert crm("sequence", "stop", "jane").exit_code == 0
    # on a deal: its contact, and that deal
    r = crm("sequence", "start", "Onboarding", "hosting")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Started sequence Onboarding for Jane Doe (deal #3 Hosting)")
    assert {row[6] for row in _follow_ups(onboarding) if row[4] == "open"} == {3}


def test_list_and_show(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    assert json.loads(crm("sequence", "list", "--json").stdout) == [
        {"kind": "sequence", "id": 1, "name": "Onboarding", "business_days": False,
         "steps": 3, "active_runs": 1}
    ]  # fmt: skip
    assert crm("done", "3", "--no-next").exit_code == 0
    shown = json.loads(crm("sequence", "show", "Onboarding", "--json").stdout)
    assert shown["steps"][1] == {"position": 2, "day": 3, "kind": "email", "title": "case study"}
    assert shown["runs"] == [
        {"id": 1, "sequence": "Onboarding", "status": "active", "stop_reason": None,
         "keep_on_reply": False, "started": "2026-11-23", "stopped_at": None,
         "contact": {"id": 1, "name": "Jane Doe"}, "deal": {"id": 2, "name": "Acme website"},
         "next_step": {"follow_up": 4, "step": 2, "title": "email: case study",
                       "due": "2026-11-26T00:00:00Z"}}
    ]  # fmt: skip
    text = crm("sequence", "show", "Onboarding").stdout
    assert "2/3 email: case study, 2026-11-26" in text
    assert "Jane Doe" in text


def test_the_agenda_names_the_step(crm: Any, onboarding: Path) -> None:
    assert crm("follow-up", "jane", "send the quote", "--due", "tomorrow").exit_code == 0
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    lines = crm("agenda").stdout.splitlines()
    assert "#4 call: intro [Onboarding 1/3] - Jane Doe, Acme website [Prospecting]" in lines[1]
    assert any(line.endswith("#3 send the quote - Jane Doe, Acme website [Prospecting]")
               for line in lines)  # fmt: skip
    rows = {row["id"]: row for row in json.loads(crm("agenda", "--json").stdout)}
    assert rows[3]["sequence"] is None
    assert rows[5]["sequence"] == {
        "run": 1, "sequence": "Onboarding", "step": 2, "steps": 3, "label": "Onboarding 2/3"
    }  # fmt: skip


def test_show_names_the_step(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    text = crm("show", "jane").stdout
    assert "#4 email: case study [Onboarding 2/3] - Acme website" in text
    shown = json.loads(crm("show", "jane", "--json").stdout)
    assert [f["sequence"]["label"] for f in shown["follow_ups"]] == [
        "Onboarding 1/3", "Onboarding 2/3", "Onboarding 3/3"
    ]  # fmt: skip


def test_a_merge_moves_the_runs_and_forget_erases_them(crm: Any, onboarding: Path) -> None:
    assert crm("add", "contact", "Jane D", "--email", "jd@acme.com").exit_code == 0
    assert crm("sequence", "start", "Onboarding", "jd@acme.com").exit_code == 0
    r = crm("merge", "#1", "#3", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _runs(onboarding) == [(1, 1, None, "active", None)]
    # a reply from the kept contact stops the run that came with the duplicate
    r = crm("log", "jane", "email", "yes please", "--in")
    assert "Stopped sequence Onboarding for Jane Doe: they replied" in r.stdout
    r = crm("forget", "jane", "--yes")
    assert r.exit_code == 0, r.stderr
    assert _runs(onboarding) == [] and _follow_ups(onboarding) == []


def test_stop_with_a_sequence_alone_asks_for_the_contact(crm: Any, onboarding: Path) -> None:
    r = crm("sequence", "stop", "Onboarding")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "error: Onboarding is a sequence; name the contact too",
        "hint: crm sequence stop Onboarding CONTACT",
    ]


def test_closing_the_deal_stops_its_runs(crm: Any, onboarding: Path) -> None:
    assert crm("sequence", "start", "Onboarding", "acme website").exit_code == 0
    assert crm("move", "acme website", "lost", "--reason", "price").exit_code == 0
    assert _runs(onboarding) == [(1, 1, 2, "stopped", "deal closed")]
    assert [row[4] for row in _follow_ups(onboarding)] == ["cancelled"] * 3
    assert crm("undo").exit_code == 0
    assert _runs(onboarding) == [(1, 1, 2, "active", None)]


def test_the_boards_agenda_names_the_step(crm: Any, onboarding: Path) -> None:
    from datetime import UTC, datetime

    from tinycrm.core import agenda, open_db
    from tinycrm.tui.screens.agenda import follow_up_row

    assert crm("sequence", "start", "Onboarding", "jane").exit_code == 0
    db = open_db(onboarding)
    try:
        with db.snapshot() as session:
            items = agenda.agenda(session, datetime(2026, 11, 23, 10, tzinfo=UTC))
    finally:
        db.dispose()
    titles = [follow_up_row(item, UTC)["title"] for item in items]
    assert titles == [
        "call: intro [Onboarding 1/3]",
        "email: case study [Onboarding 2/3]",
        "call: check in [Onboarding 3/3]",
    ]


def test_quiet_prints_only_the_new_ids(crm: Any, jane: Path) -> None:
    r = crm("sequence", "add", "Short", "--step", "0d call: hi", "-q")
    assert r.exit_code == 0, r.stderr
    assert table_rows(jane, "SELECT name FROM sequence WHERE id = ?", int(r.stdout)) == [("Short",)]
    r = crm("sequence", "start", "Short", "jane", "-q")
    assert r.exit_code == 0, r.stderr
    assert table_rows(jane, "SELECT id FROM sequence_run") == [(int(r.stdout),)]
