"""`crm log` and `crm timeline`: interactions, stage changes, follow-ups and edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of, table_rows


@pytest.fixture
def seeded(crm: Crm) -> Crm:
    assert (
        crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme").exit_code
        == 0
    )
    assert crm("add", "contact", "Jan Smith").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane").exit_code == 0
    assert crm("add", "deal", "Other deal", "--contact", "jan smith").exit_code == 0
    return crm


def test_log_on_a_contact_and_on_a_deal(seeded: Any, db_path: Path) -> None:
    r = seeded("log", "jane", "call", "talked budget", "--out", "--at", "2026-11-20T15:30")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Logged call with Jane Doe at 2026-11-20 15:30 (interaction #1)\n"
    r = seeded("log", "acme website", "Meeting", "demo went well", "--in", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["type"] == "meeting"
    assert data["direction"] == "in"
    assert data["contact"] == {"id": 2, "name": "Jane Doe"}  # Acme took #1
    assert data["deal"] == {"id": 4, "title": "Acme website"}
    assert data["occurred_at"] == "2026-11-23T10:00:00Z"
    r = seeded("log", "jane", "email", "sent proposal", "--deal", "acme", "-q")
    assert (r.exit_code, r.stdout) == (0, "3\n")
    r = seeded("log", "jane", "note", "birthday in May", "--at", "2026-11-01")
    assert r.exit_code == 0, r.stderr
    assert table_rows(
        db_path,
        "SELECT kind, direction, contact_id, deal_id, occurred_at, summary FROM interaction",
    ) == [
        ("call", "out", 2, None, "2026-11-20 15:30:00.000000", "talked budget"),
        ("meeting", "in", 2, 4, "2026-11-23 10:00:00.000000", "demo went well"),
        ("email", None, 2, 4, "2026-11-23 10:00:00.000000", "sent proposal"),
        ("note", None, 2, None, "2026-11-01 00:00:00.000000", "birthday in May"),
    ]
    assert seeded("undo").stdout.startswith("Undid: log note with Jane Doe (1 changes)")
    assert table_rows(db_path, "SELECT count(*) FROM interaction") == [(3,)]


@pytest.mark.parametrize(
    ("at", "stored"),
    [
        ("8am", "2026-11-23 08:00:00.000000"),  # a time alone earlier today: today's
        ("3 days ago", "2026-11-20 00:00:00.000000"),
        ("last fri", "2026-11-20 00:00:00.000000"),
        ("yesterday 4pm", "2026-11-22 16:00:00.000000"),
        ("2h ago", "2026-11-23 08:00:00.000000"),
        ("fri 3pm", "2026-11-20 15:00:00.000000"),
    ],
)
def test_log_reads_past_forms_exactly(seeded: Any, db_path: Path, at: str, stored: str) -> None:
    r = seeded("log", "jane", "call", "talked", "--at", at)
    assert r.exit_code == 0, r.stderr
    assert f" at {stored[:16]} (interaction #" in r.stdout
    assert table_rows(db_path, "SELECT occurred_at FROM interaction") == [(stored,)]


def test_a_time_alone_still_in_the_future_is_refused_for_a_log_not_for_a_follow_up(
    seeded: Any, db_path: Path
) -> None:
    r = seeded("log", "jane", "call", "talked", "--at", "11am")
    assert r.exit_code == 1 and "'11am' is in the future" in r.stderr
    r = seeded("follow-up", "jane", "call", "--due", "8am")  # the next 8:00: tomorrow
    assert r.stdout.splitlines()[0].endswith("due Tue 2026-11-24 08:00")


BAD = [
    (["log", "nobody", "call", "x"], "no contact or deal matches 'nobody'", 1),
    (["log", "ja", "call", "x"], "matches several", 1),
    (["log", "jane", "fax", "x"], "not an interaction kind: 'fax'", 1),
    (["log", "jane", "call", "  "], "an interaction needs a summary", 1),
    (["log", "jane", "call", "x", "--at", "last tuesdayish"], "cannot read the date", 1),
    (["log", "jane", "call", "x", "--at", "2027-01-01"], "is in the future", 1),
    (["log", "jane", "call", "x", "--in", "--out"], "give --out or --in, not both", 2),
    (["log", "jane", "call", "x", "--deal", "other deal"], "belongs to another contact", 1),
    (["timeline", "nobody"], "no contact, company or deal matches", 1),
    (["timeline", "jane", "--kind", "planet"], "not a kind", 2),
]


@pytest.mark.parametrize(("args", "message", "code"), BAD)
def test_bad_log_and_timeline_input(
    seeded: Any, db_path: Path, args: list[str], message: str, code: int
) -> None:
    before = snapshot_of(db_path)
    r = seeded(*args)
    assert r.exit_code == code, r.stderr
    assert r.stderr.startswith("error: ") and message in r.stderr.splitlines()[0]
    assert r.stdout == ""
    assert snapshot_of(db_path) == before


def test_timeline_of_a_contact_newest_first(
    seeded: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.core import followups, refs
    from tinycrm.domain.dates import When

    def at(day: int) -> None:
        monkeypatch.setenv("TINYCRM_NOW", f"2026-11-{day:02d}T10:00:00+00:00")

    at(24)
    seeded("log", "jane", "call", "first call", "--out")
    at(25)
    seeded("move", "acme website", "qual")
    at(26)
    seeded("edit", "jane", "--title", "CTO")
    at(27)
    seeded("log", "acme website", "email", "sent the quote")
    now = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    with db.transaction(summary="add follow-up") as s:
        jane = refs.resolve_contact(s, "jane")
        followups.add_follow_up(
            s, "send contract", When(now + timedelta(days=3), False), now=now, contact=jane
        )
    at(28)
    r = seeded("timeline", "jane", "--json")
    assert r.exit_code == 0, r.stderr
    entries = json.loads(r.stdout)
    assert [(e["type"], e["summary"]) for e in entries] == [
        ("follow-up", "send contract"),
        ("interaction", "sent the quote"),
        ("edit", "edit contact #2 Jane Doe"),
        ("stage", "Prospecting -> Qualifying"),
        ("interaction", "first call"),
        ("stage", "created in Prospecting"),
        ("created", "add contact Jane Doe"),
    ]
    assert entries[2]["fields"] == ["title"]
    assert entries[1]["deal"] == {"id": 4, "title": "Acme website"}
    assert [
        e["type"] for e in json.loads(seeded("timeline", "jane", "--json", "-n", "2").stdout)
    ] == [
        "follow-up",
        "interaction",
    ]
    # the deal's own timeline has its interactions and stage changes, not the contact's edits
    deal = json.loads(seeded("timeline", "acme website", "--json").stdout)
    assert [e["summary"] for e in deal] == [
        "sent the quote",
        "Prospecting -> Qualifying",
        "created in Prospecting",
    ]
    # the company's timeline gathers its people's and deals' history
    company = json.loads(seeded("timeline", "acme", "--kind", "company", "--json").stdout)
    assert {"first call", "sent the quote", "Prospecting -> Qualifying"} <= {
        e["summary"] for e in company
    }
    table = seeded("timeline", "jane").stdout
    assert table.startswith("contact #2 Jane Doe\n")
    assert "call (out)" in table and "first call" in table


def test_undone_edits_leave_the_timeline(seeded: Any) -> None:
    seeded("edit", "jane", "--title", "CTO")
    seeded("undo")
    entries = json.loads(seeded("timeline", "jane", "--json").stdout)
    assert [e["type"] for e in entries] == ["stage", "created"]


def test_text_that_looks_like_markup_is_shown_as_written(seeded: Any) -> None:
    r = seeded("log", "jane", "note", "use [bold] and [/b] tags")
    assert r.exit_code == 0, r.stderr
    r = seeded("timeline", "jane")
    assert r.exit_code == 0, r.stderr
    assert "use [bold] and [/b] tags" in r.stdout


def test_a_follow_up_on_a_deal_names_its_deal_in_the_timeline(seeded: Any) -> None:
    r = seeded("follow-up", "jane", "send contract", "--deal", "acme website", "--due", "tomorrow")
    assert r.exit_code == 0, r.stderr
    seeded("follow-up", "jane", "ring for lunch", "--due", "tomorrow", "--no-deal")
    entries = json.loads(seeded("timeline", "jane", "--json").stdout)
    deals = {e["summary"]: e["deal"] for e in entries if e["type"] == "follow-up"}
    assert deals == {"send contract": {"id": 4, "title": "Acme website"}, "ring for lunch": None}
    lines = seeded("timeline", "acme", "--kind", "company").stdout.splitlines()
    assert any("send contract" in line and "deal #4 Acme website" in line for line in lines)
