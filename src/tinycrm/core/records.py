"""A contact's or a company's whole record in one read: its fields (`views`), its deals, its
next step, its open follow-ups, its last interactions and, for a contact, its keep-in-touch
state. `crm show` prints it and the board's details screens show it.

Each part is one Core statement over the record's rows (a contact's deals, follow-ups and
interactions are found through their indexes), so a record costs a dozen small queries
however many deals, follow-ups and interactions it has.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, bindparam, func, or_, select
from sqlmodel import col

from tinycrm.core import steps, views
from tinycrm.core.touches import touches_due
from tinycrm.core.views import RECORD
from tinycrm.domain.dates import iso, local_tz
from tinycrm.domain.due import bucket_of, whole_day
from tinycrm.domain.money import to_decimal_text
from tinycrm.domain.values import DealStatus, FollowUpStatus
from tinycrm.store.models import Contact, Deal, FollowUp, Interaction, Pipeline, Stage
from tinycrm.store.query import due_time, execute, live, live_parents

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.domain.record_rows import (
        CompanyRecord,
        ContactRecord,
        DealCounts,
        DealLine,
        FollowUpLine,
        InteractionLine,
        KeepInTouch,
        Record,
        RecordDeals,
    )

OPEN_DEALS = 20
"""The most open deals a record lists (`deals.counts.open` says how many there are)."""
CLOSED_DEALS = 3
"""How many of the last closed deals a record lists."""
FOLLOW_UPS = 10
"""The most open follow-ups a record lists, the earliest first."""
INTERACTIONS = 5
"""How many of the last interactions a record lists."""

_LIMIT = bindparam("limit", type_=Integer)


def _deals_of(kind: str) -> Any:
    """The ids of a contact's (or a company's) live deals, as a subquery."""
    column = col(Deal.contact_id) if kind == "contact" else col(Deal.company_id)
    return select(col(Deal.id)).where(column == RECORD, live(Deal))


def _people_of() -> Any:
    """The ids of a company's live people, as a subquery."""
    return select(col(Contact.id)).where(col(Contact.company_id) == RECORD, live(Contact))


@cache
def _deal_lines(kind: str, closed: bool) -> Select[*tuple[Any, ...]]:
    """A record's open deals, the furthest stage first then the most valuable, or (`closed`)
    its closed deals, the last closed first; at most :limit."""
    owner = col(Deal.contact_id) if kind == "contact" else col(Deal.company_id)
    statement = (
        select(
            col(Deal.id),
            col(Deal.title),
            col(Pipeline.name),
            col(Stage.name),
            col(Deal.status),
            col(Deal.value),
            col(Deal.currency),
            func.coalesce(Deal.probability, Stage.probability),
            col(Deal.expected_close),
            col(Deal.closed_at),
            col(Contact.id),
            col(Contact.name),
            col(Deal.recurring),
        )
        .select_from(Deal)
        .outerjoin(Stage, col(Stage.id) == Deal.stage_id)
        .outerjoin(Pipeline, col(Pipeline.id) == Deal.pipeline_id)
        .outerjoin(Contact, col(Contact.id) == Deal.contact_id)
        .where(owner == RECORD, live(Deal))
    )
    if closed:
        statement = statement.where(col(Deal.status) != DealStatus.OPEN).order_by(
            col(Deal.closed_at).desc(), col(Deal.id).desc()
        )
    else:
        statement = statement.where(col(Deal.status) == DealStatus.OPEN).order_by(
            col(Stage.position).desc(), col(Deal.value).desc(), col(Deal.id)
        )
    return statement.limit(_LIMIT)


@cache
def _deal_counts(kind: str) -> Select[*tuple[Any, ...]]:
    """How many live deals a record has, by status."""
    owner = col(Deal.contact_id) if kind == "contact" else col(Deal.company_id)
    return (
        select(col(Deal.status), func.count())
        .where(owner == RECORD, live(Deal))
        .group_by(col(Deal.status))
    )


