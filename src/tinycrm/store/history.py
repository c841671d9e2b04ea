"""The history: every row change becomes an Event, grouped by command; undo and redo."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import Table, and_, column, delete, event, insert, inspect, table, update
from sqlalchemy import func as sa_func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, SQLModel, col, select

from tinycrm import clock
from tinycrm.domain.dates import to_stored
from tinycrm.domain.text import visible
from tinycrm.errors import NotFoundError
from tinycrm.store import ids
from tinycrm.store.models import Event, UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.expression import TableClause

# Rows that are bookkeeping, not the seller's data: they are never recorded.
UNRECORDED = {"event", "id_sequence", "redo_stack"}
# Changes tinycrm makes by itself (the default pipeline) are history but not undoable.
SYSTEM = "system"
# Events go in by blocks of this many rows (an import may record 100,000 changes).
EVENT_CHUNK = 20_000


class Change(TypedDict):
    """One change to record: which row, what was done, its values before and after."""

    entity: str
    entity_id: str
    action: str
    before: Any
    after: Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {c.key: _jsonable(getattr(obj, c.key)) for c in state.mapper.column_attrs}


def recorded(conn: Connection, name: str, row_id: int) -> dict[str, Any]:
    """Return the row of table `name` with this id as history records it (JSON-ready)."""
    target = table_for(name)
    row = conn.execute(sa_select(target).where(target.c.id == row_id)).mappings().one()
    return {key: _jsonable(value) for key, value in row.items()}


def _pk_text(table: Table, values: dict[str, Any]) -> str:
    return "/".join(str(values[c.name]) for c in table.primary_key.columns)


def _changed(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (before, after) of the columns that a dirty object changed."""
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if _jsonable(old) == _jsonable(new):
            continue
        before[attr.key] = _jsonable(old)
        after[attr.key] = _jsonable(new)
    return before, after


def _before_flush(session: OrmSession, flush_context: UOWTransaction, instances: Any) -> None:
    """Give every new row its id from the id sequences before it is inserted."""
    waiting: dict[str, list[Any]] = {}
    for obj in session.new:
        table = getattr(obj, "__table__", None)
        if table is None or table.name in UNRECORDED:
            continue
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].name != "id" or getattr(obj, "id", None) is not None:
            continue
        waiting.setdefault(table.name, []).append(obj)
    conn = session.connection()
    for name, objs in sorted(waiting.items()):
        first = ids.take(conn, name, len(objs))
        for offset, obj in enumerate(objs):
            obj.id = first + offset


REDO_STACK = table("redo_stack", column("position"), column("group_id"))


def end_redo(conn: Connection) -> None:
    """Forget what could be redone: a new change ends the redo branch."""
    conn.execute(delete(REDO_STACK))


# What a JSON column stores: json.dumps's text (None as null), encoded once per value here.
encode_json = json.JSONEncoder(check_circular=False).encode
# The event table written as stored values: an import records 100,000 changes, which the
# columns' own conversions would slow down several times.
_EVENT_ROWS = table(
    "event",
    *(
        column(name)
        for name in ("id", "group_id", "origin", "at", "summary", "entity", "entity_id", "action",
                     "before", "after")
    ),
)  # fmt: skip


