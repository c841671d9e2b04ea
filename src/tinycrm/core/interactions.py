"""Interactions: calls, emails, meetings, messages and notes on a contact or a deal."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from tinycrm.core.models import DIRECTIONS, INTERACTION_KINDS, Contact, Deal, Interaction
from tinycrm.core.text import clean, fold
from tinycrm.errors import ValidationError


def check_kind(kind: str) -> str:
    """Return a known interaction kind (call, email, meeting, message, note) or raise."""
    key = fold(kind)
    if key not in INTERACTION_KINDS:
        raise ValidationError(
            f"not an interaction kind: {kind!r}", hint=f"use one of: {', '.join(INTERACTION_KINDS)}"
        )
    return key


def add_interaction(
    session: Session,
    summary: str,
    *,
    now: datetime,
    kind: str = "note",
    contact: Contact | None = None,
    deal: Deal | None = None,
    direction: str | None = None,
    occurred_at: datetime | None = None,
) -> Interaction:
    """Record something that happened with a contact (and optionally about a deal)."""
    text = clean(summary) or ""
    if not text:
        raise ValidationError("an interaction needs a summary, e.g. 'called, sent the quote'")
    if contact is None and deal is None:
        raise ValidationError("an interaction is with a contact or about a deal")
    if direction is not None and direction not in DIRECTIONS:
        raise ValidationError(f"not a direction: {direction!r}", hint="in or out")
    contact_id = contact.id if contact else (deal.contact_id if deal else None)
    row = Interaction(
        uuid=str(uuid.uuid4()),
        contact_id=contact_id,
        deal_id=deal.id if deal else None,
        kind=check_kind(kind),
        direction=direction,
        occurred_at=occurred_at or now,
        summary=text,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row
