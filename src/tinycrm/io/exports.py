"""Records gathered for export (CSV, vCard), filtered like `crm list`, read in bulk."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import col

from tinycrm.domain.dates import iso
from tinycrm.domain.money import to_decimal_text
from tinycrm.store import query
from tinycrm.store.models import (
    Company,
    CompanyTag,
    Contact,
    ContactAddress,
    ContactDate,
    ContactEmail,
    ContactPhone,
    ContactProperty,
    ContactTag,
    ContactUid,
    ContactUrl,
    Deal,
    DealTag,
    FollowUp,
    Interaction,
    Pipeline,
    Stage,
    Tag,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tinycrm.core.listing import ListFilter
    from tinycrm.store.db import Database


# The columns each export reads, in the order its rows use them.
_CONTACT: list[Any] = [
    Contact.id, Contact.uuid, Contact.name, Contact.title, Contact.company_id,
    Contact.lifecycle, Contact.source, Contact.notes, Contact.created_at, Contact.updated_at,
    Contact.given_name, Contact.family_name, Contact.middle_name, Contact.name_prefix,
    Contact.name_suffix, Contact.nickname, Contact.vcard_n, Contact.photo,
]  # fmt: skip
_PART_KEYS = ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix",
              "nickname", "vcard_n", "photo")  # fmt: skip
_COMPANY: list[Any] = [
    Company.id, Company.uuid, Company.name, Company.domain, Company.industry, Company.size,
    Company.notes, Company.created_at, Company.updated_at,
]  # fmt: skip
_DEAL: list[Any] = [
    Deal.id, Deal.uuid, Deal.title, Pipeline.name, Stage.name, Deal.status, Deal.value,
    Deal.currency, func.coalesce(Deal.probability, Stage.probability), Deal.expected_close,
    Contact.name, Deal.contact_id, Company.name, Deal.lost_reason, Deal.notes, Deal.closed_at,
    Deal.created_at, Deal.updated_at, Deal.recurring, Deal.budget, Deal.authority, Deal.need,
    Deal.timing,
]  # fmt: skip


def _details(conn: Connection, model: Any, value: Any) -> dict[int, list[tuple[Any, ...]]]:
    """Return a contact's emails, phones or urls as (value, label, primary, types, group),
    primary first."""
    out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for owner, *rest in conn.execute(
        select(
            model.contact_id, value, model.label, model.is_primary, model.types, model.vcard_group
        ).order_by(model.contact_id, col(model.is_primary).desc(), model.id)
    ):
        out[owner].append(tuple(rest))
    return out


def _rows_of(conn: Connection, model: Any, order: Any) -> dict[int, list[dict[str, Any]]]:
    """Return a child table's rows (addresses, dates, kept lines) by contact, as dicts."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(select(model).order_by(model.contact_id, *order)).mappings():
        out[row["contact_id"]].append(dict(row))
    return out


def _tags(conn: Connection, link: Any, owner: Any) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for owner_id, name in conn.execute(
        select(owner, Tag.name).join(Tag, col(Tag.id) == link.tag_id).order_by(Tag.name)
    ):
        out[owner_id].append(name)
    return out


def contact_ids(db: Database, flt: ListFilter) -> list[int]:
    """Return the ids of the contacts a filter selects, by name."""
    from tinycrm.core import listing

    with db.snapshot() as session:
        return listing.contact_ids(session, flt)


