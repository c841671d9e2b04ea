"""Listing contacts, companies and deals with filters, sorting and paging, in one query each.

Each list is one SQLAlchemy Core statement on the models' tables, read as rows of columns
(never as records: a list of thousands builds none), inside the session's transaction. The
conditions are expressions that compose: a saved segment (core.segments) narrows a list with
one more, and the lead score (core.scoring) is one more column to show and sort by.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, select
from sqlmodel import col

from tinycrm.core import qualify
from tinycrm.core.pipelines import pipeline_row, stage_row
from tinycrm.domain.dates import stored_iso
from tinycrm.domain.money import to_decimal_text
from tinycrm.domain.qualification import CRITERIA, qualification
from tinycrm.domain.text import fold
from tinycrm.domain.values import DealStatus, check_lifecycle, check_status
from tinycrm.errors import ValidationError
from tinycrm.store.dialect import joined, stored_text
from tinycrm.store.models import (
    Company,
    CompanyTag,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Deal,
    DealTag,
    Interaction,
    Stage,
    Tag,
)
from tinycrm.store.query import contains, execute, live, primary_of, table

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

    from tinycrm.domain.rows import CompanyRow, ContactRow, DealRow


# the columns of the tables the lists read (Core, without the ORM's layer: see store.query.table)
CONTACT, COMPANY, DEAL, STAGE, TAG, INTERACTION = (
    table(m).c for m in (Contact, Company, Deal, Stage, Tag, Interaction)
)
EMAIL, PHONE = table(ContactEmail).c, table(ContactPhone).c
CONTACT_TAG, COMPANY_TAG, DEAL_TAG = (table(m).c for m in (ContactTag, CompanyTag, DealTag))


@dataclass(frozen=True)
class ListFilter:
    """What a list is narrowed to; every field is optional."""

    tags: tuple[str, ...] = ()
    lifecycle: str | None = None
    source: str | None = None
    company: str | None = None
    stage: str | None = None
    status: str | None = None
    pipeline: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    no_interaction_days: int | None = None
    qualified: int | None = None  # deals with at least this many criteria of BANT yes
    bant: tuple[str, ...] = ()  # deals with each of these criteria yes
    now: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """Sorting and paging."""

    sort: str | None = None
    descending: bool = False
    limit: int | None = None
    offset: int = 0


def _ranges(model: Any, flt: ListFilter) -> list[ColumnElement[bool]]:
    """Conditions for the created/updated ranges: after is inclusive, before exclusive."""
    found: list[ColumnElement[bool]] = []
    created, updated = col(model.created_at), col(model.updated_at)
    if flt.created_after is not None:
        found.append(created >= flt.created_after)
    if flt.created_before is not None:
        found.append(created < flt.created_before)
    if flt.updated_after is not None:
        found.append(updated >= flt.updated_after)
    if flt.updated_before is not None:
        found.append(updated < flt.updated_before)
    return found


def _quiet_since(flt: ListFilter) -> datetime | None:
    """The moment since which a record must have had no interaction (None: no such filter)."""
    if flt.no_interaction_days is None:
        return None
    if flt.no_interaction_days < 0:
        raise ValidationError("--no-interaction-days takes a number of days, 0 or more")
    if flt.now is None:
        raise ValidationError("a no-interaction filter needs the current time")
    return flt.now - timedelta(days=flt.no_interaction_days)


def _no_interaction(owner: Any, record: Any, since: datetime) -> ColumnElement[bool]:
    """No live interaction on this record at or after `since` (uses the (owner, at) indexes)."""
    return ~exists().where(
        col(owner) == record, INTERACTION.occurred_at >= since, live(INTERACTION)
    )


def tagged(link: Any, owner: Any, record: Any, name: str) -> ColumnElement[bool]:
    """The record carries the tag called `name` (`link` is the kind's tag table, `owner` its
    column naming the record)."""
    return exists().where(col(owner) == record, col(link.tag_id) == TAG.id, TAG.name == name)


def person_filter(
    flt: ListFilter, person: Any = None, company_key: Any = None
) -> list[ColumnElement[bool]]:
    """Conditions on a contact row for the fields that describe a person: lifecycle, source,
    company, name and tags. `person` is the contact table or an alias of it; `company_key`
    its company's folded name, if the statement joins it (else it is looked up)."""
    person = CONTACT if person is None else person
    found: list[ColumnElement[bool]] = []
    if flt.lifecycle:
        found.append(col(person.lifecycle) == check_lifecycle(flt.lifecycle))
    if flt.source:
        found.append(col(person.source) == fold(flt.source))
    if flt.company:
        if company_key is None:
            company = table(Company).alias("person_company").c
            company_key = (
                select(col(company.name_key))
                .where(col(company.id) == person.company_id)
                .scalar_subquery()
            )
        found.append(contains(company_key, fold(flt.company)))
    if flt.text:
        found.append(contains(person.name_key, fold(flt.text)))
    found += [tagged(CONTACT_TAG, CONTACT_TAG.contact_id, person.id, n) for n in _tags(flt)]
    return found


