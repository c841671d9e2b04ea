"""Forgetting a person: their contact, its details and their history erased, file included."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String, and_, func, or_, text, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, select

from tinycrm.core import refs
from tinycrm.domain.text import fold
from tinycrm.errors import NotFoundError
from tinycrm.store import history, ids
from tinycrm.store.models import (
    Contact,
    ContactEmail,
    ContactPhone,
    ContactUid,
    ContactUrl,
    FollowUp,
    Interaction,
)

if TYPE_CHECKING:
    from tinycrm.store.db import Database

# Rows that belong to one contact (a contact_id column) and go with it.
CHILDREN: dict[str, Any] = {
    "contact_email": ContactEmail,
    "contact_phone": ContactPhone,
    "contact_url": ContactUrl,
    "contact_uid": ContactUid,
    "interaction": Interaction,
    "follow_up": FollowUp,
}
FORGOTTEN = "a change to a forgotten contact"
REDACTED = "[forgotten]"
# Search keys kept in step with the column they fold.
_KEYS = {"name": "name_key", "title": "title_key"}


@dataclass(frozen=True)
class Forgotten:
    """What forgetting a contact erased (counts only: the data itself is gone)."""

    contact_id: int
    rows: int
    events: int
    deals_unlinked: int
    redacted: int


def find_contact(session: Session, ref: str) -> Contact:
    """Return the contact `ref` names, looking in the trash too."""
    try:
        hit = refs.resolve(session, ref, ("contact",))
    except NotFoundError:
        hit = refs.resolve(session, ref, ("contact",), trashed=True)
    contact = session.get(Contact, hit.id)
    assert contact is not None
    return contact


def _traces(session: Session, contact: Contact) -> list[str]:
    """Return the strings that identify the person: name, emails, phones, web addresses."""
    assert contact.id is not None
    found = [contact.name]
    for model, column in (
        (ContactEmail, ContactEmail.email),
        (ContactPhone, ContactPhone.phone),
        (ContactUrl, ContactUrl.url),
    ):
        found.extend(session.exec(select(column).where(model.contact_id == contact.id)).all())
    return [t for t in found if t and t.strip()]


# The events of one record: [first, end) of event ids. Before ids were never reused, one id
# could name several records in turn; each record's events start at its own "create".
Span = tuple[int, int]
_OPEN = 1 << 62


def _span(
    conn: Connection, entity: str, entity_id: str, at: int | None, uuid: str | None = None
) -> Span:
    """Return the events that belong to the record `entity_id` named at event `at` (None:
    the record that has the id now, found by its uuid when it has one)."""
    creates = [
        int(i)
        for i in conn.execute(
            text(
                "SELECT id FROM event WHERE entity = :entity AND entity_id = :eid"
                " AND action = 'create' ORDER BY id"
            ),
            {"entity": entity, "eid": entity_id},
        ).scalars()
    ]
    if at is None and uuid is not None:
        own = conn.execute(
            text(
                "SELECT max(id) FROM event WHERE entity = :entity AND entity_id = :eid"
                " AND action = 'create' AND json_extract(after, '$.uuid') = :uuid"
            ),
            {"entity": entity, "eid": entity_id, "uuid": uuid},
        ).scalar()
        if own is not None:
            at = int(own)
    if at is None:
        return (creates[-1] if creates else 0), _OPEN
    start = max((c for c in creates if c <= at), default=0)
    end = min((c for c in creates if c > at), default=_OPEN)
    return start, end


def _merged_into(conn: Connection, cid: int, span: Span) -> list[tuple[int, Span]]:
    """Return the contacts that were merged into the person (`cid` during `span`) and into
    those, and so on, each with its own span of events: their rows moved to the person by a
    command that was not undone, and their contact row was removed."""
    people = [(cid, span)]
    seen = {(cid, span)}
    frontier = [(cid, span)]
    while frontier:
        current, (start, end) = frontier.pop()
        moves = conn.execute(
            text(
                "SELECT json_extract(before, '$.contact_id'), min(id) FROM event"
                " WHERE json_extract(after, '$.contact_id') = :cid"
                " AND json_extract(before, '$.contact_id') IS NOT NULL"
                " AND json_extract(before, '$.contact_id') != :cid"
                " AND undone_at IS NULL AND id >= :start AND id < :end"
                " GROUP BY json_extract(before, '$.contact_id')"
            ),
            {"cid": current, "start": start, "end": end},
        ).all()
        for old, at in moves:
            old_span = _span(conn, "contact", str(int(old)), int(at))
            removed = conn.execute(
                text(
                    "SELECT 1 FROM event WHERE entity = 'contact' AND entity_id = :eid"
                    " AND action = 'delete' AND undone_at IS NULL AND id >= :start AND id < :end"
                ),
                {"eid": str(int(old)), "start": old_span[0], "end": old_span[1]},
            ).first()
            key = (int(old), old_span)
            if removed and key not in seen:
                seen.add(key)
                people.append(key)
                frontier.append(key)
    return people


def _recorded_traces(values: Any) -> list[str]:
    """Return the identifying values (a name, an email, a phone, a url) in a recorded row."""
    if not values:
        return []
    data = json.loads(values) if isinstance(values, str) else values
    if not isinstance(data, dict):
        return []
    return [str(data[k]) for k in ("name", "email", "phone", "url") if data.get(k)]


def _belongs_to_another(
    conn: Connection, entity: str, entity_id: str, span: Span, person: int
) -> bool:
    """Return True when the record still exists and is now another contact's (a merge that
    moved it to the person was undone): it, its history and its values stay theirs."""
    owner = conn.execute(
        text(f"SELECT contact_id FROM {entity} WHERE id = :id"), {"id": int(entity_id)}
    ).first()
    if owner is None or owner[0] is None or int(owner[0]) == person:
        return False
    return _span(conn, entity, entity_id, None) == span


def _erase_history(
    conn: Connection, person: int, span: Span, traces: list[str]
) -> tuple[int, set[str]]:
    """Delete every event about one person (`person` during `span`) and the rows they owned;
    return how many, and the command groups they were part of. Identifying values seen in
    them join `traces`."""
    start, end = span
    params = {"cid": person, "sid": str(person), "start": start, "end": end}
    # Every row that ever belonged to this person, current rows and recorded ones, each
    # with the span of its own events.
    owned: set[tuple[str, str, Span]] = set()
    for entity in CHILDREN:
        for i in conn.execute(
            text(f"SELECT id FROM {entity} WHERE contact_id = :cid"), params
        ).scalars():
            owned.add((entity, str(i), _span(conn, entity, str(i), None)))
        recorded = conn.execute(
            text(
                "SELECT entity_id, min(id) FROM event WHERE entity = :entity AND ("
                " json_extract(before, '$.contact_id') = :cid"
                " OR json_extract(after, '$.contact_id') = :cid)"
                " AND id >= :start AND id < :end GROUP BY entity_id"
            ),
            {**params, "entity": entity},
        ).all()
        for entity_id, at in recorded:
            span_of = _span(conn, entity, str(entity_id), int(at))
            if _belongs_to_another(conn, entity, str(entity_id), span_of, person):
                continue  # it sat with the person only by a command since undone
            owned.add((entity, str(entity_id), span_of))

    groups: set[str] = set()
    count = 0
    deleted = list(
        conn.execute(
            text(
                "DELETE FROM event WHERE ((entity = 'contact' AND entity_id = :sid)"
                " OR (entity = 'contact_tag' AND entity_id LIKE :sid || '/%'))"
                " AND id >= :start AND id < :end"
                " RETURNING group_id, entity, before, after"
            ),
            params,
        )
    )
    for entity, entity_id, (first, last) in owned:
        deleted.extend(
            conn.execute(
                text(
                    "DELETE FROM event WHERE entity = :entity AND entity_id = :eid"
                    " AND id >= :first AND id < :last"
                    " RETURNING group_id, entity, before, after"
                ),
                {"entity": entity, "eid": entity_id, "first": first, "last": last},
            )
        )
    for group, entity, before, after in deleted:
        groups.add(group)
        count += 1
        if entity in ("contact", "contact_email", "contact_phone", "contact_url"):
            traces.extend(_recorded_traces(before) + _recorded_traces(after))
    for side in ("before", "after"):
        conn.execute(
            text(
                f"UPDATE event SET {side} = json_set({side}, '$.contact_id', json('null'))"
                f" WHERE json_extract({side}, '$.contact_id') = :cid"
                " AND id >= :start AND id < :end"
            ),
            params,
        )
    return count, groups


def forget(session: Session, contact: Contact, now: datetime) -> Forgotten:
    """Erase a contact, its emails, phones, urls, tags, interactions and follow-ups, every
    event that recorded them (and the history of duplicates merged into it); deals stay but
    lose the link to the person; other records that mention them get "[forgotten]" instead.

    Plain SQL is used on purpose: the ORM would record the deleted values as new events.
    Call `scrub_file` after the transaction commits so freed pages keep nothing.
    """
    assert contact.id is not None
    cid = contact.id
    traces = _traces(session, contact)
    conn = session.connection()
    params = {"cid": cid, "sid": str(cid)}

    events = 0
    groups: set[str] = set()
    span = _span(conn, "contact", str(cid), None, contact.uuid)
    for person, person_span in sorted(_merged_into(conn, cid, span)):
        erased, touched = _erase_history(conn, person, person_span, traces)
        events += erased
        groups |= touched
    for group in groups:
        conn.execute(
            text("UPDATE event SET summary = :summary WHERE group_id = :group"),
            {"summary": FORGOTTEN, "group": group},
        )
    for trace in set(traces):
        conn.execute(
            text(
                "UPDATE event SET summary = :summary WHERE instr(lower(summary), lower(:trace)) > 0"
            ),
            {"summary": FORGOTTEN, "trace": trace},
        )

    unlinked = conn.execute(
        text("UPDATE deal SET contact_id = NULL WHERE contact_id = :cid"),
        params,
    ).rowcount
    rows = 0
    for entity in (*CHILDREN, "contact_tag"):
        rows += conn.execute(text(f"DELETE FROM {entity} WHERE contact_id = :cid"), params).rowcount
    rows += conn.execute(text("DELETE FROM contact WHERE id = :cid"), params).rowcount
    session.expunge(contact)
    redacted = _redact(conn, traces)

    # A marker with no personal data, so the history shows that something was erased.
    conn.execute(
        text(
            "INSERT INTO event (id, group_id, origin, at, entity, entity_id, action, summary)"
            " VALUES (:id, :group, 'system', :at, 'contact', :sid, 'forget', :summary)"
        ),
        {
            **params,
            "id": ids.take(conn, "event"),
            "group": str(uuid.uuid4()),
            "at": _utc_text(now),
            "summary": f"forgot contact #{cid}",
        },
    )
    # What an undo took back may hold the person's data: it can no longer be redone.
    history.end_redo(conn)
    return Forgotten(cid, rows, events, int(unlinked or 0), redacted)


def _substitute(value: Any, pattern: re.Pattern[str]) -> Any:
    """Replace the traces in a string, or in every string inside a JSON value."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, list):
        return [_substitute(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, pattern) for k, v in value.items()}
    return value


