"""`crm show` of a contact or a company: the whole record (deals, next step, open follow-ups,
last interactions, keep in touch), as text and as --json, in a few queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def customer(crm: Any, db_path: Path) -> Path:
    """Jane Doe (#2) of Acme (#1) with an open deal (#3), a won one (#4) and a lost one (#5),
    two open follow-ups (#6 overdue, #7 on the deal), a done one (#8), six interactions
    and a 30-day cadence; Bob Roe (#9) of Acme with a note."""
    steps = [
        ["add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme"],
        ["add", "deal", "Acme website", "--contact", "jane", "--value", "5k"],
        ["add", "deal", "Acme logo", "--contact", "jane", "--value", "1k"],
        ["add", "deal", "Acme print", "--contact", "jane", "--value", "300"],
        ["move", "acme logo", "won"],
        ["move", "acme print", "lost", "--reason", "price"],
        ["follow-up", "jane", "call back", "--due", "2026-11-20", "--no-deal"],
        ["follow-up", "jane", "send proposal", "--due", "2026-11-27 10:00", "--deal", "3"],
        ["follow-up", "jane", "old chore", "--due", "2026-11-21", "--no-deal"],
        ["done", "8"],
        *[
            ["log", "jane", "call", f"call number {n}", "--at", f"2026-11-{10 + n} 09:00", "--out"]
            for n in range(1, 6)
        ],
        ["log", "jane", "email", "sent the proposal", "--at", "2026-11-22 15:00", "--deal", "3"],
        ["keep-in-touch", "jane", "30d"],
        ["add", "contact", "Bob Roe", "--company", "Acme"],
        ["log", "bob", "note", "met Bob at the fair", "--at", "2026-11-23 08:00"],
    ]
    for step in steps:
        result = crm(*step)
        assert result.exit_code == 0, (step, result.output)
    return db_path


def test_show_contact_prints_the_whole_record(crm: Any, customer: Path) -> None:
    out = crm("show", "jane").stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0] == "contact #2 Jane Doe"
    # the next step is the earliest open follow-up, with its due time as the agenda shows it
    assert any(
        line.split() == ["next", "step", "Fri", "2026-11-20", "#6", "call", "back", "(overdue)"]
        for line in lines
    ), out
    assert any("keep in touch" in line and "every 30 days, next Tue 2026-12-22" in line
               for line in lines), out  # fmt: skip
    assert "Deals: 1 open, 1 won, 1 lost" in lines
    assert "  #3 Acme website  Prospecting  $5,000.00" in lines
    assert "  #4 Acme logo  won 2026-11-23  $1,000.00" in lines
    assert "Open follow-ups (2)" in lines
    assert "  Fri 2026-11-20       #6 call back (overdue)" in lines
    assert "  Fri 2026-11-27 10:00 #7 send proposal - Acme website" in lines
    assert "old chore" not in out  # done: not open
    # the last five interactions, the newest first
    start = lines.index("Last interactions")
    assert lines[start + 1 : start + 7] == [
        "  2026-11-22 15:00  email         sent the proposal - Acme website",
        "  2026-11-15 09:00  call (out)    call number 5",
        "  2026-11-14 09:00  call (out)    call number 4",
        "  2026-11-13 09:00  call (out)    call number 3",
        "  2026-11-12 09:00  call (out)    call number 2",
    ]
    assert "call number 1" not in out


def test_show_contact_json_is_the_typed_record(crm: Any, customer: Path) -> None:
    data = json.loads(crm("show", "jane", "--json").stdout)
    # the contact's fields as before, then the rest of its record
    assert data["kind"] == "contact" and data["emails"][0]["email"] == "jane@acme.com"
    assert data["company"] == {"id": 1, "name": "Acme"}
    assert data["deals"]["counts"] == {"open": 1, "won": 1, "lost": 1}
    assert [d["id"] for d in data["deals"]["open"]] == [3]
    assert data["deals"]["open"][0]["stage"] == "Prospecting"
    assert data["deals"]["open"][0]["value"] == "5000.00"
    assert [(d["id"], d["status"]) for d in data["deals"]["recently_closed"]] == [
        (5, "lost"),
        (4, "won"),
    ]
    assert data["next_step"] == {
        "id": 6,
        "title": "call back",
        "due": "2026-11-20T00:00:00Z",
        "all_day": True,
        "overdue": True,
        "snoozed": False,
        "priority": False,
        "rrule": None,
        "contact": {"id": 2, "name": "Jane Doe"},
        "deal": None,
        "sequence": None,
    }
    assert [f["id"] for f in data["follow_ups"]] == [6, 7]
    assert data["open_follow_ups"] == 2
    assert data["follow_ups"][1]["deal"] == {"id": 3, "title": "Acme website"}
    assert len(data["interactions"]) == 5
    assert data["interactions"][0] == {
        "id": data["interactions"][0]["id"],
        "occurred_at": "2026-11-22T15:00:00Z",
        "kind": "email",
        "direction": None,
        "summary": "sent the proposal",
        "contact": {"id": 2, "name": "Jane Doe"},
        "deal": {"id": 3, "title": "Acme website"},
    }
    assert data["keep_in_touch"] == {
        "every_days": 30,
        "last_interaction_at": "2026-11-22T15:00:00Z",
        "due": "2026-12-22T00:00:00Z",
        "is_due": False,
    }


def test_show_company_lists_its_people_deals_and_their_interactions(
    crm: Any, customer: Path
) -> None:
    out = crm("show", "acme", "--kind", "company").stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert lines[0] == "company #1 Acme"
    assert any(line.split() == ["people", "#9", "Bob", "Roe,", "#2", "Jane", "Doe"]
               for line in lines), out  # fmt: skip
    assert "Deals: 1 open, 1 won, 1 lost" in lines
    assert "  #3 Acme website  Prospecting  $5,000.00  Jane Doe" in lines
    assert "  Fri 2026-11-20       #6 call back - Jane Doe (overdue)" in lines
    start = lines.index("Last interactions")
    assert lines[start + 1 : start + 3] == [
        "  2026-11-23 08:00  note          met Bob at the fair - Bob Roe",
        "  2026-11-22 15:00  email         sent the proposal - Jane Doe, Acme website",
    ]
    data = json.loads(crm("show", "acme", "--kind", "company", "--json").stdout)
    assert data["kind"] == "company"
    assert [p["name"] for p in data["contacts"]] == ["Bob Roe", "Jane Doe"]
    assert data["next_step"]["id"] == 6 and data["open_follow_ups"] == 2
    assert [i["summary"] for i in data["interactions"]][:2] == [
        "met Bob at the fair",
        "sent the proposal",
    ]
    assert "keep_in_touch" not in data


def test_a_new_contact_shows_an_empty_record_without_empty_sections(crm: Any) -> None:
    assert crm("add", "contact", "Ann Lee").exit_code == 0
    out = crm("show", "ann").stdout
    assert "Deals" not in out and "Open follow-ups" not in out and "Last interactions" not in out
    assert "next step" not in out
    data = json.loads(crm("show", "ann", "--json").stdout)
    assert data["deals"] == {
        "open": [],
        "counts": {"open": 0, "won": 0, "lost": 0},
        "recently_closed": [],
    }
    assert data["next_step"] is None and data["follow_ups"] == [] and data["interactions"] == []
    assert data["keep_in_touch"] is None


def test_trashed_deals_and_their_follow_ups_leave_the_record(crm: Any, customer: Path) -> None:
    assert crm("delete", "3", "--kind", "deal", "--yes").exit_code == 0
    data = json.loads(crm("show", "jane", "--json").stdout)
    assert data["deals"]["counts"] == {"open": 0, "won": 1, "lost": 1}
    assert [f["id"] for f in data["follow_ups"]] == [6]


def test_a_snoozed_follow_up_is_listed_at_its_snooze_time(crm: Any, customer: Path) -> None:
    assert crm("snooze", "6", "2026-12-01 09:00").exit_code == 0
    data = json.loads(crm("show", "jane", "--json").stdout)
    assert data["next_step"]["id"] == 7
    snoozed = data["follow_ups"][1]
    assert (snoozed["id"], snoozed["due"], snoozed["snoozed"], snoozed["all_day"]) == (
        6,
        "2026-12-01T09:00:00Z",
        True,
        False,
    )
    assert "  Tue 2026-12-01 09:00 #6 call back (snoozed)" in crm("show", "jane").stdout


def _queries(db_path: Path, kind: str, record_id: int) -> int:
    """How many statements reading a record's whole record runs."""
    from datetime import datetime

    from sqlalchemy import event

    from tests.conftest import FIXED_NOW
    from tinycrm.core import open_db, records

    db = open_db(db_path)
    count = 0

    def counted(*_: Any) -> None:
        nonlocal count
        count += 1

    try:
        with db.snapshot() as session:
            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", counted)
            try:
                records.record(session, kind, record_id, datetime.fromisoformat(FIXED_NOW))
            finally:
                event.remove(engine, "before_cursor_execute", counted)
    finally:
        db.dispose()
    return count


def test_the_record_costs_the_same_queries_however_many_deals(crm: Any, customer: Path) -> None:
    before = (_queries(customer, "contact", 2), _queries(customer, "company", 1))
    for n in range(30):
        assert crm("add", "deal", f"Acme extra {n}", "--contact", "jane").exit_code == 0
        assert crm("follow-up", "jane", f"extra step {n}", "--due", "dec 10").exit_code == 0
    assert (_queries(customer, "contact", 2), _queries(customer, "company", 1)) == before
    assert before[0] <= 16, before  # fields, addresses, dates, deals, follow-ups, interactions
    data = json.loads(crm("show", "jane", "--json").stdout)
    # the lists are capped, the counts are whole
    assert len(data["deals"]["open"]) == 20 and data["deals"]["counts"]["open"] == 31
    assert len(data["follow_ups"]) == 10 and data["open_follow_ups"] == 32
    assert "  ... and 22 more: crm timeline shows them" in crm("show", "jane").stdout
