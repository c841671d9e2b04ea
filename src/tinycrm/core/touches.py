"""Keep-in-touch cadences: which contacts are due for a touch, computed from their last
interaction (no stored state), plus the agenda buckets shared with follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col

from tinycrm.domain.dates import at_local
from tinycrm.store.models import Contact, Interaction
from tinycrm.store.query import live

if TYPE_CHECKING:
    from sqlalchemy.sql import Select
    from sqlmodel import Session


def touch_query() -> Select[Any]:
    """One row per contact with a cadence: id, name, cadence, created_at, touch_notified_for,
    last interaction, uuid. The last interaction comes from the (contact_id, occurred_at)
    index, so this stays cheap however long the timeline is."""
    last_at = (
        select(func.max(Interaction.occurred_at))
        .where(col(Interaction.contact_id) == Contact.id, live(Interaction))
        .correlate(Contact)
        .scalar_subquery()
    )
    query: Select[Any] = select(
        Contact.id,
        Contact.name,
        Contact.keep_in_touch_days,
        Contact.created_at,
        Contact.touch_notified_for,
        last_at,
        Contact.uuid,
    ).where(col(Contact.keep_in_touch_days).is_not(None), live(Contact))
    return query


@dataclass(frozen=True)
class TouchDue:
    """A contact whose keep-in-touch cadence says it is time for a touch (on `due`'s day)."""

    contact_id: int
    contact_name: str
    cadence_days: int
    last_at: datetime
    had_interaction: bool
    due: datetime
    notified_for: datetime | None
    uuid: str = ""


def touches_due(session: Session, tz: tzinfo, contact_id: int | None = None) -> list[TouchDue]:
    """Return every contact with a cadence (or the one with `contact_id`) and when it is next
    due for a touch: on the local day that is `cadence` days after the last interaction (or
    after the contact was added)."""
    query = touch_query()
    if contact_id is not None:
        query = query.where(col(Contact.id) == contact_id)
    found = []
    for row in session.connection().execute(query):
        contact, name, days, created_at, notified_for, last_at, contact_uuid = row
        last: datetime = last_at or created_at
        day = last.astimezone(tz).date() + timedelta(days=days)
        found.append(
            TouchDue(
                contact_id=contact,
                contact_name=name,
                cadence_days=days,
                last_at=last,
                had_interaction=last_at is not None,
                due=at_local(day, time(0), tz),
                notified_for=notified_for,
                uuid=contact_uuid,
            )
        )
    return found
