"""Importing contacts: match by UUID, email, phone, then name; create, update or merge."""

from __future__ import annotations

import json
from typing import Any

from tinycrm.io.batches import sql_to_event_time
from tinycrm.io.matching import Context, Record, queue_update
from tinycrm.io.records import Action, ContactIn, Problem, phone_key
from tinycrm.io.records import fold_key as fold


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
        self.records: dict[int, Record] = {}
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

    def _create(self, rec: ContactIn, name_key: str) -> Record:
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
        record = Record(cid, True, row, rec.line)
        self.records[cid] = record
        self.by_uuid[cuuid] = cid
        self.by_name.setdefault(row["name_key"], cid)
        self._children(record, rec)
        return record

    def _load(self, cid: int) -> Record:
        cur = self.conn.execute("SELECT * FROM contact WHERE id = ?", (cid,))
        names = [d[0] for d in cur.description]
        values = dict(zip(names, cur.fetchone(), strict=True))
        values["custom"] = json.loads(values["custom"]) if values["custom"] else None
        for key in ("created_at", "updated_at", "deleted_at"):
            values[key] = sql_to_event_time(values[key])
        record = Record(cid, False, dict(values), 0, original=values)
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

    def _apply(self, record: Record, rec: ContactIn, overwrite: bool) -> bool:
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

    def _children(self, record: Record, rec: ContactIn) -> bool:
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
            queue_update(self.batch, "contact", record)


def _label(rec: ContactIn) -> str:
    label = f"{rec.name} <{rec.emails[0][0]}>" if rec.emails else rec.name
    return f"{rec.file}: {label}" if rec.file else label
