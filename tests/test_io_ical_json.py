"""iCalendar export read back with icalendar; the JSON export and its exact restore."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.conftest import FIXED_NOW, snapshot_of, table_rows
from tinycrm.core import open_db

NOW = datetime.fromisoformat(FIXED_NOW)


def seed_follow_ups(db: Any) -> list[str]:
    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    with db.transaction(summary="seed") as session:
        jane = contacts.add_contact(session, "Jane Doe", now=NOW, emails=["jane@acme.com"])
        weekly = followups.add_follow_up(
            session,
            "Call Jane about the proposal; bring the numbers, the deck and a long enough title",
            dates.parse_when("2026-12-01", NOW),
            now=NOW,
            contact=jane,
            rrule="FREQ=WEEKLY;BYDAY=TU",
        )
        timed = followups.add_follow_up(
            session,
            "Send deck",
            dates.parse_when("2026-12-02T15:30", NOW),
            now=NOW,
            contact=jane,
            priority=True,
        )
        done = followups.add_follow_up(
            session, "Old thing", dates.parse_when("2026-11-01", NOW), now=NOW, contact=jane
        )
        followups.complete(session, done, NOW)
        return [weekly.uuid, timed.uuid, done.uuid]


def test_vtodo_export_reads_back(crm: Any, db: Any, tmp_path: Path):
    weekly, timed, done = seed_follow_ups(db)
    out = tmp_path / "f.ics"
    r = crm("export", "ical", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    raw = out.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    todos: list[Any] = cal.walk("VTODO")
    assert [str(t["UID"]) for t in todos] == [f"{weekly}@tinycrm", f"{timed}@tinycrm"]
    first, second = todos
    assert str(first["SUMMARY"]).startswith("Call Jane about the proposal; bring the numbers")
    # a recurring to-do repeats from DTSTART, its due day; its DUE is later (RFC 5545): the
    # end of that day
    assert first.decoded("DTSTART") == date(2026, 12, 1)
    assert first.decoded("DUE") == date(2026, 12, 2)
    assert first["DUE"].params.get("VALUE") == "DATE"
    assert first["RRULE"]["FREQ"] == ["WEEKLY"] and first["RRULE"]["BYDAY"] == ["TU"]
    assert str(first["STATUS"]) == "NEEDS-ACTION"
    assert first.decoded("DTSTAMP") == NOW
    assert int(first["PRIORITY"]) == 0
    assert second.decoded("DUE") == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert int(second["PRIORITY"]) == 1
    alarm = second.walk("VALARM")[0]
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)
    assert "Contact: Jane Doe" in str(second["DESCRIPTION"])
    # stable: the same file until something changes
    again = tmp_path / "g.ics"
    crm("export", "ical", "-o", str(again))
    assert again.read_bytes() == raw
    everything = icalendar.Calendar.from_ical(crm("export", "ical", "--all").stdout)
    statuses = {str(t["UID"]): str(t["STATUS"]) for t in everything.walk("VTODO")}
    assert statuses[f"{done}@tinycrm"] == "COMPLETED"


def test_vevent_export(crm: Any, db: Any):
    weekly, timed, _ = seed_follow_ups(db)
    r = crm("export", "ical", "--as-events")
    assert r.exit_code == 0, r.stderr
    events: list[Any] = icalendar.Calendar.from_ical(r.stdout).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{weekly}@tinycrm", f"{timed}@tinycrm"]
    assert events[0].decoded("DTSTART") == date(2026, 12, 1)
    assert events[0].decoded("DTEND") == date(2026, 12, 2)
    assert events[1].decoded("DTSTART") == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    assert events[1].decoded("DTEND") == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def build_history(crm: Any, db: Any, tmp_path: Path) -> None:
    seed_follow_ups(db)
    crm(
        "add", "contact", "Zoë Ünïcode", "--email", "zoe@x.org", "--tag", "vip", "--company", "Acme"
    )
    crm("add", "deal", "Acme site", "--contact", "zoe", "--value", "5k", "--close", "2026-12-31")
    crm("move", "acme site", "present")
    crm("move", "acme site", "lost", "--reason", "price")
    crm("add", "company", "Gone", "--domain", "gone.com")
    crm("undo")
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("name,email,tags\nAl,al@x.com,a\nBo,bo@x.com,b\n", encoding="utf-8")
    crm("import", "csv", str(csv_path))


def test_json_export_restores_exactly(crm: Any, db: Any, tmp_path: Path):
    build_history(crm, db, tmp_path)
    first = tmp_path / "a.json"
    r = crm("export", "json", "-o", str(first))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(first.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"]) == ("tinycrm", 1)
    assert {"contact", "deal", "event", "follow_up", "stage_change"} <= set(doc["tables"])
    assert not any(t.startswith("search_index") for t in doc["tables"])
    assert doc["tables"]["contact_email"][0]["is_primary"] is True
    assert any(e["undone_at"] for e in doc["tables"]["event"])
    other = tmp_path / "restored.db"
    r = crm("--db", str(other), "import", "json", str(first))
    assert r.exit_code == 0, r.stderr
    second = tmp_path / "b.json"
    assert crm("--db", str(other), "export", "json", "-o", str(second)).exit_code == 0

    def without_stamp(path: Path) -> list[bytes]:
        return [ln for ln in path.read_bytes().splitlines() if b'"exported_at"' not in ln]

    assert without_stamp(first) == without_stamp(second)
    # the restored file works: search, history and undo
    r = crm("--db", str(other), "undo")
    assert r.exit_code == 0, r.stderr
    assert "import in.csv: 2 contacts created" in r.stdout
    assert table_rows(
        other, "SELECT count(*) FROM search_index WHERE search_index MATCH 'zoe'"
    ) == [(1,)]


def test_json_refuses_a_database_with_data(crm: Any, db: Any, tmp_path: Path):
    crm("add", "contact", "Someone")
    out = tmp_path / "a.json"
    crm("export", "json", "-o", str(out))
    before = snapshot_of(db.path)
    r = crm("import", "json", str(out))
    assert r.exit_code == 1
    assert "already holds data" in r.stderr
    assert snapshot_of(db.path) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "tinycrm", "version": 2, "tables": {}}', "written by a newer tinycrm"),
        ('{"format": "other"}', "is not a tinycrm export"),
        ('{"format": "tinycrm", "version": 1, "tables": {"wat": []}}', "does not know: wat"),
        ("[1, 2", "is not JSON"),
    ],
)
def test_bad_json_files_change_nothing(
    crm: Any, db: Any, tmp_path: Path, content: str, message: str
):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    before = snapshot_of(db.path)
    r = crm("import", "json", str(path))
    assert r.exit_code == 1
    assert message in r.stderr
    assert snapshot_of(db.path) == before


def test_json_with_a_broken_reference_changes_nothing(crm: Any, db: Any, tmp_path: Path):
    crm("add", "contact", "Someone", "--email", "s@x.com")
    out = tmp_path / "a.json"
    crm("export", "json", "-o", str(out))
    doc = json.loads(out.read_text(encoding="utf-8"))
    doc["tables"]["contact_email"][0]["contact_id"] = 99
    out.write_text(json.dumps(doc), encoding="utf-8")
    other = tmp_path / "o.db"
    open_db(other).dispose()
    before = snapshot_of(other)
    r = crm("--db", str(other), "import", "json", str(out))
    assert r.exit_code == 1
    assert "points to a missing contact" in r.stderr
    assert snapshot_of(other) == before


def test_recurring_timed_follow_up_is_floating_local_time(
    crm: Any, db: Any, monkeypatch: pytest.MonkeyPatch
):
    import time

    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    with db.transaction(summary="seed") as session:
        jane = contacts.add_contact(session, "Jane", now=NOW)
        followups.add_follow_up(
            session,
            "Weekly call",
            dates.parse_when("2026-12-07T09:00", NOW),
            now=NOW,
            contact=jane,
            rrule="FREQ=WEEKLY",
        )
        followups.add_follow_up(
            session, "Once", dates.parse_when("2026-12-08T09:00", NOW), now=NOW, contact=jane
        )
    text = crm("export", "ical", "--as-events").stdout
    assert "DTSTART:20261207T090000\n" in text and "DTEND:20261207T093000\n" in text
    assert "DTSTART:20261208T080000Z\n" in text
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_recurring_to_dos_are_due_after_their_start(crm: Any, db: Any) -> None:
    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    with db.transaction(summary="seed") as session:
        jane = contacts.add_contact(session, "Jane", now=NOW)
        followups.add_follow_up(
            session,
            "Weekly call",
            dates.parse_when("2026-12-07T09:00", NOW),
            now=NOW,
            contact=jane,
            rrule="FREQ=WEEKLY;UNTIL=20270301T000000Z",
        )
        followups.add_follow_up(
            session,
            "Monthly report",
            dates.parse_when("2026-12-01", NOW),
            now=NOW,
            contact=jane,
            rrule="FREQ=MONTHLY;UNTIL=20270301T000000Z",
        )
    text = crm("export", "ical").stdout
    todos: list[Any] = icalendar.Calendar.from_ical(text).walk("VTODO")
    for todo in todos:
        assert todo.decoded("DUE") > todo.decoded("DTSTART")
    timed, all_day = sorted(todos, key=lambda t: str(t["SUMMARY"]), reverse=True)
    assert timed.decoded("DTSTART") == datetime(2026, 12, 7, 9, 0)
    assert timed.decoded("DUE") == datetime(2026, 12, 7, 9, 0, 1)
    # the reminder still comes 15 minutes before the due time, from the start
    alarm = timed.walk("VALARM")[0]
    assert alarm["TRIGGER"].params.get("RELATED") is None
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)
    # a floating start takes a floating UNTIL, an all-day one a day (RFC 5545)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20270301T000000\n" in text
    assert "RRULE:FREQ=MONTHLY;UNTIL=20270301\n" in text
    assert all_day.decoded("DUE") == date(2026, 12, 2)
    # and the occurrences a reader expands are tinycrm's
    from dateutil.rrule import rrulestr

    rule = rrulestr(timed["RRULE"].to_ical().decode(), dtstart=timed.decoded("DTSTART"))
    assert list(rule)[-1] == datetime(2027, 2, 22, 9, 0)
