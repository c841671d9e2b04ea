"""Raw bulk writes with history: rows go in with executemany, and every created or updated
row becomes an Event of one group, so an import is one undo step."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tinycrm.store import ids

SQL_TIME = "%Y-%m-%d %H:%M:%S.%f"
EVENT_CHUNK = 20_000

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
    "contact_tag",
    "deal",
    "deal_tag",
    "stage_change",
)


def sql_time(moment: datetime) -> str:
    """Render an aware time the way the database stores it (naive UTC text)."""
    return moment.astimezone(UTC).strftime(SQL_TIME)


def event_time(moment: datetime) -> str:
    """Render an aware time the way history records it (ISO 8601 with +00:00)."""
    return moment.astimezone(UTC).isoformat()


def sql_to_event_time(text: str | None) -> str | None:
    """Turn a stored time into its history form."""
    if text is None:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


@dataclass(frozen=True)
class Column:
    """What a table column needs to be written: its name and its declared type."""

    name: str
    kind: str  # text, datetime, json, bool, other
    pk: int


def columns_of(conn: sqlite3.Connection, table: str) -> list[Column]:
    """Return a table's columns in order, with the kind of value each holds."""
    out = []
    for _cid, name, decl, _notnull, _default, pk in conn.execute(f'PRAGMA table_info("{table}")'):
        decl = (decl or "").upper()
        kind = (
            "datetime"
            if decl.startswith("DATETIME")
            else "json"
            if decl.startswith("JSON")
            else "bool"
            if decl.startswith("BOOLEAN")
            else "other"
        )
        out.append(Column(name, kind, pk))
    return out