def contacts(db: Database, ids: list[int]) -> list[dict[str, Any]]:
    """Return contacts in full (emails, phones, urls with labels; tags), in the order given."""
    wanted = set(ids)
    with db.snapshot() as session:
        conn = session.connection()
        companies: dict[int, str] = {
            cid: name for cid, name in conn.execute(select(Company.id, Company.name))
        }
        emails = _details(conn, ContactEmail, ContactEmail.email)
        phones = _details(conn, ContactPhone, ContactPhone.phone)
        urls = _details(conn, ContactUrl, ContactUrl.url)
        tags = _tags(conn, ContactTag, ContactTag.contact_id)
        addresses = _rows_of(
            conn, ContactAddress, (col(ContactAddress.is_primary).desc(), ContactAddress.id)
        )
        dates = _rows_of(conn, ContactDate, (ContactDate.id,))
        kept = _rows_of(conn, ContactProperty, (ContactProperty.position, ContactProperty.id))
        uids: dict[int, str] = {}
        for owner, uid in conn.execute(
            select(ContactUid.contact_id, ContactUid.uid).order_by(
                ContactUid.contact_id, ContactUid.is_primary, col(ContactUid.id).desc()
            )
        ):
            uids[owner] = uid  # the last one seen: the primary one, else the oldest
        rows = {}
        for r in conn.execute(select(*_CONTACT).where(query.live(Contact))):
            if r[0] not in wanted:
                continue
            cid = r[0]
            rows[cid] = {
                "id": cid,
                "uuid": r[1],
                "uid": uids.get(cid),
                "name": r[2],
                "title": r[3],
                "company": companies.get(r[4]),
                "lifecycle": r[5],
                "source": r[6],
                "notes": r[7],
                "emails": [(e, lbl, bool(p), *more) for e, lbl, p, *more in emails.get(cid, [])],
                "phones": [(e, lbl, bool(p), *more) for e, lbl, p, *more in phones.get(cid, [])],
                "urls": [(e, lbl, bool(p), *more) for e, lbl, p, *more in urls.get(cid, [])],
                "tags": tags.get(cid, []),
                "created_at": iso(r[8]),
                "updated_at": iso(r[9]),
                **dict(zip(_PART_KEYS, r[10:], strict=True)),
                "addresses": addresses.get(cid, []),
                "dates": dates.get(cid, []),
                "kept_lines": [k["line"] for k in kept.get(cid, [])],
            }
    return [rows[i] for i in ids if i in rows]


def live_contact_uuids(db: Database) -> set[str]:
    """Return the UUIDs of the contacts not deleted (for the files a vCard folder keeps)."""
    with db.snapshot() as session:
        conn = session.connection()
        return set(conn.execute(select(Contact.uuid).where(query.live(Contact))).scalars())


def contact_csv_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten contacts for CSV: the primary email, then every email, phone and url; the
    birthday and the anniversary; the primary postal address in its parts (a spreadsheet's
    columns; the other addresses and dates are in the JSON and vCard exports)."""
    from tinycrm.domain.parts import ADDRESS_PARTS

    out = []
    for r in records:
        row = dict(r)
        row["email"] = r["emails"][0][0] if r["emails"] else None
        row["emails"] = [e[0] for e in r["emails"]]
        row["phones"] = [p[0] for p in r["phones"]]
        row["urls"] = [u[0] for u in r["urls"]]
        for kind in ("birthday", "anniversary"):
            row[kind] = next((d["value"] for d in r["dates"] if d["kind"] == kind), None)
        address = r["addresses"][0] if r["addresses"] else {}
        row["address_label"] = address.get("label")
        for part in ADDRESS_PARTS:
            row[f"address_{part}"] = address.get(part)
        out.append(row)
    return out


def company_rows(db: Database, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the companies a filter selects, for CSV."""
    from tinycrm.core import listing

    with db.snapshot() as session:
        listed = listing.list_companies(session, flt, listing.Page(sort="name"))
    ids = [r["id"] for r in listed]
    with db.snapshot() as session:
        conn = session.connection()
        tags = _tags(conn, CompanyTag, CompanyTag.company_id)
        rows = {
            r[0]: {
                "id": r[0],
                "uuid": r[1],
                "name": r[2],
                "domain": r[3],
                "industry": r[4],
                "size": r[5],
                "notes": r[6],
                "tags": tags.get(r[0], []),
                "created_at": iso(r[7]),
                "updated_at": iso(r[8]),
            }
            for r in conn.execute(select(*_COMPANY))
        }
    return [rows[i] for i in ids]


