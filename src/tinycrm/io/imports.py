"""Writing imported contacts, companies and deals: match what exists, then create, update
or merge, in one transaction and one undo step, with raw executemany (no ORM objects)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinycrm.errors import UsageError
from tinycrm.io.batches import Batch, sql_to_event_time
from tinycrm.io.records import (
    DUPLICATE_POLICIES,
    Action,
    BadRowsError,
    CompanyIn,
    ContactIn,
    DealIn,
    ImportReport,
    Problem,
    phone_key,
)
from tinycrm.io.records import fold_key as fold

if TYPE_CHECKING:
    from tinycrm.core.db import Database

Progress = Callable[[int, int], None]
COMPANY_FIELDS = ("name", "domain", "industry", "size", "notes")


@dataclass(frozen=True)
class ImportOptions:
    """How an import treats duplicates and bad rows."""

    on_duplicate: str = "skip"
    dry_run: bool = False
    skip_bad: bool = False
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.on_duplicate not in DUPLICATE_POLICIES:
            raise UsageError(
                f"--on-duplicate takes skip, update or merge, not {self.on_duplicate!r}"
            )


class _Record:
    """A contact or company as the import sees it: new, or loaded to be changed."""

    __slots__ = ("changed", "email_keys", "id", "is_new", "line", "original", "phone_keys",
                 "row", "tag_ids", "urls")  # fmt: skip

    def __init__(
        self,
        record_id: int,
        is_new: bool,
        row: dict[str, Any],
        line: int,
        original: dict[str, Any] | None = None,
    ) -> None:
        self.id = record_id
        self.is_new = is_new
        self.row = row
        self.line = line
        self.original = original
        self.email_keys: set[str] = set()
        self.phone_keys: set[str] = set()
        self.urls: set[str] = set()
        self.tag_ids: set[int] = set()
        self.changed = False


class Context:
    """What exists already, loaded once, and the shared bits (companies, tags) of a batch."""

    def __init__(self, conn: sqlite3.Connection, batch: Batch, report: ImportReport) -> None:
        self.conn = conn
        self.batch = batch
        self.report = report
        self.company_by_key: dict[str, int] = {}
        self.company_by_domain: dict[str, int] = {}
        self.company_uuids: dict[str, int | None] = {}
        for cid, key, domain, cuuid, deleted in conn.execute(
            "SELECT id, name_key, domain, uuid, deleted_at FROM company ORDER BY id DESC"
        ):
            self.company_uuids[cuuid] = None if deleted else cid
            if deleted is None:
                self.company_by_key[key] = cid
                if domain:
                    self.company_by_domain[domain] = cid
        self.tag_by_name: dict[str, int] = dict(conn.execute("SELECT name, id FROM tag"))
        self._company_names: dict[str, int] = {}

    def company_id(self, name: str | None) -> int | None:
        """Return the id of the company called `name`, queueing it for creation if new."""
        if not name:
            return None
        found = self._company_names.get(name)
        if found is not None:
            return found
        key = fold(name)
        found = self.company_by_key.get(key)
        if found is None:
            found = self.batch.new_id("company")
            self.batch.create("company", self._company_row(found, self.batch.new_uuid(), name))
            self.company_by_key[key] = found
        self._company_names[name] = found
        return found

    def _company_row(self, cid: int, cuuid: str, name: str) -> dict[str, Any]:
        now = self.batch.now_event
        return {
            "id": cid,
            "uuid": cuuid,
            "name": name,
            "name_key": fold(name),
            "domain": None,
            "industry": None,
            "size": None,
            "notes": None,
            "custom": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }

    def tag_id(self, name: str) -> int:
        """Return the id of a tag, queueing it for creation if new."""
        found = self.tag_by_name.get(name)
        if found is None:
            found = self.batch.new_id("tag")
            self.batch.create("tag", {"id": found, "name": name})
            self.tag_by_name[name] = found
        return found


class ContactImport:
    """Matches file contacts to existing ones and queues creates and changes."""

    def __init__(self, ctx: Context, policy: str) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.batch = ctx.batch
        self.policy = policy
        self.by_uuid: dict[str, int | None] = {}
        self.by_email: dict[str, int] = {}
        self.by_phone: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.records: dict[int, _Record] = {}
        conn = self.conn
        for cid, cuuid, key, deleted in conn.execute(
            "SELECT id, uuid, name_key, deleted_at FROM contact ORDER BY id DESC"
        ):
            # a trashed contact keeps its uuid; a file naming it gets a new contact
            self.by_uuid[cuuid] = None if deleted else cid
            if deleted is None:
                self.by_name[key] = cid
        self.trashed_emails: dict[str, tuple[int, str]] = {
            key: (cid, name)
            for key, cid, name in conn.execute(
                "SELECT e.email_key, c.id, c.name FROM contact_email e"
                " JOIN contact c ON c.id = e.contact_id WHERE c.deleted_at IS NOT NULL"
            )
        }
        live = "SELECT id FROM contact WHERE deleted_at IS NULL"
        self.by_email = dict(
            conn.execute(
                f"SELECT email_key, contact_id FROM contact_email WHERE contact_id IN ({live})"
                " ORDER BY id DESC"
            )
        )
        self.by_phone = dict(
            conn.execute(
                f"SELECT phone_key, contact_id FROM contact_phone WHERE contact_id IN ({live})"
                " ORDER BY id DESC"
            )
        )

    def match(self, rec: ContactIn, name_key: str) -> int | None:
        """Return the id of the contact this row is about: by UUID, email, phone, then name."""
        if rec.uuid:
            found = self.by_uuid.get(rec.uuid)
            if found is not None:
                return found
        for email, _ in rec.emails:
            found = self.by_email.get(email.lower())
            if found is not None:
                return found
        for phone, _ in rec.phones:
            key = phone_key(phone)
            found = self.by_phone.get(key)
            if found is not None:
                return found
        return self.by_name.get(name_key)

    def add(self, rec: ContactIn) -> Action | None:
        """Decide what to do with one row and queue it (None: the row is bad)."""
        for email, _ in rec.emails:
            trashed = self.trashed_emails.get(email.lower())
            if trashed is not None:
                self.ctx.report.problems.append(
                    Problem(
                        rec.line,
                        f"{email} belongs to #{trashed[0]} {trashed[1]} (in the trash);"
                        " restore that contact or purge it first",
                    )
                )
                return None
        name_key = fold(rec.name)
        found = self.match(rec, name_key)
        if found is None:
            record = self._create(rec, name_key)
            return Action(rec.line, "create", _label(rec), record.id)
        record = self.records.get(found) or self._load(found)
        where = f"line {record.line}" if record.is_new else f"#{found}"
        if self.policy == "skip":
            return Action(rec.line, "skip", _label(rec), found, f"already {where}")
        if self._apply(record, rec, overwrite=self.policy == "update"):
            if record.is_new:
                return Action(
                    rec.line, "update", _label(rec), found, f"merged into line {record.line}"
                )
            return Action(rec.line, "update", _label(rec), found)
        return Action(rec.line, "skip", _label(rec), found, f"nothing new for {where}")

    def _create(self, rec: ContactIn, name_key: str) -> _Record:
        batch = self.batch
        cid = batch.new_id("contact")
        cuuid = rec.uuid if rec.uuid and rec.uuid not in self.by_uuid else batch.new_uuid()
        now = batch.now_event
        row: dict[str, Any] = {
            "id": cid,
            "uuid": cuuid,
            "name": rec.name,
            "name_key": name_key,
            "title": rec.title,
            "company_id": self.ctx.company_id(rec.company),
            "lifecycle": rec.lifecycle or "lead",
            "source": fold(rec.source) if rec.source else None,
            "notes": rec.notes,
            "custom": rec.custom or None,
            "keep_in_touch_days": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        batch.create("contact", row)
        record = _Record(cid, True, row, rec.line)
        self.records[cid] = record
        self.by_uuid[cuuid] = cid
        self.by_name.setdefault(row["name_key"], cid)
        self._children(record, rec)
        return record

    def _load(self, cid: int) -> _Record:
        cur = self.conn.execute("SELECT * FROM contact WHERE id = ?", (cid,))
        names = [d[0] for d in cur.description]
        values = dict(zip(names, cur.fetchone(), strict=True))
        values["custom"] = json.loads(values["custom"]) if values["custom"] else None
        for key in ("created_at", "updated_at", "deleted_at"):
            values[key] = sql_to_event_time(values[key])
        record = _Record(cid, False, dict(values), 0, original=values)
        q = self.conn.execute
        record.email_keys = {
            r[0] for r in q("SELECT email_key FROM contact_email WHERE contact_id = ?", (cid,))
        }
        record.phone_keys = {
            r[0] for r in q("SELECT phone_key FROM contact_phone WHERE contact_id = ?", (cid,))
        }
        record.urls = {r[0] for r in q("SELECT url FROM contact_url WHERE contact_id = ?", (cid,))}
        record.tag_ids = {
            r[0] for r in q("SELECT tag_id FROM contact_tag WHERE contact_id = ?", (cid,))
        }
        self.records[cid] = record
        return record

    def _apply(self, record: _Record, rec: ContactIn, overwrite: bool) -> bool:
        """Update (overwrite) or merge (fill empty) fields; add new emails, phones, tags."""
        row = record.row
        incoming = {
            "name": rec.name,
            "title": rec.title,
            "company_id": self.ctx.company_id(rec.company) if rec.company else None,
            "lifecycle": rec.lifecycle,
            "source": fold(rec.source) if rec.source else None,
            "notes": rec.notes,
        }
        changed = False
        for key, value in incoming.items():
            if value is None or value == row[key]:
                continue
            if overwrite or row[key] in (None, ""):
                row[key] = value
                changed = True
        if changed:
            row["name_key"] = fold(row["name"])
        if rec.custom:
            custom = dict(row["custom"] or {})
            for key, value in rec.custom.items():
                if (overwrite or key not in custom) and custom.get(key) != value:
                    custom[key] = value
                    changed = True
            row["custom"] = custom or None
        if self._children(record, rec):
            changed = True
        if changed and not record.is_new:
            row["updated_at"] = self.batch.now_event
            record.changed = True
        return changed

    def _children(self, record: _Record, rec: ContactIn) -> bool:
        """Queue the emails, phones, urls and tags this contact does not have yet."""
        batch = self.batch
        cid = record.id
        added = False
        for email, label in rec.emails:
            key = email.lower()
            owner = self.by_email.get(key)
            if key in record.email_keys or (owner is not None and owner != cid):
                continue
            batch.create(
                "contact_email",
                {
                    "id": batch.new_id("contact_email"),
                    "contact_id": cid,
                    "email": email,
                    "email_key": key,
                    "label": label,
                    "is_primary": not record.email_keys,
                },
            )
            record.email_keys.add(key)
            self.by_email[key] = cid
            added = True
        for phone, label in rec.phones:
            key = phone_key(phone)
            if key in record.phone_keys:
                continue
            batch.create(
                "contact_phone",
                {
                    "id": batch.new_id("contact_phone"),
                    "contact_id": cid,
                    "phone": phone,
                    "phone_key": key,
                    "label": label,
                    "is_primary": not record.phone_keys,
                },
            )
            record.phone_keys.add(key)
            self.by_phone.setdefault(key, cid)
            added = True
        for url, label in rec.urls:
            if url in record.urls:
                continue
            batch.create(
                "contact_url",
                {
                    "id": batch.new_id("contact_url"),
                    "contact_id": cid,
                    "url": url,
                    "label": label,
                    "is_primary": not record.urls,
                },
            )
            record.urls.add(url)
            added = True
        for name in rec.tags:
            tid = self.ctx.tag_id(name)
            if tid in record.tag_ids:
                continue
            batch.create("contact_tag", {"contact_id": cid, "tag_id": tid})
            record.tag_ids.add(tid)
            added = True
        return added

    def finish(self) -> None:
        """Queue one update per existing contact that changed."""
        for record in self.records.values():
            if record.is_new or not record.changed:
                continue
            _queue_update(self.batch, "contact", record)


def _queue_update(batch: Batch, table: str, record: _Record) -> None:
    assert record.original is not None
    before = {}
    after = {}
    for key, value in record.row.items():
        if record.original.get(key) != value:
            before[key] = record.original.get(key)
            after[key] = value
    batch.update(table, record.id, before, after)


def _label(rec: ContactIn) -> str:
    label = f"{rec.name} <{rec.emails[0][0]}>" if rec.emails else rec.name
    return f"{rec.file}: {label}" if rec.file else label


def _run(
    db: Database,
    kind: str,
    records: Sequence[Any],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None,
    make: Callable[[Context, str], Any],
) -> ImportReport:
    """Check for bad rows, then match and queue every record, then write it all or nothing."""
    conn = db.raw()
    try:
        conn.execute("BEGIN" if options.dry_run else "BEGIN IMMEDIATE")
        try:
            batch = Batch(conn, now=now, origin="import", summary=f"import {report.source}")
            ctx = Context(conn, batch, report)
            importer = make(ctx, options.on_duplicate)
            total = len(records)
            step = max(1, total // 100)
            for n, rec in enumerate(records, start=1):
                action = importer.add(rec)
                if action is not None:
                    report.actions.append(action)
                if progress is not None and (n % step == 0 or n == total):
                    progress(n, 2 * total)
            importer.finish()
            batch.summary = (
                f"import {report.source}: {report.count('create')} {kind} created,"
                f" {report.count('update')} updated"
            )
            if report.problems and not options.skip_bad and not options.dry_run:
                raise BadRowsError(report.problems)
            if options.dry_run:
                conn.execute("ROLLBACK")
                return report
            if progress is not None:
                report_progress = progress
                batch.write(lambda done: report_progress(total + int(done * total), 2 * total))
            else:
                batch.write()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    return report


def import_contacts(
    db: Database,
    records: Sequence[ContactIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import contacts read from a file into the database (or only plan it, on a dry run).

    Raises BadRowsError when the report has problems and bad rows are not to be skipped.
    """
    return _run(db, "contacts", records, report, options, now, progress, ContactImport)


