"""The database file: creation, permissions, migrations with backups, refusing bad files."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tinycrm.core import open_db
from tinycrm.errors import StorageError
from tinycrm.store import migrate


def test_new_database_is_private_wal_and_current(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "crm.db"
    database = open_db(path)
    database.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrate.schema_version()
    assert conn.execute("SELECT name FROM pipeline").fetchall() == [("Sales",)]


def test_first_revision_with_rows_upgrades_and_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    migrate.prepare(path, upto=1)
    conn = sqlite3.connect(path)
    now = "2026-01-02 03:04:05.000000"
    conn.execute(
        "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
        " VALUES ('u1', 'Zoë Quill', 'zoe quill', 'lead', ?, ?)",
        (now, now),
    )
    conn.execute(
        "INSERT INTO contact_email (contact_id, email, email_key, is_primary)"
        " VALUES (1, 'zoe@quill.io', 'zoe@quill.io', 1)"
    )
    conn.commit()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()

    database = open_db(path)
    database.dispose()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrate.schema_version()
    assert conn.execute("SELECT name FROM contact").fetchall() == [("Zoë Quill",)]
    assert conn.execute("SELECT email FROM contact_email").fetchall() == [("zoe@quill.io",)]
    # the earlier rows are searchable after the upgrade that added search
    hits = conn.execute("SELECT record_id FROM search_index WHERE search_index MATCH 'zoe'")
    assert hits.fetchall() == [(1,)]
    backups = list(tmp_path.glob("old.db.v1*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT name FROM contact").fetchall() == [("Zoë Quill",)]


def test_database_from_a_newer_tinycrm_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_db(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="newer tinycrm"):
        open_db(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n")
    with pytest.raises(StorageError, match="not a tinycrm database"):
        open_db(path)
    assert path.read_text() == "my shopping list\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="cannot create"):
            open_db(folder / "crm.db")
    finally:
        folder.chmod(0o700)


def test_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot create"):
        open_db(blocker / "crm.db")


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    from sqlmodel import SQLModel

    import tinycrm.store.models  # noqa: F401

    path = tmp_path / "s.db"
    open_db(path).dispose()
    conn = sqlite3.connect(path)
    for name, table in SQLModel.metadata.tables.items():
        columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')}
        assert columns == {c.name for c in table.columns}, name


@pytest.mark.slow
def test_two_processes_opening_a_new_file_at_once_migrate_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "race.db"
    code = f"from tinycrm.core import open_db; open_db({str(path)!r}).dispose()"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM pipeline").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM stage").fetchone()[0] == 4


def test_a_read_snapshot_is_read_only_and_sees_one_moment(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    db = open_db(tmp_path / "s.db")
    count = text("SELECT count(*) FROM pipeline")
    try:
        with db.snapshot() as session:
            before = session.execute(count).scalar_one()
            other = sqlite3.connect(tmp_path / "s.db")
            other.execute("INSERT INTO pipeline (uuid, name, is_default, created_at, updated_at)"
                          " VALUES ('u', 'Hiring', 0, '2026-11-23 10:00:00.000000',"
                          " '2026-11-23 10:00:00.000000')")  # fmt: skip
            other.commit()
            other.close()
            # the snapshot still sees the moment it began
            assert session.execute(count).scalar_one() == before
            with pytest.raises(OperationalError, match="readonly"):
                session.execute(text("DELETE FROM pipeline"))
        with db.snapshot() as again:
            assert again.execute(count).scalar_one() == before + 1
        # the pooled connection a snapshot used can write again in a transaction
        with db.transaction() as session:
            session.execute(text("DELETE FROM pipeline WHERE name = 'Hiring'"))
        with db.snapshot() as last:
            assert last.execute(count).scalar_one() == before
    finally:
        db.dispose()
