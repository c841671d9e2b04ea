"""Records as plain dicts with stable field names: what `--json` prints and screens show.

Read with SQL text on any reader, so `crm show` needs no ORM. A session's pending changes
are flushed first (see reader.fetch), so a command that has just written a record describes
it as stored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tinycrm.domain.dates import iso as iso
from tinycrm.domain.dates import stored_iso
from tinycrm.domain.money import to_decimal_text
from tinycrm.errors import NotFoundError
from tinycrm.store.reader import fetch

if TYPE_CHECKING:
    from tinycrm.store.models import Company, Contact, Deal
    from tinycrm.store.reader import Reader


def _ref(record_id: int | None, label: str | None) -> dict[str, Any] | None:
    return {"id": record_id, "name": label} if record_id is not None else None


def _id(record: Any) -> int:
    """A record's id, given the record or the id."""
    record_id = record if isinstance(record, int) else record.id
    assert record_id is not None
    return int(record_id)


def _custom(text: str | None) -> dict[str, Any]:
    value = json.loads(text) if text is not None else None
    return value or {}


def _one(reader: Reader, kind: str, sql: str, record_id: int) -> tuple[Any, ...]:
    rows = fetch(reader, sql, (record_id,))
    if not rows:
        raise NotFoundError(f"no {kind} #{record_id}")
    return tuple(rows[0])


def _tags(reader: Reader, kind: str, record_id: int) -> list[str]:
    """The tag names on one record, sorted."""
    rows = fetch(
        reader,
        f"SELECT tag.name FROM tag JOIN {kind}_tag link ON link.tag_id = tag.id"
        f" WHERE link.{kind}_id = ?",
        (record_id,),
    )
    return sorted(r[0] for r in rows)


def _listed(reader: Reader, table: str, column: str, contact_id: int) -> list[dict[str, Any]]:
    """A contact's emails, phones or web addresses, the primary first."""
    rows = fetch(
        reader,
        f"SELECT {column}, label, is_primary FROM {table} WHERE contact_id = ?"
        " ORDER BY is_primary DESC, id",
        (contact_id,),
    )
    return [{column: value, "label": label, "primary": bool(p)} for value, label, p in rows]


def contact_dict(reader: Reader, contact: Contact | int) -> dict[str, Any]:
    """Describe a contact fully."""
    contact_id = _id(contact)
    (_, uuid, name, title, company_id, company, lifecycle, source, notes, custom, keep, created,
     updated) = _one(
        reader,
        "contact",
        "SELECT contact.id, contact.uuid, contact.name, contact.title, company.id, company.name,"
        " contact.lifecycle, contact.source, contact.notes, contact.custom,"
        " contact.keep_in_touch_days, contact.created_at, contact.updated_at"
        " FROM contact LEFT OUTER JOIN company ON company.id = contact.company_id"
        " WHERE contact.id = ?",
        contact_id,
    )  # fmt: skip
    return {
        "kind": "contact",
        "id": contact_id,
        "uuid": uuid,
        "name": name,
        "title": title,
        "company": _ref(company_id, company),
        "lifecycle": lifecycle,
        "source": source,
        "emails": _listed(reader, "contact_email", "email", contact_id),
        "phones": _listed(reader, "contact_phone", "phone", contact_id),
        "urls": _listed(reader, "contact_url", "url", contact_id),
        "tags": _tags(reader, "contact", contact_id),
        "notes": notes,
        "custom": _custom(custom),
        "keep_in_touch_days": keep,
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }


def company_dict(reader: Reader, company: Company | int) -> dict[str, Any]:
    """Describe a company fully, with its people."""
    company_id = _id(company)
    (_, uuid, name, domain, industry, size, notes, custom, created, updated) = _one(
        reader,
        "company",
        "SELECT id, uuid, name, domain, industry, size, notes, custom, created_at, updated_at"
        " FROM company WHERE id = ?",
        company_id,
    )
    people = fetch(
        reader,
        "SELECT id, name FROM contact WHERE company_id = ? AND deleted_at IS NULL"
        " ORDER BY name_key",
        (company_id,),
    )
    return {
        "kind": "company",
        "id": company_id,
        "uuid": uuid,
        "name": name,
        "domain": domain,
        "industry": industry,
        "size": size,
        "notes": notes,
        "tags": _tags(reader, "company", company_id),
        "custom": _custom(custom),
        "contacts": [{"id": p[0], "name": p[1]} for p in people],
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }


def deal_dict(reader: Reader, deal: Deal | int, with_history: bool = True) -> dict[str, Any]:
    """Describe a deal fully, with its stage history."""
    deal_id = _id(deal)
    (_, uuid, title, contact_id, contact, company_id, company, pipeline, stage, status, value,
     currency, probability, expected_close, lost_reason, closed, entered, notes, custom,
     created, updated) = _one(
        reader,
        "deal",
        "SELECT deal.id, deal.uuid, deal.title, contact.id, contact.name, company.id,"
        " company.name, pipeline.name, stage.name, deal.status, deal.value, deal.currency,"
        " coalesce(deal.probability, stage.probability), deal.expected_close,"
        " deal.lost_reason, deal.closed_at, deal.stage_entered_at, deal.notes, deal.custom,"
        " deal.created_at, deal.updated_at"
        " FROM deal"
        " LEFT OUTER JOIN contact ON contact.id = deal.contact_id"
        " LEFT OUTER JOIN company ON company.id = deal.company_id"
        " LEFT OUTER JOIN pipeline ON pipeline.id = deal.pipeline_id"
        " LEFT OUTER JOIN stage ON stage.id = deal.stage_id"
        " WHERE deal.id = ?",
        deal_id,
    )  # fmt: skip
    out: dict[str, Any] = {
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
        "probability": probability,
        "expected_close": expected_close,
        "lost_reason": lost_reason,
        "closed_at": stored_iso(closed),
        "stage_entered_at": stored_iso(entered),
        "tags": _tags(reader, "deal", deal_id),
        "notes": notes,
        "custom": _custom(custom),
        "created_at": stored_iso(created),
        "updated_at": stored_iso(updated),
    }
    if with_history:
        changes = fetch(
            reader,
            "SELECT from_stage.name, to_stage.name, sc.at FROM stage_change sc"
            " LEFT OUTER JOIN stage from_stage ON from_stage.id = sc.from_stage_id"
            " LEFT OUTER JOIN stage to_stage ON to_stage.id = sc.to_stage_id"
            " WHERE sc.deal_id = ? ORDER BY sc.at, sc.id",
            (deal_id,),
        )
        out["stage_history"] = [
            {"from": src, "to": dst, "at": stored_iso(at)} for src, dst, at in changes
        ]
    return out


def describe(reader: Reader, kind: str, record_id: int) -> dict[str, Any]:
    """Describe a contact, company or deal by kind and id."""
    if kind == "contact":
        return contact_dict(reader, record_id)
    if kind == "company":
        return company_dict(reader, record_id)
    return deal_dict(reader, record_id)
