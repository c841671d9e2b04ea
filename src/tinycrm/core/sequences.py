"""Sequences: named steps ("0d call: intro", "3d email: case study") that a start on a contact
or a deal turns into all-day follow-ups on their days; stopped by hand, by a reply
(`core.runs`), or finished when the last one is done."""

from __future__ import annotations

import shlex
import uuid
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import col, select

from tinycrm.core import followups, runs
from tinycrm.core.interactions import check_kind
from tinycrm.domain import sequences as steps
from tinycrm.domain.dates import When, at_local, iso, local_tz
from tinycrm.domain.sequences import (
    Named,
    NextStep,
    RunView,
    SequenceRow,
    SequenceView,
    StepView,
)
from tinycrm.domain.text import clean, fold
from tinycrm.domain.values import RunStatus
from tinycrm.errors import ConflictError, NotFoundError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Contact, Deal, FollowUp, Sequence, SequenceRun, SequenceStep

if TYPE_CHECKING:
    from sqlmodel import Session


def check_name(name: str) -> str:
    """Return a sequence's name as it is kept (spaces tidied), or raise ValidationError."""
    text = clean(name) or ""
    if not text:
        raise ValidationError("a sequence needs a name, e.g. Onboarding")
    return text


def find_sequence(session: Session, name: str) -> Sequence | None:
    """Return the live sequence of this name (any case, any accents), or None."""
    return session.exec(
        select(Sequence).where(Sequence.name_key == fold(name), query.live(Sequence))
    ).first()


def get_sequence(session: Session, name: str) -> Sequence:
    """Return the live sequence of this name, or raise NotFoundError."""
    found = find_sequence(session, name)
    if found is None:
        raise NotFoundError(f"no sequence called {name!r}", hint="crm sequence list shows them")
    return found


def read_steps(typed: list[str]) -> list[steps.Step]:
    """Read the steps as typed, in order: each a known kind, the offsets never going back."""
    if not typed:
        raise ValidationError(
            "a sequence needs at least one step", hint='e.g. --step "0d call: intro"'
        )
    found = []
    for text in typed:
        step = steps.parse_step(text)
        try:
            kind = check_kind(step.kind)
        except ValidationError as error:
            raise ValidationError(
                f"not a sequence step: {text!r} ({error.message})", hint=error.hint
            ) from None
        found.append(steps.Step(step.offset_days, kind, step.title))
    steps.check_order(found, typed)
    return found


def add_sequence(
    session: Session, name: str, typed: list[str], now: datetime, business_days: bool = False
) -> Sequence:
    """Create a sequence from its steps as typed; a name a live sequence has is refused."""
    text = check_name(name)
    found = read_steps(typed)
    existing = find_sequence(session, text)
    if existing is not None:
        raise ConflictError(
            f"there is already a sequence called {existing.name}",
            hint="pick another name, or crm sequence delete it first",
        )
    history.describe(session, f"add sequence {text} ({len(found)} steps)")
    sequence = Sequence(
        uuid=str(uuid.uuid4()),
        name=text,
        name_key=fold(text),
        business_days=business_days,
        created_at=now,
        updated_at=now,
    )
    session.add(sequence)
    session.flush()
    assert sequence.id is not None
    for position, step in enumerate(found, start=1):
        session.add(
            SequenceStep(
                sequence_id=sequence.id,
                position=position,
                offset_days=step.offset_days,
                kind=step.kind,
                title=step.title,
            )
        )
    session.flush()
    return sequence


def steps_of(session: Session, sequence_id: int) -> list[SequenceStep]:
    """Return a sequence's steps in their order."""
    return list(
        session.exec(
            select(SequenceStep)
            .where(SequenceStep.sequence_id == sequence_id)
            .order_by(col(SequenceStep.position))
        )
    )


def runs_of(session: Session, sequence_id: int, status: str | None = None) -> list[SequenceRun]:
    """Return a sequence's runs (with one status, given it), oldest first."""
    statement = select(SequenceRun).where(SequenceRun.sequence_id == sequence_id)
    if status is not None:
        statement = statement.where(SequenceRun.status == status)
    return list(session.exec(statement.order_by(col(SequenceRun.id))))


def delete_sequence(session: Session, sequence: Sequence, now: datetime) -> list[runs.Stopped]:
    """Put a sequence in the trash, stopping its active runs (their open follow-ups are
    cancelled); return the runs stopped. `crm undo` brings it all back."""
    history.describe(session, f"delete sequence {sequence.name}")
    assert sequence.id is not None
    stopped = [
        runs.stop_run(session, run, runs.DELETED, now)
        for run in runs_of(session, sequence.id, RunStatus.ACTIVE)
    ]
    sequence.deleted_at = now
    sequence.updated_at = now
    session.add(sequence)
    session.flush()
    return stopped


def contact_and_deal(
    session: Session, contact: Contact | None, deal: Deal | None
) -> tuple[Contact, Deal | None]:
    """Return whom a run is about: the deal's contact when started on a deal; on a contact,
    the contact and their one open deal (`followups.deal_to_link`), if they have one."""
    if deal is not None:
        found = session.get(Contact, deal.contact_id) if deal.contact_id else None
        if found is None or found.deleted_at is not None:
            raise ValidationError(
                f"deal #{deal.id} {deal.title} has no contact to run a sequence on",
                hint="give the deal a contact (crm edit), or start it on a contact",
            )
        return found, deal
    assert contact is not None
    linked, _open = followups.deal_to_link(session, contact)
    return contact, linked