def insert_many(
    conn: sqlite3.Connection, table: str, keys: list[str], values: list[tuple[Any, ...]]
) -> None:
    """Insert rows. A table with triggers (the search index) is filled from a staging table
    in one INSERT ... SELECT, which runs the triggers several times faster than one
    statement per row."""
    names = ", ".join(f'"{k}"' for k in keys)
    marks = ", ".join("?" * len(keys))
    triggered = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
    ).fetchone()
    if not triggered or len(values) < 50:
        conn.executemany(f'INSERT INTO main."{table}" ({names}) VALUES ({marks})', values)
        return
    staging = f"import_{table}"
    conn.execute(f'CREATE TEMP TABLE "{staging}" AS SELECT {names} FROM main."{table}" WHERE 0')
    try:
        conn.executemany(f'INSERT INTO temp."{staging}" ({names}) VALUES ({marks})', values)
        conn.execute(f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM temp."{staging}"')
    finally:
        conn.execute(f'DROP TABLE temp."{staging}"')


class Batch:
    """Rows to create and update in one transaction, and the events that record them."""

    def __init__(
        self, conn: sqlite3.Connection, *, now: datetime, origin: str, summary: str
    ) -> None:
        self.conn = conn
        self.now = now
        self.now_sql = sql_time(now)
        self.now_event = event_time(now)
        self.origin = origin
        self.summary = summary
        self.group_id = str(uuid.uuid4())
        self._next: dict[str, int] = {}
        self._created: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._updated: list[tuple[str, int, dict[str, Any], dict[str, Any]]] = []
        self._columns: dict[str, list[Column]] = {}
        self._uuids: list[str] = []

    def columns(self, table: str) -> list[Column]:
        """Return (and remember) a table's columns."""
        if table not in self._columns:
            self._columns[table] = columns_of(self.conn, table)
        return self._columns[table]

    def new_uuid(self) -> str:
        """Return a new random (version 4) UUID as text; drawn in bulk for speed."""
        if not self._uuids:
            raw = os.urandom(16 * 4096).hex()
            self._uuids = [raw[i : i + 32] for i in range(0, len(raw), 32)]
        h = self._uuids.pop()
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def _run(self, sql: str, params: dict[str, Any]) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def new_id(self, table: str) -> int:
        """Return a new id for a row of `table` from its id sequence (ids are given here so
        children can point); `write` marks them taken. The import holds the write lock, so
        nobody else takes ids meanwhile."""
        sequence = ids.sequence_of(table)
        if sequence not in self._next:
            self._next[sequence] = ids.peek(self._run, sequence)
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

    def _converters(self, table: str, keys: list[str]) -> list[Any]:
        kinds = {c.name: c.kind for c in self.columns(table)}
        cache: dict[str, str] = {self.now_event: self.now_sql}

        def to_time(value: Any) -> Any:
            if value is None:
                return None
            found = cache.get(value)
            if found is None:
                found = sql_time(datetime.fromisoformat(value))
                cache[value] = found
            return found

        def to_json(value: Any) -> str:
            return json.dumps(value)

        def to_bool(value: Any) -> Any:
            return None if value is None else int(value)

        pick = {"datetime": to_time, "json": to_json, "bool": to_bool}
        return [pick.get(kinds[k]) for k in keys]

    def _sql_rows(
        self, table: str, rows: list[dict[str, Any]]
    ) -> tuple[str, list[tuple[Any, ...]]]:
        keys = list(rows[0])
        convert = self._converters(table, keys)
        plain = all(c is None for c in convert)
        sql = f'INSERT INTO "{table}" ({", ".join(keys)}) VALUES ({", ".join("?" * len(keys))})'
        if plain:
            return sql, [tuple(r.values()) for r in rows]
        pairs = list(enumerate(convert))
        values = []
        for r in rows:
            vals = list(r.values())
            for i, fn in pairs:
                if fn is not None:
                    vals[i] = fn(vals[i])
            values.append(tuple(vals))
        return sql, values

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        _sql, values = self._sql_rows(table, rows)
        insert_many(self.conn, table, list(rows[0]), values)

    def write(self, progress: Callable[[float], None] | None = None) -> None:
        """Insert and update everything queued, then record it as one group of events;
        `progress` hears the fraction done."""
        events: list[tuple[Any, ...]] = []
        head = (self.group_id, self.origin, self.now_sql)
        dumps = json.JSONEncoder(check_circular=False).encode
        created = sum(len(rows) for rows in self._created.values())
        units = max(1, 2 * created + 2 * len(self._updated))
        done = 0
        for table in ORDER:
            rows = self._created.get(table)
            if not rows:
                continue
            self._insert(table, rows)
            pks = [c.name for c in self.columns(table) if c.pk]
            if pks == ["id"]:
                events.extend(
                    (*head, table, str(r["id"]), "create", "null", dumps(r), self.summary)
                    for r in rows
                )
            else:
                events.extend(
                    (*head, table, "/".join(str(r[k]) for k in pks), "create", "null", dumps(r),
                     self.summary)
                    for r in rows
                )  # fmt: skip
            done += len(rows)
            if progress is not None:
                progress(done / units)
        for table, row_id, before, after in self._updated:
            keys = list(after)
            convert = self._converters(table, keys)
            values = [fn(after[k]) if fn else after[k] for k, fn in zip(keys, convert, strict=True)]
            assignments = ", ".join(f"{k} = ?" for k in keys)
            self.conn.execute(f'UPDATE "{table}" SET {assignments} WHERE id = ?', (*values, row_id))
            events.append(
                (*head, table, str(row_id), "update", dumps(before), dumps(after), self.summary)
            )
            done += 1
        for sequence, next_id in self._next.items():
            ids.advance(self._run, sequence, next_id)
        first = ids.take(self._run, "event", len(events)) if events else 0
        for start in range(0, len(events), EVENT_CHUNK):
            chunk = [
                (first + start + i, *ev) for i, ev in enumerate(events[start : start + EVENT_CHUNK])
            ]
            self.conn.executemany(
                "INSERT INTO event (id, group_id, origin, at, entity, entity_id, action, before,"
                " after, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk,
            )
            done += len(chunk)
            if progress is not None:
                progress(min(1.0, done / units))
        if events:
            self.conn.execute("DELETE FROM redo_stack")  # a new change ends the redo branch