def _holds_text(kind: Any) -> bool:
    """Return True for text and JSON columns (SQLModel's strings are a decorated String)."""
    kind = getattr(kind, "impl", kind)
    return isinstance(kind, String | JSON)


def _redact(conn: Connection, traces: list[str]) -> int:
    """Replace the person's name, emails, phones and urls wherever other records mention them
    (a deal titled after them, a note, a history entry); return how many values changed."""
    needles = sorted({t.strip() for t in traces if len(t.strip()) >= 2}, key=len, reverse=True)
    if not needles:
        return 0
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(n) for n in needles) + r")(?!\w)", re.IGNORECASE
    )
    # JSON text may hold a name with its non-ASCII letters escaped.
    forms = {n.lower() for n in needles} | {json.dumps(n)[1:-1].lower() for n in needles}
    changed = 0
    for table in SQLModel.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if column.primary_key or column.name in _KEYS.values():
                continue
            if table.name == "contact" and column.name == "name":
                continue  # a namesake is another person, whose name stays theirs
            if not _holds_text(column.type):
                continue
            found = or_(*(func.instr(func.lower(column), form) > 0 for form in forms))
            for row in conn.execute(select(*keys, column).where(found)).all():
                *ids, value = row
                new = _substitute(value, pattern)
                if new == value:
                    continue
                values: dict[str, Any] = {column.name: new}
                key = _KEYS.get(column.name)
                if key is not None and key in table.columns and isinstance(new, str):
                    values[key] = fold(new)
                where = and_(*(k == i for k, i in zip(keys, ids, strict=True)))
                conn.execute(update(table).where(where).values(**values))
                changed += 1
    return changed