def deal_filter(
    flt: ListFilter, deal: Any, pipeline: int | None, stage: int | None
) -> list[ColumnElement[bool]]:
    """Conditions on a deal row for the fields that describe a deal: its pipeline and stage
    (their ids, looked up already), status, value and qualification. `deal` is the deal
    table or an alias."""
    found: list[ColumnElement[bool]] = []
    if pipeline is not None:
        found.append(col(deal.pipeline_id) == pipeline)
    if stage is not None:
        found.append(col(deal.stage_id) == stage)
    if flt.status:
        found.append(col(deal.status) == check_status(flt.status))
    if flt.min_value is not None:
        found.append(col(deal.value) >= flt.min_value)
    if flt.max_value is not None:
        found.append(col(deal.value) <= flt.max_value)
    return found + qualify.conditions(deal, flt.qualified, flt.bant)


def _order(page: Page, sorts: dict[str, Any], default: str, id_column: Any) -> tuple[Any, ...]:
    key = page.sort or default
    if key not in sorts:
        raise ValidationError(f"cannot sort by {key!r}", hint=f"sort by one of: {', '.join(sorts)}")
    column = sorts[key]
    return (column.desc() if page.descending else column.asc(), col(id_column))


def _paged(statement: Any, page: Page) -> Any:
    if page.limit is not None:
        statement = statement.limit(page.limit)
    if page.offset:
        statement = statement.offset(page.offset)
    return statement


def _unfiltered(flt: ListFilter) -> bool:
    """Whether a filter keeps everything (the time it carries matters only to a filter)."""
    return replace(flt, now=None) == ListFilter()


# A statement costs more to build than SQLite's work for a page, so the columns and tables
# of each list are built once, and so is the whole statement of an unfiltered page (the
# usual list, and every page the board's contact list scrolls to).
@cache
def _contacts_select() -> Any:
    return contacts_from(select(*_contact_columns()))


@lru_cache(maxsize=64)
def _all_contacts(page: Page) -> Any:
    order = _order(page, CONTACT_SORTS, "name", CONTACT.id)
    return _paged(_contacts_select().where(live(CONTACT)).order_by(*order), page)


def _contact_columns() -> tuple[Any, ...]:
    tag_names = (
        select(joined(TAG.name, ","))
        .where(CONTACT_TAG.tag_id == TAG.id, CONTACT_TAG.contact_id == CONTACT.id)
        .scalar_subquery()
    )
    return (
        CONTACT.id,
        CONTACT.name,
        CONTACT.title,
        COMPANY.name,
        primary_of(EMAIL, EMAIL.email, CONTACT.id),
        primary_of(PHONE, PHONE.phone, CONTACT.id),
        CONTACT.lifecycle,
        CONTACT.source,
        tag_names,
        stored_text(CONTACT.created_at),
        stored_text(CONTACT.updated_at),
    )


def contact_conditions(flt: ListFilter) -> list[ColumnElement[bool]]:
    """The conditions of `list contacts` with this filter, on the contact table joined to its
    company (see contacts_from)."""
    found = [live(CONTACT), *person_filter(flt, CONTACT, COMPANY.name_key)]
    found += _ranges(CONTACT, flt)
    since = _quiet_since(flt)
    if since is not None:
        found.append(_no_interaction(INTERACTION.contact_id, CONTACT.id, since))
    return found


def contacts_from(statement: Any) -> Any:
    """The statement reading from the contact table joined to its company (if any)."""
    joined = table(Contact).outerjoin(table(Company), COMPANY.id == CONTACT.company_id)
    return statement.select_from(joined)


