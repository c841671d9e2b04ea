"""Records gathered for export (CSV, vCard), filtered like `crm list`, read in bulk."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from tinycrm.domain.dates import stored_iso
from tinycrm.domain.money import to_decimal_text

if TYPE_CHECKING:
    from tinycrm.core.listing import ListFilter
    from tinycrm.store.db import Database


def _grouped(conn: sqlite3.Connection, sql: str) -> dict[int, list[tuple[Any, ...]]]:
    out: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for owner, *rest in conn.execute(sql):
        out[owner].append(tuple(rest))
    return out


def _tags(conn: sqlite3.Connection, link: str, owner: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for owner_id, name in conn.execute(
        f"SELECT l.{owner}, t.name FROM {link} l JOIN tag t ON t.id = l.tag_id ORDER BY t.name"
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
    conn = db.raw()
    try:
        companies = dict(conn.execute("SELECT id, name FROM company"))
        emails = _grouped(
            conn,
            "SELECT contact_id, email, label, is_primary FROM contact_email"
            " ORDER BY contact_id, is_primary DESC, id",
        )
        phones = _grouped(
            conn,
            "SELECT contact_id, phone, label, is_primary FROM contact_phone"
            " ORDER BY contact_id, is_primary DESC, id",
        )
        urls = _grouped(
            conn,
            "SELECT contact_id, url, label, is_primary FROM contact_url"
            " ORDER BY contact_id, is_primary DESC, id",
        )
        tags = _tags(conn, "contact_tag", "contact_id")
        uids: dict[int, str] = {}
        for owner, uid in conn.execute(
            "SELECT contact_id, uid FROM contact_uid ORDER BY contact_id, is_primary, id DESC"
        ):
            uids[owner] = uid  # the last one seen: the primary one, else the oldest
        rows = {}
        for r in conn.execute(
            "SELECT id, uuid, name, title, company_id, lifecycle, source, notes,"
            " created_at, updated_at FROM contact WHERE deleted_at IS NULL"
        ):
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
                "emails": [(e, lbl, bool(p)) for e, lbl, p in emails.get(cid, [])],
                "phones": [(e, lbl, bool(p)) for e, lbl, p in phones.get(cid, [])],
                "urls": [(e, lbl, bool(p)) for e, lbl, p in urls.get(cid, [])],
                "tags": tags.get(cid, []),
                "created_at": stored_iso(r[8]),
                "updated_at": stored_iso(r[9]),
            }
    finally:
        conn.close()
    return [rows[i] for i in ids if i in rows]


def contact_csv_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten contacts for CSV: the primary email, then every email, phone and url."""
    out = []
    for r in records:
        row = dict(r)
        row["email"] = r["emails"][0][0] if r["emails"] else None
        row["emails"] = [e[0] for e in r["emails"]]
        row["phones"] = [p[0] for p in r["phones"]]
        row["urls"] = [u[0] for u in r["urls"]]
        out.append(row)
    return out


def company_rows(db: Database, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the companies a filter selects, for CSV."""
    from tinycrm.core import listing

    with db.snapshot() as session:
        listed = listing.list_companies(session, flt, listing.Page(sort="name"))
    ids = [r["id"] for r in listed]
    conn = db.raw()
    try:
        tags = _tags(conn, "company_tag", "company_id")
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
                "created_at": stored_iso(r[7]),
                "updated_at": stored_iso(r[8]),
            }
            for r in conn.execute(
                "SELECT id, uuid, name, domain, industry, size, notes, created_at, updated_at"
                " FROM company"
            )
        }
    finally:
        conn.close()
    return [rows[i] for i in ids]


def deal_rows(db: Database, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the deals a filter selects, for CSV (value as a decimal string)."""
    from tinycrm.core import listing

    with db.snapshot() as session:
        listed = listing.list_deals(session, flt, listing.Page(sort="id"))
    ids = [r["id"] for r in listed]
    conn = db.raw()
    try:
        tags = _tags(conn, "deal_tag", "deal_id")
        primary = {
            cid: email
            for cid, email in conn.execute(
                "SELECT contact_id, email FROM contact_email ORDER BY is_primary, id DESC"
            )
        }
        rows = {}
        for r in conn.execute(
            "SELECT d.id, d.uuid, d.title, p.name, s.name, d.status, d.value, d.currency,"
            " coalesce(d.probability, s.probability), d.expected_close, c.name, d.contact_id,"
            " co.name, d.lost_reason, d.notes, d.closed_at, d.created_at, d.updated_at"
            " FROM deal d JOIN pipeline p ON p.id = d.pipeline_id"
            " JOIN stage s ON s.id = d.stage_id LEFT JOIN contact c ON c.id = d.contact_id"
            " LEFT JOIN company co ON co.id = d.company_id WHERE d.deleted_at IS NULL"
        ):
            rows[r[0]] = {
                "id": r[0],
                "uuid": r[1],
                "title": r[2],
                "pipeline": r[3],
                "stage": r[4],
                "status": r[5],
                "value": to_decimal_text(r[6], r[7]),
                "currency": r[7],
                "probability": r[8],
                "expected_close": r[9],
                "contact": r[10],
                "contact_email": primary.get(r[11]),
                "company": r[12],
                "lost_reason": r[13],
                "tags": tags.get(r[0], []),
                "notes": r[14],
                "closed_at": stored_iso(r[15]),
                "created_at": stored_iso(r[16]),
                "updated_at": stored_iso(r[17]),
            }
    finally:
        conn.close()
    return [rows[i] for i in ids]


def export_rows(db: Database, kind: str, flt: ListFilter) -> list[dict[str, Any]]:
    """Return the rows of a CSV export of contacts, companies or deals."""
    from tinycrm.errors import UsageError

    if kind == "contacts":
        return contact_csv_rows(contacts(db, contact_ids(db, flt)))
    if kind == "companies":
        return company_rows(db, flt)
    if kind == "deals":
        return deal_rows(db, flt)
    raise UsageError(f"--kind takes contacts, companies or deals, not {kind!r}")
