"""Follow-ups: add, complete (recurring ones schedule their next occurrence), snooze, cancel,
and the agenda of what is overdue, due today and coming up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlmodel import Session, col, select

from tinycrm.core.dates import When, local_tz
from tinycrm.core.models import Contact, Deal, FollowUp
from tinycrm.core.text import clean
from tinycrm.errors import ConflictError, NotFoundError, ValidationError


def check_rrule(rule: str, start: datetime) -> str:
    """Return an RFC 5545 RRULE (without the 'RRULE:' prefix) or raise ValidationError."""
    from dateutil.rrule import rrulestr

    text = rule.strip().removeprefix("RRULE:").upper()
    try:
        rrulestr(text, dtstart=start.replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            f"not a recurrence rule: {rule!r} ({exc})",
            hint="write it like FREQ=WEEKLY;INTERVAL=2 or FREQ=MONTHLY;BYDAY=1MO",
        ) from None
    return text


def next_occurrence(fu: FollowUp, tz: tzinfo | None = None) -> datetime | None:
    """Return when a recurring follow-up falls due after its current due time, from its rule.

    The rule is evaluated in local wall-clock time, so '9am every Monday' stays 9am across a
    daylight-saving change.
    """
    if not fu.rrule:
        return None
    from dateutil.rrule import rrulestr

    tz = tz or local_tz()
    local_due = fu.due_at.astimezone(tz).replace(tzinfo=None)
    rule = rrulestr(fu.rrule, dtstart=local_due)
    following = rule.after(local_due, inc=False)
    if following is None:
        return None
    return _localize(following, tz).astimezone(UTC)


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach `tz` to a naive local time (zoneinfo-style tzinfo or a fixed offset)."""
    return naive.replace(tzinfo=tz)


def add_follow_up(
    session: Session,
    title: str,
    due: When,
    *,
    now: datetime,
    contact: Contact | None = None,
    deal: Deal | None = None,
    rrule: str | None = None,
    priority: bool = False,
) -> FollowUp:
    """Create an open follow-up about a contact and/or a deal."""
    title = clean(title) or ""
    if not title:
        raise ValidationError("a follow-up needs a title, e.g. 'send proposal'")
    if contact is None and deal is None:
        raise ValidationError("a follow-up is about a contact or a deal")
    contact_id = contact.id if contact else (deal.contact_id if deal else None)
    fu = FollowUp(
        uuid=str(uuid.uuid4()),
        contact_id=contact_id,
        deal_id=deal.id if deal else None,
        title=title,
        due_at=due.at,
        all_day=due.all_day,
        rrule=check_rrule(rrule, due.at) if rrule else None,
        priority=priority,
        status="open",
        created_at=now,
        updated_at=now,
    )
    session.add(fu)
    session.flush()
    return fu


def get_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    """Return a follow-up by id, or raise NotFoundError."""
    fu = session.get(FollowUp, follow_up_id)
    if fu is None or fu.deleted_at is not None:
        raise NotFoundError(f"no follow-up #{follow_up_id}", hint="crm agenda lists them")
    return fu


def _require_open(fu: FollowUp) -> None:
    if fu.status != "open":
        raise ConflictError(f"follow-up #{fu.id} {fu.title} is already {fu.status}")


def complete(
    session: Session, fu: FollowUp, now: datetime, tz: tzinfo | None = None
) -> FollowUp | None:
    """Mark a follow-up done. A recurring one moves to its next occurrence (from its rule,
    not from today) and stays open; return that next occurrence's follow-up, or None."""
    _require_open(fu)
    following = next_occurrence(fu, tz)
    if following is not None:
        fu.due_at = following
        fu.snoozed_until = None
        fu.updated_at = now
        session.add(fu)
        session.flush()
        return fu
    fu.status = "done"
    fu.completed_at = now
    fu.updated_at = now
    session.add(fu)
    session.flush()
    return None


def snooze(session: Session, fu: FollowUp, until: datetime, now: datetime) -> FollowUp:
    """Hide a follow-up until a later time; it is due (and reminded) again then."""
    _require_open(fu)
    if until <= now:
        raise ValidationError("snooze to a time in the future")
    fu.snoozed_until = until
    fu.updated_at = now
    session.add(fu)
    session.flush()
    return fu


def cancel(session: Session, fu: FollowUp, now: datetime) -> FollowUp:
    """Cancel a follow-up (it stays in the timeline)."""
    _require_open(fu)
    fu.status = "cancelled"
    fu.updated_at = now
    session.add(fu)
    session.flush()
    return fu


def effective_due(fu: FollowUp) -> datetime:
    """Return when a follow-up is next due: its snooze time if snoozed, else its due time."""
    return fu.snoozed_until if fu.snoozed_until is not None else fu.due_at


@dataclass(frozen=True)
class AgendaItem:
    """One line of the agenda."""

    follow_up: FollowUp
    due: datetime
    bucket: str  # overdue, today, upcoming
    contact_name: str | None
    deal_title: str | None


def agenda(
    session: Session, now: datetime, days: int = 7, tz: tzinfo | None = None
) -> list[AgendaItem]:
    """Return open follow-ups that are overdue, due today, or due in the next `days` days."""
    tz = tz or local_tz()
    today = now.astimezone(tz).date()
    horizon = datetime.combine(today + timedelta(days=days + 1), time(0), tz).astimezone(UTC)
    due_col = col(FollowUp.due_at)
    rows = session.exec(
        select(FollowUp, Contact.name, Deal.title)
        .outerjoin(Contact, col(Contact.id) == FollowUp.contact_id)
        .outerjoin(Deal, col(Deal.id) == FollowUp.deal_id)
        .where(
            FollowUp.status == "open",
            col(FollowUp.deleted_at).is_(None),
            (due_col < horizon) | (col(FollowUp.snoozed_until) < horizon),
        )
    ).all()
    items = []
    for fu, contact_name, deal_title in rows:
        due = effective_due(fu)
        if due >= horizon:
            continue
        if fu.all_day:
            day = due.astimezone(tz).date()
            bucket = "overdue" if day < today else "today" if day == today else "upcoming"
        else:
            bucket = (
                "overdue"
                if due <= now
                else "today"
                if due.astimezone(tz).date() == today
                else "upcoming"
            )
        items.append(AgendaItem(fu, due, bucket, contact_name, deal_title))
    order = {"overdue": 0, "today": 1, "upcoming": 2}
    items.sort(key=lambda i: (order[i.bucket], i.due, not i.follow_up.priority, i.follow_up.id))
    return items


def day_of(fu: FollowUp, tz: tzinfo | None = None) -> date:
    """Return the local day a follow-up is due."""
    return effective_due(fu).astimezone(tz or local_tz()).date()
