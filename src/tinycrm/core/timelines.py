"""A record's timeline: interactions, stage changes, follow-ups and edits, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from tinycrm.core import deals
from tinycrm.core.models import Event, FollowUp, Interaction

# Fields whose edits are worth a line in a timeline (bookkeeping fields are left out).
_QUIET = {"updated_at", "stage_entered_at", "title_key", "name_key", "closed_at", "uuid"}


@dataclass(frozen=True)
class Entry:
    """One thing that happened to a record."""

    at: datetime
    kind: str  # interaction, stage, follow-up, edit
    text: str


def _aware(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def timeline(session: Session, kind: str, record_id: int, limit: int = 200) -> list[Entry]:
    """Return what happened to a contact, company or deal, newest first."""
    entries: list[Entry] = []
    owner = {"deal": Interaction.deal_id, "contact": Interaction.contact_id}.get(kind)
    if owner is not None:
        for i in session.exec(
            select(Interaction)
            .where(owner == record_id, col(Interaction.deleted_at).is_(None))
            .order_by(col(Interaction.occurred_at).desc())
            .limit(limit)
        ):
            way = f" ({i.direction})" if i.direction else ""
            entries.append(Entry(i.occurred_at, "interaction", f"{i.kind}{way}: {i.summary}"))
        fu_owner = FollowUp.deal_id if kind == "deal" else FollowUp.contact_id
        for fu in session.exec(
            select(FollowUp)
            .where(fu_owner == record_id, col(FollowUp.deleted_at).is_(None))
            .order_by(col(FollowUp.due_at).desc())
            .limit(limit)
        ):
            entries.append(Entry(fu.created_at, "follow-up", f"follow-up added: {fu.title}"))
            if fu.status == "done" and fu.completed_at is not None:
                entries.append(Entry(fu.completed_at, "follow-up", f"follow-up done: {fu.title}"))
    if kind == "deal":
        for change, src, dst in deals.stage_history(session, record_id):
            text = f"moved {src} -> {dst}" if src and src != dst else f"entered {dst}"
            if change.from_stage_id is None:
                text = f"created in {dst}"
            entries.append(Entry(change.at, "stage", text))
    entries.extend(_edits(session, kind, record_id, limit))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _edits(session: Session, kind: str, record_id: int, limit: int) -> list[Entry]:
    """Return the record's own updates from the history (what changed, from what to what)."""
    out = []
    for ev in session.exec(
        select(Event)
        .where(
            Event.entity == kind,
            Event.entity_id == str(record_id),
            or_(Event.action == "update", Event.action == "delete"),
            col(Event.undone_at).is_(None),
        )
        .order_by(col(Event.id).desc())
        .limit(limit)
    ):
        after = ev.after or {}
        before = ev.before or {}
        parts = [
            f"{k}: {before.get(k)!s} -> {v!s}"
            for k, v in sorted(after.items())
            if k not in _QUIET and k not in ("stage_id",)
        ]
        if "status" in after:
            parts = [p for p in parts if not p.startswith("status")]
            parts.insert(0, f"marked {after['status']}")
        if parts:
            out.append(Entry(_aware(ev.at), "edit", "; ".join(parts)))
    return out
