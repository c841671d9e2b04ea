"""A record's timeline: interactions, stage changes, follow-ups and edits, newest first, as
`TimelineEntry`s (what `crm timeline --json` prints and the board shows)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from tinycrm.core.edits import get_record
from tinycrm.core.events import changed_fields
from tinycrm.core.views import iso
from tinycrm.domain.due import due_of
from tinycrm.domain.values import FollowUpStatus
from tinycrm.store.models import Contact, Deal, Event, FollowUp, Interaction, Stage, StageChange
from tinycrm.store.query import live

if TYPE_CHECKING:
    from tinycrm.domain.rows import TimelineEntry

# An entry with the moment it is sorted by.
Dated = tuple[datetime, "TimelineEntry"]

KINDS = ("contact", "company", "deal")
# Update events that a stage change already tells about.
_STAGE_COLUMNS = {"stage_id"}


def _deal_ids(kind: str, record_id: int) -> Any:
    """The ids of the deals that belong to a record, as a subquery (or the deal itself)."""
    column = col(Deal.contact_id) if kind == "contact" else col(Deal.company_id)
    return select(Deal.id).where(column == record_id)


def _interactions(session: Session, kind: str, record_id: int, limit: int) -> list[Dated]:
    query = (
        select(Interaction, Contact.name, Deal.title)
        .outerjoin(Contact, col(Contact.id) == Interaction.contact_id)
        .outerjoin(Deal, col(Deal.id) == Interaction.deal_id)
        .where(live(Interaction))
    )
    if kind == "contact":
        query = query.where(Interaction.contact_id == record_id)
    elif kind == "deal":
        query = query.where(Interaction.deal_id == record_id)
    else:
        people = select(Contact.id).where(Contact.company_id == record_id)
        query = query.where(
            or_(
                col(Interaction.contact_id).in_(people),
                col(Interaction.deal_id).in_(_deal_ids(kind, record_id)),
            )
        )
    rows = session.exec(query.order_by(col(Interaction.occurred_at).desc()).limit(limit)).all()
    out: list[Dated] = []
    for item, contact_name, deal_title in rows:
        out.append(
            (
                item.occurred_at,
                {
                    "at": iso(item.occurred_at),
                    "type": "interaction",
                    "summary": item.summary,
                    "id": item.id,
                    "kind": item.kind,
                    "direction": item.direction,
                    "contact": {"id": item.contact_id, "name": contact_name}
                    if item.contact_id
                    else None,
                    "deal": {"id": item.deal_id, "title": deal_title} if item.deal_id else None,
                },
            )
        )
    return out


def _stage_changes(session: Session, kind: str, record_id: int, limit: int) -> list[Dated]:
    query = select(StageChange, Deal.title).join(Deal, col(Deal.id) == StageChange.deal_id)
    if kind == "deal":
        query = query.where(StageChange.deal_id == record_id)
    else:
        query = query.where(col(StageChange.deal_id).in_(_deal_ids(kind, record_id)))
    rows = session.exec(query.order_by(col(StageChange.at).desc()).limit(limit)).all()
    ids = {c.from_stage_id for c, _ in rows} | {c.to_stage_id for c, _ in rows}
    names = {
        s.id: s.name for s in session.exec(select(Stage).where(col(Stage.id).in_(ids - {None})))
    }
    out: list[Dated] = []
    for change, title in rows:
        src, dst = names.get(change.from_stage_id), names.get(change.to_stage_id)
        summary = f"{src} -> {dst}" if change.from_stage_id is not None else f"created in {dst}"
        out.append(
            (
                change.at,
                {
                    "at": iso(change.at),
                    "type": "stage",
                    "summary": summary,
                    "from": src,
                    "to": dst,
                    "deal": {"id": change.deal_id, "title": title},
                },
            )
        )
    return out


def _follow_up_time(fu: FollowUp) -> datetime:
    """When a follow-up stands in the timeline: when it was done or cancelled, else when it
    is due."""
    if fu.status == FollowUpStatus.DONE and fu.completed_at is not None:
        return fu.completed_at
    if fu.status == FollowUpStatus.CANCELLED:
        return fu.updated_at
    return due_of(fu)


def _follow_ups(session: Session, kind: str, record_id: int, limit: int) -> list[Dated]:
    query = (
        select(FollowUp, Deal.title)
        .outerjoin(Deal, col(Deal.id) == FollowUp.deal_id)
        .where(live(FollowUp))
    )
    if kind == "contact":
        query = query.where(FollowUp.contact_id == record_id)
    elif kind == "deal":
        query = query.where(FollowUp.deal_id == record_id)
    else:
        people = select(Contact.id).where(Contact.company_id == record_id)
        query = query.where(
            or_(
                col(FollowUp.contact_id).in_(people),
                col(FollowUp.deal_id).in_(_deal_ids(kind, record_id)),
            )
        )
    rows = session.exec(query.order_by(col(FollowUp.due_at).desc()).limit(limit)).all()
    return [
        (
            _follow_up_time(fu),
            {
                "at": iso(_follow_up_time(fu)),
                "type": "follow-up",
                "summary": fu.title,
                "id": fu.id,
                "status": fu.status,
                "due_at": iso(fu.due_at),
                "deal": {"id": fu.deal_id, "title": deal_title} if fu.deal_id else None,
            },
        )
        for fu, deal_title in rows
    ]


def _edits(session: Session, kind: str, record_id: int, limit: int) -> list[Dated]:
    rows = session.exec(
        select(Event)
        .where(
            Event.entity == kind,
            Event.entity_id == str(record_id),
            col(Event.undone_at).is_(None),
        )
        .order_by(col(Event.id).desc())
        .limit(limit)
    ).all()
    # one entry per command: its events on this record, their changed fields together
    groups: dict[str, Dated] = {}
    for ev in rows:
        fields = changed_fields(ev) if ev.action == "update" else []
        changes = [
            f"{name}: {_shown((ev.before or {}).get(name))} -> {_shown((ev.after or {}).get(name))}"
            for name in fields
        ]
        if ev.action == "update" and _STAGE_COLUMNS & set(fields):
            continue
        if ev.action == "create" and kind == "deal":
            continue  # the first stage change says "created in …"
        found = groups.get(ev.group_id)
        if found is None:
            groups[ev.group_id] = (
                ev.at,
                {
                    "at": iso(ev.at),
                    "type": "created" if ev.action == "create" else "edit",
                    "summary": ev.summary,
                    "fields": fields,
                    "changes": changes,
                    "origin": ev.origin,
                },
            )
        else:
            entry = found[1]
            entry["fields"] = sorted(set(entry.get("fields", [])) | set(fields))
            entry["changes"] = entry.get("changes", []) + changes
            if ev.action == "create":
                entry["type"] = "created"
    for _, entry in groups.values():
        if not entry["summary"]:
            entry["summary"] = "; ".join(entry.get("changes", [])) or entry["type"]
    return list(groups.values())


def _shown(value: Any) -> str:
    return "(none)" if value is None or value == "" else str(value)


def label(entry: TimelineEntry) -> str:
    """Return the short 'what' of a timeline entry: 'call (out)', 'follow-up (done)', 'stage'."""
    kind = entry["type"]
    if kind == "interaction":
        arrow = {"in": " (in)", "out": " (out)"}.get(entry.get("direction") or "", "")
        return f"{entry['kind']}{arrow}"
    if kind == "follow-up":
        return f"follow-up ({entry['status']})"
    return str(kind)


def timeline(session: Session, kind: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
    """Return what happened to a contact, company or deal, newest first, at most `limit`."""
    get_record(session, kind, record_id)
    entries = (
        _interactions(session, kind, record_id, limit)
        + _stage_changes(session, kind, record_id, limit)
        + _follow_ups(session, kind, record_id, limit)
        + _edits(session, kind, record_id, limit)
    )
    entries.sort(key=lambda dated: dated[0], reverse=True)
    return [entry for _, entry in entries[:limit]]
