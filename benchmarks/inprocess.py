"""In-process cases: the services behind the commands, beside the same SQL in plain sqlite3.

A read service is timed on an open database (a fresh session each run); its floor is every
statement it sent to SQLite, captured on the way out, replayed on a plain sqlite3 connection.
Write services are compared with hand-written plain inserts and updates of the same rows.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.timing import Measure, measure, one_line

KINDS = ("contact", "company", "deal")


@dataclass
class Service:
    """A service call: `call(db, i)` runs it once on an open Database (run `i`)."""

    name: str
    call: Callable[[Any, int], Any]
    floor: Callable[[sqlite3.Connection, int], Any] | None = None  # hand-written floor
    write: bool = False


@contextmanager
def captured(db: Any) -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL statements (and parameters) the engine sends to SQLite."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool):
        if not many:
            seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def replay(conn: sqlite3.Connection, statements: list[tuple[str, Any]]) -> None:
    """Run captured read statements on a plain connection and fetch every row."""
    for sql, params in statements:
        conn.execute(sql, params or ()).fetchall()


def _snapshot(db: Any, fn: Callable[[Any], Any]) -> Any:
    """Run a read on a plain snapshot, as `crm list` does."""
    with db.snapshot() as reader:
        return fn(reader)


def _list_deals(db: Any, _i: int) -> Any:
    from tinycrm.core import listing

    flt, page = listing.ListFilter(), listing.Page(limit=20)
    return _snapshot(db, lambda r: listing.list_deals(r, flt, page))


def _list_open_deals_by_value(db: Any, _i: int) -> Any:
    from tinycrm.core import listing

    flt = listing.ListFilter(status="open")
    page = listing.Page(sort="value", descending=True, limit=20)
    return _snapshot(db, lambda r: listing.list_deals(r, flt, page))


def _list_contacts(db: Any, _i: int) -> Any:
    from tinycrm.core import listing

    flt, page = listing.ListFilter(), listing.Page(limit=20)
    return _snapshot(db, lambda r: listing.list_contacts(r, flt, page))


def _show(ref: str, kinds: tuple[str, ...]) -> Callable[[Any, int], Any]:
    def call(db: Any, _i: int) -> Any:
        from tinycrm.core import records, refs

        def work(reader: Any) -> Any:
            hit = refs.resolve(reader, ref, kinds)
            return records.record(reader, hit.kind, hit.id, generate.NOW, UTC)

        return _snapshot(db, work)

    return call


def _agenda(db: Any, _i: int) -> Any:
    from tinycrm.core import agenda

    return _snapshot(db, lambda r: agenda.agenda(r, generate.NOW, tz=UTC))


def _pipeline_report(db: Any, _i: int) -> Any:
    from tinycrm.core import reports

    return _snapshot(db, reports.pipeline_report)


def _search(text: str) -> Callable[[Any, int], Any]:
    def call(db: Any, _i: int) -> Any:
        from tinycrm.core import search

        return _snapshot(db, lambda r: search.search(r, text, limit=20))

    return call


def _add_contact(db: Any, i: int) -> Any:
    from tinycrm.core import contacts, views

    n = f"{time.time_ns()}-{i}"
    with db.transaction(summary=f"add contact Bench {n}", now=generate.NOW) as session:
        contact = contacts.add_contact(
            session, f"Bench Inproc {n}", now=generate.NOW, emails=[f"inproc.{n}@example.com"]
        )
        return views.contact_dict(session, contact)


def _add_contact_floor(conn: sqlite3.Connection, i: int) -> None:
    stamp = generate.utc_text(generate.NOW)
    n = f"{time.time_ns()}-{i}"
    conn.execute("BEGIN IMMEDIATE")
    cur = conn.execute(
        "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
        " VALUES (?, ?, ?, 'lead', ?, ?)",
        (str(uuid.uuid4()), f"Bench Floor {n}", f"bench floor {n}", stamp, stamp),
    )
    email = f"floor.{n}@example.com"
    conn.execute(
        "INSERT INTO contact_email (contact_id, email, email_key, is_primary) VALUES (?, ?, ?, 1)",
        (cur.lastrowid, email, email),
    )
    group = str(uuid.uuid4())
    for entity in ("contact", "contact_email"):
        conn.execute(
            "INSERT INTO event (group_id, origin, at, entity, entity_id, action, after)"
            " VALUES (?, 'cli', ?, ?, ?, 'create', '{}')",
            (group, stamp, entity, str(cur.lastrowid)),
        )
    conn.execute("COMMIT")


def _move(db: Any, _i: int) -> Any:
    from tinycrm.core import deals, pipelines, refs

    with db.transaction(summary="move deal", now=generate.NOW) as session:
        deal = refs.resolve_deal(session, "#2")
        first, second = pipelines.stages(session, deal.pipeline_id)[:2]
        target = second if deal.stage_id == first.id else first
        return deals.move_to(session, deal, target.name, generate.NOW)


def _move_floor(conn: sqlite3.Connection, _i: int) -> None:
    stamp = generate.utc_text(generate.NOW)
    conn.execute("BEGIN IMMEDIATE")
    old = conn.execute("SELECT stage_id FROM deal WHERE id = 3").fetchone()[0]
    new = conn.execute("SELECT id FROM stage WHERE id != ? ORDER BY position LIMIT 1", (old,))
    to = new.fetchone()[0]
    conn.execute(
        "UPDATE deal SET stage_id = ?, stage_entered_at = ?, updated_at = ? WHERE id = 3",
        (to, stamp, stamp),
    )
    conn.execute(
        "INSERT INTO stage_change (deal_id, from_stage_id, to_stage_id, at) VALUES (3, ?, ?, ?)",
        (old, to, stamp),
    )
    group = str(uuid.uuid4())
    for entity in ("deal", "stage_change"):
        conn.execute(
            "INSERT INTO event (group_id, origin, at, entity, entity_id, action, after)"
            " VALUES (?, 'cli', ?, ?, '3', 'update', '{}')",
            (group, stamp, entity),
        )
    conn.execute("COMMIT")


def services(meta: dict[str, Any]) -> list[Service]:
    """Return the in-process cases, in the order they are reported."""
    planted = meta["planted"]
    return [
        Service("add contact", _add_contact, _add_contact_floor, write=True),
        Service("move deal", _move, _move_floor, write=True),
        Service("list deals, first page", _list_deals),
        Service("list open deals by value, first page", _list_open_deals_by_value),
        Service("list contacts, first page", _list_contacts),
        Service("show contact (by name)", _show(planted["contact_ref"], ("contact",))),
        Service("show deal (by title)", _show(planted["deal"].lower(), KINDS)),
        Service(f"search (rare: {planted['rare_word']})", _search(planted["rare_word"])),
        Service(f"search (common: {planted['common_word']})", _search(planted["common_word"])),
        Service("agenda", _agenda),
        Service("report pipeline", _pipeline_report),
        Service("remind (due follow-ups, nothing written)", _remind, _remind_floor),
    ]  # fmt: skip


def _remind(db: Any, _i: int) -> Any:
    from tinycrm.core import remindable

    with db.snapshot() as session:
        return remindable.find_due(session, generate.NOW, UTC)


def _remind_floor(conn: sqlite3.Connection, _i: int) -> Any:
    """The query behind it, alone: every due follow-up's row, nothing built from it."""
    from sqlalchemy.dialects import sqlite

    from tinycrm.core import remindable
    from tinycrm.domain.dates import to_stored

    compiled = remindable.due_query().compile(dialect=sqlite.dialect(paramstyle="named"))
    stamp = to_stored(generate.NOW)
    return conn.execute(str(compiled), {**compiled.params, "now": stamp, "stamp": stamp}).fetchall()


