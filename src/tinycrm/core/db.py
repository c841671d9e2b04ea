"""Opening the database: file checks, pragmas, migrations with a backup, sessions, one
transaction per command."""

from __future__ import annotations

import os
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

from tinycrm.errors import StorageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

BUSY_TIMEOUT_MS = 10_000
SNAPSHOT_CONNECTIONS = 2  # plain read connections kept open (see Database.snapshot)


def migration_names() -> list[tuple[int, str]]:
    """Return the shipped migrations as (number, file name), in order, without reading them."""
    folder = resources.files("tinycrm.core.migrations")
    found = [
        (int(entry.name[:4]), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".sql") and entry.name[:4].isdigit()
    ]
    return sorted(found)


def migration_scripts() -> list[tuple[int, str, str]]:
    """Return the shipped migrations as (number, name, sql), in order."""
    folder = resources.files("tinycrm.core.migrations")
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


def connect(path: Path | str) -> sqlite3.Connection:
    """Open a raw connection with tinycrm's pragmas; the caller manages transactions."""
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _create_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (mode 0600)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
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


def backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database beside itself before a migration; return the copy's path."""
    target = path.with_name(f"{path.name}.v{version}.bak")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.v{version}.{n}.bak")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    dest = sqlite3.connect(str(target))
    try:
        conn.backup(dest)
    finally:
        dest.close()
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
        raise StorageError(
            f"the database was written by a newer tinycrm (schema {current}; "
            f"this one knows up to {newest})",
            hint="upgrade tinycrm (pip install -U tinycrm); the file was not changed",
        )
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


def _check_file(path: Path) -> None:
    """Refuse a path that is a folder or a file that is not a SQLite database."""
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file")
    if path.exists() and path.stat().st_size > 0:
        try:
            with path.open("rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise StorageError(f"cannot read the database {path}: {exc.strerror}") from None
        if header != b"SQLite format 3\x00":
            raise StorageError(
                f"{path} is not a tinycrm database (not a SQLite file)",
                hint="point --db or TINYCRM_DB at a tinycrm database, or at a new file name",
            )


def _to_wal(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")


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


def prepare(path: Path, upto: int | None = None) -> None:
    """Make sure the file at `path` exists, is a database, and has the current schema."""
    _check_file(path)
    if not path.exists():
        _create_file(path)
    try:
        conn = connect(path)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open the database {path}: {exc}") from None
    try:
        _with_retry(lambda: _to_wal(conn))
        _with_retry(lambda: migrate(conn, path, upto=upto))
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
    # plain connections kept open between snapshots (list.pop and append are atomic)
    _idle: list[sqlite3.Connection] = field(default_factory=list, repr=False)

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
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Yield a plain connection inside a read transaction: one consistent snapshot.

        For the everyday reads that run SQL text (core.reader): no ORM is imported or used, and a
        kept connection makes a snapshot cost a few microseconds instead of a session's
        tens. It is read-only: a write through it fails.
        """
        try:
            conn = self._idle.pop()
        except IndexError:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = ON")
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if len(self._idle) < SNAPSHOT_CONNECTIONS:
                self._idle.append(conn)
            else:
                conn.close()

    @contextmanager
    def transaction(
        self, origin: str = "cli", summary: str | None = None, now: datetime | None = None
    ) -> Iterator[Session]:
        """Yield a session inside one write transaction; every change becomes an Event of
        one group, so `undo` reverts the whole command."""
        from sqlmodel import Session

        from tinycrm.core import guards, history

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

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reading; it sees one consistent snapshot.

        Closing (not rolling back) ends the snapshot, so the records read stay usable after
        the block, detached but with their values loaded.
        """
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        while self._idle:
            self._idle.pop().close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engine = create_engine(
        "sqlite://",
        creator=lambda: connect(path),
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=8,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a writer waits on the busy timeout
        # instead of failing halfway when another process commits first.
        write = conn.get_execution_options().get("tinycrm_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def open_db(path: Path | str | None = None, *, create: bool = True) -> Database:
    """Open (creating and migrating as needed) the database at `path` or the default one."""
    from tinycrm import paths

    target = Path(path).expanduser() if path is not None else paths.default_db()
    if not create and not target.exists():
        raise StorageError(f"no database at {target}")
    prepare(target)
    db = Database(target)
    ensure_defaults(db)
    return db


def ensure_defaults(db: Database) -> None:
    """Create the default pipeline on first use (cheaply skipped once it exists)."""
    conn = db.raw()
    try:
        if conn.execute("SELECT 1 FROM pipeline LIMIT 1").fetchone():
            return
    finally:
        conn.close()
    from tinycrm.core import pipelines

    with db.transaction(origin="system", summary="create the default pipeline") as session:
        pipelines.ensure_default_pipeline(session)
