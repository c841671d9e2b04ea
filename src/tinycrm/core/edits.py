"""Changing contacts, companies and deals field by field: what `crm edit`, `crm tag` and the
editor form apply, one validated change set at a time."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from tinycrm.core import companies, contacts, deals, details, refs, tags
from tinycrm.domain import dates
from tinycrm.domain.dates import MAX_DAYS
from tinycrm.domain.money import check_currency, parse_money, to_decimal_text
from tinycrm.domain.parts import read_labelled_date
from tinycrm.domain.qualification import CRITERIA, read_answer
from tinycrm.domain.text import clean, fold, phone_key
from tinycrm.domain.values import read_probability, read_recurring
from tinycrm.errors import NotFoundError, ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Company, Contact, ContactEmail, ContactPhone, Deal

FIELDS: dict[str, tuple[str, ...]] = {
    "contact": (
        "name",
        "title",
        "company",
        "lifecycle",
        "source",
        "notes",
        "keep_in_touch_days",
        *contacts.PARTS,
        "birthday",
        "anniversary",
    ),
    "company": ("name", "domain", "industry", "size", "notes"),
    "deal": (
        "title",
        "contact",
        "company",
        "value",
        "recurring",
        "currency",
        "close",
        "probability",
        "notes",
        *CRITERIA,
    ),
}
CUSTOM_KEY = re.compile(r"^[A-Za-z][\w-]*$")
_MODELS: dict[str, Any] = {"contact": Contact, "company": Company, "deal": Deal}


@dataclass
class Changes:
    """One set of edits to one record; field values are text as typed ('' clears a field)."""

    fields: dict[str, str] = field(default_factory=dict)
    add_emails: list[str] = field(default_factory=list)
    remove_emails: list[str] = field(default_factory=list)
    add_phones: list[str] = field(default_factory=list)
    remove_phones: list[str] = field(default_factory=list)
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    set_custom: dict[str, str] = field(default_factory=dict)
    unset_custom: list[str] = field(default_factory=list)
    add_urls: list[str] = field(default_factory=list)
    add_addresses: list[str] = field(default_factory=list)
    remove_addresses: list[str] = field(default_factory=list)
    add_dates: list[str] = field(default_factory=list)
    remove_dates: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Tell whether nothing would change."""
        return not any(
            (
                self.fields,
                self.add_urls,
                self.add_addresses,
                self.remove_addresses,
                self.add_dates,
                self.remove_dates,
                self.add_emails,
                self.remove_emails,
                self.add_phones,
                self.remove_phones,
                self.add_tags,
                self.remove_tags,
                self.set_custom,
                self.unset_custom,
            )
        )

    def describe(self) -> list[str]:
        """Return short words for what changes (for summaries and confirmations)."""
        out = list(self.fields)
        added = [*self.add_emails, *self.add_phones, *self.add_urls, *self.add_addresses,
                 *self.add_dates]  # fmt: skip
        out += [f"added {item}" for item in added]
        out += [f"removed {item}" for item in [*self.remove_emails, *self.remove_phones]]
        out += [f"removed address {item}" for item in self.remove_addresses]
        out += [f"removed date {item}" for item in self.remove_dates]
        out += [f"tag +{t}" for t in self.add_tags] + [f"tag -{t}" for t in self.remove_tags]
        out += [f"{k}={v}" for k, v in self.set_custom.items()]
        out += [f"unset {k}" for k in self.unset_custom]
        return out


def check_custom_key(key: str) -> str:
    """Return a custom field name, or raise ValidationError."""
    name = key.strip()
    if not CUSTOM_KEY.match(name):
        raise ValidationError(
            f"not a custom field name: {key!r}",
            hint="start with a letter; then letters, digits, - or _",
        )
    return name


def parse_assignment(text: str) -> tuple[str, str]:
    """Read `key=value` (as given to --set) into a custom field name and its value."""
    key, sep, value = text.partition("=")
    if not sep:
        raise ValidationError(f"expected key=value, got {text!r}", hint="e.g. --set plan=gold")
    return check_custom_key(key), value.strip()


