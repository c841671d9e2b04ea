"""iCalendar export of follow-ups as to-dos (VTODO) or events (VEVENT), with stable UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, select
from sqlmodel import col

from tinycrm import __version__
from tinycrm.domain import recurrence
from tinycrm.domain.dates import stored_time
from tinycrm.io.vcardlines import escape, fold
from tinycrm.store import query
from tinycrm.store.models import Contact, Deal, FollowUp

if TYPE_CHECKING:
    from tinycrm.store.db import Database

PRODID = f"-//tinycrm//tinycrm {__version__}//EN"
EVENT_MINUTES = 30
_TODO_STATUS = {"open": "NEEDS-ACTION", "done": "COMPLETED", "cancelled": "CANCELLED"}
_EVENT_STATUS = {"open": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


# What the calendar reads of a follow-up, by name.
_NAMES = ("id", "uuid", "title", "due_at", "all_day", "rrule", "priority", "status",
          "snoozed_until", "completed_at", "created_at", "updated_at", "contact",
          "deal", "due")  # fmt: skip
_FOLLOW_UP: list[Any] = [
    FollowUp.id, FollowUp.uuid, FollowUp.title, FollowUp.due_at, FollowUp.all_day,
    FollowUp.rrule, FollowUp.priority, FollowUp.status, FollowUp.snoozed_until,
    FollowUp.completed_at, FollowUp.created_at, FollowUp.updated_at, Contact.name, Deal.title,
    query.due_time(),
]  # fmt: skip


def follow_ups(db: Database, include_closed: bool) -> list[dict[str, Any]]:
    """Return follow-ups (open ones unless `include_closed`) with their contact and deal."""
    wanted = query.live(FollowUp)
    if not include_closed:
        wanted = and_(wanted, col(FollowUp.status) == "open")
    statement = (
        select(*_FOLLOW_UP)
        .outerjoin(Contact, col(Contact.id) == FollowUp.contact_id)
        .outerjoin(Deal, col(Deal.id) == FollowUp.deal_id)
        .where(wanted)
        .order_by(col(FollowUp.due_at), col(FollowUp.id))
    )
    with db.snapshot() as session:
        rows = session.connection().execute(statement).all()
    return [dict(zip(_NAMES, row, strict=True)) for row in rows]


def _shifted(stamp: str, later: timedelta) -> str:
    """Return an iCalendar time (UTC with Z, or floating) `later`, in the same form."""
    utc = stamp.endswith("Z")
    moment = datetime.strptime(stamp.removesuffix("Z"), "%Y%m%dT%H%M%S") + later
    return moment.strftime("%Y%m%dT%H%M%S") + ("Z" if utc else "")


def _component(fu: dict[str, Any], as_events: bool) -> list[str]:
    from tinycrm.domain.dates import local_tz

    due = stored_time(fu["due"])
    assert due is not None
    updated = stored_time(fu["updated_at"]) or due
    created = stored_time(fu["created_at"]) or due
    kind = "VEVENT" if as_events else "VTODO"
    lines = [
        f"BEGIN:{kind}",
        f"UID:{fu['uuid']}@tinycrm",
        f"DTSTAMP:{_utc(updated)}",
        f"CREATED:{_utc(created)}",
        f"LAST-MODIFIED:{_utc(updated)}",
        f"SUMMARY:{escape(fu['title'])}",
    ]
    about = [f"Contact: {fu['contact']}" if fu["contact"] else "",
             f"Deal: {fu['deal']}" if fu["deal"] else ""]  # fmt: skip
    if any(about):
        lines.append("DESCRIPTION:" + escape("\n".join(a for a in about if a)))
    all_day = bool(fu["all_day"])
    local = due.astimezone(local_tz())
    day = local.date()
    if all_day:
        start = f";VALUE=DATE:{_day(day)}"
    elif fu["rrule"]:
        # tinycrm repeats in local wall-clock time (9am stays 9am across daylight saving),
        # which is what a floating local time means to a calendar
        start = f":{local.strftime('%Y%m%dT%H%M%S')}"
    else:
        start = f":{_utc(due)}"
    if as_events:
        end = (
            f";VALUE=DATE:{_day(day + timedelta(days=1))}"
            if all_day
            else start[:1] + _shifted(start[1:], timedelta(minutes=EVENT_MINUTES))
        )
        lines += [f"DTSTART{start}", f"DTEND{end}"]
    elif fu["rrule"]:
        # the rule repeats from DTSTART, the due time; RFC 5545 wants a to-do's DUE later than
        # its DTSTART: the end of an all-day one's day, a second after a timed one's time
        due_end = (
            f";VALUE=DATE:{_day(day + timedelta(days=1))}"
            if all_day
            else start[:1] + _shifted(start[1:], timedelta(seconds=1))
        )
        lines += [f"DTSTART{start}", f"DUE{due_end}"]
    else:
        lines.append(f"DUE{start}")
    if fu["rrule"]:
        # a floating or all-day start takes a floating or all-day UNTIL (RFC 5545)
        lines.append(f"RRULE:{recurrence.local_until(fu['rrule'], local_tz(), all_day)}")
    statuses = _EVENT_STATUS if as_events else _TODO_STATUS
    lines.append(f"STATUS:{statuses.get(fu['status'], 'NEEDS-ACTION')}")
    if not as_events and fu["status"] == "done" and fu["completed_at"]:
        completed = stored_time(fu["completed_at"])
        assert completed is not None
        lines.append(f"COMPLETED:{_utc(completed)}")
    lines.append(f"PRIORITY:{1 if fu['priority'] else 0}")
    if fu["status"] == "open":
        # a to-do's reminder is set from its due time: DUE, or the DTSTART a rule repeats from
        related = "" if as_events or fu["rrule"] else ";RELATED=END"
        trigger = "PT9H" if all_day else "-PT15M"
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape(fu['title'])}",
            f"TRIGGER{related}:{trigger}",
            "END:VALARM",
        ]
    lines.append(f"END:{kind}")
    return lines


def calendar_text(items: list[dict[str, Any]], as_events: bool = False) -> str:
    """Render follow-ups as one VCALENDAR with CRLF line endings and folded lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:tinycrm follow-ups"]  # fmt: skip
    for fu in items:
        lines += _component(fu, as_events)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)


def export_calendar(db: Database, *, as_events: bool = False, include_closed: bool = False) -> str:
    """Return the follow-ups as iCalendar text (to-dos, or events with `as_events`).

    UIDs are the follow-ups' UUIDs, so a calendar that imports the file again updates its
    entries instead of duplicating them. DTSTAMP is the follow-up's last change, which keeps
    the file the same until something changes.
    """
    return calendar_text(follow_ups(db, include_closed), as_events)