def start(
    session: Session,
    sequence: Sequence,
    contact: Contact,
    deal: Deal | None,
    start_day: date,
    now: datetime,
    *,
    keep_on_reply: bool = False,
    tz: tzinfo | None = None,
) -> tuple[SequenceRun, list[FollowUp]]:
    """Start a sequence on a contact (and a deal): each step becomes an all-day follow-up on
    its day from `start_day` (local days), naming the run and the step. A contact already in
    an active run of the same sequence is refused."""
    assert sequence.id is not None and contact.id is not None
    if runs.active_runs(session, contact.id, sequence.id):
        raise ConflictError(
            f"{contact.name} is already in sequence {sequence.name}",
            hint=f"crm sequence stop {shlex.quote(sequence.name)} {contact.id} stops it first",
        )
    tz = tz or local_tz()
    history.describe(session, f"start sequence {sequence.name} for {contact.name}")
    run = SequenceRun(
        uuid=str(uuid.uuid4()),
        sequence_id=sequence.id,
        contact_id=contact.id,
        deal_id=deal.id if deal else None,
        status=RunStatus.ACTIVE,
        keep_on_reply=keep_on_reply,
        started_at=at_local(start_day, time(0), tz),
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    made = []
    for step in steps_of(session, sequence.id):
        day = steps.step_day(start_day, step.offset_days, sequence.business_days)
        fu = followups.add_follow_up(
            session,
            f"{step.kind}: {step.title}",
            When(at_local(day, time(0), tz), all_day=True),
            now=now,
            contact=contact,
            deal=deal,
            sequence_run_id=run.id,
            sequence_step_id=step.id,
        )
        made.append(fu)
    return run, made


def stop(
    session: Session, contact: Contact, now: datetime, sequence: Sequence | None = None
) -> list[runs.Stopped]:
    """Stop a contact's active run of `sequence` (or, without one, all their active runs) by
    hand: their open follow-ups are cancelled, the done ones stay."""
    assert contact.id is not None
    found = runs.active_runs(session, contact.id, sequence.id if sequence else None)
    if not found:
        which = f"sequence {sequence.name}" if sequence else "a sequence"
        raise NotFoundError(
            f"{contact.name} is not in {which}",
            hint="crm sequence show NAME shows a sequence's runs",
        )
    what = f"sequence {sequence.name}" if sequence else f"{len(found)} sequence(s)"
    history.describe(session, f"stop {what} for {contact.name}")
    return [runs.stop_run(session, run, runs.BY_HAND, now) for run in found]


# ---- what the faces show --------------------------------------------------------------------


def sequence_rows(session: Session) -> list[SequenceRow]:
    """The live sequences by name, with how many steps and active runs each has."""
    step_count = (
        select(func.count())
        .where(col(SequenceStep.sequence_id) == Sequence.id)
        .correlate(Sequence)
        .scalar_subquery()
    )
    active = (
        select(func.count())
        .where(col(SequenceRun.sequence_id) == Sequence.id, SequenceRun.status == RunStatus.ACTIVE)
        .correlate(Sequence)
        .scalar_subquery()
    )
    columns: list[Any] = [Sequence.id, Sequence.name, Sequence.business_days, step_count, active]
    rows = session.connection().execute(
        select(*columns).where(query.live(Sequence)).order_by(col(Sequence.name_key))
    )
    return [
        {
            "kind": "sequence",
            "id": row[0],
            "name": row[1],
            "business_days": bool(row[2]),
            "steps": row[3],
            "active_runs": row[4],
        }
        for row in rows
    ]


def run_dict(session: Session, run: SequenceRun, sequence: Sequence) -> RunView:
    """Describe a run: whom it is on, where it is, and its next open follow-up."""
    assert run.id is not None
    contact = session.get(Contact, run.contact_id) if run.contact_id else None
    deal = session.get(Deal, run.deal_id) if run.deal_id else None
    following = runs.open_follow_ups(session, run.id)
    step = session.get(SequenceStep, following[0].sequence_step_id) if following else None
    next_step: NextStep | None = (
        {
            "follow_up": following[0].id,
            "step": step.position if step else None,
            "title": following[0].title,
            "due": iso(following[0].due_at),
        }
        if following
        else None
    )
    started = run.started_at.astimezone(local_tz()).date().isoformat()
    return {
        "id": run.id,
        "sequence": sequence.name,
        "status": run.status,
        "stop_reason": run.stop_reason,
        "keep_on_reply": run.keep_on_reply,
        "started": started,
        "stopped_at": iso(run.stopped_at),
        "contact": _named(contact.id, contact.name) if contact else None,
        "deal": _named(deal.id, deal.title) if deal else None,
        "next_step": next_step,
    }


def _named(record_id: int | None, name: str) -> Named:
    return {"id": record_id, "name": name}


def sequence_dict(session: Session, sequence: Sequence) -> SequenceView:
    """Describe a sequence with its steps and all its runs."""
    assert sequence.id is not None
    shown: list[StepView] = [
        {"position": s.position, "day": s.offset_days, "kind": s.kind, "title": s.title}
        for s in steps_of(session, sequence.id)
    ]
    return {
        "kind": "sequence",
        "id": sequence.id,
        "name": sequence.name,
        "business_days": sequence.business_days,
        "steps": shown,
        "runs": [run_dict(session, run, sequence) for run in runs_of(session, sequence.id)],
        "created_at": iso(sequence.created_at),
    }
