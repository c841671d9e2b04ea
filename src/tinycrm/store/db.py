"""Opening the database for a command: the engine (kept for reuse), and the two doors, a
read-only snapshot and a write transaction that records history."""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm import paths
from tinycrm.errors import StorageError
from tinycrm.store import files
from tinycrm.store.files import EMPTY, Watcher, connect, writable
from tinycrm.store.migrate import check_file, migrate, prepare, schema_version

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


@dataclass
class Database:
    """An opened tinycrm database: a path and a lazily built SQLAlchemy engine.

    `after_commit`, when a face sets it, is called with the group id of every write
    transaction that committed recorded changes, once its session is closed: the one place
    where what a change did is known to be saved (the hooks are run from there)."""

    path: Path
    _engine: Engine | None = field(default=None, repr=False)
    after_commit: Callable[[str], None] | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """Return the engine, building it on first use."""
        if self._engine is None:
            self._engine = _make_engine(self.path)
        return self._engine

    def raw(self) -> sqlite3.Connection:
        """Return a new raw sqlite3 connection with tinycrm's pragmas (reminders, reports)."""
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
            saved = session.info.get("recorded") and session.info["origin"] != history.SYSTEM
        if saved and self.after_commit is not None:
            self.after_commit(session.info["event_group"])

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

    def watch(self) -> Watcher:
        """Return a watcher of the file, which tells when another connection committed."""
        return Watcher(self.path)

    def locked(self) -> bool:
        """Tell whether another connection holds the write lock right now (without waiting)."""
        return files.locked(self.path)

    def scrub(self) -> bool:
        """Rewrite the file so deleted data survives in no free page, index segment or
        write-ahead log; return False when another connection kept the log from being
        emptied. This process's pooled connections are closed first (they hold the log).

        Raises StorageError (or OSError) when the file cannot be rewritten, as when the disk
        is full."""
        self.dispose()
        try:
            return files.scrub(self.path)
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from None

    def dump_text(self) -> str:
        """Return every row of every table as SQL text (to look for what must be gone)."""
        return files.dump_text(self.path)

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
    version = check_file(target, for_write=write)
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
        if not write and not writable(target):
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
