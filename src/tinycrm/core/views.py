"""Records described with stable field names: what `--json` prints and screens show.

Each description is read as rows of columns (SQLAlchemy Core on the models' tables), so
`crm show` builds no records. A session's pending changes are flushed first (see
store.query.execute), so a command that has just written a record describes it as stored.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tinycrm.core.tags import tags_of
from tinycrm.domain.dates import iso as iso
from tinycrm.domain.dates import stored_iso
from tinycrm.domain.money import to_decimal_text
from tinycrm.domain.qualification import CRITERIA, qualification
from tinycrm.errors import NotFoundError
from tinycrm.store.dialect import stored_text
from tinycrm.store.models import (
    Company,
    CompanyAddress,
    Contact,
    ContactAddress,
    ContactDate,
    ContactEmail,
    ContactPhone,
    ContactProperty,
    ContactUrl,
    Deal,
    Pipeline,
    Stage,
    StageChange,
)
from tinycrm.store.query import execute, live, primary_first

if TYPE_CHECKING:
    from sqlalchemy import Row
    from sqlmodel import Session

    from tinycrm.domain.rows import (
        AddressEntry,
        CompanyView,
        ContactView,
        DateEntry,
        DealView,
        EmailEntry,
        PhoneEntry,
        Ref,
        UrlEntry,
    )


# the id of the record a statement below describes
RECORD: BindParameter[int] = bindparam("record", type_=Integer)


def _ref(record_id: Any, label: Any) -> Ref | None:
    return {"id": record_id, "name": label} if record_id is not None else None


def _id(record: Any) -> int:
    """A record's id, given the record or the id."""
    record_id = record if isinstance(record, int) else record.id
    assert record_id is not None
    return int(record_id)


def _one(session: Session, kind: str, statement: Any, record_id: int) -> Row[*tuple[Any, ...]]:
    found = execute(session, statement, {"record": record_id}).first()
    if found is None:
        raise NotFoundError(f"no {kind} #{record_id}")
    return found


@cache
def _listed_statement(model: Any, column: Any) -> Select[*tuple[Any, ...]]:
    return (
        select(col(column), col(model.label), col(model.is_primary), col(model.types))
        .where(col(model.contact_id) == RECORD)
        .order_by(*primary_first(model))
    )


def _listed(session: Session, model: Any, column: Any, contact_id: int) -> list[Any]:
    """A contact's emails, phones or web addresses, the primary first, as (value, label,
    primary, types) rows."""
    return list(execute(session, _listed_statement(model, column), {"record": contact_id}))


def split_types(text: str | None) -> list[str]:
    """The vCard types stored comma-separated ("home,fax"), as a list."""
    return [t for t in (text or "").split(",") if t]


@cache
def _addresses_statement(model: Any) -> Select[*tuple[Any, ...]]:
    owner = model.contact_id if model is ContactAddress else model.company_id
    return (
        select(
            col(model.label), col(model.types), col(model.po_box), col(model.extended),
            col(model.street), col(model.locality), col(model.region), col(model.postcode),
            col(model.country), col(model.is_primary),
        )
        .where(col(owner) == RECORD)
        .order_by(col(model.is_primary).desc(), col(model.id))
    )  # fmt: skip


def addresses_view(session: Session, model: Any, owner_id: int) -> list[AddressEntry]:
    """A contact's or company's postal addresses, the primary first."""
    return [
        {
            "label": label, "types": split_types(types), "po_box": po_box,
            "extended": extended, "street": street, "locality": locality, "region": region,
            "postcode": postcode, "country": country, "primary": bool(primary),
        }
        for label, types, po_box, extended, street, locality, region, postcode, country, primary
        in execute(session, _addresses_statement(model), {"record": owner_id})
    ]  # fmt: skip


@cache
def _dates_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(ContactDate.kind),
            col(ContactDate.label),
            col(ContactDate.value),
            col(ContactDate.month),
            col(ContactDate.day),
        )
        .where(col(ContactDate.contact_id) == RECORD)
        .order_by(col(ContactDate.id))
    )


