"""Reading the history: the commands (event groups) newest first, and one record's events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from tinycrm.core.views import iso
from tinycrm.store.models import Event, Tag

if TYPE_CHECKING:
    from tinycrm.domain.rows import HistoryEvent, HistoryGroup

# Child rows whose events belong to a contact's history (they carry contact_id).
_CONTACT_CHILDREN = ("contact_email", "contact_phone", "contact_url", "contact_address",
                     "contact_date", "contact_property")  # fmt: skip
# Bookkeeping columns that say nothing to a person about what changed.
QUIET_COLUMNS = frozenset({"updated_at", "name_key", "title_key", "email_key", "phone_key"})


def list_groups(session: Session, limit: int = 20) -> list[HistoryGroup]:
    """Return the newest `limit` commands: summary, origin, time, number of changes, undone.

    A command's events are written in one transaction, so their ids are contiguous: each step
    takes the newest event below the previous group and counts its group through the index.
    """
    out: list[HistoryGroup] = []
    below: int | None = None
    while len(out) < limit:
        query = select(Event).order_by(col(Event.id).desc()).limit(1)
        if below is not None:
            query = query.where(col(Event.id) < below)
        newest = session.exec(query).first()
        if newest is None:
            break
        first_id, changes = session.exec(
            select(func.min(Event.id), func.count()).where(Event.group_id == newest.group_id)
        ).one()
        out.append(
            {
                "group_id": newest.group_id,
                "summary": newest.summary,
                "origin": newest.origin,
                "at": iso(newest.at),
                "changes": changes,
                "undone": newest.undone_at is not None,
                "undone_at": iso(newest.undone_at),
            }
        )
        below = first_id
    return out


def tag_names(session: Session, evs: list[Event]) -> dict[int, str]:
    """Return the names of the tags that tag-link events point at."""
    ids = {(ev.after or ev.before or {}).get("tag_id") for ev in evs if ev.entity.endswith("_tag")}
    ids.discard(None)
    if not ids:
        return {}
    rows = session.exec(select(Tag.id, Tag.name).where(col(Tag.id).in_(ids)))
    return {int(i or 0): str(n) for i, n in rows}


def event_dict(ev: Event, tags: dict[int, str] | None = None) -> HistoryEvent:
    """Describe one event for people and scripts (a tag link carries the tag's name)."""
    out: HistoryEvent = {
        "id": ev.id,
        "group_id": ev.group_id,
        "at": iso(ev.at),
        "origin": ev.origin,
        "summary": ev.summary,
        "entity": ev.entity,
        "entity_id": ev.entity_id,
        "action": ev.action,
        "before": ev.before,
        "after": ev.after,
        "undone": ev.undone_at is not None,
    }
    if ev.entity.endswith("_tag"):
        tag_id = (ev.after or ev.before or {}).get("tag_id")
        out["tag"] = (tags or {}).get(tag_id) if tag_id is not None else None
    return out


def changed_fields(ev: Event) -> list[str]:
    """Return the names of the columns an update event changed, bookkeeping left out."""
    keys = set((ev.after or {}).keys()) | set((ev.before or {}).keys())
    return sorted(keys - QUIET_COLUMNS)


def record_events(session: Session, kind: str, record_id: int, limit: int = 50) -> list[Event]:
    """Return one record's events, newest first: the row itself, its tags and (for a contact)
    its emails, phones and web addresses."""
    entity = kind.replace("-", "_")
    own = list(
        session.exec(
            select(Event)
            .where(Event.entity == entity, Event.entity_id == str(record_id))
            .order_by(col(Event.id).desc())
            .limit(limit)
        )
    )
    # tag links are keyed "record_id/tag_id": a range on the (entity, entity_id) index
    links = list(
        session.exec(
            select(Event)
            .where(
                Event.entity == f"{entity}_tag",
                col(Event.entity_id) >= f"{record_id}/",
                col(Event.entity_id) < f"{record_id}0",
            )
            .order_by(col(Event.id).desc())
            .limit(limit)
        )
    )
    children: list[Event] = []
    groups = {ev.group_id for ev in own}
    if kind == "contact" and groups:
        for ev in session.exec(
            select(Event).where(
                col(Event.group_id).in_(groups), col(Event.entity).in_(_CONTACT_CHILDREN)
            )
        ):
            row = ev.after or ev.before or {}
            if row.get("contact_id") == record_id:
                children.append(ev)
    merged = {ev.id: ev for ev in [*own, *links, *children]}
    return sorted(merged.values(), key=lambda ev: ev.id or 0, reverse=True)[:limit]
