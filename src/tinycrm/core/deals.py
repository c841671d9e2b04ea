"""Deals: create, move between stages, win, lose, reopen; every stage entry is a StageChange."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from tinycrm.core import companies, pipelines
from tinycrm.domain.money import check_currency, parse_money
from tinycrm.domain.qualification import ANSWER_HINT, CRITERIA, NO, YES
from tinycrm.domain.text import clean, fold
from tinycrm.domain.values import CLOSED, check_probability, read_recurring
from tinycrm.errors import ConflictError, NotFoundError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Contact, Deal, Stage, StageChange


def add_deal(
    session: Session,
    title: str,
    *,
    now: datetime,
    currency: str,
    contact: Contact | None = None,
    company: str | None = None,
    value: str | int | None = None,
    stage: str | None = None,
    pipeline: str | None = None,
    expected_close: date | None = None,
    notes: str | None = None,
    recurring: str | None = None,
) -> Deal:
    """Create an open deal in a stage (the pipeline's first unless named); `recurring`
    ('monthly', 'yearly', or 'none' / None for a one-off value) says what its value is per."""
    title = clean(title) or ""
    if not title:
        raise ValidationError("a deal needs a title")
    history.describe(session, f"add deal {title}")
    currency = check_currency(currency)
    minor = parse_money(value, currency) if isinstance(value, str) else value
    period = read_recurring(recurring) if recurring is not None else None
    the_pipeline = pipelines.get_pipeline(session, pipeline)
    assert the_pipeline.id is not None
    if stage:
        the_stage = pipelines.find_stage(session, the_pipeline.id, stage)
    else:
        first = pipelines.stages(session, the_pipeline.id)
        if not first:
            raise NotFoundError(f"pipeline {the_pipeline.name} has no stages")
        the_stage = first[0]
    company_id = None
    if clean(company):
        assert company is not None
        company_id = companies.company_for(session, company, now).id
    elif contact is not None:
        company_id = contact.company_id
    assert the_stage.id is not None
    deal = Deal(
        uuid=str(uuid.uuid4()),
        title=title,
        title_key=fold(title),
        contact_id=contact.id if contact else None,
        company_id=company_id,
        pipeline_id=the_pipeline.id,
        stage_id=the_stage.id,
        value=minor,
        currency=currency,
        expected_close=expected_close,
        status="open",
        stage_entered_at=now,
        notes=clean(notes),
        recurring=period,
        created_at=now,
        updated_at=now,
    )
    session.add(deal)
    session.flush()
    assert deal.id is not None
    session.add(StageChange(deal_id=deal.id, from_stage_id=None, to_stage_id=the_stage.id, at=now))
    session.flush()
    return deal


def get_deal(session: Session, deal_id: int) -> Deal:
    """Return a deal by id, or raise NotFoundError (trashed ones are not found)."""
    return query.get(session, Deal, deal_id, "deal")


def move_deal(session: Session, deal: Deal, stage: Stage, now: datetime) -> StageChange:
    """Move a deal to a stage of its pipeline; a won or lost deal is reopened by this."""
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(f"stage {stage.name} is in another pipeline")
    if stage.id == deal.stage_id and deal.status == "open":
        raise ConflictError(f"deal #{deal.id} {deal.title} is already in {stage.name}")
    assert deal.id is not None and stage.id is not None
    history.describe(session, f"move deal #{deal.id} {deal.title} to {stage.name}")
    change = StageChange(deal_id=deal.id, from_stage_id=deal.stage_id, to_stage_id=stage.id, at=now)
    if stage.id != deal.stage_id:
        deal.stage_id = stage.id
        deal.stage_entered_at = now
    deal.status = "open"
    deal.closed_at = None
    deal.lost_reason = None
    deal.updated_at = now
    session.add(deal)
    session.add(change)
    session.flush()
    return change


def close_deal(
    session: Session, deal: Deal, status: str, now: datetime, reason: str | None = None
) -> Deal:
    """Mark a deal won or lost; it keeps the stage it was in. Lost takes an optional reason."""
    if status not in CLOSED:
        raise ValidationError(f"a deal is closed as won or lost, not {status!r}")
    if deal.status == status:
        raise ConflictError(f"deal #{deal.id} {deal.title} is already {status}")
    if status == "won" and clean(reason):
        raise ValidationError("--reason is for lost deals")
    history.describe(session, f"move deal #{deal.id} {deal.title} to {status}")
    deal.status = status
    deal.closed_at = now
    deal.lost_reason = clean(reason) if status == "lost" else None
    deal.updated_at = now
    session.add(deal)
    session.flush()
    return deal


def reopen(session: Session, deal: Deal, now: datetime) -> Stage:
    """Put a won or lost deal back among the open ones, in the stage it was closed in (the
    way to reopen when no stage is named); return that stage."""
    if deal.status not in CLOSED:
        raise ConflictError(f"deal #{deal.id} {deal.title} is open")
    stage = session.get(Stage, deal.stage_id)
    if stage is None:
        raise NotFoundError(f"the stage of deal #{deal.id} {deal.title} is gone")
    move_deal(session, deal, stage, now)
    return stage


def move_to(
    session: Session, deal: Deal, target: str, now: datetime, reason: str | None = None
) -> str:
    """Move a deal to a stage (unambiguous prefix, any case) or to 'won' or 'lost'.

    Returns what the deal is now: the stage name, 'won' or 'lost'.
    """
    key = fold(target)
    if key in CLOSED:
        close_deal(session, deal, key, now, reason)
        return key
    if clean(reason):
        raise ValidationError("--reason is for lost deals")
    stage = pipelines.find_stage(session, deal.pipeline_id, target)
    move_deal(session, deal, stage, now)
    return stage.name


EDITABLE = (
    "title",
    "value",
    "currency",
    "expected_close",
    "probability",
    "notes",
    "contact_id",
    "company_id",
    *CRITERIA,
    "recurring",
)


def update_deal(session: Session, deal: Deal, changes: dict[str, Any], now: datetime) -> Deal:
    """Apply field changes to a deal (already parsed values)."""
    history.describe(session, f"edit deal #{deal.id} {deal.title}")
    for key, value in changes.items():
        if key not in EDITABLE:
            raise ValidationError(
                f"a deal has no field {key!r}", hint=f"fields: {', '.join(EDITABLE)}"
            )
        if key == "title":
            value = clean(value)
            if not value:
                raise ValidationError("a deal needs a title")
            deal.title_key = fold(value)
        if key == "probability" and value is not None:
            check_probability(int(value))
        if key in CRITERIA and value not in (YES, NO, None):
            raise ValidationError(f"not an answer for {key}: {value!r}", hint=ANSWER_HINT)
        if key == "recurring":
            value = read_recurring(value or "")
        setattr(deal, key, value)
    deal.updated_at = now
    session.add(deal)
    session.flush()
    return deal
