"""Erasing a person from the database: their rows and every event that recorded them (and
the history of the contacts merged into them).

Plain statements are used on purpose: the ORM would record the deleted values as new events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, delete, func, insert, literal, or_, select, update

from tinycrm.store import dialect, history, ids

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Rows that belong to one contact (a contact_id column) and go with it.
CHILDREN = ("contact_email", "contact_phone", "contact_url", "contact_uid", "contact_address",
            "contact_date", "contact_property", "interaction", "follow_up",
            "sequence_run")  # fmt: skip
FORGOTTEN = "a change to a forgotten contact"
# Tables whose recorded rows hold identifying values (a name, an email, a phone, a url).
# (an address is not one: colleagues and their company share the office's street)
_IDENTIFYING = ("contact", "contact_email", "contact_phone", "contact_url")

# The events of one record: [first, end) of event ids. Before ids were never reused, one id
# could name several records in turn; each record's events start at its own "create".
Span = tuple[int, int]
_OPEN = 1 << 62


@dataclass(frozen=True)
class Erased:
    """What erasing a person removed: their rows, their events, and the deals unlinked."""

    rows: int
    events: int
    deals_unlinked: int


def _events() -> Table:
    return history.table_for("event")


def _span(
    conn: Connection, entity: str, entity_id: str, at: int | None, uuid_: str | None = None
) -> Span:
    """Return the events that belong to the record `entity_id` named at event `at` (None:
    the record that has the id now, found by its uuid when it has one)."""
    event = _events()
    creates_of = and_(
        event.c.entity == entity, event.c.entity_id == entity_id, event.c.action == "create"
    )
    creates = [
        int(i)
        for i in conn.execute(select(event.c.id).where(creates_of).order_by(event.c.id)).scalars()
    ]
    if at is None and uuid_ is not None:
        own = conn.execute(
            select(func.max(event.c.id)).where(
                creates_of, dialect.json_field(event.c.after, "uuid") == uuid_
            )
        ).scalar()
        if own is not None:
            at = int(own)
    if at is None:
        return (creates[-1] if creates else 0), _OPEN
    start = max((c for c in creates if c <= at), default=0)
    end = min((c for c in creates if c > at), default=_OPEN)
    return start, end


def _within(span: Span) -> Any:
    event = _events()
    return and_(event.c.id >= span[0], event.c.id < span[1])


def _merged_into(conn: Connection, cid: int, span: Span) -> list[tuple[int, Span]]:
    """Return the contacts that were merged into the person (`cid` during `span`) and into
    those, and so on, each with its own span of events: their rows moved to the person by a
    command that was not undone, and their contact row was removed."""
    event = _events()
    old_owner = dialect.json_field(event.c.before, "contact_id")
    people = [(cid, span)]
    seen = {(cid, span)}
    frontier = [(cid, span)]
    while frontier:
        current, current_span = frontier.pop()
        moves = conn.execute(
            select(old_owner, func.min(event.c.id))
            .where(
                dialect.json_field(event.c.after, "contact_id") == current,
                old_owner.is_not(None),
                old_owner != current,
                event.c.undone_at.is_(None),
                _within(current_span),
            )
            .group_by(old_owner)
        ).all()
        for old, at in moves:
            old_span = _span(conn, "contact", str(int(old)), int(at))
            removed = conn.execute(
                select(literal(1)).where(
                    event.c.entity == "contact",
                    event.c.entity_id == str(int(old)),
                    event.c.action == "delete",
                    event.c.undone_at.is_(None),
                    _within(old_span),
                )
            ).first()
            key = (int(old), old_span)
            if removed and key not in seen:
                seen.add(key)
                people.append(key)
                frontier.append(key)
    return people


def _belongs_to_another(
    conn: Connection, entity: str, entity_id: str, span: Span, person: int
) -> bool:
    """Return True when the record still exists and is now another contact's (a merge that
    moved it to the person was undone): it, its history and its values stay theirs."""
    rows = history.table_for(entity)
    owner = conn.execute(select(rows.c.contact_id).where(rows.c.id == int(entity_id))).first()
    if owner is None or owner[0] is None or int(owner[0]) == person:
        return False
    return _span(conn, entity, entity_id, None) == span


def _erase_history(
    conn: Connection, person: int, span: Span, traces: list[str]
) -> tuple[int, set[str]]:
    """Delete every event about one person (`person` during `span`) and the rows they owned;
    return how many, and the command groups they were part of. Identifying values seen in
    them join `traces`."""
    event = _events()
    sid = str(person)
    # Every row that ever belonged to this person, current rows and recorded ones, each
    # with the span of its own events.
    owned: set[tuple[str, str, Span]] = set()
    for entity in CHILDREN:
        rows = history.table_for(entity)
        for i in conn.execute(select(rows.c.id).where(rows.c.contact_id == person)).scalars():
            owned.add((entity, str(i), _span(conn, entity, str(i), None)))
        recorded = conn.execute(
            select(event.c.entity_id, func.min(event.c.id))
            .where(
                event.c.entity == entity,
                or_(
                    dialect.json_field(event.c.before, "contact_id") == person,
                    dialect.json_field(event.c.after, "contact_id") == person,
                ),
                _within(span),
            )
            .group_by(event.c.entity_id)
        ).all()
        for entity_id, at in recorded:
            span_of = _span(conn, entity, str(entity_id), int(at))
            if _belongs_to_another(conn, entity, str(entity_id), span_of, person):
                continue  # it sat with the person only by a command since undone
            owned.add((entity, str(entity_id), span_of))

    returned = (event.c.group_id, event.c.entity, event.c.before, event.c.after)
    mine = or_(
        and_(event.c.entity == "contact", event.c.entity_id == sid),
        and_(event.c.entity == "contact_tag", event.c.entity_id.like(f"{sid}/%")),
    )
    deleted = list(conn.execute(delete(event).where(mine, _within(span)).returning(*returned)))
    for entity, entity_id, span_of in owned:
        of_row = and_(event.c.entity == entity, event.c.entity_id == entity_id)
        deleted.extend(
            conn.execute(delete(event).where(of_row, _within(span_of)).returning(*returned))
        )
    groups: set[str] = set()
    for group, entity, before, after in deleted:
        groups.add(group)
        if entity in _IDENTIFYING:
            traces.extend(_recorded_traces(before) + _recorded_traces(after))
    for side in (event.c.before, event.c.after):
        conn.execute(
            update(event)
            .where(dialect.json_field(side, "contact_id") == person, _within(span))
            .values({side: dialect.json_without(side, "contact_id")})
        )
    return len(deleted), groups


def _recorded_traces(values: Any) -> list[str]:
    """Return the identifying values (a name, an email, a phone, a url) in a recorded row."""
    if not isinstance(values, dict):
        return []
    return [str(values[k]) for k in ("name", "email", "phone", "url") if values.get(k)]


def erase_person(
    conn: Connection, cid: int, contact_uuid: str, traces: list[str], now: datetime
) -> Erased:
    """Erase contact `cid`, its emails, phones, urls, addresses, dates, the vCard lines kept
    for it (its photo is on its row), tags, interactions and follow-ups,
    every event that recorded them and the history of the contacts merged into it; unlink
    its deals; name the commands that touched them only as "a change to a forgotten
    contact". Identifying values found in the erased events join `traces`.

    A marker with no personal data is recorded, so the history shows that something was
    erased, and the redo branch ends: what an undo took back may hold the person's data."""
    event = _events()
    events = 0
    groups: set[str] = set()
    span = _span(conn, "contact", str(cid), None, contact_uuid)
    for person, person_span in sorted(_merged_into(conn, cid, span)):
        erased, touched = _erase_history(conn, person, person_span, traces)
        events += erased
        groups |= touched
    for group in groups:
        conn.execute(update(event).where(event.c.group_id == group).values(summary=FORGOTTEN))
    for trace in set(traces):
        conn.execute(
            update(event)
            .where(dialect.holds(func.lower(event.c.summary), func.lower(trace)))
            .values(summary=FORGOTTEN)
        )

    deal = history.table_for("deal")
    unlinked = conn.execute(
        update(deal).where(deal.c.contact_id == cid).values(contact_id=None)
    ).rowcount
    rows = 0
    for entity in (*CHILDREN, "contact_tag"):
        table = history.table_for(entity)
        rows += conn.execute(delete(table).where(table.c.contact_id == cid)).rowcount
    contact = history.table_for("contact")
    rows += conn.execute(delete(contact).where(contact.c.id == cid)).rowcount

    conn.execute(
        insert(event).values(
            id=ids.take(conn, "event"),
            group_id=str(uuid.uuid4()),
            origin=history.SYSTEM,
            at=now,
            entity="contact",
            entity_id=str(cid),
            action="forget",
            summary=f"forgot contact #{cid}",
        )
    )
    history.end_redo(conn)
    return Erased(rows, events, int(unlinked or 0))