def parse_tag_changes(words: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split `+vip -cold warm` into tags to add and tags to remove (bare means add).

    A word may be a comma list (`vip,partner`), whose empty entries are left out as the
    board's tag field leaves them; a word that holds no tag at all (`""`, `,`) is refused,
    since it would otherwise change nothing without a word.
    """
    add: list[str] = []
    remove: list[str] = []
    for word in words:
        if not word.replace(",", "").strip():
            raise ValidationError(
                f"not a tag: {word!r}", hint="give a tag: +tag adds it, -tag removes it"
            )
        for part in word.split(","):
            item = part.strip()
            if not item:
                continue
            if item[0] == "-":
                remove.append(tags.normalise(item[1:]))
            else:
                add.append(tags.normalise(item.removeprefix("+")))
    both = set(add) & set(remove)
    if both:
        raise ValidationError(f"tag {sorted(both)[0]!r} is both added and removed")
    return add, remove


def kinds_fitting(names: Iterable[str], emails_or_phones: bool = False) -> tuple[str, ...]:
    """Return the kinds of record that have every one of these fields (`name` is a deal's
    title), and only contacts when emails or phones change: the kinds an edit can be for."""
    wanted = set(names) - {"name"}
    fits = tuple(kind for kind, known in FIELDS.items() if wanted <= set(known))
    return tuple(kind for kind in fits if kind == "contact") if emails_or_phones else fits


def check_fields(kind: str, names: Iterable[str]) -> None:
    """Raise ValidationError for a field that `kind` records do not have."""
    known = FIELDS[kind]
    for name in names:
        if name not in known:
            raise ValidationError(
                f"a {kind} has no field {name!r}", hint=f"fields: {', '.join(known)}"
            )


def _parse_days(text: str) -> int | None:
    raw = text.strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 6 or not 0 < int(raw) <= MAX_DAYS:
        raise ValidationError(
            f"not a number of days: {text!r}",
            hint=f"a whole number such as 30 (at most {MAX_DAYS}), or empty",
        )
    return int(raw)


def get_record(session: Session, kind: str, record_id: int) -> Any:
    """Return the live (not trashed) record of `kind` with this id, or raise NotFoundError."""
    return query.get(session, _MODELS[kind], record_id, kind)


def _contact_fields(
    session: Session, contact: Contact, values: dict[str, str], now: datetime
) -> None:
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("birthday", "anniversary"):
            assert contact.id is not None
            details.set_date(session, contact.id, key, value)
            continue
        parsed[key] = _parse_days(value) if key == "keep_in_touch_days" else value
    if "company" in parsed and not clean(parsed["company"]):
        contact.company_id = None
        del parsed["company"]
    contacts.update_contact(session, contact, parsed, now)


def _company_fields(company: Company, values: dict[str, str]) -> None:
    for key, value in values.items():
        if key == "name":
            if not clean(value):
                raise ValidationError("a company needs a name")
            company.name = clean(value) or ""
            company.name_key = fold(company.name)
        elif key == "domain":
            company.domain = companies.check_domain(value)
        else:
            setattr(company, key, clean(value))


def _deal_fields(
    session: Session,
    deal: Deal,
    values: dict[str, str],
    now: datetime,
    calendar: dates.Calendar = dates.ISO_CALENDAR,
) -> None:
    parsed: dict[str, Any] = {}
    currency = deal.currency
    if "currency" in values:
        currency = check_currency(values["currency"])
        parsed["currency"] = currency
        if "value" not in values and deal.value is not None and currency != deal.currency:
            # the amount stays the same number in the new currency, if it can be exact
            amount = to_decimal_text(deal.value, deal.currency) or ""
            parsed["value"] = parse_money(amount, currency)
    for key, value in values.items():
        if key == "title":
            parsed["title"] = value
        elif key == "value":
            parsed["value"] = parse_money(value, currency) if clean(value) else None
        elif key == "close":
            parsed["expected_close"] = (
                dates.parse_day(value, now, calendar=calendar) if clean(value) else None
            )
        elif key == "probability":
            parsed["probability"] = read_probability(value)
        elif key in CRITERIA:
            parsed[key] = read_answer(key, value)
        elif key == "recurring":
            parsed["recurring"] = read_recurring(value)
        elif key == "notes":
            parsed["notes"] = clean(value)
        elif key == "contact":
            parsed["contact_id"] = refs.resolve_contact(session, value).id if clean(value) else None
        elif key == "company":
            parsed["company_id"] = (
                companies.company_for(session, value, now).id if clean(value) else None
            )
    deals.update_deal(session, deal, parsed, now)


def _remove_email(session: Session, contact_id: int, email: str) -> None:
    rows = contacts.emails_of(session, contact_id)
    gone = [r for r in rows if r.email_key == email.strip().lower()]
    if not gone:
        raise NotFoundError(f"contact #{contact_id} has no email {email.strip()!r}")
    _drop(session, gone[0], [r for r in rows if r is not gone[0]])


def _remove_phone(session: Session, contact_id: int, phone: str) -> None:
    rows = contacts.phones_of(session, contact_id)
    gone = [r for r in rows if r.phone_key == phone_key(phone)]
    if not gone:
        raise NotFoundError(f"contact #{contact_id} has no phone {phone.strip()!r}")
    _drop(session, gone[0], [r for r in rows if r is not gone[0]])


def _drop(
    session: Session,
    row: ContactEmail | ContactPhone,
    rest: list[ContactEmail] | list[ContactPhone],
) -> None:
    """Delete an email or phone row; if it was the primary one, the next becomes primary."""
    session.delete(row)
    session.flush()
    if row.is_primary and rest and not any(r.is_primary for r in rest):
        rest[0].is_primary = True
        session.add(rest[0])


def _custom(record: Any, changes: Changes) -> None:
    if not changes.set_custom and not changes.unset_custom:
        return
    custom = dict(record.custom or {})
    for key in changes.unset_custom:
        if key not in custom:
            raise NotFoundError(f"{record.__tablename__} #{record.id} has no custom field {key!r}")
        del custom[key]
    for key, value in changes.set_custom.items():
        custom[check_custom_key(key)] = value
    record.custom = custom or None


def apply_changes(
    session: Session,
    kind: str,
    record_id: int,
    changes: Changes,
    now: datetime,
    calendar: dates.Calendar = dates.ISO_CALENDAR,
) -> Any:
    """Apply a change set to one record, all or nothing (the caller's transaction); return it."""
    check_fields(kind, changes.fields)
    if kind != "contact" and (
        changes.add_emails
        or changes.remove_emails
        or changes.add_phones
        or changes.remove_phones
        or changes.add_urls
        or changes.add_dates
        or changes.remove_dates
    ):
        raise ValidationError(f"only contacts have emails, phones, urls and dates, not a {kind}")
    if kind == "deal" and (changes.add_addresses or changes.remove_addresses):
        raise ValidationError("a deal has no postal address")
    record = get_record(session, kind, record_id)
    history.describe(session, f"edit {kind} #{record_id} {label_of(record)}")
    if kind == "contact":
        _contact_fields(session, record, changes.fields, now)
        for email in changes.remove_emails:
            _remove_email(session, record_id, email)
        for email in changes.add_emails:
            contacts.add_email(session, record, email)
        for phone in changes.remove_phones:
            _remove_phone(session, record_id, phone)
        for phone in changes.add_phones:
            contacts.add_phone(session, record, phone)
        for url in changes.add_urls:
            contacts.add_url(session, record, url)
        for label in changes.remove_dates:
            details.remove_date(session, record_id, label)
        for text in changes.add_dates:
            date_label, when = read_labelled_date(text)
            details.add_date(session, record_id, date_label, when)
    elif kind == "company":
        _company_fields(record, changes.fields)
    else:
        _deal_fields(session, record, changes.fields, now, calendar)
    for which in changes.remove_addresses:
        details.remove_address(session, kind, record_id, which)
    for text in changes.add_addresses:
        details.add_address(session, kind, record_id, text)
    _custom(record, changes)
    if changes.remove_tags:
        tags.remove_tags(session, kind, record_id, changes.remove_tags)
    if changes.add_tags:
        tags.add_tags(session, kind, record_id, changes.add_tags)
    record.updated_at = now
    session.add(record)
    session.flush()
    return record


def retag(
    session: Session, kind: str, record_id: int, add: list[str], remove: list[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Add and remove tags on a record; return (added, removed), the ones that changed."""
    record = get_record(session, kind, record_id)
    words = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    history.describe(session, f"tag {kind} #{record_id} {label_of(record)} {words}")
    removed = tags.remove_tags(session, kind, record_id, remove) if remove else []
    added = tags.add_tags(session, kind, record_id, add) if add else []
    if added or removed:
        record.updated_at = now
        session.add(record)
        session.flush()
    return added, removed


def label_of(record: Any) -> str:
    """Return how people know a record: its name, or a deal's title."""
    return str(record.title if isinstance(record, Deal) else record.name)