CONTACT_SORTS: dict[str, Any] = {
    "id": CONTACT.id,
    "name": CONTACT.name_key,
    "created": CONTACT.created_at,
    "updated": CONTACT.updated_at,
    "lifecycle": CONTACT.lifecycle,
}


def list_contacts(
    session: Session,
    flt: ListFilter,
    page: Page,
    *,
    where: ColumnElement[bool] | None = None,
    score: ColumnElement[int] | None = None,
) -> list[ContactRow]:
    """Return contacts as rows for a table or JSON.

    `where` narrows the list further (a segment); `score` is the lead score of the contact
    row (see core.scoring): it adds a "score" field and the "score" sort key.
    """
    if where is None and score is None and _unfiltered(flt):
        statement = _all_contacts(page)
    else:
        conditions = contact_conditions(flt)
        if where is not None:
            conditions.append(where)
        statement = _contacts_select()
        sorts = CONTACT_SORTS
        if score is not None:
            labelled = score.label("score")
            statement = statement.add_columns(labelled)
            sorts = {**CONTACT_SORTS, "score": labelled}
        statement = statement.where(*conditions)
        statement = _paged(statement.order_by(*_order(page, sorts, "name", CONTACT.id)), page)
    rows: list[ContactRow] = []
    for r in execute(session, statement):
        row: ContactRow = {
            "id": r[0],
            "name": r[1],
            "title": r[2],
            "company": r[3],
            "email": r[4],
            "phone": r[5],
            "lifecycle": r[6],
            "source": r[7],
            "tags": sorted(r[8].split(",")) if r[8] else [],
            "created_at": stored_iso(r[9]),
            "updated_at": stored_iso(r[10]),
        }
        if score is not None:
            row["score"] = r[11]
        rows.append(row)
    return rows


def contact_ids(session: Session, flt: ListFilter) -> list[int]:
    """Return the ids of the contacts a contact list with this filter has, by name."""
    statement = contacts_from(select(CONTACT.id)).where(*contact_conditions(flt))
    statement = statement.order_by(CONTACT.name_key, CONTACT.id)
    return list(execute(session, statement).scalars())


def count_contacts(session: Session, flt: ListFilter) -> int:
    """Return how many contacts a contact list with this filter has."""
    statement = contacts_from(select(func.count())).where(*contact_conditions(flt))
    return int(execute(session, statement).scalar_one())


COMPANY_SORTS: dict[str, Any] = {
    "id": COMPANY.id,
    "name": COMPANY.name_key,
    "created": COMPANY.created_at,
    "updated": COMPANY.updated_at,
}


@cache
def _companies_select() -> Any:
    return select(*_company_columns())


@lru_cache(maxsize=64)
def _all_companies(page: Page) -> Any:
    order = _order(page, COMPANY_SORTS, "name", COMPANY.id)
    return _paged(_companies_select().where(live(COMPANY)).order_by(*order), page)


def _company_columns() -> tuple[Any, ...]:
    people = (
        select(func.count())
        .where(CONTACT.company_id == COMPANY.id, live(CONTACT))
        .scalar_subquery()
    )
    open_deals = (
        select(func.count())
        .where(DEAL.company_id == COMPANY.id, DEAL.status == DealStatus.OPEN, live(DEAL))
        .scalar_subquery()
    )
    return (
        COMPANY.id,
        COMPANY.name,
        COMPANY.domain,
        COMPANY.industry,
        people,
        open_deals,
        stored_text(COMPANY.created_at),
        stored_text(COMPANY.updated_at),
    )


def list_companies(session: Session, flt: ListFilter, page: Page) -> list[CompanyRow]:
    """Return companies as rows, with how many contacts and open deals each has."""
    if _unfiltered(flt):
        statement = _all_companies(page)
    else:
        conditions = [live(COMPANY)]
        if flt.text or flt.company:
            conditions.append(contains(COMPANY.name_key, fold(flt.text or flt.company or "")))
        conditions += [
            tagged(COMPANY_TAG, COMPANY_TAG.company_id, COMPANY.id, n) for n in _tags(flt)
        ]
        conditions += _ranges(COMPANY, flt)
        order = _order(page, COMPANY_SORTS, "name", COMPANY.id)
        statement = _paged(_companies_select().where(*conditions).order_by(*order), page)
    return [
        {
            "id": r[0],
            "name": r[1],
            "domain": r[2],
            "industry": r[3],
            "contacts": r[4],
            "open_deals": r[5],
            "created_at": stored_iso(r[6]),
            "updated_at": stored_iso(r[7]),
        }
        for r in execute(session, statement)
    ]


