"""Merging duplicates: everything of one contact (or company) moves onto another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tinycrm.core import refs
from tinycrm.errors import UsageError, ValidationError
from tinycrm.store import history
from tinycrm.store.models import (
    Company,
    CompanyAddress,
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
    FollowUp,
    Interaction,
    SequenceRun,
)

CONTACT_FIELDS = ("title", "company_id", "source", "notes", "keep_in_touch_days", "nickname",
                  "photo")  # fmt: skip
# Dates a person has only one of (as vCard allows one BDAY and one ANNIVERSARY): a second one
# that a merge brings is kept as an "other" date labelled with its kind.
_SINGLE_DATES = ("birthday", "anniversary")
COMPANY_FIELDS = ("domain", "industry", "size", "notes")


@dataclass(frozen=True)
class Merged:
    """What a merge did: the kept record, the removed one, how many rows moved."""

    kind: str
    kept_id: int
    kept_label: str
    removed_id: int
    removed_label: str
    moved: int
    filled: tuple[str, ...]


def resolve_pair(
    session: Session, keep: str, drop: str, kinds: tuple[str, ...] = ("contact", "company")
) -> tuple[refs.Match, refs.Match]:
    """Return the two records to merge; they must be two different records of one kind."""
    first = refs.resolve(session, keep, kinds)
    second = refs.resolve(session, drop, (first.kind,))
    if first.id == second.id:
        raise ValidationError(f"{first} is named twice; nothing to merge")
    if first.kind == "deal":
        raise UsageError("deals are not merged", hint="merge contacts or companies")
    return first, second


def _fill(kept: Any, removed: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    filled = []
    for name in names:
        if getattr(kept, name) in (None, "") and getattr(removed, name) not in (None, ""):
            setattr(kept, name, getattr(removed, name))
            filled.append(name)
    if removed.custom:
        custom = dict(removed.custom)
        custom.update(kept.custom or {})
        if custom != (kept.custom or {}):
            kept.custom = custom
            filled.append("custom")
    return tuple(filled)


def _move_rows(session: Session, model: Any, column: str, old: int, new: int) -> int:
    rows = list(session.exec(select(model).where(getattr(model, column) == old)))
    for row in rows:
        setattr(row, column, new)
        session.add(row)
    return len(rows)


def _move_details(
    session: Session, model: Any, old: int, new: int, owner: str = "contact_id"
) -> int:
    """Move emails, phones, urls, UIDs or addresses; the kept record's primary one stays
    primary."""
    has_primary = any(
        r.is_primary for r in session.exec(select(model).where(getattr(model, owner) == new))
    )
    rows = list(session.exec(select(model).where(getattr(model, owner) == old)))
    for row in rows:
        setattr(row, owner, new)
        if has_primary:
            row.is_primary = False
        session.add(row)
    return len(rows)


def _move_dates(session: Session, old: int, new: int) -> int:
    """Move a contact's dates; a birthday or anniversary the kept contact already has a date
    of becomes an "other" date labelled with its kind, so neither is lost."""
    have = {r.kind for r in session.exec(select(ContactDate).where(ContactDate.contact_id == new))}
    rows = list(session.exec(select(ContactDate).where(ContactDate.contact_id == old)))
    for row in rows:
        row.contact_id = new
        if row.kind in _SINGLE_DATES and row.kind in have:
            row.label = row.label or row.kind
            row.kind = "other"
        session.add(row)
    return len(rows)


def _move_properties(session: Session, old: int, new: int) -> int:
    """Move the vCard lines kept verbatim, after the kept contact's own."""
    last = max(
        (
            r.position
            for r in session.exec(select(ContactProperty).where(ContactProperty.contact_id == new))
        ),
        default=0,
    )
    rows = list(
        session.exec(
            select(ContactProperty)
            .where(ContactProperty.contact_id == old)
            .order_by(col(ContactProperty.position))
        )
    )
    for offset, row in enumerate(rows, 1):
        row.contact_id = new
        row.position = last + offset
        session.add(row)
    return len(rows)


def _move_tags(session: Session, link: Any, column: str, old: int, new: int) -> int:
    have = {r.tag_id for r in session.exec(select(link).where(getattr(link, column) == new))}
    rows = list(session.exec(select(link).where(getattr(link, column) == old)))
    for row in rows:
        if row.tag_id not in have:
            session.add(link(**{column: new, "tag_id": row.tag_id}))
        session.delete(row)
    return len(rows)


def merge_contacts(session: Session, keep: Contact, drop: Contact, now: datetime) -> Merged:
    """Move every email, phone, url, address, date, kept vCard line, tag, interaction, deal,
    follow-up and sequence run of `drop` onto `keep`, fill `keep`'s empty fields from `drop`,
    then remove `drop`."""
    assert keep.id is not None and drop.id is not None
    moved = 0
    for detail in (ContactEmail, ContactPhone, ContactUrl, ContactUid, ContactAddress):
        moved += _move_details(session, detail, drop.id, keep.id)
    moved += _move_dates(session, drop.id, keep.id)
    moved += _move_properties(session, drop.id, keep.id)
    moved += _move_tags(session, ContactTag, "contact_id", drop.id, keep.id)
    for model in (Interaction, Deal, FollowUp, SequenceRun):
        moved += _move_rows(session, model, "contact_id", drop.id, keep.id)
    filled = _fill(keep, drop, CONTACT_FIELDS)
    keep.updated_at = now
    session.add(keep)
    session.flush()
    session.delete(drop)
    session.flush()
    return Merged("contact", keep.id, keep.name, drop.id, drop.name, moved, filled)


def merge_companies(session: Session, keep: Company, drop: Company, now: datetime) -> Merged:
    """Move every contact, deal, address and tag of `drop` onto `keep`, fill `keep`'s empty
    fields from `drop`, then remove `drop`."""
    assert keep.id is not None and drop.id is not None
    moved = _move_details(session, CompanyAddress, drop.id, keep.id, "company_id")
    for model in (Contact, Deal):
        moved += _move_rows(session, model, "company_id", drop.id, keep.id)
    moved += _move_tags(session, CompanyTag, "company_id", drop.id, keep.id)
    filled = _fill(keep, drop, COMPANY_FIELDS)
    keep.updated_at = now
    session.add(keep)
    session.flush()
    session.delete(drop)
    session.flush()
    return Merged("company", keep.id, keep.name, drop.id, drop.name, moved, filled)


def merge(
    session: Session,
    keep_ref: str,
    drop_ref: str,
    now: datetime,
    kinds: tuple[str, ...] = ("contact", "company"),
) -> Merged:
    """Merge the record `drop_ref` names into the one `keep_ref` names."""
    first, second = resolve_pair(session, keep_ref, drop_ref, kinds)
    history.describe(session, f"merge {second} into {first}")
    if first.kind == "contact":
        keep_c, drop_c = session.get(Contact, first.id), session.get(Contact, second.id)
        assert keep_c is not None and drop_c is not None
        return merge_contacts(session, keep_c, drop_c, now)
    keep_o, drop_o = session.get(Company, first.id), session.get(Company, second.id)
    assert keep_o is not None and drop_o is not None
    return merge_companies(session, keep_o, drop_o, now)
