"""The end of a record's life: delete to the trash, restore, forget a person, merge duplicates."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows


def _jane(crm: Any) -> None:
    r = crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme")
    assert r.exit_code == 0, r.stderr


# --- delete, restore, trash -------------------------------------------------------------------


def test_delete_moves_a_contact_to_the_trash_and_restore_brings_it_back(
    crm: Any, db_path: Path
) -> None:
    _jane(crm)
    r = crm("delete", "jane", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "Moved contact #2 Jane Doe to the trash" in r.stdout
    assert table_rows(db_path, "SELECT deleted_at IS NOT NULL FROM contact") == [(1,)]
    assert crm("show", "jane").exit_code == 1
    assert json.loads(crm("list", "contacts", "--json").stdout) == []
    trashed = json.loads(crm("trash", "--json").stdout)
    assert trashed == [
        {"kind": "contact", "id": 2, "name": "Jane Doe", "deleted_at": "2026-11-23T10:00:00Z"}
    ]
    r = crm("restore", "jane")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Restored contact #2 Jane Doe\n"
    assert json.loads(crm("trash", "--json").stdout) == []
    assert crm("show", "jane").exit_code == 0


def test_delete_a_deal_and_a_company_by_kind(crm: Any, db_path: Path) -> None:
    _jane(crm)
    crm("add", "deal", "Acme website", "--contact", "jane")
    assert crm("delete", "acme", "--kind", "company", "--yes").exit_code == 0
    assert crm("delete", "acme", "--kind", "deal", "--yes").exit_code == 0
    rows = json.loads(crm("trash", "--json").stdout)
    assert {(t["kind"], t["name"]) for t in rows} == {
        ("company", "Acme"),
        ("deal", "Acme website"),
    }
    assert crm("trash", "-q").stdout.split() == [
        "3",
        "1",
    ]  # the deal, then the company (Acme, made with Jane)
    assert "Acme website" in crm("trash").stdout


def test_delete_is_one_undo_step(crm: Any, db_path: Path) -> None:
    _jane(crm)
    crm("delete", "jane", "--yes")
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert "delete contact #2 Jane Doe" in r.stdout
    assert table_rows(db_path, "SELECT deleted_at FROM contact") == [(None,)]


def test_delete_without_yes_and_without_a_terminal_is_a_usage_error(
    crm: Any, db_path: Path
) -> None:
    _jane(crm)
    before = snapshot_of(db_path)
    r = crm("delete", "jane")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: this needs confirmation")
    assert "--yes" in r.stderr
    assert snapshot_of(db_path) == before


def test_delete_asks_on_a_terminal(
    crm: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _jane(crm)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    from tinycrm.cli import render

    answers = iter([False, True])
    monkeypatch.setattr("typer.confirm", lambda *a, **k: next(answers))
    with pytest.raises(Exception, match="cancelled"):
        render.confirm("Move it?", yes=False)
    render.confirm("Move it?", yes=False)  # the second answer is yes: no error


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("delete", "nobody", "--yes"), 1, "error: no contact, company or deal matches 'nobody'"),
        (("delete", "jane", "--kind", "planet", "--yes"), 2, "error: not a kind: 'planet'"),
        (("restore", "jane"), 1, "error: no trashed contact, company or deal matches 'jane'"),
    ],
)
def test_bad_delete_and_restore_change_nothing(
    crm: Any, db_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    _jane(crm)
    before = snapshot_of(db_path)
    r = crm(*args)
    assert r.exit_code == code
    assert r.stderr.splitlines()[0] == message
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


# --- forget -----------------------------------------------------------------------------------

SECRETS = ("Zelda Quixote", "zelda@quixote.example", "+1 555 0199", "quixote.example/zq")


def _zelda_with_history(crm: Any, db: Any) -> None:
    """A person with details, tags, a deal, an interaction, a follow-up and edits on record."""
    r = crm(
        "add",
        "contact",
        "Zelda Quixote",
        "--email",
        "zelda@quixote.example",
        "--phone",
        "+1 555 0199",
        "--company",
        "Acme",
        "--tag",
        "vip",
        "--note",
        "met at expo",
    )
    assert r.exit_code == 0, r.stderr
    crm(
        "add", "contact", "Bob Other", "--email", "bob@other.example",
        "--note", "introduced by zelda@quixote.example",
    )  # fmt: skip
    crm("add", "deal", "Acme website", "--contact", "zelda", "--value", "5k")
    crm("add", "deal", "Portrait of ZELDA QUIXOTE", "--contact", "bob")
    crm("move", "acme web", "presenting")
    crm("delete", "zelda", "--yes")
    crm("restore", "zelda")
    from tinycrm import clock
    from tinycrm.core import contacts, followups, refs
    from tinycrm.domain.dates import When
    from tinycrm.store.models import Interaction

    now = clock.now()
    with db.transaction(summary="add details for Zelda Quixote") as session:
        person = refs.resolve_contact(session, "zelda")
        contacts.add_url(session, person, "https://quixote.example/zq")
        session.add(
            Interaction(
                uuid="i-1",
                contact_id=person.id,
                kind="call",
                occurred_at=now,
                summary="Zelda Quixote wants a quote",
                created_at=now,
                updated_at=now,
            )
        )
        followups.add_follow_up(
            session, "call Zelda back", When(now, all_day=False), now=now, contact=person
        )


def _whole_file(db_path: Path) -> str:
    """Everything a person could read out of the database: a SQL dump and the raw bytes."""
    conn = sqlite3.connect(db_path)
    try:
        dump = "\n".join(conn.iterdump())
        fts = " ".join(
            str(r) for r in conn.execute("SELECT title, body FROM search_index").fetchall()
        )
    finally:
        conn.close()
    raw = b"".join(
        p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)
    )
    return (dump + fts).lower() + raw.decode("latin-1").lower()


def test_forget_leaves_no_trace_anywhere_in_the_file(crm: Any, db: Any, db_path: Path) -> None:
    _zelda_with_history(crm, db)
    db.dispose()
    everything = _whole_file(db_path)
    assert all(s.lower() in everything for s in SECRETS)  # the check can see them
    r = crm("forget", "zelda", "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Forgot contact #2:")
    everything = _whole_file(db_path)
    for secret in (*SECRETS, "zelda", "quixote", "0199"):
        assert secret.lower() not in everything, secret
    # the deal stays, without the link; the other contact is untouched
    assert table_rows(db_path, "SELECT title, title_key, contact_id FROM deal") == [
        ("Acme website", "acme website", None),
        ("Portrait of [forgotten]", "portrait of [forgotten]", 3),
    ]
    assert table_rows(db_path, "SELECT name, notes FROM contact") == [
        ("Bob Other", "introduced by [forgotten]")
    ]
    for table in ("contact_email", "contact_phone", "contact_url", "contact_tag"):
        assert table_rows(db_path, f"SELECT count(*) FROM {table} WHERE contact_id = 2") == [(0,)]
    assert table_rows(db_path, "SELECT count(*) FROM interaction") == [(0,)]
    assert table_rows(db_path, "SELECT count(*) FROM follow_up") == [(0,)]
    assert table_rows(
        db_path, "SELECT count(*) FROM search_index WHERE search_index MATCH 'zelda'"
    ) == [(0,)]
    # a marker says something was forgotten, and nothing else about whom
    assert table_rows(db_path, "SELECT action, summary FROM event WHERE action = 'forget'") == [
        ("forget", "forgot contact #2")
    ]


def test_forget_also_erases_a_duplicate_that_was_merged_in(crm: Any, db_path: Path) -> None:
    crm("add", "contact", "Zelda Quixote", "--email", "zelda@quixote.example")
    crm("add", "contact", "Z. Quixote-Smith", "--email", "zqs@elsewhere.example")
    crm("add", "contact", "Bob Other", "--note", "knows Z. Quixote-Smith")
    assert crm("merge", "zelda", "smith", "--yes").exit_code == 0
    assert crm("forget", "zelda", "--yes").exit_code == 0
    everything = _whole_file(db_path)
    for secret in ("zelda", "quixote", "zqs@elsewhere.example"):
        assert secret not in everything, secret
    assert table_rows(db_path, "SELECT name, notes FROM contact") == [
        ("Bob Other", "knows [forgotten]")
    ]


def test_forget_keeps_other_history_undoable(crm: Any, db: Any, db_path: Path) -> None:
    _zelda_with_history(crm, db)
    crm("forget", "zelda", "--yes")
    # the newest undoable command is the move; it still undoes cleanly
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert json.loads(crm("show", "acme website", "--json").stdout)["stage"] == "Prospecting"
    assert crm("show", "bob").exit_code == 0


def test_forget_finds_a_trashed_contact(crm: Any, db_path: Path) -> None:
    _jane(crm)
    crm("delete", "jane", "--yes")
    assert crm("forget", "jane@acme.com", "--yes").exit_code == 0
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(0,)]


def test_forget_without_yes_off_a_terminal_changes_nothing(crm: Any, db_path: Path) -> None:
    _jane(crm)
    before = snapshot_of(db_path)
    r = crm("forget", "jane")
    assert r.exit_code == 2
    assert snapshot_of(db_path) == before
    r = crm("forget", "nobody", "--yes")
    assert (r.exit_code, r.stderr.splitlines()[0]) == (
        1,
        "error: no trashed contact matches 'nobody'",
    )
    assert snapshot_of(db_path) == before


# --- merge ------------------------------------------------------------------------------------


def test_merge_moves_everything_onto_the_kept_contact(crm: Any, db_path: Path) -> None:
    crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--tag", "vip")
    crm(
        "add",
        "contact",
        "J. Doe",
        "--email",
        "jd@home.example",
        "--phone",
        "+1 555 0100",
        "--company",
        "Acme",
        "--title",
        "CTO",
        "--tag",
        "vip",
        "--tag",
        "expo",
    )
    crm("add", "deal", "Acme website", "--contact", "#3")  # Acme took #2
    before_events = table_rows(db_path, "SELECT count(*) FROM event")[0][0]
    r = crm("merge", "jane doe", "j. doe", "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Merged contact #3 J. Doe into #1 Jane Doe")
    shown = json.loads(crm("show", "#1", "--kind", "contact", "--json").stdout)
    assert [e["email"] for e in shown["emails"]] == ["jane@acme.com", "jd@home.example"]
    assert [e["primary"] for e in shown["emails"]] == [True, False]
    assert shown["phones"][0]["phone"] == "+1 555 0100"
    assert shown["tags"] == ["expo", "vip"]
    assert shown["title"] == "CTO"
    assert shown["company"]["name"] == "Acme"
    assert table_rows(db_path, "SELECT contact_id FROM deal") == [(1,)]
    assert table_rows(db_path, "SELECT id FROM contact") == [(1,)]
    assert table_rows(
        db_path, "SELECT count(DISTINCT group_id) FROM event WHERE id > ?", before_events
    ) == [(1,)]
    # one undo step brings both back as they were
    snapshot_after_merge = snapshot_of(db_path)
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT id FROM contact ORDER BY id") == [(1,), (3,)]
    assert table_rows(db_path, "SELECT contact_id FROM deal") == [(3,)]
    assert json.loads(crm("show", "#3", "--kind", "contact", "--json").stdout)["tags"] == [
        "expo",
        "vip",
    ]
    assert snapshot_of(db_path) != snapshot_after_merge


def test_merge_companies(crm: Any, db_path: Path) -> None:
    crm("add", "company", "Acme")
    crm("add", "company", "Acme Inc", "--domain", "acme.com")
    crm("add", "contact", "Jane Doe", "--company", "#2")
    crm("add", "deal", "Acme website", "--company", "#2")
    r = crm("merge", "#1", "#2", "--kind", "company", "--yes")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT id, domain FROM company") == [(1, "acme.com")]
    assert table_rows(db_path, "SELECT company_id FROM contact") == [(1,)]
    assert table_rows(db_path, "SELECT company_id FROM deal") == [(1,)]


@pytest.mark.parametrize(
    ("args", "code", "first_line"),
    [
        (
            ("merge", "jane", "jane", "--yes"),
            1,
            "error: contact #2 Jane Doe is named twice; nothing to merge",
        ),
        (("merge", "jane", "nobody", "--yes"), 1, "error: no contact matches 'nobody'"),
        (
            ("merge", "jane", "bob"),
            2,
            "error: this needs confirmation and there is no terminal to ask on",
        ),
        (
            ("merge", "jane", "bob", "--kind", "deal", "--yes"),
            2,
            "error: not a kind to merge: 'deal'",
        ),
    ],
)
def test_bad_merges_change_nothing(
    crm: Any, db_path: Path, args: tuple[str, ...], code: int, first_line: str
) -> None:
    _jane(crm)
    crm("add", "contact", "Bob Other")
    before = snapshot_of(db_path)
    r = crm(*args)
    assert r.exit_code == code
    assert r.stderr.splitlines()[0] == first_line
    assert snapshot_of(db_path) == before


def test_forget_warns_when_another_reader_keeps_the_log(crm: Any, db_path: Path) -> None:
    _jane(crm)
    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM contact").fetchone()
        r = crm("forget", "jane", "--yes")
    finally:
        reader.close()
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith("warning: another tinycrm has the database open")
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(0,)]
