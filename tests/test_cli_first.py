"""The first commands through CliRunner: add, move, list, show, undo, and their errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows


def test_the_tour_add_move_show_undo(crm: Any, db_path: Path) -> None:
    r = crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added contact #2 Jane Doe\n"  # Acme, made with her, took #1
    r = crm("add", "deal", "Acme website", "--contact", "jane", "--value", "5k")
    assert r.exit_code == 0, r.stderr
    r = crm("move", "acme web", "presenting")
    assert r.exit_code == 0, r.stderr
    assert "Presenting" in r.stdout
    r = crm("show", "acme website")
    assert r.exit_code == 0, r.stderr
    assert "Presenting (Sales)" in r.stdout
    assert "Prospecting -> Presenting" in r.stdout
    assert "$5,000.00" in r.stdout
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert "Undid: move deal #3 Acme website" in r.stdout
    data = json.loads(crm("show", "acme website", "--json").stdout)
    assert data["stage"] == "Prospecting"
    assert [h["to"] for h in data["stage_history"]] == ["Prospecting"]
    assert table_rows(db_path, "SELECT count(*) FROM stage_change") == [(1,)]


def test_quiet_prints_only_the_id(crm: Any) -> None:
    r = crm("add", "company", "Acme", "--domain", "acme.com", "-q")
    assert (r.exit_code, r.stdout) == (0, "1\n")


def test_json_output_of_list_and_show(crm: Any) -> None:
    crm(
        "add",
        "contact",
        "Jane Doe",
        "--email",
        "jane@acme.com",
        "--tag",
        "vip",
        "--phone",
        "+1 555 0100",
    )
    rows = json.loads(crm("list", "contacts", "--json").stdout)
    assert rows[0]["name"] == "Jane Doe"
    assert rows[0]["email"] == "jane@acme.com"
    assert rows[0]["tags"] == ["vip"]
    shown = json.loads(crm("show", "jane@acme.com", "--json").stdout)
    assert shown["phones"][0]["phone"] == "+1 555 0100"


def test_move_won_and_lost_with_reason(crm: Any, db_path: Path) -> None:
    crm("add", "deal", "One", "--value", "1000")
    crm("add", "deal", "Two")
    assert crm("move", "one", "won").exit_code == 0
    r = crm("move", "two", "LOST", "--reason", "price")
    assert r.exit_code == 0, r.stderr
    assert table_rows(
        db_path, "SELECT title, status, lost_reason, stage_id FROM deal ORDER BY id"
    ) == [
        ("One", "won", None, 1),
        ("Two", "lost", "price", 1),
    ]


def test_list_tables(crm: Any) -> None:
    crm("add", "deal", "Acme website", "--value", "5k", "--stage", "qual")
    r = crm("list", "deals")
    assert "Acme website" in r.stdout and "Qualifying" in r.stdout and "$5,000.00" in r.stdout
    assert crm("list", "deals", "--stage", "closing").stdout.strip() == "no deals"


BAD = [
    (["move", "3", "negotiation"], "no stage called 'negotiation'"),
    (["move", "jane", "won"], "no deal matches"),
    (["show", "ja"], "matches several"),
    (["add", "deal", "X", "--value", "5k?"], "not an amount"),
    (["add", "contact", "Bob", "--email", "bob@"], "not an email address"),
    (["add", "contact", "Jim", "--email", "JANE@acme.com"], "already belongs to #1 Jane Doe"),
    (["add", "deal", "X", "--close", "someday"], "cannot read the date"),
    (["add", "deal", "X", "--currency", "dollars"], "not a currency code"),
    (["add", "contact", "Ann", "--lifecycle", "friend"], "not a lifecycle"),
    (["show", "1", "--kind", "planet"], "not a kind"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    crm: Any, db_path: Path, args: list[str], message: str
) -> None:
    crm("add", "contact", "Jane Doe", "--email", "jane@acme.com")
    crm("add", "contact", "Jan Smith")
    crm("add", "deal", "Acme website")
    before = snapshot_of(db_path)
    r = crm(*args)
    assert r.exit_code in (1, 2)
    assert message in r.stderr
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""
    assert snapshot_of(db_path) == before


def test_usage_errors_exit_2(crm: Any) -> None:
    r = crm("move", "1")
    assert r.exit_code == 2
    r = crm("list", "planets")
    assert r.exit_code == 2


def test_db_option_and_env(crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "elsewhere.db"
    assert crm("--db", str(target), "add", "contact", "Ann").exit_code == 0
    assert table_rows(target, "SELECT name FROM contact") == [("Ann",)]
    other = tmp_path / "env.db"
    monkeypatch.setenv("TINYCRM_DB", str(other))
    assert crm("add", "contact", "Ben").exit_code == 0
    assert table_rows(other, "SELECT name FROM contact") == [("Ben",)]


def test_db_that_is_not_a_database(crm: Any, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00\x01binary junk" * 10)
    r = crm("--db", str(junk), "list", "contacts")
    assert r.exit_code == 1
    assert "not a tinycrm database" in r.stderr
    assert junk.read_bytes() == b"\x00\x01binary junk" * 10


def test_db_in_a_folder_that_cannot_be_written(crm: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    r = crm("--db", str(blocker / "crm.db"), "add", "contact", "Ann")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot create the database")


def test_db_from_a_newer_tinycrm(crm: Any, db_path: Path) -> None:
    import sqlite3

    crm("add", "contact", "Ann")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    r = crm("add", "contact", "Ben")
    assert r.exit_code == 1
    assert "newer tinycrm" in r.stderr
    assert table_rows(db_path, "SELECT name FROM contact") == [("Ann",)]
