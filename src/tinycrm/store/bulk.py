"""Bulk writes with history: rows go in with executemany, and every created or updated row
becomes an Event of the transaction's group, written by the same writer as the ORM's, so an
import is one undo step."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Column, MetaData, Table, column, insert, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from tinycrm.domain.dates import to_stored
from tinycrm.store import dialect, history, ids
from tinycrm.store.models import UTCDateTime

# Parents before children: undo reverts a group newest first, so children go first there.
ORDER = (
    "company",
    "tag",
    "company_tag",
    "contact",
    "contact_email",
    "contact_phone",
    "contact_url",
    "contact_uid",
    "contact_address",
    "contact_date",
    "contact_property",
    "contact_tag",
    "deal",
    "deal_tag",
    "stage_change",
    "interaction",
    "sequence",
    "sequence_step",
    "sequence_run",
    "follow_up",
    "spend",
)
# Fewer rows than this go straight in, even into a table with triggers.
STAGED_FROM = 50


def event_time(moment: datetime) -> str:
    """Render an aware time the way history records it (ISO 8601 with +00:00)."""
    return moment.astimezone(UTC).isoformat()


def insert_rows(conn: Connection, target: TableClause, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the order of `target`'s columns, values as stored) with one
    executemany. A table with triggers (the search index) is filled from a temporary table
    in one INSERT ... SELECT, which runs the triggers several times faster than one
    statement per row."""
    if not rows:
        return
    if len(rows) < STAGED_FROM or target.name not in dialect.triggered_tables(conn):
        history.execute_many(conn, target, rows)
        return
    keys = [c.key for c in target.columns]
    name = f"import_{target.name}"
    staging = Table(name, MetaData(), *(Column(key) for key in keys))
    dialect.empty_copy(conn, target.name, name, keys)
    try:
        history.execute_many(conn, staging, rows)
        conn.execute(insert(target).from_select(keys, select(*staging.c)))
    finally:
        staging.drop(conn)


@cache
def _kinds(table: str) -> dict[str, str]:
    """Return the columns of a table whose stored form differs from their history form:
    times ("time"), JSON ("json") and booleans ("bool")."""
    found = {}
    for col_ in history.table_for(table).columns:
        if isinstance(col_.type, UTCDateTime):
            found[col_.key] = "time"
        elif isinstance(col_.type, JSON):
            found[col_.key] = "json"
        elif isinstance(col_.type, Boolean):
            found[col_.key] = "bool"
    return found


def _bare(model: Table, keys: list[str]) -> TableClause:
    """The table with only these columns, and no conversions: values go in as given."""
    return table(model.name, *(column(key) for key in keys))


class Batch:
    """Rows to create and update in one transaction, and the events that record them.

    Rows are queued in the form history records them (times as ISO text), and turned into
    the form the tables store when they are written.
    """

    def __init__(self, session: Session, *, now: datetime) -> None:
        self.session = session
        self.conn = session.connection()
        self.now = now
        self.now_event = event_time(now)
        self._next: dict[str, int] = {}
        self._created: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._updated: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = []
        self._uuids: list[str] = []
        self._times: dict[str, str] = {self.now_event: to_stored(now)}

    def new_uuid(self) -> str:
        """Return a new random (version 4) UUID as text; drawn in bulk for speed."""
        if not self._uuids:
            raw = os.urandom(16 * 4096).hex()
            self._uuids = [raw[i : i + 32] for i in range(0, len(raw), 32)]
        h = self._uuids.pop()
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def new_id(self, table: str) -> int:
        """Return a new id for a row of `table` from its id sequence (ids are given here so
        children can point); `write` marks them taken. The import holds the write lock, so
        nobody else takes ids meanwhile."""
        sequence = ids.sequence_of(table)
        if sequence not in self._next:
            self._next[sequence] = ids.peek(self.conn, sequence)
        value = self._next[sequence]
        self._next[sequence] = value + 1
        return value

    def create(self, table: str, row: dict[str, Any]) -> None:
        """Queue a new row: its values in column order, times in their history form."""
        self._created[table].append(row)

    def update(
        self, table: str, row_id: int, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        """Queue a change to an existing row (only the changed columns)."""
        if after:
            self._updated.append((table, row_id, before, after))

    def count(self, table: str) -> int:
        """Return how many rows of a table are queued for creation."""
        return len(self._created.get(table, ()))

    def _stored(self, table: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Return rows in history form as the table stores them, as tuples in the rows' key
        order (what the columns' own conversions would write, done here once per distinct
        time)."""
        keys = list(rows[0])
        kinds = _kinds(table)
        convert = [(i, kinds[key]) for i, key in enumerate(keys) if key in kinds]
        if not convert:
            return [tuple(row.values()) for row in rows]
        times = self._times
        out = []
        for row in rows:
            values = list(row.values())
            for i, kind in convert:
                value = values[i]
                if kind == "json":
                    values[i] = history.encode_json(value)
                elif value is None:
                    continue
                elif kind == "bool":
                    values[i] = int(value)
                else:
                    found = times.get(value)
                    if found is None:
                        found = times[value] = to_stored(datetime.fromisoformat(value))
                    values[i] = found
            out.append(tuple(values))
        return out

    def write(self, summary: str, progress: Callable[[float], None] | None = None) -> None:
        """Insert and update everything queued, then record it as one group of events
        described by `summary`; `progress` hears the fraction done."""
        changes: list[history.Change] = []
        created = sum(len(rows) for rows in self._created.values())
        units = max(1, 2 * created + 2 * len(self._updated))
        done = 0
        for name in ORDER:
            rows = self._created.get(name)
            if not rows:
                continue
            model = history.table_for(name)
            insert_rows(self.conn, _bare(model, list(rows[0])), self._stored(name, rows))
            pks = [c.name for c in model.primary_key.columns]
            if pks == ["id"]:
                keys = [str(r["id"]) for r in rows]
            else:
                keys = ["/".join(str(r[k]) for k in pks) for r in rows]
            changes.extend(
                {"entity": name, "entity_id": key, "action": "create", "before": None,
                 "after": r}
                for key, r in zip(keys, rows, strict=True)
            )  # fmt: skip
            done += len(rows)
            if progress is not None:
                progress(done / units)
        for name, row_id, before, after in self._updated:
            ((*values,),) = self._stored(name, [after])
            target = _bare(history.table_for(name), [*after, "id"])
            changed = dict(zip(after, values, strict=True))
            self.conn.execute(update(target).where(target.c.id == row_id).values(**changed))
            changes.append(
                {"entity": name, "entity_id": str(row_id), "action": "update",
                 "before": before, "after": after}
            )  # fmt: skip
            done += 1
        for sequence, next_id in self._next.items():
            ids.advance(self.conn, sequence, next_id)
        history.describe(self.session, summary)
        history.write_events(self.session, changes)
        if progress is not None:
            progress(1.0)
