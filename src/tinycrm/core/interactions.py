"""Interactions: calls, emails, meetings, messages and notes logged on a contact (and a deal)."""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo

from sqlmodel import Session

from tinycrm.core import runs
from tinycrm.domain.dates import ISO_CALENDAR, Calendar, local_tz, parse_when
from tinycrm.domain.rows import InteractionView
from tinycrm.domain.text import clean, fold
from tinycrm.domain.values import DIRECTIONS, INTERACTION_KINDS
from tinycrm.errors import ValidationError
from tinycrm.store import history
from tinycrm.store.models import Contact, Deal, Interaction


def check_kind(kind: str) -> str:
    """Return a known interaction kind (call, email, meeting, message, note)."""
    key = fold(kind)
    if key not in INTERACTION_KINDS:
        raise ValidationError(
            f"not an interaction kind: {kind!r}", hint=f"use one of: {', '.join(INTERACTION_KINDS)}"
        )
    return key


def check_direction(direction: str | None) -> str | None:
    """Return 'in', 'out' or None."""
    if direction is None:
        return None
    key = fold(direction)
    if key not in DIRECTIONS:
        raise ValidationError(f"not a direction: {direction!r}", hint="in or out")
    return key


def when_it_happened(
    text: str | None,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: Calendar = ISO_CALENDAR,
) -> datetime:
    """Read when an interaction happened: now if not given; read as a past moment (a time
    alone is today's, 'fri' the last Friday, '3 days ago'); a day alone is that day's start
    (or now, for today); a time in the future is refused."""
    if text is None or not text.strip():
        return now
    tz = tz or local_tz()
    when = parse_when(text, now, tz, calendar, past=True)
    today = when.all_day and when.day(tz) == now.astimezone(tz).date()
    at = now if today else when.at
    if at > now:
        raise ValidationError(
            f"{text!r} is in the future; an interaction is something that happened",
            hint="to plan something, add a follow-up",
        )
    return at


def log_interaction(
    session: Session,
    kind: str,
    summary: str,
    *,
    now: datetime,
    at: datetime | None = None,
    contact: Contact | None = None,
    deal: Deal | None = None,
    direction: str | None = None,
    message_id: str | None = None,
) -> Interaction:
    """Record an interaction on a contact (or, given a deal alone, on the deal's contact);
    `message_id` is the Message-ID of an email logged from mail or sent by `crm mail`.

    An inbound one (direction `in`: they replied) stops the contact's active sequence runs
    that are not kept on a reply (`runs.stop_on_reply`); `runs.stopped_by_reply` says which."""
    text = clean(summary)
    if not text:
        raise ValidationError("an interaction needs a summary, e.g. 'called about the proposal'")
    if contact is None and deal is None:
        raise ValidationError("an interaction is logged on a contact or a deal")
    if contact is not None and deal is not None and deal.contact_id not in (None, contact.id):
        raise ValidationError(
            f"deal #{deal.id} {deal.title} belongs to another contact",
            hint="log it on that contact, or leave --deal out",
        )
    contact_id = contact.id if contact is not None else (deal.contact_id if deal else None)
    interaction = Interaction(
        uuid=str(uuid.uuid4()),
        contact_id=contact_id,
        deal_id=deal.id if deal is not None else None,
        kind=check_kind(kind),
        direction=check_direction(direction),
        occurred_at=at or now,
        summary=text,
        created_at=now,
        updated_at=now,
        message_id=message_id,
    )
    person = contact or (
        session.get(Contact, deal.contact_id) if deal and deal.contact_id else None
    )
    who = person.name if person else deal.title if deal else ""
    history.describe(session, f"log {interaction.kind} with {who}")
    session.add(interaction)
    session.flush()
    if interaction.direction == "in" and contact_id is not None:
        runs.stop_on_reply(session, contact_id, interaction.occurred_at, now)
    return interaction


def interaction_dict(session: Session, interaction: Interaction) -> InteractionView:
    """Describe an interaction (what `crm log --json` prints)."""
    from tinycrm.core.views import iso

    contact = session.get(Contact, interaction.contact_id) if interaction.contact_id else None
    deal = session.get(Deal, interaction.deal_id) if interaction.deal_id else None
    return {
        "kind": "interaction",
        "id": interaction.id,
        "uuid": interaction.uuid,
        "type": interaction.kind,
        "direction": interaction.direction,
        "occurred_at": iso(interaction.occurred_at),
        "summary": interaction.summary,
        "contact": {"id": contact.id, "name": contact.name} if contact else None,
        "deal": {"id": deal.id, "title": deal.title} if deal else None,
        "created_at": iso(interaction.created_at),
    }