def _deal_line(row: Any) -> DealLine:
    (deal_id, title, pipeline, stage, status, value, currency, probability, close, closed,
     contact_id, contact, recurring) = row  # fmt: skip
    return {
        "id": deal_id,
        "title": title,
        "pipeline": pipeline,
        "stage": stage,
        "status": status,
        "value": to_decimal_text(value, currency),
        "value_minor": value,
        "currency": currency,
        "recurring": recurring,
        "probability": probability,
        "expected_close": close.isoformat() if close else None,
        "closed_at": iso(closed),
        "contact": {"id": contact_id, "name": contact} if contact_id is not None else None,
    }


def _deals(session: Session, kind: str, record_id: int) -> RecordDeals:
    by_status = dict(execute(session, _deal_counts(kind), {"record": record_id}).all())
    counts: DealCounts = {
        "open": by_status.get(DealStatus.OPEN, 0),
        "won": by_status.get(DealStatus.WON, 0),
        "lost": by_status.get(DealStatus.LOST, 0),
    }
    lines = {
        closed: [
            _deal_line(row)
            for row in execute(
                session,
                _deal_lines(kind, closed),
                {"record": record_id, "limit": CLOSED_DEALS if closed else OPEN_DEALS},
            )
        ]
        for closed in (False, True)
    }
    return {"open": lines[False], "counts": counts, "recently_closed": lines[True]}


@cache
def _follow_ups(kind: str) -> Select[*tuple[Any, ...]]:
    """A record's open follow-ups whose contact and deal are live, the earliest due first
    (at most :limit), each with how many there are in all and the sequence step it comes
    from."""
    about = (
        col(FollowUp.contact_id) == RECORD
        if kind == "contact"
        else col(FollowUp.contact_id).in_(_people_of())
    )
    due = due_time()
    query: Select[Any] = (
        select(
            col(FollowUp.id),
            col(FollowUp.title),
            due,
            col(FollowUp.all_day),
            col(FollowUp.snoozed_until),
            col(FollowUp.priority),
            col(FollowUp.rrule),
            col(Contact.id),
            col(Contact.name),
            col(Deal.id),
            col(Deal.title),
            func.count().over(),
            *steps.COLUMNS,
        )
        .select_from(FollowUp)
        .outerjoin(Contact, col(Contact.id) == FollowUp.contact_id)
        .outerjoin(Deal, col(Deal.id) == FollowUp.deal_id)
    )
    return (
        steps.joined(query)
        .where(
            or_(about, col(FollowUp.deal_id).in_(_deals_of(kind))),
            col(FollowUp.status) == FollowUpStatus.OPEN,
            live(FollowUp),
            live_parents(),
        )
        .order_by(due, col(FollowUp.id))
        .limit(_LIMIT)
    )


def _follow_up_lines(
    session: Session, kind: str, record_id: int, now: datetime, tz: tzinfo
) -> tuple[list[FollowUpLine], int]:
    """A record's open follow-ups (the earliest first) and how many it has."""
    lines: list[FollowUpLine] = []
    rows = execute(session, _follow_ups(kind), {"record": record_id, "limit": FOLLOW_UPS}).all()
    counted = steps.totals(session, {row[14] for row in rows if row[14] is not None})
    for row in rows:
        (fu_id, title, due, all_day, snoozed, priority, rrule, contact_id, contact,
         deal_id, deal) = row[:11]  # fmt: skip
        shown_all_day = whole_day(due, all_day, tz)
        lines.append(
            {
                "id": fu_id,
                "title": title,
                "due": iso(due),
                "all_day": shown_all_day,
                "overdue": bucket_of(due, shown_all_day, now, tz) == "overdue",
                "snoozed": snoozed is not None,
                "priority": bool(priority),
                "rrule": rrule,
                "contact": {"id": contact_id, "name": contact} if contact_id is not None else None,
                "deal": {"id": deal_id, "title": deal} if deal_id is not None else None,
                "sequence": steps.step_ref(tuple(row[12:]), counted),
            }
        )
    return lines, rows[0][11] if rows else 0


