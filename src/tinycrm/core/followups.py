"""Follow-ups: add, complete (recurring ones schedule their next occurrence), snooze, cancel,
keep-in-touch cadences, and the agenda of what is overdue, due today and coming up."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, tzinfo

from sqlmodel import Session

from tinycrm.config import DealSettings
from tinycrm.core.touches import touches_due
from tinycrm.domain import recurrence
from tinycrm.domain.dates import When, at_local, describe, iso, local_tz, to_local
from tinycrm.domain.due import due_of, whole_day
from tinycrm.domain.rows import FollowUpView
from tinycrm.domain.text import clean
from tinycrm.domain.values import FollowUpStatus, RunStatus
from tinycrm.errors import ConflictError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Contact, Deal, FollowUp, SequenceRun, Stage


def check_rrule(rule: str, start: datetime, tz: tzinfo | None = None) -> str:
    """Return an RFC 5545 RRULE (without the 'RRULE:' prefix) or raise ValidationError. It
    is read as it repeats: from the local wall time of `start`, a UTC UNTIL in local time."""
    from dateutil.rrule import rrulestr

    text = rule.strip().removeprefix("RRULE:").upper()
    tz = tz or local_tz()
    wrong = recurrence.problem(text)
    try:
        if wrong is None:
            rrulestr(
                recurrence.local_until(text, tz), dtstart=to_local(start, tz).replace(tzinfo=None)
            )
    except (ValueError, TypeError) as exc:
        wrong = str(exc)
    if wrong is not None:
        raise ValidationError(
            f"not a recurrence rule: {rule!r} ({wrong})",
            hint="write it like FREQ=WEEKLY;INTERVAL=2, FREQ=WEEKLY;COUNT=6, "
            "FREQ=MONTHLY;BYDAY=1MO or FREQ=DAILY;UNTIL=20270301T000000Z",
        )
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
    rule = rrulestr(recurrence.local_until(fu.rrule, tz), dtstart=local_due)
    following = rule.after(local_due, inc=False)
    if following is None:
        return None
    return at_local(following.date(), following.time(), tz)


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
    sequence_run_id: int | None = None,
    sequence_step_id: int | None = None,
) -> FollowUp:
    """Create an open follow-up about a contact and/or a deal (a sequence's step names its
    run and its step)."""
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
        sequence_run_id=sequence_run_id,
        sequence_step_id=sequence_step_id,
        created_at=now,
        updated_at=now,
    )
    session.add(fu)
    session.flush()
    history.describe(session, f"add follow-up #{fu.id} {fu.title}")
    return fu


def open_deals_of(session: Session, contact_id: int) -> list[Deal]:
    """Return a contact's open deals (not in the trash), oldest first."""
    from sqlmodel import col, select

    return list(
        session.exec(
            select(Deal)
            .where(Deal.contact_id == contact_id, Deal.status == "open", query.live(Deal))
            .order_by(col(Deal.id))
        )
    )


def deal_to_link(session: Session, contact: Contact) -> tuple[Deal | None, list[Deal]]:
    """Return the deal a follow-up about `contact` alone is linked to, with the contact's
    open deals: their one open deal (a follow-up about someone with one deal under way is
    about that deal), or None when they have none or several (which one is the seller's
    call: `--deal` names it)."""
    assert contact.id is not None
    found = open_deals_of(session, contact.id)
    return (found[0] if len(found) == 1 else None), found


def link_said(contact: Contact, deal: Deal | None, open_deals: list[Deal]) -> str | None:
    """Say what `deal_to_link` decided ("Linked to #12 Website, the one open deal of Jane
    Doe"); None when the contact has no open deal."""
    if deal is not None:
        return f"Linked to #{deal.id} {deal.title}, the one open deal of {contact.name}"
    if not open_deals:
        return None
    names = ", ".join(f"#{d.id} {d.title}" for d in open_deals[:5])
    more = ", …" if len(open_deals) > 5 else ""
    return (
        f"Not linked to a deal: {contact.name} has {len(open_deals)} open deals "
        f"({names}{more}); --deal links one"
    )


