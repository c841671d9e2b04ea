"""The history: every row change becomes an Event, grouped by command; undo and redo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, event, func, insert, inspect, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, SQLModel, col, select

from tinycrm import clock
from tinycrm.core.models import Event, UTCDateTime
from tinycrm.errors import NotFoundError

# Rows that are bookkeeping, not the seller's data: they are never recorded.
UNRECORDED = {"event"}
# Changes tinycrm makes by itself (the default pipeline) are history but not undoable.
SYSTEM = "system"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {c.key: _jsonable(getattr(obj, c.key)) for c in state.mapper.column_attrs}


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


def _after_flush(session: OrmSession, flush_context: UOWTransaction) -> None:
    info = session.info
    now = info.get("now") or clock.now()
    rows: list[dict[str, Any]] = []

    def record(obj: Any, action: str, before: Any, after: Any) -> None:
        table = obj.__table__
        if table.name in UNRECORDED:
            return
        values = after if action == "create" else (before if action == "delete" else None)
        entity_id = _pk_text(table, values) if values else _pk_text(table, _row_values(obj))
        rows.append(
            {
                "group_id": info["event_group"],
                "origin": info["origin"],
                "at": now,
                "entity": table.name,
                "entity_id": entity_id,
                "action": action,
                "before": before,
                "after": after,
                "summary": info.get("summary"),
            }
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
    if rows:
        session.connection().execute(insert(table_for("event")), rows)


def watch(session: Session) -> None:
    """Record every change this session flushes as Events of its group."""
    event.listen(session, "after_flush", _after_flush)


def table_for(name: str) -> Table:
    """Return the table called `name`."""
    return SQLModel.metadata.tables[name]


def _from_json(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        column = table.columns[key]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and column.type.python_type is date:
            value = date.fromisoformat(value)
        out[key] = value
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


def undo(session: Session, now: datetime) -> GroupSummary:
    """Revert the newest command that has not been undone; raise NotFoundError if none."""
    last = session.exec(
        select(Event)
        .where(col(Event.undone_at).is_(None), Event.origin != SYSTEM)
        .order_by(col(Event.id).desc())
        .limit(1)
    ).first()
    if last is None:
        raise NotFoundError("nothing to undo")
    events = _group_events(session, last.group_id, newest_first=True)
    _apply(session, events, reverse=True)
    _mark(session, last.group_id, now)
    return GroupSummary(last.group_id, last.summary, last.origin, last.at, len(events))


def redo(session: Session, now: datetime) -> GroupSummary:
    """Re-apply the command undone last, as long as nothing new was done since the undo."""
    newest_kept = session.exec(
        select(func.max(Event.id)).where(col(Event.undone_at).is_(None))
    ).one()
    query = select(Event).where(col(Event.undone_at).is_not(None), Event.origin != SYSTEM)
    if newest_kept is not None:
        query = query.where(col(Event.id) > newest_kept)
    first = session.exec(query.order_by(col(Event.id)).limit(1)).first()
    if first is None:
        raise NotFoundError("nothing to redo", hint="redo follows undo, before any new change")
    events = _group_events(session, first.group_id, newest_first=False)
    _apply(session, events, reverse=False)
    _mark(session, first.group_id, None)
    return GroupSummary(first.group_id, first.summary, first.origin, first.at, len(events))


def events_for(session: Session, entity: str, entity_id: int) -> list[Event]:
    """Return the events of one record, newest first."""
    return list(
        session.exec(
            select(Event)
            .where(Event.entity == entity, Event.entity_id == str(entity_id))
            .order_by(col(Event.id).desc())
        )
    )


def dumps(values: dict[str, Any] | None) -> str:
    """Render before/after values compactly (for history listings)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""