def _dates(session: Session, contact_id: int) -> list[DateEntry]:
    """A contact's dates: birthday, anniversary, then the others in the order added."""
    rows = execute(session, _dates_statement(), {"record": contact_id})
    found: list[DateEntry] = [
        {"kind": kind, "label": label, "date": value, "month": month, "day": day}
        for kind, label, value, month, day in rows
    ]
    order = ("birthday", "anniversary")
    return sorted(found, key=lambda d: order.index(d["kind"]) if d["kind"] in order else 2)


@cache
def _properties_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(col(ContactProperty.line))
        .where(col(ContactProperty.contact_id) == RECORD)
        .order_by(col(ContactProperty.position), col(ContactProperty.id))
    )


@cache
def _contact_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(Contact.uuid),
            col(Contact.name),
            col(Contact.title),
            col(Company.id),
            col(Company.name),
            col(Contact.lifecycle),
            col(Contact.source),
            col(Contact.notes),
            col(Contact.custom),
            col(Contact.keep_in_touch_days),
            stored_text(Contact.created_at),
            stored_text(Contact.updated_at),
            col(Contact.given_name),
            col(Contact.family_name),
            col(Contact.middle_name),
            col(Contact.name_prefix),
            col(Contact.name_suffix),
            col(Contact.nickname),
            col(Contact.photo),
        )
        .select_from(Contact)
        .outerjoin(Company, col(Company.id) == Contact.company_id)
        .where(col(Contact.id) == RECORD)
    )


def contact_dict(session: Session, contact: Contact | int) -> ContactView:
    """Describe a contact fully."""
    contact_id = _id(contact)
    statement = _contact_statement()
    (uuid, name, title, company_id, company, lifecycle, source, notes, custom, keep, created,
     updated, given, family, middle, prefix, suffix, nickname, photo) = _one(
        session, "contact", statement, contact_id)  # fmt: skip
    emails: list[EmailEntry] = [
        {"email": v, "label": label, "types": split_types(t), "primary": bool(p)}
        for v, label, p, t in _listed(session, ContactEmail, ContactEmail.email, contact_id)
    ]
    phones: list[PhoneEntry] = [
        {"phone": v, "label": label, "types": split_types(t), "primary": bool(p)}
        for v, label, p, t in _listed(session, ContactPhone, ContactPhone.phone, contact_id)
    ]
    urls: list[UrlEntry] = [
        {"url": v, "label": label, "types": split_types(t), "primary": bool(p)}
        for v, label, p, t in _listed(session, ContactUrl, ContactUrl.url, contact_id)
    ]
    return {
        "kind": "contact",
        "id": contact_id,
        "uuid": uuid,
        "name": name,
        "name_parts": {
            "given": given,
            "family": family,
            "middle": middle,
            "prefix": prefix,
            "suffix": suffix,
        },
        "nickname": nickname,
        "title": title,
        "company": _ref(company_id, company),
        "lifecycle": lifecycle,
        "source": source,
        "emails": emails,
        "phones": phones,
        "urls": urls,
        "addresses": addresses_view(session, ContactAddress, contact_id),
        "dates": _dates(session, contact_id),
        "photo": photo,
        "vcard_properties": [
            line for (line,) in execute(session, _properties_statement(), {"record": contact_id})
        ],
        "tags": tags_of(session, "contact", contact_id),
        "notes": notes,
        "custom": custom or {},
        "keep_in_touch_days": keep,
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }


@cache
def _company_statement() -> Select[*tuple[Any, ...]]:
    return select(
        col(Company.uuid),
        col(Company.name),
        col(Company.domain),
        col(Company.industry),
        col(Company.size),
        col(Company.notes),
        col(Company.custom),
        stored_text(Company.created_at),
        stored_text(Company.updated_at),
    ).where(col(Company.id) == RECORD)


@cache
def _people_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(col(Contact.id), col(Contact.name))
        .where(col(Contact.company_id) == RECORD, live(Contact))
        .order_by(col(Contact.name_key))
    )


