"""Companies: create, find, update and list organisations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from tinycrm.domain.text import clean, fold
from tinycrm.errors import NotFoundError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Company


def check_domain(text: str | None) -> str | None:
    """Return a web domain as stored ('acme.com'), None for nothing, or raise ValidationError."""
    value = clean(text)
    if value is None:
        return None
    value = value.lower().removeprefix("https://").removeprefix("http://").strip("/")
    if " " in value or "." not in value:
        raise ValidationError(f"not a domain: {value!r}", hint="write it like acme.com")
    return value


def add_company(
    session: Session,
    name: str,
    *,
    now: datetime,
    domain: str | None = None,
    industry: str | None = None,
    size: str | None = None,
    notes: str | None = None,
) -> Company:
    """Create a company."""
    name = clean(name) or ""
    if not name:
        raise ValidationError("a company needs a name")
    history.describe(session, f"add company {name}")
    company = Company(
        uuid=str(uuid.uuid4()),
        name=name,
        name_key=fold(name),
        domain=check_domain(domain),
        industry=clean(industry),
        size=clean(size),
        notes=clean(notes),
        created_at=now,
        updated_at=now,
    )
    session.add(company)
    session.flush()
    return company


def get_company(session: Session, company_id: int) -> Company:
    """Return a company by id, or raise NotFoundError (trashed ones are not found)."""
    return query.get(session, Company, company_id, "company")


def find_company_by_name(session: Session, name: str) -> Company | None:
    """Return the company whose name is exactly `name` (any case or accents), if any."""
    return session.exec(
        select(Company)
        .where(Company.name_key == fold(name), query.live(Company))
        .order_by(col(Company.id))
    ).first()


def company_for(session: Session, name_or_ref: str, now: datetime) -> Company:
    """Return the company named or referenced (#id) by `name_or_ref`, creating it if new."""
    text = name_or_ref.strip()
    if text.startswith("#") and text[1:].isdecimal():
        if len(text) > 20 or int(text[1:]) >= 2**63:
            raise NotFoundError(f"no company {text}")
        return get_company(session, int(text[1:]))
    found = find_company_by_name(session, text)
    return found if found is not None else add_company(session, text, now=now)
