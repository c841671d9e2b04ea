"""Records as plain dicts with stable field names: what `--json` prints and screens show."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tinycrm.core import contacts, deals, tags
from tinycrm.core.dates import iso as iso
from tinycrm.core.models import Company, Contact, Deal, Pipeline, Stage
from tinycrm.core.money import to_decimal_text


def _ref(record_id: int | None, label: str | None) -> dict[str, Any] | None:
    return {"id": record_id, "name": label} if record_id is not None else None


def contact_dict(session: Session, contact: Contact) -> dict[str, Any]:
    """Describe a contact fully."""
    assert contact.id is not None
    company = session.get(Company, contact.company_id) if contact.company_id else None
    return {
        "kind": "contact",
        "id": contact.id,
        "uuid": contact.uuid,
        "name": contact.name,
        "title": contact.title,
        "company": _ref(company.id, company.name) if company else None,
        "lifecycle": contact.lifecycle,
        "source": contact.source,
        "emails": [
            {"email": e.email, "label": e.label, "primary": e.is_primary}
            for e in contacts.emails_of(session, contact.id)
        ],
        "phones": [
            {"phone": p.phone, "label": p.label, "primary": p.is_primary}
            for p in contacts.phones_of(session, contact.id)
        ],
        "urls": [
            {"url": u.url, "label": u.label, "primary": u.is_primary}
            for u in contacts.urls_of(session, contact.id)
        ],
        "tags": tags.tags_of(session, "contact", contact.id),
        "notes": contact.notes,
        "custom": contact.custom or {},
        "keep_in_touch_days": contact.keep_in_touch_days,
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


def company_dict(session: Session, company: Company) -> dict[str, Any]:
    """Describe a company fully, with its people."""
    assert company.id is not None
    people = session.exec(
        select(Contact)
        .where(Contact.company_id == company.id, col(Contact.deleted_at).is_(None))
        .order_by(col(Contact.name_key))
    ).all()
    return {
        "kind": "company",
        "id": company.id,
        "uuid": company.uuid,
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry,
        "size": company.size,
        "notes": company.notes,
        "tags": tags.tags_of(session, "company", company.id),
        "custom": company.custom or {},
        "contacts": [{"id": p.id, "name": p.name} for p in people],
        "created_at": iso(company.created_at),
        "updated_at": iso(company.updated_at),
    }


def deal_dict(session: Session, deal: Deal, with_history: bool = True) -> dict[str, Any]:
    """Describe a deal fully, with its stage history."""
    assert deal.id is not None
    stage = session.get(Stage, deal.stage_id)
    pipeline = session.get(Pipeline, deal.pipeline_id)
    contact = session.get(Contact, deal.contact_id) if deal.contact_id else None
    company = session.get(Company, deal.company_id) if deal.company_id else None
    probability = (
        deal.probability if deal.probability is not None else (stage.probability if stage else None)
    )
    out: dict[str, Any] = {
        "kind": "deal",
        "id": deal.id,
        "uuid": deal.uuid,
        "title": deal.title,
        "contact": _ref(contact.id, contact.name) if contact else None,
        "company": _ref(company.id, company.name) if company else None,
        "pipeline": pipeline.name if pipeline else None,
        "stage": stage.name if stage else None,
        "status": deal.status,
        "value": to_decimal_text(deal.value, deal.currency),
        "value_minor": deal.value,
        "currency": deal.currency,
        "probability": probability,
        "expected_close": deal.expected_close.isoformat() if deal.expected_close else None,
        "lost_reason": deal.lost_reason,
        "closed_at": iso(deal.closed_at),
        "stage_entered_at": iso(deal.stage_entered_at),
        "tags": tags.tags_of(session, "deal", deal.id),
        "notes": deal.notes,
        "custom": deal.custom or {},
        "created_at": iso(deal.created_at),
        "updated_at": iso(deal.updated_at),
    }
    if with_history:
        out["stage_history"] = [
            {"from": src, "to": dst, "at": iso(change.at)}
            for change, src, dst in deals.stage_history(session, deal.id)
        ]
    return out