@cache
def _interactions(kind: str) -> Select[*tuple[Any, ...]]:
    """A record's live interactions, the last first, at most :limit: a contact's own, or
    those of a company's people and deals."""
    about = (
        col(Interaction.contact_id) == RECORD
        if kind == "contact"
        else or_(
            col(Interaction.contact_id).in_(_people_of()),
            col(Interaction.deal_id).in_(_deals_of(kind)),
        )
    )
    return (
        select(
            col(Interaction.id),
            col(Interaction.occurred_at),
            col(Interaction.kind),
            col(Interaction.direction),
            col(Interaction.summary),
            col(Contact.id),
            col(Contact.name),
            col(Deal.id),
            col(Deal.title),
        )
        .select_from(Interaction)
        .outerjoin(Contact, col(Contact.id) == Interaction.contact_id)
        .outerjoin(Deal, col(Deal.id) == Interaction.deal_id)
        .where(about, live(Interaction))
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        .limit(_LIMIT)
    )


def _interaction_lines(session: Session, kind: str, record_id: int) -> list[InteractionLine]:
    rows = execute(session, _interactions(kind), {"record": record_id, "limit": INTERACTIONS})
    return [
        {
            "id": item_id,
            "occurred_at": iso(at),
            "kind": what,
            "direction": direction,
            "summary": summary,
            "contact": {"id": contact_id, "name": contact} if contact_id is not None else None,
            "deal": {"id": deal_id, "title": deal} if deal_id is not None else None,
        }
        for item_id, at, what, direction, summary, contact_id, contact, deal_id, deal in rows
    ]


def _keep_in_touch(
    session: Session, contact_id: int, now: datetime, tz: tzinfo
) -> KeepInTouch | None:
    """A contact's keep-in-touch state, by the rule the agenda and reminders use."""
    found = touches_due(session, tz, contact_id)
    if not found:
        return None
    touch = found[0]
    return {
        "every_days": touch.cadence_days,
        "last_interaction_at": iso(touch.last_at) if touch.had_interaction else None,
        "due": iso(touch.due),
        "is_due": touch.due <= now,
    }


def contact_record(
    session: Session, contact_id: int, now: datetime, tz: tzinfo | None = None
) -> ContactRecord:
    """Return a contact's whole record: its fields, deals, next step, open follow-ups, last
    interactions and keep-in-touch state (raises NotFoundError for no live contact)."""
    tz = tz or local_tz()
    fields = views.contact_dict(session, contact_id)
    follow_ups, open_follow_ups = _follow_up_lines(session, "contact", contact_id, now, tz)
    return {
        **fields,
        "deals": _deals(session, "contact", contact_id),
        "next_step": follow_ups[0] if follow_ups else None,
        "follow_ups": follow_ups,
        "open_follow_ups": open_follow_ups,
        "interactions": _interaction_lines(session, "contact", contact_id),
        "keep_in_touch": _keep_in_touch(session, contact_id, now, tz),
    }


def company_record(
    session: Session, company_id: int, now: datetime, tz: tzinfo | None = None
) -> CompanyRecord:
    """Return a company's whole record: its fields and people, its deals, next step and open
    follow-ups, and the last interactions of its people and deals."""
    tz = tz or local_tz()
    fields = views.company_dict(session, company_id)
    follow_ups, open_follow_ups = _follow_up_lines(session, "company", company_id, now, tz)
    return {
        **fields,
        # the company's addresses belong here, after its own fields
        "deals": _deals(session, "company", company_id),
        "next_step": follow_ups[0] if follow_ups else None,
        "follow_ups": follow_ups,
        "open_follow_ups": open_follow_ups,
        "interactions": _interaction_lines(session, "company", company_id),
    }


def record(
    session: Session, kind: str, record_id: int, now: datetime, tz: tzinfo | None = None
) -> Record:
    """Return the whole record of a contact or a company, or a deal's description."""
    if kind == "contact":
        return contact_record(session, record_id, now, tz)
    if kind == "company":
        return company_record(session, record_id, now, tz)
    return views.deal_dict(session, record_id)
