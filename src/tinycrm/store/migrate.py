"""The schema: the numbered migrations shipped in the package, checking a file's version
before anything touches it, and bringing a file up to date (after a backup of it)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from tinycrm.errors import StorageError
from tinycrm.store.files import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    SQLITE_MAGIC,
    TINYCRM_TABLES,
    backup,
    connect,
    create_file,
    foreign,
    inspect_file,
    pending_log,
    set_up,
    writable,
)


def migration_names() -> list[tuple[int, str]]:
    """Return the shipped migrations as (number, file name), in order, without reading them."""
    folder = resources.files("tinycrm.store.migrations")
    found = [
        (int(entry.name[:4]), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:4].isdigit()
    ]
    return sorted(found)


def migration_scripts() -> list[tuple[int, str, str]]:
    """Return the shipped migrations as (number, name, sql), in order."""
    folder = resources.files("tinycrm.store.migrations")
    return [
        (number, name, folder.joinpath(name).read_text(encoding="utf-8"))
        for number, name in migration_names()
    ]


def schema_version() -> int:
    """Return the schema version this tinycrm writes (its newest migration)."""
    return migration_names()[-1][0]


def split_sql(script: str) -> Iterator[str]:
    """Yield whole statements (triggers included) of a SQL script."""
    buf: list[str] = []
    for line in script.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf.append(line)
        text = "".join(buf)
        if sqlite3.complete_statement(text):
            yield text
            buf = []
    if "".join(buf).strip():
        yield "".join(buf)


def migrate(conn: sqlite3.Connection, path: Path | None, upto: int | None = None) -> list[int]:
    """Bring the schema up to date (or to `upto`); return the migrations applied.

    Each migration runs in its own IMMEDIATE transaction and re-checks the version inside
    it, so two processes opening a new database at once do not apply anything twice.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    names = migration_names()
    newest = names[-1][0]
    if current > newest:
        raise _newer(current, newest)
    if current >= newest or (upto is not None and current >= upto):
        return []  # the usual case: read no migration file
    pending = [s for s in migration_scripts() if s[0] > current and (upto is None or s[0] <= upto)]
    if not pending:
        return []
    if current > 0 and path is not None:
        backup(conn, path, current)
    applied = []
    for number, name, sql in pending:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
                conn.execute("ROLLBACK")
                continue
            for statement in split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StorageError(f"migration {name} failed: {exc}") from exc
        applied.append(number)
    return applied


def _newer(found: int, newest: int) -> StorageError:
    return StorageError(
        f"the database was written by a newer tinycrm (schema {found}; "
        f"this one knows up to {newest})",
        hint="upgrade tinycrm (pip install -U tinycrm); the file was not changed",
    )


def check_file(path: Path, *, for_write: bool = False) -> int | None:
    """Refuse what tinycrm must not touch, reading only; return the file's schema version.

    None means there is nothing yet (no file, or an empty one), which may be initialised; 0 a
    SQLite file with no tables (a first run that was interrupted). A folder, a file that is
    not SQLite, a SQLite file of another program (marked with another application id, or
    without tinycrm's tables) and a database from a newer tinycrm are refused, untouched.

    `for_write`: the caller opens the file to write next, and `migrate` reads the exact
    version there; a file marked as tinycrm's is then judged by its header even when a
    write-ahead log waits beside it (the version in the header can only be older than the
    log's, never newer), which spares a connection on every write.
    """
    if path.is_symlink() and not path.exists():
        raise StorageError(
            f"{path} is a link to {os.readlink(path)}, which does not exist",
            hint="fix or remove the link, or point --db at the database itself",
        )
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file")
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError as exc:
        raise StorageError(f"cannot read the database {path}: {exc.strerror}") from None
    if header[:16] != SQLITE_MAGIC:
        raise foreign(path, " (not a SQLite file)")
    if len(header) < 100:
        raise StorageError(
            f"cannot read the database {path}: the file is cut short",
            hint="restore a backup, or point --db at another file",
        )
    marked = int.from_bytes(header[68:72], "big")
    if marked not in (0, APPLICATION_ID):
        raise foreign(path)  # another program marked it as its own
    if marked == APPLICATION_ID and (for_write or not pending_log(path)):
        version, app_id, tables = int.from_bytes(header[60:64], "big"), marked, set(TINYCRM_TABLES)
    else:  # the header alone may be out of date, or say too little
        version, app_id, tables = inspect_file(path)
    if app_id not in (0, APPLICATION_ID):
        raise foreign(path)
    if (
        app_id == 0
        and not (version == 0 and not tables)
        and not (version > 0 and tables >= TINYCRM_TABLES)
    ):
        raise foreign(path)
    newest = schema_version()
    if version > newest:
        raise _newer(version, newest)
    return version


def _to_wal(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


def _mark(conn: sqlite3.Connection) -> None:
    """Write tinycrm's application id into the file's header (once; files of earlier releases
    get it on their first write)."""
    if conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _with_retry(step: Callable[[], object]) -> None:
    """Run a set-up step, waiting out another process that is setting up the same file.

    Switching the journal mode does not wait on the busy timeout, so two processes opening a
    new file at once may see 'database is locked'; the step is safe to repeat.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _read_only(path: Path) -> StorageError:
    return StorageError(
        f"the database {path} is read-only; nothing was changed",
        hint="reading it works; to change it, make the file and its folder writable, "
        "or copy it and use --db",
    )


def prepare(path: Path, upto: int | None = None) -> bool | None:
    """Make sure the file at `path` exists, is tinycrm's, and has the current schema; return
    whether it holds a pipeline yet (None: not looked at).

    Everything that could refuse the file is checked before anything writes to it.
    """
    version = check_file(path, for_write=True)
    if version is None and not path.exists():
        create_file(path)
    if not writable(path):
        raise _read_only(path)
    if upto is None and version == schema_version() and set_up(path):
        return None  # nothing to switch, migrate or mark, so no connection
    try:
        conn = connect(path)
    except sqlite3.Error as exc:
        raise StorageError(
            f"cannot open the database {path}: {exc}",
            hint="the file may be damaged; restore a backup, or use --db for another file",
        ) from None
    try:
        _with_retry(lambda: _to_wal(conn))
        _with_retry(lambda: migrate(conn, path, upto=upto))
        _with_retry(lambda: _mark(conn))
        return conn.execute("SELECT 1 FROM pipeline LIMIT 1").fetchone() is not None
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"cannot use the database {path}: {exc}",
            hint="check the file and its folder can be written; --db picks another file",
        ) from None
    finally:
        conn.close()
