"""Listing contacts, companies and deals with filters, sorting and paging, in one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, select
from sqlmodel import Session, col

from tinycrm.core import pipelines
from tinycrm.core.models import (
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
from tinycrm.core.money import to_decimal_text
from tinycrm.core.text import fold
from tinycrm.core.views import iso
from tinycrm.errors import ValidationError


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
    now: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def day_start(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """Read a day as typed ('2026-11-01', 'today') and return its local midnight, in UTC."""
    from tinycrm.core.dates import local_tz, parse_day

    tz = tz or local_tz()
    return datetime.combine(parse_day(text, now, tz), time(0), tz).astimezone(UTC)


def _range(created: Any, updated: Any, flt: ListFilter) -> list[Any]:
    """Conditions for the created/updated ranges: after is inclusive, before exclusive."""
    conditions = []
    if flt.created_after is not None:
        conditions.append(created >= flt.created_after)
    if flt.created_before is not None:
        conditions.append(created < flt.created_before)
    if flt.updated_after is not None:
        conditions.append(updated >= flt.updated_after)
    if flt.updated_before is not None:
        conditions.append(updated < flt.updated_before)
    return conditions


def _quiet_since(flt: ListFilter) -> datetime | None:
    """The moment since which a record must have had no interaction (None: no such filter)."""
    if flt.no_interaction_days is None:
        return None
    if flt.no_interaction_days < 0:
        raise ValidationError("--no-interaction-days takes a number of days, 0 or more")
    if flt.now is None:
        raise ValidationError("a no-interaction filter needs the current time")
    return flt.now - timedelta(days=flt.no_interaction_days)


def _no_interaction_with(owner_column: Any, record_id: Any, since: datetime) -> Any:
    """NOT EXISTS an interaction on this record at or after `since` (uses the (owner, at)
    indexes)."""
    return ~exists(
        select(1)
        .select_from(Interaction)
        .where(
            owner_column == record_id,
            col(Interaction.occurred_at) >= since,
            col(Interaction.deleted_at).is_(None),
        )
    )


@dataclass(frozen=True)
class Page:
    """Sorting and paging."""

    sort: str | None = None
    descending: bool = False
    limit: int | None = None
    offset: int = 0


def _tag_condition(link: Any, id_column: Any, owner_id: Any, names: tuple[str, ...]) -> list[Any]:
    conditions = []
    for name in names:
        conditions.append(
            exists(
                select(1)
                .select_from(link)
                .join(Tag, Tag.id == link.tag_id)
                .where(id_column == owner_id, col(Tag.name) == name.strip().lower())
            )
        )
    return conditions


def _page(query: Select[Any], page: Page, sorts: dict[str, Any], default: str) -> Select[Any]:
    key = page.sort or default
    if key not in sorts:
        raise ValidationError(f"cannot sort by {key!r}", hint=f"sort by one of: {', '.join(sorts)}")
    column = sorts[key]
    query = query.order_by(column.desc() if page.descending else column.asc(), sorts["id"])
    if page.limit is not None:
        query = query.limit(page.limit)
    if page.offset:
        query = query.offset(page.offset)
    return query


def contacts_query(flt: ListFilter) -> Select[Any]:
    """Build the query behind `list contacts` (without sorting)."""
    primary_email = (
        select(ContactEmail.email)
        .where(col(ContactEmail.contact_id) == Contact.id)
        .order_by(col(ContactEmail.is_primary).desc(), col(ContactEmail.id))
        .limit(1)
        .scalar_subquery()
    )
    primary_phone = (
        select(ContactPhone.phone)
        .where(col(ContactPhone.contact_id) == Contact.id)
        .order_by(col(ContactPhone.is_primary).desc(), col(ContactPhone.id))
        .limit(1)
        .scalar_subquery()
    )
    tag_list = (
        select(func.group_concat(Tag.name, ","))
        .join(ContactTag, col(ContactTag.tag_id) == Tag.id)
        .where(col(ContactTag.contact_id) == Contact.id)
        .scalar_subquery()
    )
    query: Select[Any] = (
        select(
            Contact.id,
            Contact.name,
            Contact.title,
            Company.name.label("company"),  # type: ignore[attr-defined]
            primary_email.label("email"),
            primary_phone.label("phone"),
            Contact.lifecycle,
            Contact.source,
            tag_list.label("tags"),
            Contact.created_at,
            Contact.updated_at,
        )
        .select_from(Contact)
        .outerjoin(Company, col(Company.id) == Contact.company_id)
        .where(col(Contact.deleted_at).is_(None))
    )
    conditions: list[Any] = []
    if flt.lifecycle:
        from tinycrm.core.contacts import check_lifecycle

        conditions.append(Contact.lifecycle == check_lifecycle(flt.lifecycle))
    if flt.source:
        conditions.append(Contact.source == fold(flt.source))
    if flt.company:
        conditions.append(Company.name_key.like(f"%{fold(flt.company)}%"))  # type: ignore[attr-defined]
    if flt.text:
        conditions.append(Contact.name_key.like(f"%{fold(flt.text)}%"))  # type: ignore[attr-defined]
    conditions += _tag_condition(ContactTag, ContactTag.contact_id, Contact.id, flt.tags)
    conditions += _range(col(Contact.created_at), col(Contact.updated_at), flt)
    since = _quiet_since(flt)
    if since is not None:
        conditions.append(_no_interaction_with(col(Interaction.contact_id), Contact.id, since))
    if conditions:
        query = query.where(and_(*conditions))
    return query


CONTACT_SORTS: dict[str, Any] = {
    "id": Contact.id,
    "name": Contact.name_key,
    "created": Contact.created_at,
    "updated": Contact.updated_at,
    "lifecycle": Contact.lifecycle,
}


def list_contacts(
    session: Session, flt: ListFilter, page: Page, *, where: Any = None, score: Any = None
) -> list[dict[str, Any]]:
    """Return contacts as rows for a table or JSON.

    `where` narrows the list further (a segment); `score` is a SQL expression for the lead
    score (see core.scoring): it adds a "score" field and the "score" sort key.
    """
    query = contacts_query(flt)
    sorts = CONTACT_SORTS
    if where is not None:
        query = query.where(where)
    if score is not None:
        query = query.add_columns(score.label("score"))
        sorts = {**CONTACT_SORTS, "score": literal_column("score")}
    query = _page(query, page, sorts, "name")
    rows = session.connection().execute(query).mappings().all()
    extra = ["score"] if score is not None else []
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "title": r["title"],
            "company": r["company"],
            "email": r["email"],
            "phone": r["phone"],
            "lifecycle": r["lifecycle"],
            "source": r["source"],
            "tags": sorted(r["tags"].split(",")) if r["tags"] else [],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(r["updated_at"]),
            **{key: r[key] for key in extra},
        }
        for r in rows
    ]


COMPANY_SORTS: dict[str, Any] = {
    "id": Company.id,
    "name": Company.name_key,
    "created": Company.created_at,
    "updated": Company.updated_at,
}


def list_companies(session: Session, flt: ListFilter, page: Page) -> list[dict[str, Any]]:
    """Return companies as rows, with how many contacts and open deals each has."""
    people = (
        select(func.count())
        .select_from(Contact)
        .where(col(Contact.company_id) == Company.id, col(Contact.deleted_at).is_(None))
        .scalar_subquery()
    )
    open_deals = (
        select(func.count())
        .select_from(Deal)
        .where(
            col(Deal.company_id) == Company.id,
            col(Deal.status) == "open",
            col(Deal.deleted_at).is_(None),
        )
        .scalar_subquery()
    )
    query = select(
        Company.id,
        Company.name,
        Company.domain,
        Company.industry,
        people.label("contacts"),
        open_deals.label("open_deals"),
        Company.created_at,
        Company.updated_at,
    ).where(col(Company.deleted_at).is_(None))
    conditions: list[Any] = []
    if flt.text or flt.company:
        conditions.append(col(Company.name_key).like(f"%{fold(flt.text or flt.company or '')}%"))
    conditions += _tag_condition(CompanyTag, CompanyTag.company_id, Company.id, flt.tags)
    conditions += _range(col(Company.created_at), col(Company.updated_at), flt)
    if conditions:
        query = query.where(and_(*conditions))
    query = _page(query, page, COMPANY_SORTS, "name")
    rows = session.connection().execute(query).mappings().all()
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "domain": r["domain"],
            "industry": r["industry"],
            "contacts": r["contacts"],
            "open_deals": r["open_deals"],
            "created_at": iso(r["created_at"]),
            "updated_at": iso(r["updated_at"]),
        }
        for r in rows
    ]


DEAL_SORTS: dict[str, Any] = {
    "id": Deal.id,
    "title": Deal.title_key,
    "value": Deal.value,
    "stage": Stage.position,
    "close": Deal.expected_close,
    "created": Deal.created_at,
    "updated": Deal.updated_at,
}


def list_deals(
    session: Session, flt: ListFilter, page: Page, *, where: Any = None
) -> list[dict[str, Any]]:
    """Return deals as rows, with stage, contact and company names; `where` narrows further."""
    query = (
        select(
            Deal.id,
            Deal.title,
            Deal.status,
            Deal.value,
            Deal.currency,
            Deal.expected_close,
            Deal.probability,
            Deal.stage_entered_at,
            Deal.created_at,
            Deal.updated_at,
            Stage.name.label("stage"),  # type: ignore[attr-defined]
            Stage.probability.label("stage_probability"),  # type: ignore[attr-defined]
            Contact.name.label("contact"),  # type: ignore[attr-defined]
            Company.name.label("company"),  # type: ignore[attr-defined]
        )
        .select_from(Deal)
        .join(Stage, col(Stage.id) == Deal.stage_id)
        .outerjoin(Contact, col(Contact.id) == Deal.contact_id)
        .outerjoin(Company, col(Company.id) == Deal.company_id)
        .where(col(Deal.deleted_at).is_(None))
    )
    conditions: list[Any] = []
    if flt.pipeline or flt.stage:
        pipe = pipelines.get_pipeline(session, flt.pipeline)
        assert pipe.id is not None
        conditions.append(Deal.pipeline_id == pipe.id)
        if flt.stage:
            conditions.append(Deal.stage_id == pipelines.find_stage(session, pipe.id, flt.stage).id)
    if flt.status:
        status = flt.status.strip().lower()
        if status not in ("open", "won", "lost"):
            raise ValidationError(f"not a deal status: {flt.status!r}", hint="open, won or lost")
        conditions.append(Deal.status == status)
    if flt.company:
        conditions.append(col(Company.name_key).like(f"%{fold(flt.company)}%"))
    if flt.text:
        conditions.append(col(Deal.title_key).like(f"%{fold(flt.text)}%"))
    if flt.min_value is not None:
        conditions.append(col(Deal.value) >= flt.min_value)
    if flt.max_value is not None:
        conditions.append(col(Deal.value) <= flt.max_value)
    conditions += _tag_condition(DealTag, DealTag.deal_id, Deal.id, flt.tags)
    conditions += _range(col(Deal.created_at), col(Deal.updated_at), flt)
    since = _quiet_since(flt)
    if since is not None:
        # a deal is touched by interactions logged on it or on its contact
        conditions.append(_no_interaction_with(col(Interaction.deal_id), Deal.id, since))
        conditions.append(_no_interaction_with(col(Interaction.contact_id), Deal.contact_id, since))
    if where is not None:
        conditions.append(where)
    if conditions:
        query = query.where(and_(*conditions))
    query = _page(query, page, DEAL_SORTS, "id")
    rows = session.connection().execute(query).mappings().all()
    return [
        {
            "id": r["id"],
            "title": r["title"],
            "stage": r["stage"],
            "status": r["status"],
            "value": to_decimal_text(r["value"], r["currency"]),
            "value_minor": r["value"],
            "currency": r["currency"],
            "probability": r["probability"]
            if r["probability"] is not None
            else r["stage_probability"],
            "contact": r["contact"],
            "company": r["company"],
            "expected_close": r["expected_close"].isoformat() if r["expected_close"] else None,
            "stage_entered_at": iso(r["stage_entered_at"]),
            "created_at": iso(r["created_at"]),
            "updated_at": iso(r["updated_at"]),
        }
        for r in rows
    ]