def _utc_text(moment: datetime) -> str:
    """Render an aware time the way the UTCDateTime column stores it."""
    from datetime import UTC

    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def scrub_file(db: Database) -> bool:
    """Rewrite the database so erased data survives in no free page, index segment or WAL.

    Returns False when another connection kept the write-ahead log from being emptied (it is
    emptied at the next checkpoint, when that connection lets go).
    """
    db.dispose()  # this process's pooled connections would hold the log open
    conn = db.raw()
    try:
        # FTS5 keeps deleted terms in old index segments until they are merged.
        conn.execute("INSERT INTO search_index(search_index) VALUES('optimize')")
        conn.execute("VACUUM")
        # Readers elsewhere (an open board) block emptying the log; wait for them briefly.
        conn.execute("PRAGMA busy_timeout = 1000")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        conn.close()
    return not busy


def clean_up(db: Database) -> str | None:
    """Scrub the file after a forget has committed; return a warning if that did not fully
    work (the erase itself stands either way), or None."""
    import sqlite3

    try:
        emptied = scrub_file(db)
    except (sqlite3.Error, OSError) as exc:
        return (
            f"the contact was erased, but cleaning the file afterwards failed ({exc}); "
            "erased values may remain in the file's free space until it is cleaned: "
            f"run `sqlite3 {db.path} VACUUM` when there is room"
        )
    if not emptied:
        return (
            "another tinycrm has the database open; the erased data leaves the file's log "
            "when it closes"
        )
    return None


def traces_left(db: Database, needles: list[str]) -> list[str]:
    """Return the needles that can still be found in any row of the database (a check)."""
    conn = db.raw()
    try:
        dump = "\n".join(conn.iterdump()).lower()
    finally:
        conn.close()
    return [n for n in needles if n.lower() in dump]
