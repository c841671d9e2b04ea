"""The rest of a whole record: postal addresses (of contacts and companies), a contact's
dates (birthday, anniversary, others; with or without a year) and the parts of its name."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, col, select

from tinycrm.domain.parts import DATE_KINDS, PartialDate, read_address, read_partial_date
from tinycrm.domain.text import clean
from tinycrm.errors import NotFoundError, ValidationError
from tinycrm.store.models import (
    CompanyAddress,
    ContactAddress,
    ContactDate,
    ContactEmail,
    ContactPhone,
    ContactUrl,
)

# the rows a record has several of, one of them the primary one
Kept = TypeVar("Kept", ContactEmail, ContactPhone, ContactUrl, ContactAddress, CompanyAddress)

# The parts of a contact's name, as fields of `crm edit` and of the contact row.
NAME_PARTS = ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix")

Address = ContactAddress | CompanyAddress


def _address_model(kind: str) -> tuple[Any, str]:
    if kind == "contact":
        return ContactAddress, "contact_id"
    if kind == "company":
        return CompanyAddress, "company_id"
    raise ValidationError(f"a {kind} has no postal address")


def addresses_of(session: Session, kind: str, owner_id: int) -> list[Any]:
    """Return a contact's or company's addresses, the primary first, then in order added."""
    model, owner = _address_model(kind)
    return list(
        session.exec(
            select(model)
            .where(getattr(model, owner) == owner_id)
            .order_by(col(model.is_primary).desc(), col(model.id))
        )
    )


def add_address(
    session: Session, kind: str, owner_id: int, text: str, primary: bool = False
) -> Any:
    """Add the address `text` ("[label:] street; locality; region; postcode; country") to a
    contact or company; the first one is the primary one, or this one when asked."""
    label, parts = read_address(text)
    model, owner = _address_model(kind)
    existing = addresses_of(session, kind, owner_id)
    row = model(**{owner: owner_id}, label=clean(label), **parts)
    return add_with_primary(session, row, existing, primary)


def add_with_primary(session: Session, row: Kept, existing: list[Kept], primary: bool) -> Kept:
    """Add one of a record's several emails, phones, urls or addresses beside `existing`:
    it is the primary one when asked or when it is the first, and then the only primary."""
    row.is_primary = primary or not existing
    if row.is_primary:
        for other in existing:
            if other.is_primary:
                other.is_primary = False
                session.add(other)
    session.add(row)
    session.flush()
    return row


def remove_address(session: Session, kind: str, owner_id: int, which: str) -> None:
    """Remove an address named by its label or its place in the list (1 is the first); if it
    was the primary one, the next becomes primary."""
    rows = addresses_of(session, kind, owner_id)
    wanted = which.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(rows):
        gone = [rows[int(wanted) - 1]]
    else:
        gone = [r for r in rows if (r.label or "").lower() == wanted.lower()]
    if len(gone) != 1:
        what = "no address" if not gone else "several addresses"
        raise NotFoundError(
            f"{kind} #{owner_id} has {what} {wanted!r}",
            hint="name it by its label or its number in crm show (1 is the first)",
        )
    session.delete(gone[0])
    session.flush()
    rest = [r for r in rows if r is not gone[0]]
    if gone[0].is_primary and rest:
        rest[0].is_primary = True
        session.add(rest[0])


def dates_of(session: Session, contact_id: int) -> list[ContactDate]:
    """Return a contact's dates: birthday, anniversary, then the others, in order added."""
    rows = session.exec(
        select(ContactDate)
        .where(ContactDate.contact_id == contact_id)
        .order_by(col(ContactDate.id))
    )
    return sorted(rows, key=lambda r: DATE_KINDS.index(r.kind) if r.kind in DATE_KINDS else 3)


def _new_date(contact_id: int, kind: str, when: PartialDate, label: str | None) -> ContactDate:
    return ContactDate(
        contact_id=contact_id,
        kind=kind,
        label=clean(label),
        value=when.value,
        month=when.month,
        day=when.day,
    )


def set_date(session: Session, contact_id: int, kind: str, text: str) -> None:
    """Set a contact's birthday or anniversary (`1985-04-12`, or `--04-12` with no year);
    an empty text removes it."""
    if kind not in ("birthday", "anniversary"):
        raise ValidationError(f"not a date a contact has one of: {kind!r}")
    for row in session.exec(
        select(ContactDate).where(ContactDate.contact_id == contact_id, ContactDate.kind == kind)
    ):
        session.delete(row)
    session.flush()
    if text.strip():
        session.add(_new_date(contact_id, kind, read_partial_date(text), None))
        session.flush()


def add_date(session: Session, contact_id: int, label: str | None, when: PartialDate) -> None:
    """Add another labelled date to a contact ("first order: 2019-03-01")."""
    session.add(_new_date(contact_id, "other", when, label))
    session.flush()


def remove_date(session: Session, contact_id: int, label: str) -> None:
    """Remove the contact's date with this label (or kind: birthday, anniversary)."""
    wanted = label.strip().lower()
    rows = [
        r
        for r in dates_of(session, contact_id)
        if (r.label or "").lower() == wanted or (r.kind == wanted and not r.label)
    ]
    if len(rows) != 1:
        what = "no date" if not rows else "several dates"
        raise NotFoundError(f"contact #{contact_id} has {what} {label.strip()!r}")
    session.delete(rows[0])
    session.flush()
