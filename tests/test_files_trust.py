"""Opening files safely: other programs' databases, newer ones, backups, read-only folders and
locations that do not exist or that tinycrm cannot use."""

from __future__ import annotations

import errno
import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tinycrm.core import open_db
from tinycrm.errors import StorageError
from tinycrm.store import files, migrate


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _siblings(path: Path) -> list[str]:
    """The files beside `path` other than itself."""
    return sorted(p.name for p in path.parent.iterdir() if p != path)


def _foreign(path: Path, *, user_version: int = 0, application_id: int = 0) -> None:
    """Make the kind of SQLite file another program keeps (rollback journal, own tables)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('buy milk'), ('call mum')")
    if user_version:
        conn.execute(f"PRAGMA user_version = {user_version}")
    if application_id:
        conn.execute(f"PRAGMA application_id = {application_id}")
    conn.commit()
    conn.close()


# --- other programs' files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    ["plain", "with a user_version", "with its own application id", "with a contact table"],
)
@pytest.mark.parametrize("command", [("list", "contacts"), ("add", "contact", "Ann")])
def test_another_programs_sqlite_file_is_refused_untouched(
    crm: Any, tmp_path: Path, kind: str, command: tuple[str, ...]
) -> None:
    path = tmp_path / "other.sqlite"
    if kind == "plain":
        _foreign(path)
    elif kind == "with a user_version":
        _foreign(path, user_version=3)
    elif kind == "with its own application id":
        _foreign(path, application_id=0x12345678)
    else:
        _foreign(path, user_version=2)
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE contact (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
        conn.close()
    before = _md5(path)
    r = crm("--db", str(path), *command)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == f"error: {path} is not a tinycrm database"
    assert r.stderr.splitlines()[1].startswith("hint: ")
    assert len(r.stderr.splitlines()) == 2
    assert _md5(path) == before
    assert _siblings(path) == []


def test_a_wal_file_of_another_program_is_refused_without_side_files(
    crm: Any, tmp_path: Path
) -> None:
    path = tmp_path / "other.sqlite"
    _foreign(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    before = _md5(path)
    r = crm("--db", str(path), "add", "contact", "Ann")
    assert r.exit_code == 1
    assert "is not a tinycrm database" in r.stderr
    assert _md5(path) == before
    assert _siblings(path) == []


def test_an_empty_file_is_made_a_tinycrm_database(crm: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    assert crm("--db", str(path), "add", "contact", "Ann").exit_code == 0
    assert table_rows(path, "SELECT name FROM contact") == [("Ann",)]
    assert table_rows(path, "PRAGMA application_id") == [(files.APPLICATION_ID,)]


def test_a_file_left_by_a_first_run_that_was_killed_is_still_initialised(tmp_path: Path) -> None:
    path = tmp_path / "half.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")  # what the first run did before it was killed
    conn.close()
    open_db(path).dispose()
    assert table_rows(path, "SELECT name FROM pipeline") == [("Sales",)]


def test_a_database_of_an_earlier_release_is_recognised_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    migrate.prepare(path, upto=1)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")  # earlier releases did not mark their files
    conn.commit()
    conn.close()
    open_db(path).dispose()
    assert table_rows(path, "PRAGMA user_version") == [(migrate.schema_version(),)]
    assert table_rows(path, "PRAGMA application_id") == [(files.APPLICATION_ID,)]


def test_a_symlink_to_another_programs_file_is_refused(crm: Any, tmp_path: Path) -> None:
    real = tmp_path / "real.sqlite"
    _foreign(real)
    link = tmp_path / "crm.db"
    link.symlink_to(real)
    before = _md5(real)
    r = crm("--db", str(link), "add", "contact", "Ann")
    assert r.exit_code == 1
    assert "is not a tinycrm database" in r.stderr
    assert _md5(real) == before


def test_a_dangling_symlink_is_refused_and_nothing_is_created(crm: Any, tmp_path: Path) -> None:
    link = tmp_path / "crm.db"
    link.symlink_to(tmp_path / "gone" / "crm.db")
    r = crm("--db", str(link), "add", "contact", "Ann")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {link} is a link to")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.db"]


@pytest.mark.parametrize("size", [20_000, 60_000])
def test_a_truncated_database_is_a_one_line_error(crm: Any, tmp_path: Path, size: int) -> None:
    path = tmp_path / "crm.db"
    for n in range(8):
        assert crm("--db", str(path), "add", "contact", f"Person {n}").exit_code == 0
    from tinycrm.cli import state

    state.configure(None)  # close the file, as a finished crm would
    assert _siblings(path) == []
    data = path.read_bytes()
    assert len(data) > size
    path.write_bytes(data[:size])
    before = _md5(path)
    for command in (*READS, ("add", "contact", "Ben"), ("remind",)):
        r = crm("--db", str(path), *command)
        assert r.exception is None or isinstance(r.exception, SystemExit), command
        if r.exit_code:
            assert r.exit_code == 1
            assert r.stderr.startswith("error: "), r.stderr
            assert len(r.stderr.splitlines()) <= 2
    assert _md5(path) == before


# --- a database from a newer tinycrm ----------------------------------------------------------


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_a_newer_database_is_refused_with_its_bytes_untouched(
    crm: Any, tmp_path: Path, journal: str
) -> None:
    path = tmp_path / "new.db"
    open_db(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = _md5(path)
    for command in (("list", "contacts"), ("add", "contact", "Ann"), ("remind",)):
        r = crm("--db", str(path), *command)
        assert r.exit_code == 1
        assert "newer tinycrm" in r.stderr
        assert _md5(path) == before
        assert _siblings(path) == []


# --- upgrade backups --------------------------------------------------------------------------


def _old_database(path: Path, rows: int) -> None:
    """A database of the first release, with `rows` contacts carrying big notes."""
    migrate.prepare(path, upto=1)
    conn = sqlite3.connect(path)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO contact (uuid, name, name_key, lifecycle, notes, created_at, updated_at)"
        " SELECT 'u' || i, 'C ' || i, 'c ' || i, 'lead', hex(randomblob(4000)),"
        " '2026-01-02 03:04:05.000000', '2026-01-02 03:04:05.000000' FROM n",
        (rows,),
    )
    conn.commit()
    conn.close()


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.bak"))


@pytest.mark.slow
def test_a_kill_during_the_upgrade_backup_leaves_no_false_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path, rows=6000)  # ~50 MB: the copy takes long enough to be interrupted
    before = _md5(path)
    code = f"from tinycrm.core import open_db; open_db({str(path)!r}).dispose()"
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name != path.name and not p.name.endswith(("-wal", "-shm"))
                   for p in tmp_path.iterdir()):  # fmt: skip
                break
            time.sleep(0.001)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    if proc.returncode != -signal.SIGKILL:
        pytest.skip("the upgrade finished before it could be killed")
    # nothing that looks like a backup unless it is a whole copy
    for backup in _backups(tmp_path):
        conn = sqlite3.connect(backup)
        assert conn.execute("SELECT count(*) FROM contact").fetchone()[0] == 6000
        conn.close()
    assert _md5(path) == before  # the kill came before the upgrade itself
    # the next run makes a whole backup, cleans the leftover and upgrades
    open_db(path).dispose()
    backups = _backups(tmp_path)
    assert len(backups) == 1
    assert table_rows(backups[0], "SELECT count(*) FROM contact") == [(6000,)]
    assert table_rows(backups[0], "PRAGMA user_version") == [(1,)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert table_rows(path, "SELECT count(*) FROM contact") == [(6000,)]


def test_a_full_disk_during_the_backup_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    _old_database(path, rows=10)
    before = _md5(path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "_fsync", full)
    with pytest.raises(StorageError, match="cannot back up") as caught:
        open_db(path)
    assert "No space left on device" in caught.value.message
    assert "not changed" in (caught.value.hint or "")
    assert _md5(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.db"]
    assert table_rows(path, "PRAGMA user_version") == [(1,)]


def test_backups_are_private(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path, rows=1)
    open_db(path).dispose()
    (backup,) = _backups(tmp_path)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


# --- locations ------------------------------------------------------------------------------


READS = [
    ("list", "contacts"),
    ("show", "ann"),
    ("search", "ann"),
    ("agenda",),
    ("export", "csv"),
    ("timeline", "ann"),
]


@pytest.mark.parametrize("command", [*READS, ("remind",)])
def test_a_read_or_remind_on_a_missing_path_is_an_error_and_creates_nothing(
    crm: Any, tmp_path: Path, command: tuple[str, ...]
) -> None:
    target = tmp_path / "gone" / "crm.db"
    r = crm("--db", str(target), *command)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == f"error: no database at {target}"
    assert not (tmp_path / "gone").exists()


def test_the_same_through_the_environment(
    crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "env.db"
    monkeypatch.setenv("TINYCRM_DB", str(target))
    r = crm("remind")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == f"error: no database at {target}"
    assert not target.exists()


def test_remind_on_an_empty_file_is_an_error(crm: Any, tmp_path: Path) -> None:
    target = tmp_path / "crm.db"
    target.touch()
    r = crm("--db", str(target), "remind")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: no database at {target}")
    assert target.read_bytes() == b""


@pytest.mark.parametrize("command", READS)
def test_a_read_on_the_missing_default_database_creates_nothing(
    crm: Any, hermetic: Path, command: tuple[str, ...]
) -> None:
    r = crm(*command)
    assert "Traceback" not in r.output
    assert r.exit_code in (0, 1)  # empty results, or "no contact ann"
    assert not hermetic.exists()
    assert crm("list", "contacts", "--json").stdout == "[]\n"
    assert crm("remind").exit_code == 1  # remind never runs on nothing
    assert not hermetic.exists()
    # the first write creates it
    assert crm("add", "contact", "Ann").exit_code == 0
    assert "Ann" in crm("list", "contacts").stdout
    assert hermetic.joinpath("tinycrm.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://me@db.example/crm", "PostgreSQL databases are not supported yet"),
        ("postgres://db.example/crm", "PostgreSQL databases are not supported yet"),
        ("mysql://db.example/crm", "database URLs (mysql://) are not supported"),
    ],
)
@pytest.mark.parametrize("command", [("add", "contact", "Ann"), ("list", "contacts")])
def test_a_database_url_is_an_error_and_creates_nothing(
    crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, message: str,
    command: tuple[str, ...],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    r = crm("--db", url, *command)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0].startswith(f"error: {message}")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("TINYCRM_DB", url)
    r = crm(*command)
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0].startswith(f"error: {message}")
    assert list(tmp_path.iterdir()) == []
    assert "db.example" not in r.stderr  # a URL may carry a password: it is not repeated


# --- read-only folders ----------------------------------------------------------------------


def _without_root_powers() -> None:
    """Drop the capabilities that let root write anywhere, for the process about to start."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture
