"""List filters: tags, lifecycle, source, company, stage, status, values, date ranges, and
"no interaction for N days" — each one condition in the one list query, on an index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of


def at(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    monkeypatch.setenv("TINYCRM_NOW", f"{day}T10:00:00+00:00")


@pytest.fixture
def seeded(crm: Crm, monkeypatch: pytest.MonkeyPatch) -> Crm:
    at(monkeypatch, "2026-09-01")
    for args in (
        ("add", "contact", "Ann Old", "--tag", "vip", "--source", "referral", "--company", "Acme"),
        ("add", "deal", "Old deal", "--contact", "ann", "--value", "1k"),
    ):
        assert crm(*args).exit_code == 0
    at(monkeypatch, "2026-11-01")
    for later in (
        ("add", "contact", "Ben New", "--lifecycle", "customer", "--company", "Globex"),
        ("add", "deal", "New deal", "--contact", "ben", "--value", "9k", "--stage", "pres"),
        ("add", "company", "Initech"),
        ("log", "ben", "call", "catch-up"),
    ):
        assert crm(*later).exit_code == 0
    at(monkeypatch, "2026-11-20")
    assert crm("edit", "old deal", "--notes", "still alive").exit_code == 0
    at(monkeypatch, "2026-11-23")
    return crm


def names(crm: Any, *args: str) -> list[str]:
    r = crm("list", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return [row.get("name") or row.get("title") for row in json.loads(r.stdout)]


def test_contact_filters(seeded: Any) -> None:
    assert names(seeded, "contacts", "--tag", "vip") == ["Ann Old"]
    assert names(seeded, "contacts", "--lifecycle", "customer") == ["Ben New"]
    assert names(seeded, "contacts", "--source", "referral") == ["Ann Old"]
    assert names(seeded, "contacts", "--company", "globex") == ["Ben New"]
    assert names(seeded, "contacts", "--created-after", "2026-10-01") == ["Ben New"]
    assert names(seeded, "contacts", "--created-before", "2026-10-01") == ["Ann Old"]
    assert names(seeded, "contacts", "--created-after", "2026-11-01") == ["Ben New"]
    assert names(seeded, "contacts", "--created-before", "2026-11-01") == ["Ann Old"]
    assert names(seeded, "contacts", "--updated-after", "today") == []
    # Ben's call was 22 days ago; Ann never had one
    assert names(seeded, "contacts", "--no-interaction-days", "30") == ["Ann Old"]
    assert names(seeded, "contacts", "--no-interaction-days", "20") == ["Ann Old", "Ben New"]
    assert names(seeded, "contacts", "--sort", "created", "--desc", "--limit", "1") == ["Ben New"]


def test_deal_filters(seeded: Any) -> None:
    assert names(seeded, "deals", "--stage", "pres") == ["New deal"]
    assert names(seeded, "deals", "--status", "open", "--min-value", "5k") == ["New deal"]
    assert names(seeded, "deals", "--max-value", "5k") == ["Old deal"]
    assert names(seeded, "deals", "--updated-after", "2026-11-15") == ["Old deal"]
    assert names(seeded, "deals", "--created-after", "2026-10-01") == ["New deal"]
    # a deal counts interactions with its contact as well as those logged on it
    assert names(seeded, "deals", "--no-interaction-days", "30") == ["Old deal"]
    assert names(seeded, "deals", "--sort", "value", "--desc") == ["New deal", "Old deal"]


def test_company_filters(seeded: Any) -> None:
    assert names(seeded, "companies", "--created-after", "2026-10-01") == ["Globex", "Initech"]
    assert names(seeded, "companies", "--created-before", "2026-10-01") == ["Acme"]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["list", "contacts", "--created-after", "last spring"], "cannot read the date", 1),
        (["list", "deals", "--updated-before", "2026-13-01"], "cannot read the date", 1),
        (["list", "deals", "--min-value", "lots"], "not an amount", 1),
        (["list", "contacts", "--no-interaction-days", "-3"], "", 2),
        (["list", "deals", "--status", "pending"], "not a deal status", 1),
        (["list", "contacts", "--sort", "shoe size"], "cannot sort by", 1),
    ],
)
def test_bad_filters(seeded: Any, db_path: Path, args: list[str], message: str, code: int) -> None:
    before = snapshot_of(db_path)
    r = seeded(*args)
    assert r.exit_code == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


def _plans_of_what_runs(db: Any, read: Any) -> list[str]:
    """Run a read and return the query plan of every statement it sent to SQLite."""
    from sqlalchemy import event

    sent: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.snapshot() as session:
            read(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    conn = db.raw()
    try:
        return [
            " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            for sql, params in sent
            if sql.lstrip().upper().startswith("SELECT")
        ]
    finally:
        conn.close()


def test_filters_use_indexes(db: Any) -> None:
    """The no-interaction and date filters are index lookups, not scans of interactions."""
    from datetime import UTC, datetime

    from tinycrm.core import listing

    now = datetime(2026, 11, 23, tzinfo=UTC)
    flt = listing.ListFilter(no_interaction_days=30, now=now, created_after=now)
    for read in (
        lambda s: listing.list_contacts(s, flt, listing.Page()),
        lambda s: listing.list_deals(s, flt, listing.Page()),
    ):
        (plan,) = _plans_of_what_runs(db, read)
        assert "interaction USING INDEX ix_interaction_" in plan, plan
        assert "SCAN interaction" not in plan, plan


def test_names_that_look_like_markup_are_listed_as_written(crm: Any) -> None:
    assert crm("add", "contact", "Ann [/b] Admin", "--company", "Acme [EU]").exit_code == 0
    r = crm("list", "contacts")
    assert r.exit_code == 0, r.stderr
    assert "Ann [/b] Admin" in r.stdout and "Acme [EU]" in r.stdout


def test_wildcards_in_a_name_filter_are_matched_as_typed(crm: Any) -> None:
    for name in ("Ann 50% Off", "Ann 5000", "Bo_b Smith", "Bob Smith"):
        assert crm("add", "contact", name).exit_code == 0
    assert names(crm, "contacts", "--name", "50%") == ["Ann 50% Off"]
    assert names(crm, "contacts", "--name", "bo_b") == ["Bo_b Smith"]
    assert crm("add", "deal", "Deal 100%", "--contact", "off").exit_code == 0
    assert crm("add", "deal", "Deal 1000", "--contact", "off").exit_code == 0
    assert names(crm, "deals", "--title", "100%") == ["Deal 100%"]


def test_unknown_pipeline_or_stage_in_a_list_is_a_clear_error(seeded: Any) -> None:
    r = seeded("list", "deals", "--stage", "nowhere")
    assert r.exit_code != 0
    assert "no stage called 'nowhere'" in r.stderr and "Prospecting" in r.stderr
    r = seeded("list", "deals", "--pipeline", "hiring")
    assert r.exit_code != 0
    assert "no pipeline called 'hiring'" in r.stderr and "Sales" in r.stderr
    assert "Traceback" not in r.stderr