def execute_many(conn: Connection, target: TableClause, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in the order of `target`'s columns, values as stored) with one
    executemany of the driver: the statement is compiled once, and the rows go in without
    SQLAlchemy's per-row parameter handling, which would cost a third of an import."""
    keys = [c.key for c in target.columns]
    compiled = insert(target).compile(dialect=conn.dialect, column_keys=keys)
    assert list(compiled.positiontup or []) == keys
    conn.exec_driver_sql(str(compiled), rows)


def write_events(session: OrmSession, changes: list[Change]) -> None:
    """Record changes as Events of the session's command group, in the order given, and end
    the redo branch. The one writer of history: the ORM's flushes and bulk imports alike.

    `before` and `after` are JSON-ready (times in ISO 8601 with their offset); they and
    the time are written in the form the Event columns store them.
    """
    if not changes:
        return
    info = session.info
    group, origin = info["event_group"], info["origin"]
    at, summary = to_stored(info.get("now") or clock.now()), info.get("summary")
    conn = session.connection()
    first = ids.take(conn, "event", len(changes))
    rows = [
        (
            first + n, group, origin, at, summary, item["entity"], item["entity_id"],
            item["action"],
            "null" if item["before"] is None else encode_json(item["before"]),
            "null" if item["after"] is None else encode_json(item["after"]),
        )
        for n, item in enumerate(changes)
    ]  # fmt: skip
    for start in range(0, len(rows), EVENT_CHUNK):
        execute_many(conn, _EVENT_ROWS, rows[start : start + EVENT_CHUNK])
    info["recorded"] = True
    if info["origin"] != SYSTEM:
        end_redo(conn)


def _after_flush(session: OrmSession, flush_context: UOWTransaction) -> None:
    changes: list[Change] = []

    def record(obj: Any, action: str, before: Any, after: Any) -> None:
        table = obj.__table__
        if table.name in UNRECORDED:
            return
        values = after if action == "create" else (before if action == "delete" else None)
        entity_id = _pk_text(table, values) if values else _pk_text(table, _row_values(obj))
        changes.append(
            Change(
                entity=table.name, entity_id=entity_id, action=action, before=before, after=after
            )
        )

    for obj in session.new:
        record(obj, "create", None, _row_values(obj))
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changed(obj)
        if after:
            record(obj, "update", before, after)
    for obj in session.deleted:
        record(obj, "delete", _row_values(obj), None)
    write_events(session, changes)


def watch(session: Session) -> None:
    """Give new rows their ids, and record every change this session flushes as Events of
    its group."""
    event.listen(session, "before_flush", _before_flush)
    event.listen(session, "after_flush", _after_flush)


def table_for(name: str) -> Table:
    """Return the table called `name`."""
    return SQLModel.metadata.tables[name]


@cache
def _readers(name: str) -> dict[str, Callable[[Any], Any]]:
    """Return, for the columns of table `name` that history records as text (times, dates),
    the function that reads that text back."""
    found: dict[str, Callable[[Any], Any]] = {}
    for col_ in table_for(name).columns:
        if isinstance(col_.type, UTCDateTime):
            found[col_.key] = datetime.fromisoformat
        elif col_.type.python_type is date:
            found[col_.key] = date.fromisoformat
    return found


def _from_json(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key, read in _readers(table.name).items():
        value = out.get(key)
        if value is not None:
            out[key] = read(value)
    return out


def _pk_clause(table: Table, entity_id: str) -> Any:
    parts = entity_id.split("/")
    cols = list(table.primary_key.columns)
    return and_(*(c == int(p) for c, p in zip(cols, parts, strict=True)))


def _effect(action: str, reverse: bool) -> str:
    """What reverting (or re-applying) an action does to the row: remove, insert or update."""
    if action == "update":
        return "update"
    return "remove" if (action == "create") == reverse else "insert"


def _values_of(ev: Any, reverse: bool) -> dict[str, Any]:
    """The column values that reverting (or re-applying) an event writes."""
    if ev.action == "update":
        return dict((ev.before if reverse else ev.after) or {})
    return dict((ev.after if ev.action == "create" else ev.before) or {})


def _apply(session: Session, events: list[Any], reverse: bool) -> None:
    """Revert (reverse=True) or re-apply events, in order, with plain SQL (not recorded again).

    Consecutive events of one table with the same effect are applied together, so undoing an
    import of many rows takes a few statements instead of one per row.
    """
    conn = session.connection()
    i = 0
    while i < len(events):
        first = events[i]
        effect = _effect(first.action, reverse)
        keys = frozenset(_values_of(first, reverse))
        j = i + 1
        while (
            j < len(events)
            and events[j].entity == first.entity
            and _effect(events[j].action, reverse) == effect
            and (effect == "remove" or frozenset(_values_of(events[j], reverse)) == keys)
        ):
            j += 1
        run, i = events[i:j], j
        table = table_for(first.entity)
        pk = list(table.primary_key.columns)
        if effect == "remove" and len(pk) == 1:
            ids = [int(ev.entity_id) for ev in run]
            for k in range(0, len(ids), 500):
                conn.execute(delete(table).where(pk[0].in_(ids[k : k + 500])))
        elif effect == "remove":
            for ev in run:
                conn.execute(delete(table).where(_pk_clause(table, ev.entity_id)))
        elif effect == "insert":
            conn.execute(insert(table), [_from_json(table, _values_of(ev, reverse)) for ev in run])
        else:
            for ev in run:
                conn.execute(
                    update(table)
                    .where(_pk_clause(table, ev.entity_id))
                    .values(**_from_json(table, _values_of(ev, reverse)))
                )


@dataclass(frozen=True)
class GroupSummary:
    """What undo or redo did: the command's description and how many changes."""

    group_id: str
    summary: str | None
    origin: str
    at: datetime
    changes: int


def _group_events(session: Session, group_id: str, newest_first: bool) -> list[Any]:
    """Return a group's events as plain rows (no ORM objects: a group may hold 100,000)."""
    table = table_for("event")
    order = table.c.id.desc() if newest_first else table.c.id
    query = (
        sa_select(table.c.entity, table.c.entity_id, table.c.action, table.c.before, table.c.after)
        .where(table.c.group_id == group_id)
        .order_by(order)
    )
    return list(session.connection().execute(query))


def _mark(session: Session, group_id: str, undone_at: datetime | None) -> None:
    table = table_for("event")
    session.connection().execute(
        update(table).where(table.c.group_id == group_id).values(undone_at=undone_at)
    )
    session.expire_all()


def _undoable(session: Session, limit: int) -> list[str]:
    """Return the newest `limit` (at most) commands that can be undone, newest first.

    A command's events are contiguous, so each step looks below the previous group's first
    event; undone and system groups are passed over.
    """
    table = table_for("event")
    conn = session.connection()
    found: list[str] = []
    below: int | None = None
    while len(found) < limit:
        query = (
            sa_select(table.c.id, table.c.group_id)
            .where(table.c.undone_at.is_(None), table.c.origin != SYSTEM)
            .order_by(table.c.id.desc())
            .limit(1)
        )
        if below is not None:
            query = query.where(table.c.id < below)
        row = conn.execute(query).first()
        if row is None:
            break
        found.append(str(row.group_id))
        below = conn.execute(
            sa_select(sa_func.min(table.c.id)).where(table.c.group_id == row.group_id)
        ).scalar_one()
    return found


def _redoable(session: Session, limit: int) -> list[str]:
    """Return the commands redo would re-apply (at most `limit`), the next one first."""
    rows = session.connection().execute(
        sa_select(REDO_STACK.c.group_id)
        .order_by(REDO_STACK.c.position.desc())
        .limit(min(limit, 1 << 62))
    )
    return [str(r[0]) for r in rows]


def _summary(session: Session, group_id: str, changes: int) -> GroupSummary:
    head = session.exec(
        select(Event).where(Event.group_id == group_id).order_by(col(Event.id)).limit(1)
    ).one()
    return GroupSummary(group_id, head.summary, head.origin, head.at, changes)


def _too_few(verb: str, have: int) -> NotFoundError:
    """The error for `undo N` / `redo N` when fewer than N steps are there."""
    if have == 0 and verb == "undo":
        return NotFoundError("nothing to undo")
    if have == 0:
        return NotFoundError("nothing to redo", hint="redo follows undo, before any new change")
    done = "undone" if verb == "undo" else "redone"
    some = "only 1 change can" if have == 1 else f"only {have} changes can"
    return NotFoundError(
        f"{some} be {done}; nothing was changed", hint=f"crm {verb} {have} does all of them"
    )


def undo(session: Session, now: datetime) -> GroupSummary:
    """Revert the newest command that has not been undone; raise NotFoundError if none."""
    return undo_steps(session, now, 1)[0]


def redo(session: Session, now: datetime) -> GroupSummary:
    """Re-apply the command undone last; raise NotFoundError if there is none to redo."""
    return redo_steps(session, now, 1)[0]


def undo_steps(session: Session, now: datetime, steps: int) -> list[GroupSummary]:
    """Revert the newest `steps` commands not yet undone, newest first, and put each on the
    redo stack. With fewer than `steps` to undo, raise NotFoundError and change nothing."""
    describe(session, "undo")
    groups = _undoable(session, steps)
    if len(groups) < steps:
        raise _too_few("undo", len(groups))
    return _replay(session, groups, undone_at=now)


def redo_steps(session: Session, now: datetime, steps: int) -> list[GroupSummary]:
    """Re-apply the `steps` commands undone last, the one undone last first. A change made
    after an undo empties the redo stack, so nothing abandoned comes back. With fewer than
    `steps` to redo, raise NotFoundError and change nothing."""
    describe(session, "redo")
    groups = _redoable(session, steps)
    if len(groups) < steps:
        raise _too_few("redo", len(groups))
    return _replay(session, groups, undone_at=None)


def _replay(session: Session, groups: list[str], undone_at: datetime | None) -> list[GroupSummary]:
    """Revert (`undone_at` set) or re-apply (None) whole commands in the order given, moving
    each onto the redo stack or off it."""
    reverse = undone_at is not None
    conn = session.connection()
    done = []
    for group_id in groups:
        events = _group_events(session, group_id, newest_first=reverse)
        _apply(session, events, reverse=reverse)
        _mark(session, group_id, undone_at)
        if reverse:
            top = sa_select(sa_func.coalesce(sa_func.max(REDO_STACK.c.position), 0) + 1)
            conn.execute(
                insert(REDO_STACK).values(position=top.scalar_subquery(), group_id=group_id)
            )
        else:
            conn.execute(delete(REDO_STACK).where(REDO_STACK.c.group_id == group_id))
        done.append(_summary(session, group_id, len(events)))
    return done


def dumps(values: dict[str, Any] | None) -> str:
    """Render before/after values compactly (for history listings)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""


def describe(session: OrmSession, text: str) -> None:
    """Name the command a write transaction records, as `crm history` and `crm undo` say it
    ("move deal #3 Acme website to Proposal"). The services name what they do, so both faces
    record a change alike; the first service a command calls names it (a win's check-in
    does not rename the move). A name given once rows are flushed (a new record's id is
    known only then) renames the events already written."""
    info = session.info
    if info.get("described"):
        return
    text = visible(text)
    info["summary"] = text
    info["described"] = True
    if info.get("recorded"):
        table = table_for("event")
        session.connection().execute(
            table.update().where(table.c.group_id == info["event_group"]).values(summary=text)
        )
