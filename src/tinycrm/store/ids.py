"""Ids that are never given twice: counters in `id_sequence`, one shared by the records people
refer to by number (contacts, companies, deals, follow-ups), one per other table.

Every writer takes its ids here before it inserts (the ORM through a flush hook, bulk imports
in blocks), so a deleted, undone, merged or forgotten record's id is never handed out again.
The counters are bookkeeping: history does not record them and undo never winds them back.
This module uses the standard library only; callers pass a function that runs SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# The records people name by number share one sequence, so `#12` is one record of any kind.
RECORDS = "record"
RECORD_TABLES = ("contact", "company", "deal", "follow_up")

# Runs one SQL statement with named parameters and returns its rows.
Run = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]


def sequence_of(table: str) -> str:
    """Return the name of the counter a table takes its ids from."""
    return RECORDS if table in RECORD_TABLES else table


def tables_of(sequence: str) -> tuple[str, ...]:
    """Return the tables whose ids come from a counter."""
    return RECORD_TABLES if sequence == RECORDS else (sequence,)


def _highest(run: Run, sequence: str, with_history: bool) -> int:
    """Return the highest id in use by the counter's tables (and, with `with_history`, the
    highest one their recorded history ever named)."""
    top = 0
    for table in tables_of(sequence):
        (found,) = run(f'SELECT max(id) FROM "{table}"', {})[0]
        top = max(top, int(found or 0))
    if with_history and sequence != "event":
        marks = ", ".join(f"'{t}'" for t in tables_of(sequence))
        (found,) = run(
            "SELECT max(CAST(entity_id AS INTEGER)) FROM event"
            f" WHERE entity IN ({marks}) AND entity_id NOT LIKE '%/%'",
            {},
        )[0]
        top = max(top, int(found or 0))
    return top


def peek(run: Run, sequence: str) -> int:
    """Return the next id the counter would give, without taking it."""
    rows = run("SELECT next_id FROM id_sequence WHERE name = :name", {"name": sequence})
    if not rows:
        return _highest(run, sequence, with_history=True) + 1
    # Rows written by a path that took no id here still never collide with a new one.
    return max(int(rows[0][0]), _highest(run, sequence, with_history=False) + 1)


def advance(run: Run, sequence: str, next_id: int) -> None:
    """Record that ids below `next_id` are taken (the counter never goes back)."""
    run(
        "INSERT INTO id_sequence (name, next_id) VALUES (:name, :next)"
        " ON CONFLICT (name) DO UPDATE SET next_id = max(next_id, excluded.next_id)",
        {"name": sequence, "next": next_id},
    )


def take(run: Run, table: str, count: int = 1) -> int:
    """Take `count` consecutive new ids for rows of `table`; return the first."""
    sequence = sequence_of(table)
    first = peek(run, sequence)
    advance(run, sequence, first + count)
    return first
