"""The agenda: open follow-ups overdue, due today or coming up, and contacts due for a touch.

Read with SQL text on any reader (a session, or a plain `Database.snapshot()`), so `crm
agenda` — the command cron and shell prompts run most — needs no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.core.touches import (
    LIVE_PARENTS,
    TOUCH_SQL,
    TouchDue,
    touches_from_rows,
)
from tinycrm.domain.dates import at_local, iso, local_tz, stored_time
from tinycrm.domain.due import bucket_of, whole_day
from tinycrm.store.reader import fetch

if TYPE_CHECKING:
    from tinycrm.store.models import FollowUp
    from tinycrm.store.reader import Reader


@dataclass(frozen=True)
class AgendaFollowUp:
    """What the agenda shows of a follow-up: plain values, not a database object (an agenda
    of 10,000 overdue follow-ups would spend most of its time building those)."""

    id: int
    title: str
    due_at: datetime
    all_day: bool
    rrule: str | None
    priority: bool
    snoozed_until: datetime | None
    contact_id: int | None
    deal_id: int | None


def effective_due(fu: FollowUp | AgendaFollowUp) -> datetime:
    """Return when a follow-up is next due: its snooze time if snoozed, else its due time."""
    return fu.snoozed_until if fu.snoozed_until is not None else fu.due_at


@dataclass(frozen=True)
class AgendaItem:
    """One line of the agenda."""

    follow_up: AgendaFollowUp
    due: datetime
    bucket: str  # overdue, today, upcoming
    contact_name: str | None
    deal_title: str | None
    deal_stage: str | None = None
    all_day: bool = False


_OPEN_FOLLOW_UPS = f"""
SELECT follow_up.id, follow_up.title, follow_up.due_at, follow_up.all_day, follow_up.rrule,
       follow_up.priority, follow_up.snoozed_until, follow_up.contact_id, follow_up.deal_id,
       contact.name, deal.title, stage.name
  FROM follow_up
  LEFT OUTER JOIN contact ON contact.id = follow_up.contact_id
  LEFT OUTER JOIN deal ON deal.id = follow_up.deal_id
  LEFT OUTER JOIN stage ON stage.id = deal.stage_id
 WHERE follow_up.status = 'open' AND follow_up.deleted_at IS NULL AND {LIVE_PARENTS}
"""
# two range reads (on the partial indexes of open follow-ups' due and snooze times)
# instead of one OR, which would scan every open follow-up
_DUE_BEFORE = (
    _OPEN_FOLLOW_UPS + " AND follow_up.snoozed_until IS NULL AND follow_up.due_at < :horizon"
)
_SNOOZED_BEFORE = (
    _OPEN_FOLLOW_UPS
    + " AND follow_up.snoozed_until IS NOT NULL AND follow_up.snoozed_until < :horizon"
)

_ORDER = {"overdue": 0, "today": 1, "upcoming": 2}


def _horizon(now: datetime, days: int, tz: tzinfo) -> datetime:
    """The local midnight that ends the last day the agenda shows."""
    today = now.astimezone(tz).date()
    return at_local(today + timedelta(days=days + 1), time(0), tz)


def agenda(
    reader: Reader, now: datetime, days: int = 7, tz: tzinfo | None = None
) -> list[AgendaItem]:
    """Return open follow-ups that are overdue, due today, or due in the next `days` days."""
    from tinycrm.domain.dates import to_stored

    tz = tz or local_tz()
    horizon = _horizon(now, days, tz)
    params = {"horizon": to_stored(horizon)}
    rows = [*fetch(reader, _DUE_BEFORE, params), *fetch(reader, _SNOOZED_BEFORE, params)]
    items = []
    for fid, title, due_at, all_day, rrule, priority, snoozed, contact_id, deal_id, *names in rows:
        due_moment = stored_time(due_at)
        assert due_moment is not None
        fu = AgendaFollowUp(
            fid,
            title,
            due_moment,
            bool(all_day),
            rrule,
            bool(priority),
            stored_time(snoozed),
            contact_id,
            deal_id,
        )
        due = effective_due(fu)
        if due >= horizon:
            continue
        contact_name, deal_title, stage_name = names
        shown_all_day = whole_day(due, fu.all_day, tz)
        items.append(
            AgendaItem(
                fu,
                due,
                bucket_of(due, shown_all_day, now, tz),
                contact_name,
                deal_title,
                stage_name if deal_id is not None else None,
                shown_all_day,
            )
        )
    items.sort(key=lambda i: (_ORDER[i.bucket], i.due, not i.follow_up.priority, i.follow_up.id))
    return items


def touches(
    reader: Reader, now: datetime, days: int = 7, tz: tzinfo | None = None
) -> list[tuple[TouchDue, str]]:
    """Return contacts due for a touch within `days` days, with their agenda bucket."""
    tz = tz or local_tz()
    horizon = _horizon(now, days, tz)
    rows = fetch(reader, TOUCH_SQL)
    items = [
        (t, bucket_of(t.due, True, now, tz)) for t in touches_from_rows(rows, tz) if t.due < horizon
    ]
    items.sort(key=lambda pair: (_ORDER[pair[1]], pair[0].due, pair[0].contact_id))
    return items


def agenda_item_dict(item: AgendaItem) -> dict[str, Any]:
    """Describe one agenda line of a follow-up (`crm agenda --json`)."""
    fu = item.follow_up
    return {
        "kind": "follow-up",
        "bucket": item.bucket,
        "id": fu.id,
        "title": fu.title,
        "due": iso(item.due),
        "all_day": item.all_day,
        "snoozed": fu.snoozed_until is not None,
        "priority": fu.priority,
        "rrule": fu.rrule,
        "contact": {"id": fu.contact_id, "name": item.contact_name} if fu.contact_id else None,
        "deal": (
            {"id": fu.deal_id, "title": item.deal_title, "stage": item.deal_stage}
            if fu.deal_id
            else None
        ),
    }


def touch_dict(touch: TouchDue, bucket: str) -> dict[str, Any]:
    """Describe one agenda line of a contact due for a touch (`crm agenda --json`)."""
    return {
        "kind": "keep-in-touch",
        "bucket": bucket,
        "id": touch.contact_id,
        "title": f"keep in touch with {touch.contact_name}",
        "due": iso(touch.due),
        "all_day": True,
        "cadence_days": touch.cadence_days,
        "last_interaction_at": iso(touch.last_at) if touch.had_interaction else None,
        "contact": {"id": touch.contact_id, "name": touch.contact_name},
        "deal": None,
    }
