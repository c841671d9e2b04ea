"""Opening the database: file checks, pragmas, migrations with a backup, sessions, one
transaction per command."""

from __future__ import annotations

import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm import paths
from tinycrm.errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000


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


def _split_sql(script: str) -> Iterator[str]:
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


def _uri(path: Path, query: str) -> str:
    """Return a file: URI for `path` (absolute, with the characters URIs reserve escaped)."""
    from urllib.parse import quote

    return f"file:{quote(str(path.absolute()))}?{query}"


def _writable(path: Path) -> bool:
    """Tell whether this process may change the file at `path` and create files beside it."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _pending_log(path: Path) -> bool:
    """Tell whether a write-ahead log with content lies beside the database."""
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except OSError:
        return False


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
    if str(path) == ":memory:" or _writable(target):
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    else:
        query = "mode=ro" if _pending_log(target) else "mode=ro&immutable=1"
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


def _create_file(path: Path) -> None:
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
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StorageError(f"migration {name} failed: {exc}") from exc
        applied.append(number)
    return applied


APPLICATION_ID = 0x7443524D  # "tCRM" in the SQLite header: this file is tinycrm's
# tables every tinycrm database has had since the first release (older files carry no mark)
TINYCRM_TABLES = frozenset({"contact", "event", "pipeline", "stage"})
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _newer(found: int, newest: int) -> StorageError:
    return StorageError(
        f"the database was written by a newer tinycrm (schema {found}; "
        f"this one knows up to {newest})",
        hint="upgrade tinycrm (pip install -U tinycrm); the file was not changed",
    )


def _foreign(path: Path, why: str = "") -> StorageError:
    return StorageError(
        f"{path} is not a tinycrm database{why}",
        hint="point --db or TINYCRM_DB at a tinycrm database, or at a new file name",
    )


def _inspect(path: Path) -> tuple[int, int, set[str]]:
    """Read a SQLite file's user_version, application_id and table names, changing nothing.

    The file is opened read-only; with no write-ahead log beside it, as immutable too, so
    SQLite neither locks it nor creates -wal and -shm files beside someone else's file.
    """
    query = "mode=ro" if _pending_log(path) else "mode=ro&immutable=1"
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


def _check_file(path: Path, *, for_write: bool = False) -> int | None:
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
    if header[:16] != _SQLITE_MAGIC:
        raise _foreign(path, " (not a SQLite file)")
    if len(header) < 100:
        raise StorageError(
            f"cannot read the database {path}: the file is cut short",
            hint="restore a backup, or point --db at another file",
        )
    marked = int.from_bytes(header[68:72], "big")
    if marked not in (0, APPLICATION_ID):
        raise _foreign(path)  # another program marked it as its own
    if marked == APPLICATION_ID and (for_write or not _pending_log(path)):
        version, app_id, tables = int.from_bytes(header[60:64], "big"), marked, set(TINYCRM_TABLES)
    else:  # the header alone may be out of date, or say too little
        version, app_id, tables = _inspect(path)
    if app_id not in (0, APPLICATION_ID):
        raise _foreign(path)
    if (
        app_id == 0
        and not (version == 0 and not tables)
        and not (version > 0 and tables >= TINYCRM_TABLES)
    ):
        raise _foreign(path)
    newest = schema_version()
    if version > newest:
        raise _newer(version, newest)
    return version


def _set_up(path: Path) -> bool:
    """Tell from the file's header alone that it is in WAL mode and marked as tinycrm's
    (with no write-ahead log pending, which could hold a newer header)."""
    if _pending_log(path):
        return False
    try:
        with path.open("rb") as fh:
            header = fh.read(100)
    except OSError:
        return False
    wal = header[18:20] == b"\x02\x02"
    return wal and int.from_bytes(header[68:72], "big") == APPLICATION_ID


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
    version = _check_file(path, for_write=True)
    if version is None and not path.exists():
        _create_file(path)
    if not _writable(path):
        raise _read_only(path)
    if upto is None and version == schema_version() and _set_up(path):
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


@dataclass
class Database:
    """An opened tinycrm database: a path and a lazily built SQLAlchemy engine."""

    path: Path
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """Return the engine, building it on first use."""
        if self._engine is None:
            self._engine = _make_engine(self.path)
        return self._engine

    def raw(self) -> sqlite3.Connection:
        """Return a new raw sqlite3 connection with tinycrm's pragmas (bulk paths, reports)."""
        return connect(self.path)

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """Yield a session that reads one consistent snapshot and cannot write.

        The session's connection is read-only (`PRAGMA query_only`) inside one read
        transaction. The block ends by closing the session, not by rolling back, so the
        records read stay usable after it: detached, with their values loaded.
        """
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={"tinycrm_read": True})
            yield session

    @contextmanager
    def transaction(
        self, origin: str = "cli", summary: str | None = None, now: datetime | None = None
    ) -> Iterator[Session]:
        """Yield a session inside one write transaction; every change becomes an Event of
        one group, so `undo` reverts the whole command."""
        from sqlmodel import Session

        from tinycrm.store import guards, history

        with Session(self.engine, expire_on_commit=False) as session:
            session.info["tinycrm_write"] = True
            session.info["event_group"] = str(uuid.uuid4())
            session.info["origin"] = origin
            session.info["summary"] = summary
            session.info["now"] = now
            history.watch(session)
            guards.watch(session)
            session.connection(execution_options={"tinycrm_write": True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def file_identity(self) -> tuple[int, int] | None:
        """Return (device, inode) of the file the path names now, or None when there is none.

        Compared with what it returned when the database was opened, it tells that the file
        was replaced (a restored backup, `mv`) or deleted under the open connections, which
        go on reading and writing the old file."""
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            return None
        return found.st_dev, found.st_ino

    def dispose(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            self._engine.dispose()
            _release(self._engine)
            self._engine = None


@dataclass
class _Target:
    """The file an engine's connections open; an engine kept for reuse is pointed anew."""

    path: Path


# Engines whose database was closed, with no connection left. SQLAlchemy keeps a statement's
# compiled form per engine, and compiling is most of a small command's work; so the next
# database this process opens takes one of these, and compiles nothing it compiled before.
# (The command server's children inherit the engine its warm-up used.)
_released: list[tuple[Engine, _Target]] = []
_targets: dict[int, _Target] = {}
_KEPT = 4


def _release(engine: Engine) -> None:
    target = _targets.get(id(engine))
    if target is not None and len(_released) < _KEPT:
        _released.append((engine, target))


def _make_engine(path: Path) -> Engine:
    while _released:
        try:
            engine, target = _released.pop()
        except IndexError:  # another thread took the last one
            break
        target.path = path
        return engine
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    target = _Target(path)
    engine = create_engine(
        "sqlite://",
        creator=lambda: connect(target.path),
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=8,
    )
    _targets[id(engine)] = target

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a writer waits on the busy timeout
        # instead of failing halfway when another process commits first.
        # A snapshot's connection refuses writes; the next user of a pooled one may write.
        options = conn.get_execution_options()
        conn.exec_driver_sql(f"PRAGMA query_only = {1 if options.get('tinycrm_read') else 0}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("tinycrm_write") else "BEGIN")

    return engine


_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):/")


def location(path: Path | str | None) -> Path:
    """Return the database file that `path` (None: the default) names, refusing a URL.

    Only SQLite files can be used for now; a URL (postgresql://...) is refused before any
    folder or file is created, and without repeating it (it may hold a password).
    """
    text = str(path) if path is not None else os.environ.get("TINYCRM_DB", "")
    found = _URL.match(text)
    if found:
        scheme = found.group(1).lower()
        hint = "use a SQLite file: --db PATH, or leave --db out for the default database"
        if scheme.startswith("postgres"):
            raise StorageError("PostgreSQL databases are not supported yet", hint=hint)
        raise StorageError(
            f"database URLs ({scheme}://) are not supported; --db takes a file path", hint=hint
        )
    return Path(path).expanduser() if path is not None else paths.default_db()


# what reads see before the default database exists: an empty schema in memory, no file
EMPTY = "file:tinycrm-empty?mode=memory&cache=shared"
_empty_keeper: list[sqlite3.Connection] = []  # holds the shared memory database open


def _empty_database() -> Database:
    """Return a database with tinycrm's schema and no rows, kept in memory, read-only."""
    if not _empty_keeper:
        conn = sqlite3.connect(EMPTY, uri=True, isolation_level=None, check_same_thread=False)
        migrate(conn, None)
        conn.execute("PRAGMA query_only = ON")
        _empty_keeper.append(conn)
    return Database(Path(EMPTY))


def open_db(
    path: Path | str | None = None,
    *,
    create: bool = True,
    write: bool = True,
    seed: Callable[[Database], None] | None = None,
) -> Database:
    """Open the database at `path` (or the default one) for a command.

    write=True (commands that change data): a missing or empty file is created (unless
    `create` is False) and migrated, a read-only one refused. write=False (reads): a missing
    file is an error (the default database, before anything was added, reads as empty and is
    not created), nothing is written unless the schema needs an upgrade, and a database in a
    read-only file or folder can be read. `seed` fills a database for writing that has no
    pipeline yet (the services' default pipeline).
    """
    target = location(path)
    version = _check_file(target, for_write=write)
    if not version and not (create and write):
        if path is None and not os.environ.get("TINYCRM_DB") and not write:
            return _empty_database()  # nothing added yet: reads show nothing, create nothing
        raise StorageError(
            f"no database at {target}",
            hint="check the path; a command that adds data (crm add contact ...) creates a "
            "new database there",
        )
    has_pipeline = None
    if write or (version or 0) < schema_version():
        if not write and not _writable(target):
            raise StorageError(
                f"the database {target} needs an upgrade, but it is read-only here",
                hint="open it once with this tinycrm where it can be written",
            )
        has_pipeline = prepare(target)
    db = Database(target)
    if write and not has_pipeline and seed is not None:
        try:
            seed(db)
        except sqlite3.DatabaseError as exc:
            db.dispose()
            raise StorageError(f"cannot use the database {target}: {exc}") from None
    return db