def deal_rows(db: Database, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the deals a filter selects, for CSV (value as a decimal string)."""
    from tinycrm.core import listing

    with db.snapshot() as session:
        listed = listing.list_deals(session, flt, listing.Page(sort="id"))
    ids = [r["id"] for r in listed]
    with db.snapshot() as session:
        conn = session.connection()
        tags = _tags(conn, DealTag, DealTag.deal_id)
        primary = {
            cid: email
            for cid, email in conn.execute(
                select(ContactEmail.contact_id, ContactEmail.email).order_by(
                    ContactEmail.is_primary, col(ContactEmail.id).desc()
                )
            )
        }
        rows = {}
        for r in conn.execute(
            select(*_DEAL)
            .join(Pipeline, col(Pipeline.id) == Deal.pipeline_id)
            .join(Stage, col(Stage.id) == Deal.stage_id)
            .outerjoin(Contact, col(Contact.id) == Deal.contact_id)
            .outerjoin(Company, col(Company.id) == Deal.company_id)
            .where(query.live(Deal))
        ):  # fmt: skip
            rows[r[0]] = {
                "id": r[0],
                "uuid": r[1],
                "title": r[2],
                "pipeline": r[3],
                "stage": r[4],
                "status": r[5],
                "value": to_decimal_text(r[6], r[7]),
                "currency": r[7],
                "recurring": r[18],
                "probability": r[8],
                "expected_close": r[9].isoformat() if r[9] else None,
                "budget": r[19],
                "authority": r[20],
                "need": r[21],
                "timing": r[22],
                "contact": r[10],
                "contact_email": primary.get(r[11]),
                "company": r[12],
                "lost_reason": r[13],
                "tags": tags.get(r[0], []),
                "notes": r[14],
                "closed_at": iso(r[15]),
                "created_at": iso(r[16]),
                "updated_at": iso(r[17]),
            }
    return [rows[i] for i in ids]


def _names(conn: Connection) -> tuple[dict[int, str], dict[int, str]]:
    """Return how an export names each contact (its primary email, else its name: what an
    import resolves exactly) and each deal (its title)."""
    contacts = {cid: name for cid, name in conn.execute(select(Contact.id, Contact.name))}
    for cid, email in conn.execute(
        select(ContactEmail.contact_id, ContactEmail.email).order_by(
            ContactEmail.is_primary, col(ContactEmail.id).desc()
        )
    ):
        contacts[cid] = email  # the last one seen: the primary one
    deals = {did: title for did, title in conn.execute(select(Deal.id, Deal.title))}
    return contacts, deals


def interaction_rows(db: Database) -> list[dict[str, Any]]:
    """Return every interaction not in the trash, oldest first, for CSV."""
    with db.snapshot() as session:
        conn = session.connection()
        contacts, deals = _names(conn)
        return [
            {
                "id": r.id,
                "uuid": r.uuid,
                "contact": contacts.get(r.contact_id) if r.contact_id else None,
                "deal": deals.get(r.deal_id) if r.deal_id else None,
                "kind": r.kind,
                "direction": r.direction,
                "when": iso(r.occurred_at),
                "summary": r.summary,
                "message_id": r.message_id,
                "created_at": iso(r.created_at),
            }
            for r in conn.execute(
                select(Interaction)
                .where(query.live(Interaction))
                .order_by(col(Interaction.occurred_at), col(Interaction.id))
            )
        ]


def follow_up_rows(db: Database) -> list[dict[str, Any]]:
    """Return every follow-up not in the trash (open, done or cancelled), by due time, for
    CSV: an all-day one is due on its local day (`2026-12-01`), another at a UTC time."""
    from tinycrm.domain.dates import to_local

    with db.snapshot() as session:
        conn = session.connection()
        contacts, deals = _names(conn)
        return [
            {
                "id": r.id,
                "uuid": r.uuid,
                "contact": contacts.get(r.contact_id) if r.contact_id else None,
                "deal": deals.get(r.deal_id) if r.deal_id else None,
                "title": r.title,
                "due": to_local(r.due_at).date().isoformat() if r.all_day else iso(r.due_at),
                "all_day": "true" if r.all_day else "false",
                "recurrence": r.rrule,
                "status": r.status,
                "snoozed_until": iso(r.snoozed_until),
                "priority": "true" if r.priority else "false",
                "completed_at": iso(r.completed_at),
                "created_at": iso(r.created_at),
            }
            for r in conn.execute(
                select(FollowUp)
                .where(query.live(FollowUp))
                .order_by(col(FollowUp.due_at), col(FollowUp.id))
            )
        ]


def export_rows(db: Database, kind: str, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the rows of a CSV export of contacts, companies, deals, interactions or
    follow-ups (these two whole: the list filters are not theirs)."""
    from tinycrm.core.listing import ListFilter
    from tinycrm.errors import UsageError

    if kind in ("interactions", "follow-ups"):
        if flt != ListFilter():
            raise UsageError(f"the filters of crm list do not apply to {kind}; export them all")
        return interaction_rows(db) if kind == "interactions" else follow_up_rows(db)
    if kind == "contacts":
        return contact_csv_rows(contacts(db, contact_ids(db, flt)))
    if kind == "companies":
        return company_rows(db, flt)
    if kind == "deals":
        return deal_rows(db, flt)
    raise UsageError(
        f"--kind takes contacts, companies, deals, interactions or follow-ups, not {kind!r}"
    )
