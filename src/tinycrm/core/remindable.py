"""What is due to be reminded: the follow-ups, keep-in-touch contacts and contacts' kept dates
(birthdays, anniversaries, other dates) whose occurrence no run has reminded or holds a claim
on, the context a reminder shows (contact, deal, last interaction), and the day's digest.
Nothing here writes."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, time, timedelta, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, bindparam, exists, or_, select, type_coerce, union_all
from sqlmodel import col

from tinycrm.core.occasions import KINDS, occasions
from tinycrm.core.touches import touches_due
from tinycrm.domain.dates import at_local, iso, local_tz, stored_time, to_stored
from tinycrm.domain.due import whole_day
from tinycrm.domain.notices import Reminder
from tinycrm.domain.values import FollowUpStatus
from tinycrm.store.bookkeeping import OCCURRENCE
from tinycrm.store.models import Contact, ContactEmail, Deal, FollowUp, Interaction, Stage
from tinycrm.store.query import due_time, live, live_parents

if TYPE_CHECKING:
    from sqlalchemy.sql import CompoundSelect
    from sqlmodel import Session


def _taken(record_uuid: Any, occurrence: Any) -> Any:
    """An occurrence is taken when it was reminded, or a run holds an unexpired claim on it
    (:stamp is now, as stored)."""
    return exists().where(
        OCCURRENCE.c.record_uuid == record_uuid,
        OCCURRENCE.c.due == occurrence,
        or_(OCCURRENCE.c.reminded_at.is_not(None), OCCURRENCE.c.claimed_until > bindparam("stamp")),
    )


@cache
def due_query() -> CompoundSelect[Any]:
    """Follow-ups that are due by :now and not yet reminded for this occurrence: the first
    branch reads the partial index on open follow-ups' due time, the second the one on
    snoozed ones. The occurrence is read as stored (the key of its claim)."""
    branches = []
    for snoozed in (False, True):
        moment = col(FollowUp.snoozed_until) if snoozed else col(FollowUp.due_at)
        waiting = (
            col(FollowUp.snoozed_until).is_not(None)
            if snoozed
            else col(FollowUp.snoozed_until).is_(None)
        )
        branches.append(
            select(
                FollowUp.id,
                FollowUp.uuid,
                FollowUp.contact_id,
                FollowUp.deal_id,
                FollowUp.title,
                FollowUp.all_day,
                FollowUp.priority,
                FollowUp.rrule,
                type_coerce(moment, String).label("occurrence"),
            ).where(
                col(FollowUp.status) == FollowUpStatus.OPEN,
                waiting,
                moment <= bindparam("now"),
                live(FollowUp),
                or_(col(FollowUp.notified_for).is_(None), col(FollowUp.notified_for) != moment),
                ~_taken(FollowUp.uuid, moment),
                live_parents(),
            )
        )
    return union_all(*branches)


def _remindable(due: datetime, all_day: bool, now: datetime, tz: tzinfo, start: time) -> bool:
    if not all_day:
        return due <= now
    return at_local(due.astimezone(tz).date(), start, tz) <= now


def find_due(
    session: Session,
    now: datetime,
    tz: tzinfo,
    start: time = time(9),
    *,
    kinds: Collection[str] = KINDS,
    days_before: int = 0,
) -> list[Reminder]:
    """Return the follow-ups, keep-in-touch contacts and kept dates (of these `kinds`,
    `days_before` their day) to remind now (nothing is claimed)."""
    conn = session.connection()
    found: list[Reminder] = []
    stamp = to_stored(now)
    for row in conn.execute(due_query(), {"now": now, "stamp": stamp}):
        fid, fuuid, contact_id, deal_id, title, all_day, priority, rrule, occurrence = row
        due = stored_time(occurrence)
        assert due is not None
        all_day = whole_day(due, bool(all_day), tz)
        if not _remindable(due, all_day, now, tz, start):
            continue
        found.append(
            Reminder(
                kind="follow-up",
                id=fid,
                title=title,
                due=due,
                all_day=bool(all_day),
                priority=bool(priority),
                recurring=bool(rrule),
                contact_id=contact_id,
                deal_id=deal_id,
                uuid=fuuid,
                occurrence=occurrence,
            )
        )
    found.sort(key=lambda r: (r.due, not r.priority, r.id))
    waiting = [
        touch
        for touch in touches_due(session, tz)
        if touch.notified_for != touch.due and _remindable(touch.due, True, now, tz, start)
    ]
    taken = _taken_touches(session, [t.uuid for t in waiting], stamp)
    touches = []
    for touch in waiting:
        occurrence = to_stored(touch.due)
        if (touch.uuid, occurrence) in taken:
            continue
        touches.append(
            Reminder(
                kind="keep-in-touch",
                id=touch.contact_id,
                title=touch.contact_name,
                due=touch.due,
                all_day=True,
                contact_id=touch.contact_id,
                uuid=touch.uuid,
                occurrence=occurrence,
            )
        )
    touches.sort(key=lambda r: (r.due, r.id))
    return found + touches + _dates_due(session, now, tz, start, kinds, days_before)


def _dates_due(
    session: Session,
    now: datetime,
    tz: tzinfo,
    start: time,
    kinds: Collection[str],
    days_before: int,
) -> list[Reminder]:
    """The kept dates to remind now: from `start` (local time) on the day `days_before` their
    day until their day ends, a run that missed the moment (the machine was off) reminds
    later, never after the day and never before the moment. An occurrence is the contact's
    uuid and the date's kind, label and day (`Occasion.key`), so each is reminded once a
    year."""
    today = now.astimezone(tz).date()
    waiting = [
        o
        for o in occasions(session, today, today + timedelta(days=days_before), kinds)
        if at_local(o.on - timedelta(days=days_before), start, tz) <= now
    ]
    taken = _taken_touches(session, sorted({o.contact_uuid for o in waiting}), to_stored(now))
    found = []
    for o in waiting:
        if (o.contact_uuid, o.key) in taken:
            continue
        found.append(
            Reminder(
                kind="date",
                id=o.contact_id,
                title=o.title,
                due=at_local(o.on, time(0), tz),
                all_day=True,
                contact_id=o.contact_id,
                uuid=o.contact_uuid,
                occurrence=o.key,
            )
        )
    # two dates of one contact with one kind and label on one day are one occurrence
    return list({(r.uuid, r.occurrence): r for r in found}.values())


def _taken_touches(session: Session, uuids: list[str], stamp: str) -> set[tuple[str, str]]:
    """Return (uuid, occurrence) of the occurrences of these records that are taken: reminded,
    or claimed until after `stamp` (a query per thousand records, on the occurrences' key)."""
    found: set[tuple[str, str]] = set()
    for first in range(0, len(uuids), 1000):
        rows = session.connection().execute(
            select(OCCURRENCE.c.record_uuid, OCCURRENCE.c.due).where(
                OCCURRENCE.c.record_uuid.in_(uuids[first : first + 1000]),
                or_(OCCURRENCE.c.reminded_at.is_not(None), OCCURRENCE.c.claimed_until > stamp),
            )
        )
        found.update((row[0], row[1]) for row in rows)
    return found


def _ids(ids: Iterable[int | None]) -> list[int]:
    return sorted({i for i in ids if i is not None})


def add_context(session: Session, reminders: Sequence[Reminder], prefix: str) -> None:
    """Fill in each reminder's contact, deal and last interaction (three queries in all) and
    the commands to act on it."""
    conn = session.connection()
    deals: dict[int, dict[str, Any]] = {}
    deal_contacts: dict[int, int | None] = {}
    deal_rows = conn.execute(
        select(Deal.id, Deal.title, Deal.status, Stage.name, Deal.contact_id)
        .outerjoin(Stage, col(Stage.id) == Deal.stage_id)
        .where(col(Deal.id).in_(_ids(r.deal_id for r in reminders)))
    )
    for did, title, status, stage, contact_id in deal_rows:
        deals[did] = {"id": did, "title": title, "stage": stage, "status": status}
        deal_contacts[did] = contact_id
    for r in reminders:
        if r.contact_id is None and r.deal_id is not None:
            r.contact_id = deal_contacts.get(r.deal_id)
    contact_ids = _ids(r.contact_id for r in reminders)
    email = (
        select(ContactEmail.email)
        .where(col(ContactEmail.contact_id) == Contact.id)
        .order_by(col(ContactEmail.is_primary).desc(), col(ContactEmail.id))
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
    people: dict[int, dict[str, Any]] = {}
    for cid, name, address in conn.execute(
        select(Contact.id, Contact.name, email).where(col(Contact.id).in_(contact_ids))
    ):
        people[cid] = {"id": cid, "name": name, "email": address}
    # one index probe per contact on (contact_id, occurred_at), whatever the history holds
    newest = (
        select(Interaction.id)
        .where(col(Interaction.contact_id) == Contact.id, live(Interaction))
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
    last: dict[int, dict[str, Any]] = {}
    for cid, kind, summary, occurred in conn.execute(
        select(Contact.id, Interaction.kind, Interaction.summary, Interaction.occurred_at)
        .join(Interaction, col(Interaction.id) == newest)
        .where(col(Contact.id).in_(contact_ids))
    ):
        last[cid] = {"kind": kind, "summary": summary, "occurred_at": iso(occurred)}
    for r in reminders:
        r.contact = people.get(r.contact_id) if r.contact_id is not None else None
        r.deal = deals.get(r.deal_id) if r.deal_id is not None else None
        r.last_interaction = last.get(r.contact_id) if r.contact_id is not None else None
        if r.kind == "follow-up":
            r.commands = [f"{prefix} done {r.id}", f"{prefix} snooze {r.id} tomorrow"]
        elif r.kind == "date":
            r.commands = [f"{prefix} show {r.id} --kind contact"]
        else:
            r.commands = [
                f"{prefix} show {r.id} --kind contact",
                f"{prefix} keep-in-touch {r.id} off",
            ]


def digest(
    session: Session,
    now: datetime,
    tz: tzinfo | None = None,
    prefix: str = "crm",
    kinds: Collection[str] = KINDS,
) -> list[Reminder]:
    """Return the day's agenda (overdue and due today, follow-ups and touches, and the kept
    dates of these `kinds` that fall today); not recorded."""
    tz = tz or local_tz()
    today = now.astimezone(tz).date()
    end = at_local(today + timedelta(days=1), time(0), tz)
    rows = session.connection().execute(
        select(
            FollowUp.id,
            FollowUp.contact_id,
            FollowUp.deal_id,
            FollowUp.title,
            due_time(),
            FollowUp.all_day,
            FollowUp.priority,
            FollowUp.rrule,
        ).where(
            col(FollowUp.status) == FollowUpStatus.OPEN,
            live(FollowUp),
            or_(col(FollowUp.due_at) < end, col(FollowUp.snoozed_until) < end),
            live_parents(),
        )
    )
    items = []
    for fid, contact_id, deal_id, title, due, all_day, priority, rrule in rows:
        if due >= end:
            continue
        all_day = whole_day(due, bool(all_day), tz)
        items.append(
            Reminder(
                "follow-up",
                fid,
                title,
                due,
                bool(all_day),
                bool(priority),
                bool(rrule),
                contact_id,
                deal_id,
            )
        )
    items.sort(key=lambda r: (r.due, not r.priority, r.id))
    for touch in touches_due(session, tz):
        if touch.due < end:
            items.append(
                Reminder(
                    "keep-in-touch",
                    touch.contact_id,
                    touch.contact_name,
                    touch.due,
                    True,
                    contact_id=touch.contact_id,
                )
            )
    items += [
        Reminder(
            "date",
            o.contact_id,
            o.title,
            at_local(o.on, time(0), tz),
            True,
            contact_id=o.contact_id,
        )
        for o in occasions(session, today, today, kinds)
    ]
    add_context(session, items, prefix)
    return items
