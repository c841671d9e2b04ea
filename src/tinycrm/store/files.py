"""The database file itself: trusting it before opening it (its header), the raw connections
with tinycrm's pragmas, whole-file backups, and what the board and `crm forget` need of the
file (a change counter, a lock probe, a scrub of free pages).

This is the one module that speaks to the sqlite3 driver directly; everything else goes
through SQLAlchemy sessions."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from tinycrm import paths
from tinycrm.errors import StorageError

BUSY_TIMEOUT_MS = 10_000


def _uri(path: Path, query: str) -> str:
    """Return a file: URI for `path` (absolute, with the characters URIs reserve escaped)."""
    from urllib.parse import quote

    return f"file:{quote(str(path.absolute()))}?{query}"


def writable(path: Path) -> bool:
    """Tell whether this process may change the file at `path` and create files beside it."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def pending_log(path: Path) -> bool:
    """Tell whether a write-ahead log with content lies beside the database."""
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except OSError:
        return False


# what reads see before the default database exists: an empty schema in memory, no file
EMPTY = "file:tinycrm-empty?mode=memory&cache=shared"


def connect(path: Path | str) -> sqlite3.Connection:
    """Open a raw connection with tinycrm's pragmas; the caller manages transactions.

    A database that cannot be written here (a read-only file or folder) is opened read-only
    and, when no write-ahead log waits beside it, as immutable: SQLite would otherwise need to
    create its -shm file beside it, which fails in a read-only folder.
    """
    target = Path(path)
    if str(path) == EMPTY:
        conn = sqlite3.connect(EMPTY, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only = ON")
        return conn
    if str(path) == ":memory:" or writable(target):
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    else:
        query = "mode=ro" if pending_log(target) else "mode=ro&immutable=1"
        conn = sqlite3.connect(
            _uri(target, query),
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def create_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (mode 0600)."""
    try:
        paths.make_private_dirs(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
    except OSError as exc:
        raise StorageError(
            f"cannot create the database {path}: {exc.strerror or exc}",
            hint="choose a folder you can write to with --db PATH or TINYCRM_DB",
        ) from None


def _fsync(fd: int) -> None:
    os.fsync(fd)


def _sync_file(path: Path) -> None:
    """Flush a file's content to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        _fsync(fd)
    finally:
        os.close(fd)


PARTIAL = ".partial"  # the ending of a backup still being copied


def _partial_backups(path: Path) -> list[Path]:
    """Return copies left beside `path` by an upgrade that was killed while copying."""
    found = []
    for entry in path.parent.glob(f".{path.name}.v*{PARTIAL}*"):
        pid = entry.name.removeprefix(f".{path.name}.v").split(".")[1:2]
        if not pid or not pid[0].isdigit():
            continue
        if int(pid[0]) != os.getpid():
            try:
                os.kill(int(pid[0]), 0)
                continue  # another process is copying right now
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        found.append(entry)
    return found


def _publish(temp: Path, path: Path, version: int) -> Path:
    """Give the finished copy its name, never replacing an earlier backup."""
    n = 1
    while True:
        suffix = f".v{version}.bak" if n == 1 else f".v{version}.{n}.bak"
        target = path.with_name(path.name + suffix)
        try:
            os.link(temp, target)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # a file system without hard links
            if target.exists():
                n += 1
                continue
            os.replace(temp, target)
            return target
        os.unlink(temp)
        return target


def backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database beside itself before a migration; return the copy's path.

    The copy is written under a hidden temporary name, flushed to the disk and only then
    renamed to `NAME.vN.bak`, so a backup that exists is whole; a temporary copy left by a
    run that was killed is removed by the next one.
    """
    path = path.resolve()
    for leftover in _partial_backups(path):
        leftover.unlink(missing_ok=True)
    temp = path.with_name(f".{path.name}.v{version}.{os.getpid()}{PARTIAL}")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        dest = sqlite3.connect(str(temp))
        try:
            conn.backup(dest)
        finally:
            dest.close()
        _sync_file(temp)
        target = _publish(temp, path, version)
        paths.sync_folder(path.parent)
    except (OSError, sqlite3.Error) as exc:
        for leftover in (temp, Path(f"{temp}-journal")):
            leftover.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise StorageError(
            f"cannot back up {path} before upgrading it: {reason}",
            hint="free some space or make its folder writable and try again; "
            "the database was not changed",
        ) from None
    return target


APPLICATION_ID = 0x7443524D  # "tCRM" in the SQLite header: this file is tinycrm's
# tables every tinycrm database has had since the first release (older files carry no mark)
TINYCRM_TABLES = frozenset({"contact", "event", "pipeline", "stage"})
SQLITE_MAGIC = b"SQLite format 3\x00"


def foreign(path: Path, why: str = "") -> StorageError:
    return StorageError(
        f"{path} is not a tinycrm database{why}",
        hint="point --db or TINYCRM_DB at a tinycrm database, or at a new file name",
    )


def inspect_file(path: Path) -> tuple[int, int, set[str]]:
    """Read a SQLite file's user_version, application_id and table names, changing nothing.

    The file is opened read-only; with no write-ahead log beside it, as immutable too, so
    SQLite neither locks it nor creates -wal and -shm files beside someone else's file.
    """
    query = "mode=ro" if pending_log(path) else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(_uri(path, query), uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the database {path}: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"cannot read the database {path}: {exc}",
            hint="the file may be damaged or not finished copying; restore a backup "
            "(see `crm --help` for --db)",
        ) from None
    finally:
        conn.close()
    return version, app_id, tables


def set_up(path: Path) -> bool:
    """Tell from the file's header alone that it is in WAL mode and marked as tinycrm's
    (with no write-ahead log pending, which could hold a newer header)."""
    if pending_log(path):
        return False
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError:
        return False
    wal = header[18:20] == b"\x02\x02"
    return wal and int.from_bytes(header[68:72], "big") == APPLICATION_ID


class Watcher:
    """A connection of its own on the file, to tell when another connection committed.

    Its counter changes only when another connection commits; it also stays on the file it
    opened when the path is given to another one."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)

    def version(self) -> int:
        """Return the file's change counter as this connection sees it."""
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self, empty_log: bool = False) -> None:
        """Close the connection; with `empty_log`, first fold the write-ahead log back into
        the file and empty it (without waiting), so a file put under the same name never
        reads its pages."""
        if empty_log:
            try:
                self._conn.execute("PRAGMA busy_timeout = 0")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # another connection holds it: it empties the log when it lets go
        self._conn.close()


def locked(path: Path) -> bool:
    """Tell whether another connection holds the write lock right now (without waiting)."""
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        return "locked" in str(error) or "busy" in str(error)
    finally:
        conn.close()
    return False


def is_busy(error: BaseException) -> bool:
    """Tell whether a driver error means another connection held the lock too long."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(error, (OperationalError, sqlite3.OperationalError)):
        return False
    text = str(getattr(error, "orig", None) or error)
    return "locked" in text or "busy" in text


def scrub(path: Path) -> bool:
    """Rewrite the file so deleted data survives in no free page, index segment or WAL;
    return False when another connection kept the write-ahead log from being emptied (it
    is emptied at the next checkpoint, when that connection lets go). Raises OSError or
    sqlite3.Error when the file cannot be rewritten (no room)."""
    conn = connect(path)
    try:
        # FTS5 keeps deleted terms in old index segments until they are merged.
        conn.execute("INSERT INTO search_index(search_index) VALUES('optimize')")
        conn.execute("VACUUM")
        # Readers elsewhere (an open board) block emptying the log; wait for them briefly.
        conn.execute("PRAGMA busy_timeout = 1000")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.close()
    return not busy


def dump_text(path: Path) -> str:
    """Return the whole database as SQL text (every row of every table)."""
    conn = connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def driver_error(exc: BaseException) -> StorageError | None:
    """Translate a database driver error that reached a face into a StorageError (None: not
    the database's), without loading SQLAlchemy when the command did not."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    orig = getattr(exc, "orig", None)
    if sqlalchemy_exc is not None and type(orig) is sqlite3.DatabaseError:
        return _damaged(str(orig))
    if type(exc) is sqlite3.DatabaseError:  # a damaged file, not a failed statement
        return _damaged(str(exc))
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.OperationalError):
        text = str(exc.orig) if getattr(exc, "orig", None) is not None else str(exc)
        if "locked" in text or "busy" in text:
            return StorageError(
                "the database is busy (another crm is writing); nothing was changed",
                hint="try again in a moment",
            )
        return StorageError(f"the database could not be used: {text}; nothing was changed")
    if isinstance(exc, sqlite3.OperationalError):
        return StorageError(f"the database could not be used: {exc}; nothing was changed")
    return None


def _damaged(text: str) -> StorageError:
    return StorageError(
        f"the database could not be read: {text}; nothing was changed",
        hint="the file is damaged; restore a backup (see docs/data.md), or use --db",
    )
