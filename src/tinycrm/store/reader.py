"""Reading with SQL text, inside a session's transaction (or a plain connection's).

The reads not yet built as Core statements (search, the agenda, reports) run SQL text here;
lists, descriptions and references are Core (store.query.execute). Pipeline and stage names
are looked up here too.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from tinycrm.domain.text import fold, pick
from tinycrm.errors import NotFoundError

if TYPE_CHECKING:
    from typing import TypeAlias

    from sqlmodel import Session

    # what a read runs on: a session, or a plain connection from Database.snapshot()
    Reader: TypeAlias = Session | sqlite3.Connection


def connection(reader: Reader) -> sqlite3.Connection:
    """Return the plain connection a reader reads through, inside its transaction (a
    session's pending changes are flushed first, so they are seen)."""
    if isinstance(reader, sqlite3.Connection):
        return reader
    if reader.new or reader.dirty or reader.deleted:
        reader.flush()  # as the ORM's autoflush would: a read sees the session's own changes
    driver = reader.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def fetch(reader: Reader, sql: str, params: Any = ()) -> list[Any]:
    """Run a statement and return its rows, inside the reader's transaction."""
    return run(connection(reader), sql, params)


def run(conn: sqlite3.Connection, sql: str, params: Any) -> list[Any]:
    """Execute one statement and return every row: the one place where the text reads
    reach SQLite, so the benchmarks can see (and replay) exactly what was sent."""
    return conn.execute(sql, params).fetchall()


def pipeline_row(reader: Reader, name: str | None) -> tuple[int, str]:
    """Return the id and name of the pipeline called `name` (any case, unambiguous prefix),
    or of the default pipeline when no name is given."""
    if not name:
        rows = fetch(reader, "SELECT id, name FROM pipeline ORDER BY is_default DESC, id LIMIT 1")
        if not rows:
            raise NotFoundError("there is no pipeline yet", hint="crm pipeline create NAME")
        return int(rows[0][0]), str(rows[0][1])
    rows = fetch(reader, "SELECT id, name FROM pipeline ORDER BY id")
    found = pick(
        rows,
        lambda r: str(r[1]),
        name,
        "pipeline",
        names_hint=f"pipelines: {', '.join(r[1] for r in rows)}",
    )
    return int(found[0]), str(found[1])


def pipeline_id(reader: Reader, name: str | None) -> int:
    """Return the id of the pipeline called `name`, or of the default one (no name)."""
    return pipeline_row(reader, name)[0]


def stage_row(reader: Reader, pipeline: int, text: str) -> tuple[int, str]:
    """Return the id and name of the stage of `pipeline` whose name is `text` or starts
    with it."""
    if not fold(text):
        raise NotFoundError("no stage given")
    rows = fetch(
        reader, "SELECT id, name FROM stage WHERE pipeline_id = ? ORDER BY position", (pipeline,)
    )
    found = pick(
        rows,
        lambda r: str(r[1]),
        text,
        "stage",
        names_hint=f"stages: {', '.join(r[1] for r in rows)}, or won / lost",
        ambiguous_hint="type more of the name",
    )
    return int(found[0]), str(found[1])


def stage_id(reader: Reader, pipeline: int, text: str) -> int:
    """Return the id of the stage of `pipeline` whose name is `text` or starts with it."""
    return stage_row(reader, pipeline, text)[0]
