"""The history: every row change becomes an Event, grouped by command; undo and redo."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, event, insert, inspect, text, update
from sqlalchemy import func as sa_func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Session, SQLModel, col, select

from tinycrm import clock
from tinycrm.errors import NotFoundError
from tinycrm.store import ids
from tinycrm.store.models import Event, UTCDateTime

# Rows that are bookkeeping, not the seller's data: they are never recorded.
UNRECORDED = {"event", "id_sequence", "redo_stack"}
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


def runner(session: OrmSession) -> ids.Run:
    """Return a function that runs SQL text in the session's transaction (for store.ids)."""

    def run(sql: str, params: dict[str, Any]) -> list[Any]:
        result = session.connection().execute(text(sql), params)
        return list(result.all()) if result.returns_rows else []

    return run


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
    run = runner(session)
    for name, objs in sorted(waiting.items()):
        first = ids.take(run, name, len(objs))
        for offset, obj in enumerate(objs):
            obj.id = first + offset


def end_redo(run: ids.Run) -> None:
    """Forget what could be redone: a new change ends the redo branch."""
    run("DELETE FROM redo_stack", {})


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
        run = runner(session)
        first = ids.take(run, "event", len(rows))
        for offset, row in enumerate(rows):
            row["id"] = first + offset
        session.connection().execute(insert(table_for("event")), rows)
        if info["origin"] != SYSTEM:
            end_redo(run)


def watch(session: Session) -> None:
    """Give new rows their ids, and record every change this session flushes as Events of
    its group."""
    event.listen(session, "before_flush", _before_flush)
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
        text("SELECT group_id FROM redo_stack ORDER BY position DESC LIMIT :n"),
        {"n": min(limit, 1 << 62)},
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
    groups = _undoable(session, steps)
    if len(groups) < steps:
        raise _too_few("undo", len(groups))
    return _replay(session, groups, undone_at=now)


def redo_steps(session: Session, now: datetime, steps: int) -> list[GroupSummary]:
    """Re-apply the `steps` commands undone last, the one undone last first. A change made
    after an undo empties the redo stack, so nothing abandoned comes back. With fewer than
    `steps` to redo, raise NotFoundError and change nothing."""
    groups = _redoable(session, steps)
    if len(groups) < steps:
        raise _too_few("redo", len(groups))
    return _replay(session, groups, undone_at=None)


def _replay(session: Session, groups: list[str], undone_at: datetime | None) -> list[GroupSummary]:
    """Revert (`undone_at` set) or re-apply (None) whole commands in the order given, moving
    each onto the redo stack or off it."""
    reverse = undone_at is not None
    stack = (
        "INSERT INTO redo_stack (position, group_id)"
        " SELECT coalesce(max(position), 0) + 1, :group FROM redo_stack"
        if reverse
        else "DELETE FROM redo_stack WHERE group_id = :group"
    )
    done = []
    for group_id in groups:
        events = _group_events(session, group_id, newest_first=reverse)
        _apply(session, events, reverse=reverse)
        _mark(session, group_id, undone_at)
        session.connection().execute(text(stack), {"group": group_id})
        done.append(_summary(session, group_id, len(events)))
    return done


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
