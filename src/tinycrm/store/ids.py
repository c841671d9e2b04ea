"""Ids that are never given twice: counters in `id_sequence`, one shared by the records people
refer to by number (contacts, companies, deals, follow-ups), one per other table.

Every writer takes its ids here before it inserts (the ORM through a flush hook, bulk imports
in blocks), so a deleted, undone, merged or forgotten record's id is never handed out again.
The counters are bookkeeping: history does not record them and undo never winds them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Integer, cast, column, func, select, table
from sqlmodel import SQLModel

from tinycrm.store import dialect

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# The records people name by number share one sequence, so `#12` is one record of any kind.
RECORDS = "record"
RECORD_TABLES = ("contact", "company", "deal", "follow_up")

# The counters: bookkeeping outside the data model.
ID_SEQUENCE = table("id_sequence", column("name"), column("next_id"))


def sequence_of(table_name: str) -> str:
    """Return the name of the counter a table takes its ids from."""
    return RECORDS if table_name in RECORD_TABLES else table_name


def tables_of(sequence: str) -> tuple[str, ...]:
    """Return the tables whose ids come from a counter."""
    return RECORD_TABLES if sequence == RECORDS else (sequence,)


def _highest(conn: Connection, sequence: str, with_history: bool) -> int:
    """Return the highest id in use by the counter's tables (and, with `with_history`, the
    highest one their recorded history ever named)."""
    tables = SQLModel.metadata.tables
    top = 0
    for name in tables_of(sequence):
        found = conn.execute(select(func.max(tables[name].c.id))).scalar()
        top = max(top, int(found or 0))
    if with_history and sequence != "event":
        event = tables["event"]
        found = conn.execute(
            select(func.max(cast(event.c.entity_id, Integer))).where(
                event.c.entity.in_(tables_of(sequence)), event.c.entity_id.not_like("%/%")
            )
        ).scalar()
        top = max(top, int(found or 0))
    return top


def peek(conn: Connection, sequence: str) -> int:
    """Return the next id the counter would give, without taking it."""
    stored = conn.execute(
        select(ID_SEQUENCE.c.next_id).where(ID_SEQUENCE.c.name == sequence)
    ).scalar()
    if stored is None:
        return _highest(conn, sequence, with_history=True) + 1
    # Rows written by a path that took no id here still never collide with a new one.
    return max(int(stored), _highest(conn, sequence, with_history=False) + 1)


def advance(conn: Connection, sequence: str, next_id: int) -> None:
    """Record that ids below `next_id` are taken (the counter never goes back)."""
    conn.execute(dialect.raise_counter(ID_SEQUENCE, sequence, next_id))


def take(conn: Connection, table_name: str, count: int = 1) -> int:
    """Take `count` consecutive new ids for rows of `table_name`; return the first."""
    sequence = sequence_of(table_name)
    first = peek(conn, sequence)
    advance(conn, sequence, first + count)
    return first