def get_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    """Return a follow-up by id, or raise NotFoundError."""
    return query.get(session, FollowUp, follow_up_id, "follow-up", hint="crm agenda lists them")


def _count_down(rule: str | None) -> str | None:
    """Take one occurrence off a rule's COUNT: the rule is always read from the current due
    time, so what is left must shrink as occurrences are done."""
    if not rule:
        return rule
    parts = rule.split(";")
    for i, part in enumerate(parts):
        key, _, value = part.partition("=")
        if key == "COUNT" and value.isdecimal() and int(value) > 1:
            parts[i] = f"COUNT={int(value) - 1}"
    return ";".join(parts)


def _require_open(fu: FollowUp) -> None:
    if fu.status != "open":
        raise ConflictError(f"follow-up #{fu.id} {fu.title} is already {fu.status}")


def complete(
    session: Session, fu: FollowUp, now: datetime, tz: tzinfo | None = None
) -> FollowUp | None:
    """Mark a follow-up done. A recurring one moves to its next occurrence (from its rule,
    not from today) and stays open; return that next occurrence's follow-up, or None."""
    _require_open(fu)
    history.describe(session, f"done follow-up #{fu.id} {fu.title}")
    following = next_occurrence(fu, tz)
    if following is not None:
        fu.rrule = _count_down(fu.rrule)
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
    _finish_run(session, fu, now)
    return None


def complete_and_next(
    session: Session,
    fu: FollowUp,
    title: str,
    due: When,
    now: datetime,
    tz: tzinfo | None = None,
) -> tuple[FollowUp | None, FollowUp]:
    """Mark a follow-up done and schedule the next step about the same contact and deal.

    Returns (the recurring follow-up's next occurrence or None, the new follow-up)."""
    advanced = complete(session, fu, now, tz)
    contact = session.get(Contact, fu.contact_id) if fu.contact_id else None
    deal = session.get(Deal, fu.deal_id) if fu.deal_id else None
    following = add_follow_up(
        session, title, due, now=now, contact=contact, deal=deal, priority=fu.priority
    )
    return advanced, following


def snooze_target(fu: FollowUp, when: When, tz: tzinfo | None = None) -> datetime:
    """Return when to snooze a follow-up to: a day alone keeps a timed follow-up's time of day
    ('snooze 12 tomorrow' on a 10:00 follow-up means tomorrow 10:00)."""
    if not when.all_day or fu.all_day:
        return when.at
    tz = tz or local_tz()
    wall = fu.due_at.astimezone(tz).time().replace(tzinfo=None)
    return at_local(when.day(tz), wall, tz)


def snooze(session: Session, fu: FollowUp, until: datetime, now: datetime) -> FollowUp:
    """Hide a follow-up until a later time; it is due (and reminded) again then."""
    _require_open(fu)
    if until <= now:
        raise ValidationError("snooze to a time in the future")
    shown = describe(until, whole_day(until, fu.all_day, local_tz()))
    history.describe(session, f"snooze follow-up #{fu.id} {fu.title} until {shown}")
    fu.snoozed_until = until
    fu.updated_at = now
    session.add(fu)
    session.flush()
    return fu


def cancel(session: Session, fu: FollowUp, now: datetime) -> FollowUp:
    """Cancel a follow-up (it stays in the timeline)."""
    _require_open(fu)
    history.describe(session, f"cancel follow-up #{fu.id} {fu.title}")
    fu.status = "cancelled"
    fu.updated_at = now
    session.add(fu)
    session.flush()
    _finish_run(session, fu, now)
    return fu


def _finish_run(session: Session, fu: FollowUp, now: datetime) -> None:
    """Mark the active sequence run a follow-up belongs to finished when none of its
    follow-ups is left open: its last step was done (or cancelled by hand)."""
    from sqlmodel import select

    if fu.sequence_run_id is None:
        return
    run = session.get(SequenceRun, fu.sequence_run_id)
    if run is None or run.status != RunStatus.ACTIVE:
        return
    still_open = session.exec(
        select(FollowUp.id).where(
            FollowUp.sequence_run_id == run.id,
            FollowUp.status == FollowUpStatus.OPEN,
            query.live(FollowUp),
        )
    ).first()
    if still_open is None:
        run.status = RunStatus.FINISHED
        run.stopped_at = now
        run.updated_at = now
        session.add(run)
        session.flush()