class _CompanyImport:
    """Matches file companies to existing ones (by UUID, domain, then name)."""

    def __init__(self, ctx: Context, policy: str) -> None:
        self.ctx = ctx
        self.batch = ctx.batch
        self.policy = policy
        self.records: dict[int, _Record] = {}

    def add(self, rec: CompanyIn) -> Action:
        """Decide what to do with one row and queue it."""
        ctx = self.ctx
        found = ctx.company_uuids.get(rec.uuid) if rec.uuid else None
        if found is None and rec.domain:
            found = ctx.company_by_domain.get(rec.domain)
        if found is None:
            found = ctx.company_by_key.get(fold(rec.name))
        if found is None:
            cid = self.batch.new_id("company")
            cuuid = (
                rec.uuid
                if rec.uuid and rec.uuid not in ctx.company_uuids
                else self.batch.new_uuid()
            )
            row = ctx._company_row(cid, cuuid, rec.name)
            row.update(
                domain=rec.domain,
                industry=rec.industry,
                size=rec.size,
                notes=rec.notes,
                custom=rec.custom or None,
            )
            self.batch.create("company", row)
            ctx.company_by_key[row["name_key"]] = cid
            ctx.company_uuids[cuuid] = cid
            if rec.domain:
                ctx.company_by_domain[rec.domain] = cid
            record = _Record(cid, True, row, rec.line)
            self.records[cid] = record
            self._tags(record, rec)
            return Action(rec.line, "create", rec.name, cid)
        record = self.records.get(found) or self._load(found)
        where = f"line {record.line}" if record.is_new else f"#{found}"
        if self.policy == "skip":
            return Action(rec.line, "skip", rec.name, found, f"already {where}")
        overwrite = self.policy == "update"
        changed = False
        for key in COMPANY_FIELDS:
            value = getattr(rec, key)
            if value is None or value == record.row[key]:
                continue
            if overwrite or record.row[key] in (None, ""):
                record.row[key] = value
                changed = True
        if changed:
            record.row["name_key"] = fold(record.row["name"])
        if self._tags(record, rec):
            changed = True
        if not changed:
            return Action(rec.line, "skip", rec.name, found, f"nothing new for {where}")
        if not record.is_new:
            record.row["updated_at"] = self.batch.now_event
            record.changed = True
        return Action(rec.line, "update", rec.name, found)

    def _load(self, cid: int) -> _Record:
        cur = self.ctx.conn.execute("SELECT * FROM company WHERE id = ?", (cid,))
        names = [d[0] for d in cur.description]
        values = dict(zip(names, cur.fetchone(), strict=True))
        values["custom"] = json.loads(values["custom"]) if values["custom"] else None
        for key in ("created_at", "updated_at", "deleted_at"):
            values[key] = sql_to_event_time(values[key])
        record = _Record(cid, False, dict(values), 0, original=values)
        record.tag_ids = {
            r[0]
            for r in self.ctx.conn.execute(
                "SELECT tag_id FROM company_tag WHERE company_id = ?", (cid,)
            )
        }
        self.records[cid] = record
        return record

    def _tags(self, record: _Record, rec: CompanyIn) -> bool:
        added = False
        for name in rec.tags:
            tid = self.ctx.tag_id(name)
            if tid not in record.tag_ids:
                self.batch.create("company_tag", {"company_id": record.id, "tag_id": tid})
                record.tag_ids.add(tid)
                added = True
        return added

    def finish(self) -> None:
        """Queue one update per existing company that changed."""
        for record in self.records.values():
            if not record.is_new and record.changed:
                _queue_update(self.batch, "company", record)


def import_companies(
    db: Database,
    records: Sequence[CompanyIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import companies read from a file (matched by UUID, domain, then name)."""
    return _run(db, "companies", records, report, options, now, progress, _CompanyImport)


def import_deals(
    db: Database,
    records: Sequence[DealIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import deals read from a file (matched by UUID, then title and company)."""
    from tinycrm.io.dealimports import DealImport

    def make(ctx: Context, policy: str) -> DealImport:
        return DealImport(ctx, policy, options.currency, report)

    return _run(db, "deals", records, report, options, now, progress, make)