def read_only_db(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A tinycrm database in a folder that the user running crm cannot write to.

    Tests may run as root, and root writes anywhere: then crm runs without the capabilities
    that let root ignore permissions, as an ordinary user would.
    """
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "crm.db"
    crm = [sys.executable, "-m", "tinycrm", "--db", str(path)]
    env = {**os.environ, "TINYCRM_HOME": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    for args in (
        ["add", "contact", "Ann Read", "--email", "ann@ro.example"],
        ["follow-up", "ann", "call back", "--due", "2026-11-23"],
    ):
        subprocess.run([*crm, *args], env=env, check=True, capture_output=True)
    assert _siblings(path) == []  # the last connection cleaned -wal and -shm away
    kwargs: dict[str, Any] = {"env": env, "capture_output": True, "text": True}
    if os.geteuid() == 0:
        kwargs["preexec_fn"] = _without_root_powers
    path.chmod(0o400)
    folder.chmod(0o500)
    try:
        yield path, kwargs
    finally:
        folder.chmod(0o700)
        path.chmod(0o600)


@pytest.mark.slow
def test_a_database_in_a_read_only_folder_can_be_read(
    read_only_db: tuple[Path, dict[str, Any]],
) -> None:
    path, kwargs = read_only_db
    before = _md5(path)
    crm = [sys.executable, "-m", "tinycrm", "--db", str(path)]
    for command in READS:
        r = subprocess.run([*crm, *command], **kwargs)
        assert (r.returncode, r.stderr) == (0, ""), command
        assert "Ann Read" in r.stdout or "ann@ro.example" in r.stdout, command
    r = subprocess.run([*crm, "agenda"], **kwargs)
    assert "call back" in r.stdout
    assert _md5(path) == before
    assert _siblings(path) == []


@pytest.mark.slow
def test_a_write_to_a_read_only_database_is_a_clear_error(
    read_only_db: tuple[Path, dict[str, Any]],
) -> None:
    path, kwargs = read_only_db
    before = _md5(path)
    crm = [sys.executable, "-m", "tinycrm", "--db", str(path)]
    for command in (("add", "contact", "Ben"), ("remind",)):
        r = subprocess.run([*crm, *command], **kwargs)
        assert r.returncode == 1, command
        lines = r.stderr.splitlines()
        assert lines[0] == f"error: the database {path} is read-only; nothing was changed"
        assert lines[1].startswith("hint: ")
        assert len(lines) == 2
    assert _md5(path) == before
    assert _siblings(path) == []


@pytest.mark.slow
def test_a_new_database_in_a_read_only_folder_is_a_clear_error(
    read_only_db: tuple[Path, dict[str, Any]],
) -> None:
    path, kwargs = read_only_db
    target = path.parent / "new.db"
    r = subprocess.run(
        [sys.executable, "-m", "tinycrm", "--db", str(target), "add", "contact", "Ann"], **kwargs
    )
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: cannot create the database {target}: Permission denied")
    assert not target.exists()


@pytest.mark.slow
def test_processes_creating_a_new_database_at_once_all_write(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tinycrm", "--db", str(path), "add", "contact", f"P{n}"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        for n in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert table_rows(path, "SELECT count(*) FROM contact") == [(4,)]
    assert table_rows(path, "SELECT count(*) FROM pipeline") == [(1,)]
    assert table_rows(path, "PRAGMA application_id") == [(files.APPLICATION_ID,)]