def company_dict(session: Session, company: Company | int) -> CompanyView:
    """Describe a company fully, with its people."""
    company_id = _id(company)
    statement = _company_statement()
    (uuid, name, domain, industry, size, notes, custom, created, updated) = _one(
        session, "company", statement, company_id
    )
    people = execute(session, _people_statement(), {"record": company_id})
    return {
        "kind": "company",
        "id": company_id,
        "uuid": uuid,
        "name": name,
        "domain": domain,
        "industry": industry,
        "size": size,
        "notes": notes,
        "addresses": addresses_view(session, CompanyAddress, company_id),
        "tags": tags_of(session, "company", company_id),
        "custom": custom or {},
        "contacts": [{"id": person_id, "name": person} for person_id, person in people],
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }


@cache
def _deal_statement() -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(Deal.uuid),
            col(Deal.title),
            col(Contact.id),
            col(Contact.name),
            col(Company.id),
            col(Company.name),
            col(Pipeline.name),
            col(Stage.name),
            col(Deal.status),
            col(Deal.value),
            col(Deal.currency),
            func.coalesce(Deal.probability, Stage.probability),
            stored_text(Deal.expected_close),
            col(Deal.lost_reason),
            stored_text(Deal.closed_at),
            stored_text(Deal.stage_entered_at),
            col(Deal.notes),
            col(Deal.custom),
            stored_text(Deal.created_at),
            stored_text(Deal.updated_at),
            col(Deal.recurring),
            *(col(getattr(Deal, criterion)) for criterion in CRITERIA),
        )
        .select_from(Deal)
        .outerjoin(Contact, col(Contact.id) == Deal.contact_id)
        .outerjoin(Company, col(Company.id) == Deal.company_id)
        .outerjoin(Pipeline, col(Pipeline.id) == Deal.pipeline_id)
        .outerjoin(Stage, col(Stage.id) == Deal.stage_id)
        .where(col(Deal.id) == RECORD)
    )


@cache
def _history_statement() -> Select[*tuple[Any, ...]]:
    source, target = aliased(Stage, name="from_stage"), aliased(Stage, name="to_stage")
    return (
        select(col(source.name), col(target.name), stored_text(StageChange.at))
        .select_from(StageChange)
        .outerjoin(source, col(source.id) == StageChange.from_stage_id)
        .outerjoin(target, col(target.id) == StageChange.to_stage_id)
        .where(col(StageChange.deal_id) == RECORD)
        .order_by(col(StageChange.at), col(StageChange.id))
    )


def deal_dict(session: Session, deal: Deal | int, with_history: bool = True) -> DealView:
    """Describe a deal fully, with its stage history."""
    deal_id = _id(deal)
    statement = _deal_statement()
    (uuid, title, contact_id, contact, company_id, company, pipeline, stage, status, value,
     currency, probability, expected_close, lost_reason, closed, entered, notes, custom,
     created, updated, recurring, *answers) = _one(session, "deal", statement, deal_id)  # fmt: skip
    out: DealView = {
        "kind": "deal",
        "id": deal_id,
        "uuid": uuid,
        "title": title,
        "contact": _ref(contact_id, contact),
        "company": _ref(company_id, company),
        "pipeline": pipeline,
        "stage": stage,
        "status": status,
        "value": to_decimal_text(value, currency),
        "value_minor": value,
        "currency": currency,
        "recurring": recurring,
        "probability": probability,
        "expected_close": expected_close,
        "lost_reason": lost_reason,
        "qualification": qualification(answers),
        "closed_at": stored_iso(closed),
        "stage_entered_at": stored_iso(entered),
        "tags": tags_of(session, "deal", deal_id),
        "notes": notes,
        "custom": custom or {},
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }
    if with_history:
        changes = execute(session, _history_statement(), {"record": deal_id})
        out["stage_history"] = [
            {"from": src, "to": dst, "at": stored_iso(at)} for src, dst, at in changes
        ]
    return out