def time_open(path: Path, runs: int) -> Measure:
    """Time open_db on an existing database (checks, pragmas, migrations to apply: none)."""
    from tinycrm.core import open_db

    def once(_i: int) -> None:
        open_db(path).dispose()

    result = measure("open_db", "inprocess", runs, once)

    def floor(_i: int) -> None:
        conn = sqlite3.connect(str(path))
        conn.execute("PRAGMA user_version").fetchone()
        conn.close()

    result.floor_times = measure("open floor", "floor", runs, floor).times
    result.floor = "sqlite3.connect + PRAGMA user_version"
    return result


BATCH_SECONDS = 0.01


def _batch(call: Callable[[], Any]) -> int:
    """How many calls make one timed run of a read: about BATCH_SECONDS' worth, so that a
    sub-millisecond read is not measured against the clock's and the machine's jitter."""
    began = time.perf_counter()
    call()
    took = time.perf_counter() - began
    return max(1, min(1000, int(BATCH_SECONDS / max(took, 1e-6))))


def time_service(path: Path, service: Service, runs: int) -> Measure:
    """Time one service on an open database, and its floor on a plain connection."""
    from tinycrm.core import open_db

    db = open_db(path)
    try:
        statements: list[tuple[str, Any]] = []
        try:
            with captured(db) as seen:
                service.call(db, 0)
            statements = [
                (sql, params)
                for sql, params in seen
                if sql.lstrip().split(None, 1)[0].upper() in ("SELECT", "WITH")
            ]
        except Exception as exc:
            return Measure(service.name, "inprocess", error=one_line(exc))
        batch = 1 if service.write else _batch(lambda: service.call(db, 0))
        result = measure(
            service.name, "inprocess", runs, lambda i: service.call(db, i + 1), batch=batch
        )
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")  # as tinycrm's own connections
        try:
            if service.floor is not None:
                hand = service.floor
                floor = measure("floor", "floor", runs, lambda i: hand(conn, i), batch=batch)
                result.floor = "plain sqlite3, hand-written"
            else:
                floor = measure(
                    "floor", "floor", runs, lambda _i: replay(conn, statements), batch=batch
                )
                n = len(statements)
                result.floor = f"the same SQL in plain sqlite3 ({n} statement{'s' * (n != 1)})"
        finally:
            conn.close()
        result.floor_times = floor.times
        if floor.error:
            result.note = f"floor failed: {floor.error}"
        return result
    finally:
        db.dispose()


def ratio(result: Measure) -> float | None:
    """Return how many times its floor a measure took."""
    if result.median is None or not result.floor_times:
        return None
    base = statistics.median(result.floor_times)
    return result.median / base if base > 0 else None
