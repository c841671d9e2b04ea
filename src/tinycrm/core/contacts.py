"""Contacts: create, find, update; emails, phones and urls as labelled child rows."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from tinycrm.core import companies, tags
from tinycrm.domain.parts import split_label
from tinycrm.domain.text import clean, fold, is_email, phone_key
from tinycrm.domain.values import check_lifecycle
from tinycrm.errors import ConflictError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Contact, ContactEmail, ContactPhone, ContactUrl


def check_email(email: str) -> str:
    """Return a trimmed email address (a `mailto:` before it left out), or raise
    ValidationError."""
    value = email.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].strip()
    if not is_email(value):
        raise ValidationError(
            f"not an email address: {email!r}", hint="write it like jane@acme.com"
        )
    return value


def contact_with_email(session: Session, email: str) -> Contact | None:
    """Return the contact (trashed ones included) that has this email address."""
    row = session.exec(
        select(Contact)
        .join(ContactEmail, col(ContactEmail.contact_id) == Contact.id)
        .where(ContactEmail.email_key == email.strip().lower())
    ).first()
    return row


def _refuse_taken_email(session: Session, email: str, contact_id: int | None = None) -> None:
    owner = contact_with_email(session, email)
    if owner is not None and owner.id != contact_id:
        where = " (in the trash)" if owner.deleted_at is not None else ""
        raise ConflictError(
            f"{email} already belongs to #{owner.id} {owner.name}{where}",
            hint=f"add the details to that contact: crm edit {owner.id} ...",
        )


def labelled_email(text: str) -> tuple[str, str | None]:
    """Read `jane@acme.com` or `work:jane@acme.com` as (address, label)."""
    label, value = split_label(text)
    if label is not None and not is_email(value):
        raise ValidationError(
            f"not an email address: {text!r}", hint="write it like work:jane@acme.com"
        )
    return check_email(value), label


def add_email(
    session: Session, contact: Contact, email: str, label: str | None = None, primary: bool = False
) -> ContactEmail:
    """Give a contact one more email address (refused if another contact has it); with no
    label given, `work:jane@acme.com` is the address with its label."""
    if label is None:
        value, label = labelled_email(email)
    else:
        value = check_email(email)
    assert contact.id is not None
    _refuse_taken_email(session, value, contact.id)
    existing = listed_of(session, ContactEmail, contact.id)
    if any(e.email_key == value.lower() for e in existing):
        raise ConflictError(f"#{contact.id} {contact.name} already has {value}")
    row = ContactEmail(
        contact_id=contact.id, email=value, email_key=value.lower(), label=clean(label)
    )
    return _add_listed(session, row, existing, primary)


def add_phone(
    session: Session, contact: Contact, phone: str, label: str | None = None, primary: bool = False
) -> ContactPhone:
    """Give a contact one more phone number; with no label given, `mobile:+1 555 0100` is
    the number with its label."""
    if label is None:
        label, phone = split_label(phone)
    value = phone.strip()
    if value[:4].lower() == "tel:":
        value = value[4:].strip()
    key = phone_key(value)
    if len(key.lstrip("+")) < 3 or any(c.isalpha() for c in value):
        raise ValidationError(f"not a phone number: {phone!r}", hint="write it like +1 555 0100")
    assert contact.id is not None
    row = ContactPhone(contact_id=contact.id, phone=value, phone_key=key, label=clean(label))
    return _add_listed(session, row, listed_of(session, ContactPhone, contact.id), primary)


def add_url(
    session: Session, contact: Contact, url: str, label: str | None = None, primary: bool = False
) -> ContactUrl:
    """Give a contact one more web address; with no label given, `blog:example.org` is the
    address with its label (`https://…` is an address, not a label)."""
    if label is None:
        label, url = split_label(url)
    value = url.strip()
    if not value or " " in value or "." not in value:
        raise ValidationError(f"not a web address: {url!r}")
    assert contact.id is not None
    row = ContactUrl(contact_id=contact.id, url=value, label=clean(label))
    return _add_listed(session, row, listed_of(session, ContactUrl, contact.id), primary)


def add_contact(
    session: Session,
    name: str,
    *,
    now: datetime,
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
    urls: Sequence[str] = (),
    company: str | None = None,
    title: str | None = None,
    tag_names: Sequence[str] = (),
    source: str | None = None,
    lifecycle: str = "lead",
    notes: str | None = None,
    parts: Mapping[str, str | None] | None = None,
    dates: Mapping[str, str] | None = None,
    other_dates: Sequence[str] = (),
    addresses: Sequence[str] = (),
) -> Contact:
    """Create a contact; an email that another contact already has is refused. `parts` are
    the name's parts and the nickname (fields of PARTS), `dates` its birthday and
    anniversary, `other_dates` labelled dates ("first order: 2019-03-01"), `addresses` as
    `details.add_address` reads them."""
    from tinycrm.core import details
    from tinycrm.domain.parts import read_labelled_date

    name = clean(name) or ""
    if not name:
        raise ValidationError("a contact needs a name")
    labelled = [labelled_email(e) for e in emails]
    checked = [e for e, _ in labelled]
    extra_dates = [read_labelled_date(text) for text in other_dates]
    for key in parts or {}:
        if key not in PARTS:
            raise ValidationError(f"a contact has no field {key!r}")
    for email in checked:
        _refuse_taken_email(session, email)
    if len({e.lower() for e in checked}) != len(checked):
        raise ValidationError("the same email was given twice")
    history.describe(session, f"add contact {name}")
    company_id = None
    if clean(company):
        assert company is not None
        company_id = companies.company_for(session, company, now).id
    contact = Contact(
        uuid=str(uuid.uuid4()),
        name=name,
        name_key=fold(name),
        title=clean(title),
        company_id=company_id,
        lifecycle=check_lifecycle(lifecycle),
        source=fold(source) if source and clean(source) else None,
        notes=clean(notes),
        created_at=now,
        updated_at=now,
    )
    for key, value in (parts or {}).items():
        setattr(contact, key, clean(value))
    session.add(contact)
    session.flush()
    assert contact.id is not None
    for email, label in labelled:
        add_email(session, contact, email, label or "")
    for phone in phones:
        add_phone(session, contact, phone)
    for url in urls:
        add_url(session, contact, url)
    for kind, text in (dates or {}).items():
        details.set_date(session, contact.id, kind, text)
    for label, when in extra_dates:
        details.add_date(session, contact.id, label, when)
    for text in addresses:
        details.add_address(session, "contact", contact.id, text)
    if tag_names:
        assert contact.id is not None
        tags.add_tags(session, "contact", contact.id, list(tag_names))
    return contact


def get_contact(session: Session, contact_id: int) -> Contact:
    """Return a contact by id, or raise NotFoundError (trashed ones are not found)."""
    return query.get(session, Contact, contact_id, "contact")


def find_contact(session: Session, contact_id: int) -> Contact | None:
    """Return a contact by id, or None."""
    return query.find(session, Contact, contact_id)


Listed = TypeVar("Listed", ContactEmail, ContactPhone, ContactUrl)


def listed_of(session: Session, model: type[Listed], contact_id: int) -> list[Listed]:
    """Return a contact's emails, phones or web addresses (`model` says which), the primary
    first."""
    return list(
        session.exec(
            select(model)
            .where(model.contact_id == contact_id)
            .order_by(*query.primary_first(model))
        )
    )


def _add_listed(session: Session, row: Listed, existing: list[Listed], primary: bool) -> Listed:
    """Add an email, phone or web address to a contact that has `existing` ones (see
    `details.add_with_primary`)."""
    from tinycrm.core.details import add_with_primary

    return add_with_primary(session, row, existing, primary)


def emails_of(session: Session, contact_id: int) -> list[ContactEmail]:
    """Return a contact's emails, the primary first."""
    return listed_of(session, ContactEmail, contact_id)


