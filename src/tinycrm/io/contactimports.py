"""Importing contacts: match by identity only (a UID, an email, the full name with the
company), create, update or merge; report a weaker likeness (a shared phone, the same first
name, the same name at another company) as a possible duplicate, never merge on it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from tinycrm.io.matching import Context, Record, queue_update
from tinycrm.io.records import Action, ContactIn, Likeness, Problem, phone_key
from tinycrm.io.records import fold_key as fold
from tinycrm.io.wholerecord import PART_COLUMNS, address_key, queue_whole_record
from tinycrm.store import history, query
from tinycrm.store.models import (
    Company,
    Contact,
    ContactAddress,
    ContactDate,
    ContactEmail,
    ContactPhone,
    ContactProperty,
    ContactTag,
    ContactUid,
    ContactUrl,
)

# At most this many possible duplicates are named for one row.
MAX_LIKENESSES = 3


def is_full_name(name_key: str) -> bool:
    """Return whether a (folded) name has a given and a family name, not just one word."""
    return " " in name_key


def first_name(name_key: str) -> str:
    """Return the first word of a folded name."""
    return name_key.split(" ", 1)[0]


def own_uid(uid: str, contact_uuid: str) -> bool:
    """Return whether a vCard UID is just the contact's own UUID (as tinycrm writes it)."""
    return uid in (contact_uuid, f"urn:uuid:{contact_uuid}")