# ---- keep in touch -------------------------------------------------------------------------


def set_keep_in_touch(
    session: Session, contact: Contact, days: int | None, now: datetime
) -> Contact:
    """Set (or, with None, turn off) a contact's keep-in-touch cadence in days."""
    if days is not None and days < 1:
        raise ValidationError("a keep-in-touch cadence is at least one day")
    cadence = "off" if days is None else f"every {days} days"
    history.describe(session, f"keep in touch with #{contact.id} {contact.name}: {cadence}")
    contact.keep_in_touch_days = days
    contact.updated_at = now
    session.add(contact)
    session.flush()
    return contact


def check_in_after_win(
    session: Session, deal: Deal, now: datetime, days: int, tz: tzinfo | None = None
) -> FollowUp:
    """Schedule an all-day check-in `days` days after a deal was won."""
    tz = tz or local_tz()
    day = now.astimezone(tz).date() + timedelta(days=days)
    contact = session.get(Contact, deal.contact_id) if deal.contact_id else None
    return add_follow_up(
        session,
        f"check in after the win: {deal.title}",
        When(at_local(day, time(0), tz), all_day=True),
        now=now,
        contact=contact,
        deal=deal,
    )


def touch_due_of(session: Session, contact: Contact) -> datetime | None:
    """Return when a contact is next due for a touch (None without a cadence)."""
    if contact.keep_in_touch_days is None:
        return None
    found = touches_due(session, local_tz(), contact.id)
    return found[0].due if found else None


# ---- records as dicts (the --json output) -------------------------------------------------


def follow_up_dict(session: Session, fu: FollowUp) -> FollowUpView:
    """Describe a follow-up with stable field names."""
    contact = session.get(Contact, fu.contact_id) if fu.contact_id else None
    deal = session.get(Deal, fu.deal_id) if fu.deal_id else None
    stage = session.get(Stage, deal.stage_id) if deal else None
    return {
        "kind": "follow-up",
        "id": fu.id,
        "uuid": fu.uuid,
        "title": fu.title,
        "status": fu.status,
        "due": iso(fu.due_at),
        "all_day": fu.all_day,
        "snoozed_until": iso(fu.snoozed_until),
        "effective_due": iso(due_of(fu)),
        "rrule": fu.rrule,
        "priority": fu.priority,
        "contact": {"id": contact.id, "name": contact.name} if contact else None,
        "deal": (
            {"id": deal.id, "title": deal.title, "stage": stage.name if stage else None}
            if deal
            else None
        ),
        "notified_at": iso(fu.notified_at),
        "completed_at": iso(fu.completed_at),
        "created_at": iso(fu.created_at),
        "updated_at": iso(fu.updated_at),
    }


def after_win(
    session: Session, deal: Deal, now: datetime, settings: DealSettings | None = None
) -> FollowUp | None:
    """Schedule the check-in the seller asks for after every win (`deals.won_follow_up_days`,
    read from config.toml when `settings` is not given); None when not asked.

    Both faces call it when a deal is won, so a win from the board and from `crm move` end
    alike."""
    if settings is None:
        from tinycrm import config

        settings = config.load().deals
    days = settings.won_follow_up_days
    return check_in_after_win(session, deal, now, days) if days else None


def check_in_hint(deal: Deal, days: int = 30) -> str:
    """Return the exact command that schedules a check-in after a deal was won."""
    import shlex

    title = shlex.quote(f"check in after the win: {deal.title}")
    if deal.contact_id is not None:
        return f'crm follow-up {deal.contact_id} {title} --deal {deal.id} --due "in {days} days"'
    return f'crm follow-up {shlex.quote(deal.title)} {title} --due "in {days} days"'