def _tags(flt: ListFilter) -> list[str]:
    return [name.strip().lower() for name in flt.tags]


DEAL_SORTS: dict[str, Any] = {
    "id": DEAL.id,
    "title": DEAL.title_key,
    "value": DEAL.value,
    "stage": STAGE.position,
    "close": DEAL.expected_close,
    "created": DEAL.created_at,
    "updated": DEAL.updated_at,
}


@cache
def _deals_select() -> Any:
    return select(*_deal_columns()).select_from(
        table(Deal)
        .join(table(Stage), STAGE.id == DEAL.stage_id)
        .outerjoin(table(Contact), CONTACT.id == DEAL.contact_id)
        .outerjoin(table(Company), COMPANY.id == DEAL.company_id)
    )


@lru_cache(maxsize=64)
def _all_deals(page: Page) -> Any:
    order = _order(page, DEAL_SORTS, "id", DEAL.id)
    return _paged(_deals_select().where(live(DEAL)).order_by(*order), page)


def _deal_columns() -> tuple[Any, ...]:
    return (
        DEAL.id,
        DEAL.title,
        DEAL.status,
        DEAL.value,
        DEAL.currency,
        stored_text(DEAL.expected_close),
        func.coalesce(DEAL.probability, STAGE.probability),
        stored_text(DEAL.stage_entered_at),
        stored_text(DEAL.created_at),
        stored_text(DEAL.updated_at),
        STAGE.name,
        CONTACT.name,
        COMPANY.name,
        DEAL.recurring,
        *(DEAL[criterion] for criterion in CRITERIA),
    )


def deal_conditions(session: Session, flt: ListFilter) -> list[ColumnElement[bool]]:
    """The conditions of `list deals` with this filter, on the deal table joined to its
    stage, contact and company; a pipeline or stage named in the filter is looked up first,
    so an unknown one is an error."""
    pipe = stage = None
    if flt.pipeline or flt.stage:
        pipe = pipeline_row(session, flt.pipeline)[0]
        if flt.stage:
            stage = stage_row(session, pipe, flt.stage)[0]
    found = [live(DEAL), *deal_filter(flt, DEAL, pipe, stage)]
    if flt.company:
        found.append(contains(COMPANY.name_key, fold(flt.company)))
    if flt.text:
        found.append(contains(DEAL.title_key, fold(flt.text)))
    found += [tagged(DEAL_TAG, DEAL_TAG.deal_id, DEAL.id, name) for name in _tags(flt)]
    found += _ranges(DEAL, flt)
    since = _quiet_since(flt)
    if since is not None:
        # a deal is touched by interactions logged on it or on its contact
        found.append(_no_interaction(INTERACTION.deal_id, DEAL.id, since))
        found.append(_no_interaction(INTERACTION.contact_id, DEAL.contact_id, since))
    return found


def list_deals(
    session: Session,
    flt: ListFilter,
    page: Page,
    *,
    where: ColumnElement[bool] | None = None,
) -> list[DealRow]:
    """Return deals as rows, with stage, contact and company names; `where` narrows further."""
    if where is None and _unfiltered(flt):
        statement = _all_deals(page)
    else:
        conditions = deal_conditions(session, flt)
        if where is not None:
            conditions.append(where)
        order = _order(page, DEAL_SORTS, "id", DEAL.id)
        statement = _paged(_deals_select().where(*conditions).order_by(*order), page)
    return [
        {
            "id": r[0],
            "title": r[1],
            "stage": r[10],
            "status": r[2],
            "value": to_decimal_text(r[3], r[4]),
            "value_minor": r[3],
            "currency": r[4],
            "recurring": r[13],
            "probability": r[6],
            "contact": r[11],
            "company": r[12],
            "expected_close": r[5],
            "qualification": qualification(r[14:18]),
            "stage_entered_at": stored_iso(r[7]),
            "created_at": stored_iso(r[8]),
            "updated_at": stored_iso(r[9]),
        }
        for r in execute(session, statement)
    ]