class ContactImport:
    """Matches file contacts to existing ones and queues creates and changes.

    With `link_by_name` (the contacts a deal file names), a row with no identity is also
    taken to be the one contact with its exact name, when there is exactly one: it is only
    linked to, never changed.
    """

    def __init__(self, ctx: Context, policy: str, link_by_name: bool = False) -> None:
        self.ctx = ctx
        self.conn = ctx.conn
        self.batch = ctx.batch
        self.policy = policy
        self.link_by_name = link_by_name
        self.by_uid: dict[str, int | None] = {}
        self.by_uuid: dict[str, int | None] = {}
        self.by_email: dict[str, int] = {}
        self.by_name_company: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_first: dict[str, list[int]] = defaultdict(list)  # full names, by first word
        self.by_phone: dict[str, list[int]] = defaultdict(list)
        self.names: dict[int, str] = {}
        self.companies: dict[int, str | None] = {}
        self.lines: dict[int, int] = {}  # contacts new in this import: their line
        self.records: dict[int, Record] = {}
        conn = self.conn
        for cid, cuuid, name, key, company_key, deleted in conn.execute(
            select(
                Contact.id, Contact.uuid, Contact.name, Contact.name_key, Company.name_key,
                Contact.deleted_at,
            )
            .outerjoin(Company, col(Company.id) == Contact.company_id)
            .order_by(Contact.id)
        ):  # fmt: skip
            # a trashed contact keeps its uuid; a file naming it gets a new contact
            self.by_uuid[cuuid] = None if deleted else cid
            if deleted is None:
                self._index(cid, name, key, company_key)
        for uid, cid, deleted in conn.execute(
            select(ContactUid.uid, ContactUid.contact_id, Contact.deleted_at)
            .join(Contact, col(Contact.id) == ContactUid.contact_id)
            .order_by(ContactUid.id)
        ):
            if deleted is None:
                self.by_uid.setdefault(uid, cid)
            else:
                self.by_uid.setdefault(uid, None)
        self.trashed_emails: dict[str, tuple[int, str]] = {
            key: (cid, name)
            for key, cid, name in conn.execute(
                select(ContactEmail.email_key, Contact.id, Contact.name)
                .join(Contact, col(Contact.id) == ContactEmail.contact_id)
                .where(~query.live(Contact))
            )
        }
        live = select(Contact.id).where(query.live(Contact))
        self.by_email = {
            key: cid
            for key, cid in conn.execute(
                select(ContactEmail.email_key, ContactEmail.contact_id)
                .where(col(ContactEmail.contact_id).in_(live))
                .order_by(col(ContactEmail.id).desc())
            )
        }
        for key, cid in conn.execute(
            select(ContactPhone.phone_key, ContactPhone.contact_id)
            .distinct()
            .where(col(ContactPhone.contact_id).in_(live))
            .order_by(ContactPhone.contact_id)
        ):
            self.by_phone[key].append(cid)

    def _index(self, cid: int, name: str, key: str, company_key: str | None) -> None:
        """Add a contact to the name indexes."""
        self.names[cid] = name
        self.companies[cid] = company_key
        self.by_name[key].append(cid)
        if is_full_name(key):
            self.by_first[first_name(key)].append(cid)
            if company_key:
                self.by_name_company.setdefault((key, company_key), cid)

    def match(self, rec: ContactIn, name_key: str) -> tuple[int | None, str | None]:
        """Return the contact this row is by identity, and why: its UID, one of its emails,
        or its full name with its company. (None, None) when it is nobody already here."""
        if rec.uid:
            found = self.by_uid.get(rec.uid)
            if found is not None:
                return found, f"same UID {rec.uid}"
        if rec.uuid:
            found = self.by_uuid.get(rec.uuid)
            if found is not None:
                return found, f"same UID {rec.uid or rec.uuid}"
        for email, _ in rec.emails:
            found = self.by_email.get(email.lower())
            if found is not None:
                return found, f"same email {email.lower()}"
        if rec.company and is_full_name(name_key):
            found = self.by_name_company.get((name_key, fold(rec.company)))
            if found is not None:
                return found, "same name and company"
        if self.link_by_name:
            named = self.by_name.get(name_key, [])
            if len(named) == 1:
                return named[0], "same name"
        return None, None

    def likenesses(
        self, rec: ContactIn, name_key: str, cid: int, weak: bool = True
    ) -> list[tuple[int, str]]:
        """Return the other contacts this row resembles without being them, and how (with
        `weak` False, only those that share an identity with it: an email, a UID, a name
        and company)."""
        found: dict[int, str] = {}

        def note(other: int | None, reason: str) -> bool:
            """Remember a likeness; return whether enough are found."""
            if other is not None and other != cid and other not in found:
                found[other] = reason
            return len(found) >= MAX_LIKENESSES

        for email, _ in rec.emails:
            if note(self.by_email.get(email.lower()), f"same email {email.lower()}"):
                return list(found.items())
        if rec.uid and note(self.by_uid.get(rec.uid), f"same UID {rec.uid}"):
            return list(found.items())
        company = fold(rec.company) if rec.company else None
        if company and is_full_name(name_key):
            note(self.by_name_company.get((name_key, company)), "same name and company")
        if not weak or len(found) >= MAX_LIKENESSES:
            return list(found.items())
        for phone, _ in rec.phones:
            for other in self.by_phone.get(phone_key(phone), []):
                if note(other, f"same phone {phone}"):
                    return list(found.items())
        for other in self.by_name.get(name_key, []):
            theirs = self.companies.get(other)
            different = company and theirs and theirs != company
            if note(other, "same name, another company" if different else "same name"):
                return list(found.items())
        firsts = (
            self.by_name.get(first_name(name_key), [])
            if is_full_name(name_key)
            else self.by_first.get(name_key, [])
        )
        for other in firsts:
            if note(other, "same first name"):
                break
        return list(found.items())

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
        found, why = self.match(rec, name_key)
        named = self.by_name.get(name_key, [])
        if found is None and self.link_by_name and len(named) > 1 and not rec.emails:
            ids = ", ".join(f"#{i}" for i in named[:5])
            self.ctx.report.problems.append(
                Problem(
                    rec.line,
                    f"{rec.name!r} names more than one contact ({ids}); give the contact's"
                    " email to say which",
                )
            )
            return None
        if found is None:
            record = self._create(rec, name_key)
            self._report_likeness(rec, name_key, record.id, new=True)
            return Action(rec.line, "create", _label(rec), record.id)
        record = self.records.get(found) or self._load(found)
        self._report_likeness(rec, name_key, found, new=False)
        target = self._target(found)
        if self.policy == "skip":
            return Action(rec.line, "skip", _label(rec), found, why, target)
        if self._apply(record, rec, overwrite=self.policy == "update"):
            return Action(rec.line, "update", _label(rec), found, why, target)
        return Action(rec.line, "skip", _label(rec), found, why, target)

    def _target(self, cid: int) -> str:
        line = self.lines.get(cid)
        if line is not None:
            return f"line {line} {self.names.get(cid, '')}"
        return f"contact #{cid} {self.names.get(cid, '')}"

    def _report_likeness(self, rec: ContactIn, name_key: str, cid: int, new: bool) -> None:
        if self.link_by_name:
            return  # the contacts a deal file names are only linked to
        # a row that is a contact already here was reported when that contact was new
        weak = new or cid in self.lines
        for other, reason in self.likenesses(rec, name_key, cid, weak):
            self.ctx.report.possible.append(
                Likeness(
                    rec.line,
                    cid,
                    rec.name,
                    other,
                    self.names.get(other, ""),
                    self.lines.get(other),
                    reason,
                    new,
                )
            )

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
            **dict.fromkeys(PART_COLUMNS),
            **rec.parts,
        }
        batch.create("contact", row)
        record = Record(cid, True, row, rec.line)
        self.records[cid] = record
        self.by_uuid[cuuid] = cid
        self.lines[cid] = rec.line
        self._index(cid, rec.name, name_key, fold(rec.company) if rec.company else None)
        self._children(record, rec)
        return record

    def _load(self, cid: int) -> Record:
        values = history.recorded(self.conn, "contact", cid)
        record = Record(cid, False, dict(values), 0, original=values)
        record.email_keys = set(self._of(ContactEmail.email_key, ContactEmail.contact_id, cid))
        record.phone_keys = set(self._of(ContactPhone.phone_key, ContactPhone.contact_id, cid))
        record.urls = set(self._of(ContactUrl.url, ContactUrl.contact_id, cid))
        record.tag_ids = set(self._of(ContactTag.tag_id, ContactTag.contact_id, cid))
        record.uids = set(self._of(ContactUid.uid, ContactUid.contact_id, cid))
        record.addresses = {
            address_key(r)
            for r in self.conn.execute(
                select(ContactAddress).where(col(ContactAddress.contact_id) == cid)
            ).mappings()
        }
        record.dates = {
            (kind, value)
            for kind, value in self.conn.execute(
                select(ContactDate.kind, ContactDate.value).where(
                    col(ContactDate.contact_id) == cid
                )
            )
        }
        record.kept_lines = set(self._of(ContactProperty.line, ContactProperty.contact_id, cid))
        record.has_primary_uid = (
            self.conn.execute(
                select(ContactUid.id).where(
                    ContactUid.contact_id == cid, col(ContactUid.is_primary)
                )
            ).first()
            is not None
        )
        self.records[cid] = record
        return record

    def _of(self, value: Any, owner: Any, cid: int) -> list[Any]:
        """Return the values of one column of a contact's child rows."""
        return list(self.conn.execute(select(value).where(owner == cid)).scalars())

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
            **rec.parts,
        }
        changed = False
        for key, value in incoming.items():
            if value is None or value == row[key]:
                continue
            if overwrite or row[key] in (None, ""):
                row[key] = value
                changed = True
        # a card's N replaces the one kept as written, or the parts now say it
        names = {"vcard_n", *PART_COLUMNS[:5]}
        if overwrite and names & rec.parts.keys() and row["vcard_n"] != rec.parts.get("vcard_n"):
            row["vcard_n"] = rec.parts.get("vcard_n")
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
                    **self._more(rec, "email", email),
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
                    **self._more(rec, "phone", phone),
                },
            )
            record.phone_keys.add(key)
            self.by_phone[key].append(cid)
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
                    **self._more(rec, "url", url),
                },
            )
            record.urls.add(url)
            added = True
        if queue_whole_record(self.batch, record, rec):
            added = True
        for name in rec.tags:
            tid = self.ctx.tag_id(name)
            if tid in record.tag_ids:
                continue
            batch.create("contact_tag", {"contact_id": cid, "tag_id": tid})
            record.tag_ids.add(tid)
            added = True
        uid = rec.uid
        # a card keeps the UID it came with, exactly; tinycrm's own card needs no record
        if (
            uid
            and uid not in record.uids
            and (record.is_new or not own_uid(uid, record.row["uuid"]))
        ) and self.by_uid.get(uid) is None:
            batch.create(
                "contact_uid",
                {
                    "id": batch.new_id("contact_uid"),
                    "contact_id": cid,
                    "uid": uid,
                    "is_primary": not record.has_primary_uid,
                },
            )
            record.uids.add(uid)
            record.has_primary_uid = True
            self.by_uid[uid] = cid
            added = True
        return added

    @staticmethod
    def _more(rec: ContactIn, kind: str, value: str) -> dict[str, str | None]:
        """The types and vCard group of an email, phone or url (none from a CSV file)."""
        types, group = rec.details.get((kind, value), (None, None))
        return {"types": types, "vcard_group": group}

    def finish(self) -> None:
        """Queue one update per existing contact that changed."""
        for record in self.records.values():
            if record.is_new or not record.changed:
                continue
            queue_update(self.batch, "contact", record)


def _label(rec: ContactIn) -> str:
    label = f"{rec.name} <{rec.emails[0][0]}>" if rec.emails else rec.name
    return f"{rec.file}: {label}" if rec.file else label