def phones_of(session: Session, contact_id: int) -> list[ContactPhone]:
    """Return a contact's phones, the primary first."""
    return listed_of(session, ContactPhone, contact_id)


# The name's parts and the nickname: fields of a contact that `crm add` and `crm edit` set.
PARTS = ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix", "nickname")
EDITABLE = ("name", "title", "company", "lifecycle", "source", "notes", "keep_in_touch_days",
            *PARTS)  # fmt: skip


def update_contact(
    session: Session, contact: Contact, changes: dict[str, Any], now: datetime
) -> Contact:
    """Apply field changes (names as in EDITABLE) to a contact."""
    history.describe(session, f"edit contact #{contact.id} {contact.name}")
    for key, value in changes.items():
        if key not in EDITABLE:
            raise ValidationError(
                f"a contact has no field {key!r}", hint=f"fields: {', '.join(EDITABLE)}"
            )
        if key == "name":
            new_name = clean(value)
            if not new_name:
                raise ValidationError("a contact needs a name")
            contact.name = new_name
            contact.name_key = fold(new_name)
        elif key == "company":
            contact.company_id = (
                companies.company_for(session, value, now).id if clean(value) else None
            )
        elif key == "lifecycle":
            contact.lifecycle = check_lifecycle(value)
        elif key == "source":
            contact.source = fold(value) if value and clean(value) else None
        elif key in PARTS[:5]:
            # the parts now say the name: a card's N as it came no longer does
            setattr(contact, key, clean(value))
            contact.vcard_n = None
        else:
            setattr(contact, key, clean(value) if isinstance(value, str) else value)
    contact.updated_at = now
    session.add(contact)
    session.flush()
    return contact
