"""The settings that change how dates are read and shown, and the suggested lost reasons:
general.date_format, general.week_start and deals.lost_reasons each change what a seller sees."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tests.conftest import FIXED_NOW, table_rows

NOW = datetime.fromisoformat(FIXED_NOW)  # Monday 2026-11-23 10:00 UTC


def test_dates_are_shown_in_the_set_format(crm: Any) -> None:
    assert crm("config", "set", "general.date_format", "%d/%m/%Y").exit_code == 0
    crm("add", "contact", "Jane Doe")
    r = crm("follow-up", "jane", "call", "--due", "2026-12-01 15:30")
    assert r.stdout == "Follow-up #2 call (Jane Doe) due Tue 01/12/2026 15:30\n"
    r = crm("follow-up", "jane", "write", "--due", "2026-12-02")
    assert r.stdout == "Follow-up #3 write (Jane Doe) due Wed 02/12/2026\n"
    assert "  Tue 01/12/2026 15:30 #2 call" in crm("agenda", "--days", "14").stdout
    r = crm("log", "jane", "call", "talked", "--at", "2026-11-20 09:00")
    assert "at 20/11/2026 09:00" in r.stdout
    assert crm("add", "deal", "Acme website", "--close", "2026-12-31").exit_code == 0
    assert "│ 31/12/2026" in crm("list", "deals").stdout
    # scripts keep ISO 8601, whatever people are shown
    assert json.loads(crm("list", "deals", "--json").stdout)[0]["expected_close"] == "2026-12-31"


def test_a_format_that_names_the_weekday_is_not_given_a_second_one(crm: Any) -> None:
    assert crm("config", "set", "general.date_format", "%a %d %b %Y").exit_code == 0
    crm("add", "contact", "Jane Doe")
    r = crm("follow-up", "jane", "call", "--due", "2026-12-01")
    assert r.stdout == "Follow-up #2 call (Jane Doe) due Tue 01 Dec 2026\n"


def test_the_iso_default_is_unchanged(crm: Any) -> None:
    crm("add", "contact", "Jane Doe")
    r = crm("follow-up", "jane", "call", "--due", "2026-12-01 15:30")
    assert r.stdout == "Follow-up #2 call (Jane Doe) due Tue 2026-12-01 15:30\n"


def test_the_board_agenda_shows_days_in_the_set_format(db: Any) -> None:
    from tinycrm.core import agenda, contacts, followups
    from tinycrm.domain.dates import Calendar, local_tz, parse_when
    from tinycrm.tui.screens.agenda import follow_up_row

    with db.transaction() as s:
        jane = contacts.add_contact(s, "Jane Doe", now=NOW)
        followups.add_follow_up(s, "call", parse_when("tomorrow 3pm", NOW), now=NOW, contact=jane)
        followups.add_follow_up(s, "write", parse_when("tomorrow", NOW), now=NOW, contact=jane)
    with db.snapshot() as s:
        items = agenda.agenda(s, NOW, days=7, tz=local_tz())
    cal = Calendar(day_format="%d.%m.%Y")
    assert sorted(follow_up_row(i, local_tz(), cal)["due"] for i in items) == [
        "24.11.2026",
        "24.11.2026 15:00",
    ]


def _due(crm: Any, when: str) -> str:
    r = crm("follow-up", "jane", "call", "--due", when, "--json")
    assert r.exit_code == 0, r.stderr
    return str(json.loads(r.stdout)["due"])


def test_week_start_decides_next_weekday_and_the_weeks(crm: Any) -> None:
    crm("add", "contact", "Jane Doe")
    # weeks from Monday (the default): today is Monday 2026-11-23
    assert _due(crm, "next sun") == "2026-12-06T00:00:00Z"
    assert _due(crm, "next week") == "2026-11-30T00:00:00Z"
    assert _due(crm, "this week") == "2026-11-23T00:00:00Z"
    assert crm("config", "set", "general.week_start", "sunday").exit_code == 0
    assert _due(crm, "next sun") == "2026-11-29T00:00:00Z"
    assert _due(crm, "next mon") == "2026-11-30T00:00:00Z"
    assert _due(crm, "next week") == "2026-11-29T00:00:00Z"
    assert _due(crm, "this week") == "2026-11-22T00:00:00Z"
    assert _due(crm, "mon") == "2026-11-23T00:00:00Z"  # a bare weekday: today counts


def test_week_start_reaches_the_day_filters(crm: Any) -> None:
    crm("add", "contact", "Jane Doe")
    assert crm("config", "set", "general.week_start", "sunday").exit_code == 0
    # added today, Monday: in the week that started on Sunday, not in the one starting next
    assert crm("list", "contacts", "--created-after", "this week", "-q").stdout == "1\n"
    assert crm("list", "contacts", "--created-after", "next week", "-q").stdout == ""
    # the filters are about what happened: past forms, and a weekday alone is the last one
    assert crm("list", "contacts", "--created-after", "3 days ago", "-q").stdout == "1\n"
    assert crm("list", "contacts", "--created-after", "fri", "-q").stdout == "1\n"
    assert crm("list", "contacts", "--created-before", "last fri", "-q").stdout == ""


def test_week_start_calendar_rules() -> None:
    from tinycrm.domain.dates import Calendar, calendar_of, parse_day

    sunday = calendar_of("sunday", "%Y-%m-%d")
    assert sunday == Calendar(week_start=6)
    for offset in range(7):
        day = date(2026, 11, 22 + offset)
        start = sunday.week_of(day)
        assert start.weekday() == 6 and 0 <= (day - start).days < 7
    saturday = Calendar(week_start=5)
    assert parse_day("next fri", NOW, calendar=saturday) == date(2026, 12, 4)
    assert parse_day("next sat", NOW, calendar=saturday) == date(2026, 11, 28)


def test_lost_without_a_reason_names_the_suggested_ones(crm: Any, db_path: Path) -> None:
    crm("config", "set", "deals.lost_reasons", "price,timing,no budget")
    crm("add", "deal", "Acme website")
    r = crm("move", "acme", "lost")
    assert r.exit_code == 0
    assert r.stdout == "Lost #1 Acme website\n"
    assert "hint: no reason given; the suggested ones are price, timing, no budget" in r.stderr
    # a reason outside the list is taken as typed
    crm("undo")
    r = crm("move", "acme", "lost", "--reason", "went with a friend")
    assert (r.exit_code, r.stderr) == (0, "")
    assert table_rows(db_path, "SELECT lost_reason FROM deal") == [("went with a friend",)]


def test_no_suggested_reasons_no_hint(crm: Any) -> None:
    crm("add", "deal", "Acme website")
    r = crm("move", "acme", "lost")
    assert (r.exit_code, r.stderr) == (0, "")


def test_a_terminal_is_asked_for_the_reason(crm: Any, db_path: Path, monkeypatch: Any) -> None:
    from tinycrm.cli.commands import moving

    crm("config", "set", "deals.lost_reasons", "price,timing")
    crm("add", "deal", "Acme website")
    monkeypatch.setattr(moving, "_at_terminal", lambda: True)
    r = crm("move", "acme", "lost", stdin="timing\n")
    assert r.exit_code == 0, r.output
    assert "Why was it lost? (price, timing; Enter for none)" in r.output
    assert table_rows(db_path, "SELECT lost_reason FROM deal") == [("timing",)]


def test_shell_completion_of_reason_offers_the_suggested_ones(hermetic: Path) -> None:
    import subprocess

    from tests.helpers import crm_program

    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text(
        '[deals]\nlost_reasons = ["price", "timing", "pricing war"]\n'
    )
    env = {
        **os.environ,
        "_CRM_COMPLETE": "complete_bash",
        "COMP_WORDS": "crm move 1 lost --reason pri",
        "COMP_CWORD": "5",
    }
    out = subprocess.run(
        [crm_program()], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert out.stdout.splitlines() == ["price", "pricing war"]


def test_close_dates_are_echoed_as_they_were_read(crm: Any) -> None:
    r = crm("add", "deal", "Acme website", "--close", "next fri")
    assert (
        r.stdout == "Added deal #1 Acme website in Prospecting, expected to close Fri 2026-12-04\n"
    )
    assert crm("add", "deal", "Other").stdout == "Added deal #2 Other in Prospecting\n"
    r = crm("edit", "acme website", "--close", "dec 31", "--probability", "40")
    assert r.stdout == "Updated deal #1 Acme website: close Thu 2026-12-31, probability\n"
    r = crm("edit", "acme website", "--close", "")
    assert r.stdout == "Updated deal #1 Acme website: close cleared\n"
    crm("config", "set", "general.date_format", "%d.%m.%Y")
    r = crm("add", "deal", "Third", "--close", "2027-01-15")
    assert r.stdout == "Added deal #3 Third in Prospecting, expected to close Fri 15.01.2027\n"


def test_report_periods_name_the_day_they_read(crm: Any) -> None:
    crm("add", "deal", "Acme website", "--value", "5k")
    r = crm("report", "velocity", "--since", "last week")
    assert r.stdout.startswith("Sales velocity since 2026-11-16")
    r = crm("report", "customers", "--since", "3 days ago")
    assert "churn since 2026-11-20" in r.stdout
