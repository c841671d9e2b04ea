"""Identity and history: ids are never reused, redo follows undo only, `undo N` is all or
nothing, and forget erases one person only."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows


def ok(crm: Any, *args: str) -> Any:
    r = crm(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r


def names(db_path: Path) -> list[str]:
    return [n for (n,) in table_rows(db_path, "SELECT name FROM contact ORDER BY name")]


# --- redo ends with a new change --------------------------------------------------------------


def test_a_change_after_an_undo_ends_the_redo_branch(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "A One")
    ok(crm, "add", "contact", "B Two")
    ok(crm, "undo")  # B Two
    ok(crm, "add", "contact", "C Three")  # B Two can never come back
    ok(crm, "undo")  # C Three
    ok(crm, "undo")  # A One
    assert names(db_path) == []
    ok(crm, "redo")
    assert names(db_path) == ["A One"]
    ok(crm, "redo")
    assert names(db_path) == ["A One", "C Three"]
    r = crm("redo")
    assert r.exit_code == 1 and "nothing to redo" in r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    assert names(db_path) == ["A One", "C Three"]


def test_redo_reapplies_newest_undone_first_when_undo_and_redo_interleave(
    crm: Any, db_path: Path
) -> None:
    for name in ("A One", "B Two", "C Three"):
        ok(crm, "add", "contact", name)
    ok(crm, "undo")  # C
    ok(crm, "undo")  # B
    ok(crm, "redo")  # B
    assert names(db_path) == ["A One", "B Two"]
    ok(crm, "undo")  # B again
    ok(crm, "undo")  # A
    assert names(db_path) == []
    ok(crm, "redo", "3")  # A, then B, then C
    assert names(db_path) == ["A One", "B Two", "C Three"]
    assert crm("redo").exit_code == 1


def test_reminder_bookkeeping_does_not_end_the_redo_branch(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe")
    ok(crm, "follow-up", "jane", "Call Jane", "--due", "2026-11-23 09:00")
    ok(crm, "add", "contact", "Other One")
    ok(crm, "undo")
    ok(crm, "remind")
    ok(crm, "redo")
    assert names(db_path) == ["Jane Doe", "Other One"]


# --- undo N and redo N are all or nothing -----------------------------------------------------


def test_undo_n_past_the_start_changes_nothing(crm: Any, db_path: Path) -> None:
    for name in ("A One", "B Two", "C Three"):
        ok(crm, "add", "contact", name)
    before = snapshot_of(db_path)
    r = crm("undo", "5")
    assert r.exit_code == 1
    assert "only 3 changes can be undone; nothing was changed" in r.stderr
    assert r.stdout == ""
    assert snapshot_of(db_path) == before
    ok(crm, "undo", "3")
    assert names(db_path) == []
    before = snapshot_of(db_path)
    r = crm("redo", "4")
    assert r.exit_code == 1
    assert "only 3 changes can be redone; nothing was changed" in r.stderr
    assert snapshot_of(db_path) == before


# --- ids are never reused, across kinds ---------------------------------------------------------


def test_an_undone_create_does_not_free_its_id(crm: Any) -> None:
    ok(crm, "add", "contact", "Alpha", "--email", "a@x.example")
    ok(crm, "undo")
    ok(crm, "add", "contact", "Beta")
    found = json.loads(ok(crm, "history", "beta", "--json").stdout)
    assert [e["entity"] for e in found] == ["contact"]
    assert "Alpha" not in ok(crm, "history", "beta").stdout
    assert "a@x.example" not in ok(crm, "history", "beta").stdout


def test_one_id_names_one_record_of_any_kind(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe")
    ok(crm, "add", "company", "Acme")
    ok(crm, "add", "deal", "Website", "--contact", "jane")
    ok(crm, "follow-up", "jane", "Call", "--due", "tomorrow")
    ids = [
        i
        for table in ("contact", "company", "deal", "follow_up")
        for (i,) in table_rows(db_path, f"SELECT id FROM {table}")
    ]
    assert len(ids) == len(set(ids)) == 4
    (deal_id,) = table_rows(db_path, "SELECT id FROM deal")[0]
    r = ok(crm, "show", str(deal_id))
    assert "Website" in r.stdout
    r = crm("show", str(deal_id), "--kind", "contact")
    assert r.exit_code == 1


def test_ids_of_deleted_and_merged_records_are_not_given_again(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Alice One", "--email", "alice@x.test")
    ok(crm, "add", "contact", "Bob Dup", "--email", "bob@x.test", "--phone", "+1 555 0202")
    (bob,) = table_rows(db_path, "SELECT id FROM contact WHERE name = 'Bob Dup'")[0]
    emails = {i for (i,) in table_rows(db_path, "SELECT id FROM contact_email")}
    ok(crm, "merge", "alice one", "bob dup", "--yes")
    ok(crm, "add", "contact", "Carol New", "--email", "carol@x.test")
    (carol,) = table_rows(db_path, "SELECT id FROM contact WHERE name = 'Carol New'")[0]
    assert carol != bob
    (carol_email,) = table_rows(db_path, "SELECT id FROM contact_email WHERE email LIKE 'carol%'")[
        0
    ]
    assert carol_email not in emails


def test_bulk_imports_take_ids_from_the_same_sequence(
    crm: Any, db_path: Path, tmp_path: Path
) -> None:
    ok(crm, "add", "contact", "Alpha")
    ok(crm, "add", "contact", "Beta")
    ok(crm, "undo")  # frees nothing: Beta's id stays taken
    taken = {int(i) for (i,) in table_rows(db_path, "SELECT entity_id FROM event"
                                            " WHERE entity = 'contact'")}  # fmt: skip
    source = tmp_path / "people.csv"
    source.write_text("name,email\nGamma G,g@x.example\nDelta D,d@x.example\n", encoding="utf-8")
    ok(crm, "import", "csv", str(source))
    new = {i for (i,) in table_rows(db_path, "SELECT id FROM contact WHERE name != 'Alpha'")}
    assert len(new) == 2 and not new & taken


# --- forget erases one person only --------------------------------------------------------------


def test_forget_erases_only_that_person_after_a_merge(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Alice One", "--email", "alice@x.test")
    ok(crm, "add", "contact", "Bob Dup", "--email", "bob@x.test", "--phone", "+1 555 0202")
    ok(crm, "merge", "alice one", "bob dup", "--yes")
    ok(crm, "add", "contact", "Carol New", "--email", "carol@x.test")
    ok(crm, "forget", "carol@x.test", "--yes")
    emails = sorted(e for (e,) in table_rows(db_path, "SELECT email FROM contact_email"))
    assert emails == ["alice@x.test", "bob@x.test"]
    phones = [p for (p,) in table_rows(db_path, "SELECT phone FROM contact_phone")]
    assert phones == ["+1 555 0202"]
    summaries = [s for (s,) in table_rows(db_path, "SELECT DISTINCT summary FROM event")]
    assert any(s.startswith("merge contact") for s in summaries)
    assert not any("Carol" in (s or "") for s in summaries)
    assert "carol" not in json.dumps(snapshot_of(db_path)).lower()


def test_forget_after_an_undone_merge_leaves_the_other_person_whole(
    crm: Any, db_path: Path
) -> None:
    ok(crm, "add", "contact", "Ann First", "--email", "ann@x.test")
    ok(crm, "add", "contact", "Ben Second", "--email", "ben@x.test", "--phone", "+1 555 0303")
    ok(crm, "merge", "ann first", "ben second", "--yes")
    ok(crm, "undo")  # Ben's email and phone sat with Ann for a while, and went back
    ok(crm, "forget", "ann@x.test", "--yes")
    assert names(db_path) == ["Ben Second"]
    emails = [e for (e,) in table_rows(db_path, "SELECT email FROM contact_email")]
    assert emails == ["ben@x.test"]
    phones = [p for (p,) in table_rows(db_path, "SELECT phone FROM contact_phone")]
    assert phones == ["+1 555 0303"]
    assert "ann" not in json.dumps(snapshot_of(db_path)).lower()
    assert ok(crm, "show", "ben second").stdout.count("ben@x.test") == 1


def test_forget_says_the_erase_happened_when_the_clean_up_fails(
    crm: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.store import files

    ok(crm, "add", "contact", "Jane Doe", "--email", "jane@acme.com")

    def broken(path: Path) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(files, "scrub", broken)
    r = crm("forget", "jane", "--yes")
    assert r.exit_code == 0, r.stderr
    assert "nothing was changed" not in r.stderr
    assert "Forgot contact" in r.stdout
    assert "database or disk is full" in r.stderr
    assert table_rows(db_path, "SELECT * FROM contact") == []


# --- the upgrade of a database from the release before --------------------------------------


def _as_before_shared_ids(db_path: Path) -> None:
    """Turn a database into one the release before would have left: no id sequences, no redo
    stack, schema 7, and deal #3 renumbered #1 beside contact #1 (ids were per kind)."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DROP TABLE id_sequence")
    conn.execute("DROP TABLE redo_stack")
    # and what later migrations add
    conn.execute("DROP TABLE contact_uid")
    conn.execute("DROP TABLE reminder_occurrence")
    conn.execute("ALTER TABLE reminder_delivery DROP COLUMN record_uuid")
    for table in ("contact_address", "company_address", "contact_date", "contact_property"):
        conn.execute(f"DROP TABLE {table}")
    for column in ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix",
                   "nickname", "vcard_n", "photo"):  # fmt: skip
        conn.execute(f"ALTER TABLE contact DROP COLUMN {column}")
    for table in ("contact_email", "contact_phone", "contact_url"):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN types")
        conn.execute(f"ALTER TABLE {table} DROP COLUMN vcard_group")
    for index in ("ix_interaction_contact_message", "ix_interaction_message_id",
                  "ix_follow_up_sequence_run_id"):  # fmt: skip
        conn.execute(f"DROP INDEX {index}")
    conn.execute("ALTER TABLE interaction DROP COLUMN message_id")
    for column in ("sequence_run_id", "sequence_step_id"):
        conn.execute(f"ALTER TABLE follow_up DROP COLUMN {column}")
    for column in ("budget", "authority", "need", "timing", "recurring"):
        conn.execute(f"ALTER TABLE deal DROP COLUMN {column}")
    for table in ("sequence_run", "sequence_step", "sequence", "spend"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("UPDATE deal SET id = 1 WHERE id = 3")
    conn.execute("UPDATE stage_change SET deal_id = 1 WHERE deal_id = 3")
    conn.execute("UPDATE event SET entity_id = '1' WHERE entity = 'deal' AND entity_id = '3'")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()


def test_an_old_database_upgrades_keeping_its_rows_ids_history_and_redo(
    crm: Any, db_path: Path
) -> None:
    ok(crm, "add", "contact", "Jane Doe")  # 1
    ok(crm, "add", "contact", "Abandoned One")  # 2
    ok(crm, "undo")
    ok(crm, "add", "deal", "Website", "--contact", "jane")  # 3, which ends that redo
    ok(crm, "add", "contact", "Carl Redo")  # 4
    ok(crm, "undo")  # Carl can be redone
    from tinycrm.cli import state

    state.configure(None)
    _as_before_shared_ids(db_path)
    old = snapshot_of(db_path)

    r = crm("show", "1")  # opening the file upgrades it
    assert r.exit_code == 1
    assert "matches several: contact #1 Jane Doe; deal #1 Website" in r.stderr
    assert "--kind contact|deal" in r.stderr
    assert (db_path.parent / f"{db_path.name}.v7.bak").exists()
    new = snapshot_of(db_path)
    # every row, history included; the columns added since then are empty
    widths = {k: len(rows[0]) for k, rows in old.items() if rows}
    kept = {k: [row[: widths.get(k, len(row))] for row in v] for k, v in new.items() if k in old}
    assert kept == old
    added = [row[widths[k] :] for k, v in new.items() if k in widths for row in v]
    assert all(value is None for rest in added for value in rest)
    assert "Website" in ok(crm, "show", "1", "--kind", "deal").stdout
    assert "Jane Doe" in ok(crm, "show", "1", "--kind", "contact").stdout

    # what the release before could redo is still redoable, and only that
    ok(crm, "redo")
    assert names(db_path) == ["Carl Redo", "Jane Doe"]
    assert crm("redo").exit_code == 1
    # new records take ids above every one the file or its history ever named
    ok(crm, "add", "contact", "Dora New")
    ok(crm, "add", "deal", "Next one")
    (dora,) = table_rows(db_path, "SELECT id FROM contact WHERE name = 'Dora New'")[0]
    (deal,) = table_rows(db_path, "SELECT id FROM deal WHERE title = 'Next one'")[0]
    assert (dora, deal) == (5, 6)


def test_forget_keys_history_by_the_record_even_where_an_old_release_reused_the_id(
    crm: Any, db_path: Path
) -> None:
    ok(crm, "add", "contact", "Alice One", "--email", "alice@x.test")
    ok(crm, "add", "contact", "Bob Dup", "--email", "bob@x.test", "--phone", "+1 555 0202")
    (bob,) = table_rows(db_path, "SELECT id FROM contact WHERE name = 'Bob Dup'")[0]
    ok(crm, "merge", "alice one", "bob dup", "--yes")
    ok(crm, "add", "contact", "Carol New", "--email", "carol@x.test")
    (carol,) = table_rows(db_path, "SELECT id FROM contact WHERE name = 'Carol New'")[0]
    # as the release before would have done it: Carol gets the id Bob had
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("UPDATE contact SET id = ? WHERE id = ?", (bob, carol))
    conn.execute("UPDATE contact_email SET contact_id = ? WHERE contact_id = ?", (bob, carol))
    conn.execute(
        "UPDATE event SET entity_id = ? WHERE entity = 'contact' AND entity_id = ?",
        (str(bob), str(carol)),
    )
    conn.execute(
        "UPDATE event SET after = json_set(after, '$.contact_id', ?)"
        " WHERE json_extract(after, '$.contact_id') = ?",
        (bob, carol),
    )
    conn.commit()
    conn.close()
    ok(crm, "forget", "carol@x.test", "--yes")
    emails = sorted(e for (e,) in table_rows(db_path, "SELECT email FROM contact_email"))
    assert emails == ["alice@x.test", "bob@x.test"]
    assert table_rows(db_path, "SELECT phone FROM contact_phone") == [("+1 555 0202",)]
    summaries = {s for (s,) in table_rows(db_path, "SELECT summary FROM event")}
    assert any(s.startswith("merge contact") for s in summaries), summaries
    # the merge's own events (Bob's details moving to Alice) stay
    assert table_rows(
        db_path, "SELECT count(*) FROM event WHERE entity = 'contact_phone' AND action = 'update'"
    ) == [(1,)]


def test_the_id_of_a_follow_up_is_named_as_one(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe")
    fid = ok(crm, "follow-up", "jane", "Call", "--due", "tomorrow", "-q").stdout.strip()
    r = crm("show", fid)
    assert r.exit_code == 1
    assert f"hint: #{fid} is a follow-up (crm agenda lists them)" in r.stderr
