"""The agenda: open follow-ups overdue, due today or coming up, and contacts due for a touch.

Read as Core rows (plain values, not records), so `crm agenda` — the command cron and shell
prompts run most — builds no ORM object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, bindparam, cast, func, select
from sqlmodel import col

from tinycrm.core import steps
from tinycrm.core.occasions import KINDS, Occasion, occasions
from tinycrm.core.touches import TouchDue, touches_due
from tinycrm.domain.dates import at_local, iso, local_tz
from tinycrm.domain.due import bucket_of, due_of, whole_day
from tinycrm.domain.values import FollowUpStatus
from tinycrm.store.models import Contact, Deal, Event, FollowUp, Stage
from tinycrm.store.query import due_time, live, live_parents

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy.sql import Select
    from sqlalchemy.sql.elements import BindParameter
    from sqlmodel import Session

    from tinycrm.domain.figures import AgendaDateLine, AgendaFollowUpLine, AgendaTouchLine
    from tinycrm.domain.sequences import StepRef


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
    step: StepRef | None = None  # the sequence step it was scheduled for


@cache
def _open_follow_ups(snoozed: bool) -> Select[Any]:
    """Open follow-ups due (`snoozed`: snoozed) before :horizon, with their contact's name,
    their deal's title and stage, and the sequence step they come from. Two range reads (on
    the partial indexes of open follow-ups' due and snooze times) instead of one OR, which
    would scan every open follow-up."""
    horizon: BindParameter[Any] = bindparam("horizon")  # of the type of its column
    columns: list[Any] = [
        FollowUp.id,
        FollowUp.title,
        FollowUp.due_at,
        FollowUp.all_day,
        FollowUp.rrule,
        FollowUp.priority,
        FollowUp.snoozed_until,
        FollowUp.contact_id,
        FollowUp.deal_id,
        Contact.name,
        Deal.title,
        Stage.name,
        *steps.COLUMNS,
    ]
    query: Select[Any] = steps.joined(
        select(*columns)
        .select_from(FollowUp)
        .outerjoin(Contact, col(Contact.id) == FollowUp.contact_id)
        .outerjoin(Deal, col(Deal.id) == FollowUp.deal_id)
        .outerjoin(Stage, col(Stage.id) == Deal.stage_id)
    ).where(col(FollowUp.status) == FollowUpStatus.OPEN, live(FollowUp), live_parents())
    if snoozed:
        return query.where(
            col(FollowUp.snoozed_until).is_not(None), col(FollowUp.snoozed_until) < horizon
        )
    return query.where(col(FollowUp.snoozed_until).is_(None), col(FollowUp.due_at) < horizon)


@cache
def _due_in_range(snoozed: bool, first_only: bool) -> Select[Any]:
    """Open follow-ups (`snoozed`: snoozed ones) whose due time is after :after (and, unless
    `first_only`, not after :until): a range read on the partial index of open follow-ups'
    due or snooze times, so it costs the same at ten follow-ups or a hundred thousand.
    `first_only` returns the earliest due time alone."""
    column: Any = FollowUp.snoozed_until if snoozed else FollowUp.due_at
    waking = col(FollowUp.snoozed_until).is_not(None) if snoozed else None
    columns: list[Any] = [column] if first_only else [FollowUp.id, FollowUp.title]
    query: Select[Any] = select(*columns)
    query = query.where(
        col(FollowUp.status) == FollowUpStatus.OPEN,
        waking if waking is not None else col(FollowUp.snoozed_until).is_(None),
        column > bindparam("after"),
        live(FollowUp),
        live_parents(),
    )
    if first_only:
        return query.order_by(column).limit(1)
    return query.where(column <= bindparam("until"))


def next_due(session: Session, after: datetime) -> datetime | None:
    """Return when the next open follow-up falls due after `after` (None: none will).

    Two index lookups (the earliest due time of follow-ups not snoozed, and of snoozed
    ones), never a read of the follow-ups already due."""
    conn = session.connection()
    times = [
        conn.execute(_due_in_range(snoozed, first_only=True), {"after": after}).scalar()
        for snoozed in (False, True)
    ]
    return min((t for t in times if t is not None), default=None)


def falling_due(session: Session, after: datetime, until: datetime) -> list[tuple[int, str]]:
    """Return (id, title) of the open follow-ups that fall due after `after`, by `until`."""
    conn = session.connection()
    params = {"after": after, "until": until}
    return [
        (row[0], row[1])
        for snoozed in (False, True)
        for row in conn.execute(_due_in_range(snoozed, first_only=False), params)
    ]


def last_change(session: Session) -> int:
    """Return the id of the newest change in the history (0: none yet)."""
    newest = session.connection().execute(select(func.max(Event.id))).scalar()
    return int(newest or 0)


_WHEN_FIELDS = frozenset({"due_at", "snoozed_until", "status", "deleted_at"})


def changed_due(session: Session, since: int, now: datetime) -> tuple[list[tuple[int, str]], int]:
    """Return (id, title) of the follow-ups that changes after history event `since` made
    due by `now` (added, or their time or status changed: a title edited on a follow-up
    long overdue is not news), and the newest event id. Reads only the new events."""
    conn = session.connection()
    # the new events by their ids, a range of the primary key (the index on the entity would
    # read every follow-up event ever recorded); `before` as its text, read only for the
    # follow-ups' events
    before_text: Any = cast(Event.before, Text)
    new = conn.execute(
        select(col(Event.id), col(Event.entity), col(Event.entity_id), before_text).where(
            col(Event.id) > since
        )
    ).all()
    newest = max([since, *(row[0] for row in new)])
    ids = set()
    for _id, entity, entity_id, before in new:
        if entity != "follow_up":
            continue
        changed = json.loads(before) if before else None
        if changed is None or _WHEN_FIELDS & set(changed):
            ids.add(int(entity_id))
    if not ids:
        return [], newest
    columns: list[Any] = [FollowUp.id, FollowUp.title]
    rows = conn.execute(
        select(*columns).where(
            col(FollowUp.id).in_(ids),
            col(FollowUp.status) == FollowUpStatus.OPEN,
            live(FollowUp),
            due_time() <= now,
            live_parents(),
        )
    )
    return [(row[0], row[1]) for row in rows], newest


_ORDER = {"overdue": 0, "today": 1, "upcoming": 2}


def _horizon(now: datetime, days: int, tz: tzinfo) -> datetime:
    """The local midnight that ends the last day the agenda shows."""
    today = now.astimezone(tz).date()
    return at_local(today + timedelta(days=days + 1), time(0), tz)


def agenda(
    session: Session,
    now: datetime,
    days: int = 7,
    tz: tzinfo | None = None,
    *,
    deal_id: int | None = None,
    follow_up_id: int | None = None,
) -> list[AgendaItem]:
    """Return open follow-ups that are overdue, due today, or due in the next `days` days.

    `deal_id` or `follow_up_id` narrows it to one deal's follow-ups or to one follow-up (an
    index lookup), so a screen showing the agenda can redraw only the lines a change touched.
    """
    tz = tz or local_tz()
    horizon = _horizon(now, days, tz)
    conn = session.connection()
    params = {"horizon": horizon}
    rows: list[Any] = []
    for snoozed in (False, True):
        query = _open_follow_ups(snoozed)
        if deal_id is not None:
            query = query.where(col(FollowUp.deal_id) == deal_id)
        if follow_up_id is not None:
            query = query.where(col(FollowUp.id) == follow_up_id)
        rows += conn.execute(query, params).all()
    counted = steps.totals(session, {row[14] for row in rows if row[14] is not None})
    items = []
    for row in rows:
        fu = AgendaFollowUp(*row[:9])
        contact_name, deal_title, stage_name = row[9:12]
        due = due_of(fu)
        if due >= horizon:
            continue
        shown_all_day = whole_day(due, fu.all_day, tz)
        items.append(
            AgendaItem(
                fu,
                due,
                bucket_of(due, shown_all_day, now, tz),
                contact_name,
                deal_title,
                stage_name if fu.deal_id is not None else None,
                shown_all_day,
                steps.step_ref(tuple(row[12:]), counted),
            )
        )
    items.sort(key=lambda i: (_ORDER[i.bucket], i.due, not i.follow_up.priority, i.follow_up.id))
    return items


def touches(
    session: Session, now: datetime, days: int = 7, tz: tzinfo | None = None
) -> list[tuple[TouchDue, str]]:
    """Return contacts due for a touch within `days` days, with their agenda bucket."""
    tz = tz or local_tz()
    horizon = _horizon(now, days, tz)
    items = [
        (t, bucket_of(t.due, True, now, tz)) for t in touches_due(session, tz) if t.due < horizon
    ]
    items.sort(key=lambda pair: (_ORDER[pair[1]], pair[0].due, pair[0].contact_id))
    return items


def dates(
    session: Session,
    now: datetime,
    days: int = 7,
    tz: tzinfo | None = None,
    kinds: Collection[str] = KINDS,
) -> list[tuple[Occasion, str]]:
    """Return the contacts' kept dates that fall from today to `days` days ahead (local
    days), with their agenda bucket (today or upcoming: a date past is not overdue)."""
    tz = tz or local_tz()
    today = now.astimezone(tz).date()
    found = occasions(session, today, today + timedelta(days=days), kinds)
    return [(o, "today" if o.on == today else "upcoming") for o in found]


def date_due(occasion: Occasion, tz: tzinfo | None = None) -> datetime:
    """The moment a kept date's line is due: the local midnight of its day."""
    return at_local(occasion.on, time(0), tz or local_tz())


def date_dict(occasion: Occasion, bucket: str, tz: tzinfo | None = None) -> AgendaDateLine:
    """Describe one agenda line of a contact's kept date (`crm agenda --json`)."""
    return {
        "kind": "date",
        "bucket": bucket,
        "id": occasion.date_id,
        "title": occasion.title,
        "due": iso(date_due(occasion, tz)),
        "all_day": True,
        "date_kind": occasion.kind,
        "label": occasion.label,
        "date": occasion.value,
        "on": occasion.on.isoformat(),
        "years": occasion.years,
        "contact": {"id": occasion.contact_id, "name": occasion.contact_name},
        "deal": None,
    }


def agenda_item_dict(item: AgendaItem) -> AgendaFollowUpLine:
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
        "sequence": item.step,
    }


def touch_dict(touch: TouchDue, bucket: str) -> AgendaTouchLine:
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
