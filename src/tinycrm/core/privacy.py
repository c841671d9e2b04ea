"""Forgetting a person: their contact, its details and their history erased, file included."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String, and_, func, or_, update
from sqlmodel import Session, SQLModel, select

from tinycrm.core import refs
from tinycrm.domain.text import fold
from tinycrm.errors import NotFoundError, StorageError
from tinycrm.store import dialect, erasure, history
from tinycrm.store.models import Contact, ContactEmail, ContactPhone, ContactUrl

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tinycrm.store.db import Database

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


def forget(session: Session, contact: Contact, now: datetime) -> Forgotten:
    """Erase a contact, its emails, phones, urls, tags, interactions and follow-ups, every
    event that recorded them (and the history of duplicates merged into it); deals stay but
    lose the link to the person; other records that mention them get "[forgotten]" instead.

    Call `clean_up` after the transaction commits so freed pages keep nothing.
    """
    assert contact.id is not None
    history.describe(session, "forget a contact")  # never the person's name: it is erased
    traces = _traces(session, contact)
    conn = session.connection()
    erased = erasure.erase_person(conn, contact.id, contact.uuid, traces, now)
    session.expunge(contact)
    redacted = _redact(conn, traces)
    return Forgotten(contact.id, erased.rows, erased.events, erased.deals_unlinked, redacted)


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
            found = or_(*(dialect.holds(func.lower(column), form) for form in forms))
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


def clean_up(db: Database) -> str | None:
    """Scrub the file after a forget has committed; return a warning if that did not fully
    work (the erase itself stands either way), or None."""
    try:
        emptied = db.scrub()
    except (StorageError, OSError) as exc:
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
