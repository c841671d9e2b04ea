"""`crm history`: the commands newest first, and one record's changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of


@pytest.fixture
def seeded(crm: Crm) -> Crm:
    for args in (
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com"),
        ("add", "contact", "Jan Smith"),
        ("edit", "jane", "--title", "CTO", "--email", "jd@home.org"),
        ("tag", "jane", "+vip"),
        ("add", "deal", "Acme website", "--contact", "jane"),
    ):
        r = crm(*args)
        assert r.exit_code == 0, r.stderr
    return crm


def test_history_lists_commands_newest_first(seeded: Any) -> None:
    assert seeded("undo").exit_code == 0  # the deal
    r = seeded("history", "--json")
    assert r.exit_code == 0, r.stderr
    groups = json.loads(r.stdout)
    assert [(g["summary"], g["undone"]) for g in groups] == [
        ("add deal Acme website", True),
        ("tag contact #1 Jane Doe +vip", False),
        ("edit contact #1 Jane Doe", False),
        ("add contact Jan Smith", False),
        ("add contact Jane Doe", False),
        ("create the default pipeline", False),
    ]
    assert groups[2]["changes"] == 2  # the contact row and the new email row
    assert groups[0]["origin"] == "cli" and groups[0]["at"] == "2026-11-23T10:00:00Z"
    assert len(json.loads(seeded("history", "--limit", "2", "--json").stdout)) == 2
    table = seeded("history").stdout
    assert "edit contact #1 Jane Doe" in table and "undone" in table


def test_history_of_one_record(seeded: Any) -> None:
    r = seeded("history", "jane", "--json")
    assert r.exit_code == 0, r.stderr
    found = json.loads(r.stdout)
    assert {(e["entity"], e["action"]) for e in found} >= {
        ("contact", "create"),
        ("contact", "update"),
        ("contact_email", "create"),
        ("contact_tag", "create"),
    }
    assert all(e["entity"] != "deal" for e in found)
    assert [e["id"] for e in found] == sorted((e["id"] for e in found), reverse=True)
    tag_event = next(e for e in found if e["entity"] == "contact_tag")
    assert tag_event["tag"] == "vip"
    table = seeded("history", "jane").stdout
    assert table.startswith("contact #1 Jane Doe\n")
    assert "title: (empty) -> CTO" in table
    assert "added contact email jd@home.org" in table
    assert "added tag vip" in table
    assert "Jan Smith" not in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "nobody"], "no contact, company or deal matches"),
        (["history", "ja"], "several"),
    ],
)
def test_bad_history_refs(seeded: Any, db_path: Path, args: list[str], message: str) -> None:
    before = snapshot_of(db_path)
    r = seeded(*args)
    assert r.exit_code == 1 and message in r.stderr and r.stdout == ""
    assert snapshot_of(db_path) == before


def test_history_of_a_new_database_shows_only_the_setup(crm: Any, db: Any) -> None:
    groups = json.loads(crm("history", "--json").stdout)
    assert [g["origin"] for g in groups] == ["system"]


def test_the_services_name_what_they_record_whichever_face_calls_them(
    seeded: Any, db_path: Path
) -> None:
    """A move, a win, a new follow-up, a done and a cancel made the way the board makes them
    (the services on a transaction with no summary of its own) are named in the history as
    `crm move`, `crm follow-up`, `crm done` and `crm cancel` name them."""
    from datetime import UTC, datetime

    from tinycrm.core import deals, followups, open_db, pipelines
    from tinycrm.domain.dates import When
    from tinycrm.store.models import Deal

    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    db = open_db(db_path)
    try:
        with db.transaction(origin="board") as session:
            deal = session.get(Deal, 3)
            assert deal is not None
            stage = pipelines.find_stage(session, deal.pipeline_id, "qualifying")
            deals.move_deal(session, deal, stage, now)
        with db.transaction(origin="board") as session:
            deal = session.get(Deal, 3)
            assert deal is not None
            deals.close_deal(session, deal, "won", now)
        for act in (followups.complete, followups.cancel):
            with db.transaction(origin="board") as session:
                fu = followups.add_follow_up(session, "Call", When(now, False), now=now, deal=deal)
            with db.transaction(origin="board") as session:
                act(session, followups.get_follow_up(session, fu.id or 0), now)
    finally:
        db.dispose()
    said = [entry["summary"] for entry in json.loads(seeded("history", "--json").stdout)]
    assert said[:6] == [
        "cancel follow-up #5 Call",
        "add follow-up #5 Call",
        "done follow-up #4 Call",
        "add follow-up #4 Call",
        "move deal #3 Acme website to won",
        "move deal #3 Acme website to Qualifying",
    ]


def test_an_interaction_logged_on_a_deal_is_named_by_its_contact_from_either_face(
    seeded: Any, db_path: Path
) -> None:
    from datetime import UTC, datetime

    from tinycrm.core import interactions, open_db
    from tinycrm.store.models import Deal

    assert seeded("log", "acme website", "call", "talked budget").exit_code == 0
    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    db = open_db(db_path)
    try:
        with db.transaction(origin="board") as session:  # as the board's log form does it
            deal = session.get(Deal, 3)
            interactions.log_interaction(session, "meeting", "demo", now=now, deal=deal)
    finally:
        db.dispose()
    said = [entry["summary"] for entry in json.loads(seeded("history", "--json").stdout)]
    assert said[:2] == ["log meeting with Jane Doe", "log call with Jane Doe"]


def test_a_command_is_named_by_the_records_it_touched_not_by_what_was_typed(
    seeded: Any,
) -> None:
    """A new follow-up is named with the id it was given, a snooze with the time it hides the
    follow-up until, a keep-in-touch with the contact found and the cadence in days."""
    made = seeded("follow-up", "jane", "Send proposal", "--due", "2026-11-25 10:00", "-q")
    assert made.exit_code == 0, made.stderr
    fu = made.stdout.strip()
    for args in (
        ("snooze", fu, "2026-11-26 09:00"),
        ("keep-in-touch", "smith", "2w"),
        ("keep-in-touch", "smith", "off"),
    ):
        r = seeded(*args)
        assert r.exit_code == 0, r.stderr
    said = [entry["summary"] for entry in json.loads(seeded("history", "--json").stdout)]
    assert said[:4] == [
        "keep in touch with #2 Jan Smith: off",
        "keep in touch with #2 Jan Smith: every 14 days",
        f"snooze follow-up #{fu} Send proposal until Thu 2026-11-26 09:00",
        f"add follow-up #{fu} Send proposal",
    ]
    assert "Undid: keep in touch with #2 Jan Smith: off" in seeded("undo").stdout


def test_an_edit_made_the_board_way_is_named_as_crm_edit_names_it(
    seeded: Any, db_path: Path
) -> None:
    from datetime import UTC, datetime

    from tinycrm.core import contacts, deals, open_db

    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    db = open_db(db_path)
    try:
        with db.transaction(origin="board") as session:
            deals.update_deal(session, deals.get_deal(session, 3), {"title": "Acme site"}, now)
        with db.transaction(origin="board") as session:
            contacts.update_contact(
                session, contacts.get_contact(session, 1), {"title": "CEO"}, now
            )
    finally:
        db.dispose()
    assert seeded("edit", "smith", "--title", "CFO").exit_code == 0
    said = [entry["summary"] for entry in json.loads(seeded("history", "--json").stdout)]
    assert said[:3] == [
        "edit contact #2 Jan Smith",
        "edit contact #1 Jane Doe",
        "edit deal #3 Acme website",
    ]
