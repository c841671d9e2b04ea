"""CSV header layouts of other tools (Google Contacts, Outlook, HubSpot, Pipedrive, LinkedIn)
and plain ones: which column holds which field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tinycrm.domain.text import fold
from tinycrm.errors import UsageError, ValidationError

KINDS = ("contacts", "companies", "deals", "interactions", "follow-ups")

FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": (
        "name", "first_name", "middle_name", "last_name", "name_prefix", "name_suffix",
        "nickname", "email", "phone", "url", "company", "title", "tags", "source", "notes",
        "lifecycle", "uuid", "uid", "connected_on", "birthday", "anniversary", "address",
        "address_label", "po_box", "extended", "street", "locality", "region", "postcode",
        "country",
    ),
    "companies": ("name", "domain", "industry", "size", "notes", "tags", "uuid"),
    "deals": (
        "title", "value", "currency", "recurring", "stage", "pipeline", "status", "lost_reason",
        "expected_close", "probability", "budget", "authority", "need", "timing", "contact",
        "contact_email", "company", "notes", "tags", "uuid",
    ),
    "interactions": (
        "contact", "deal", "kind", "direction", "when", "summary", "message_id", "uuid",
    ),
    "follow-ups": (
        "contact", "deal", "title", "due", "all_day", "recurrence", "status", "snoozed_until",
        "priority", "completed_at", "uuid",
    ),
}  # fmt: skip
REQUIRED = {
    "contacts": ("name", "first_name", "last_name", "email"),
    "companies": ("name",),
    "deals": ("title",),
    "interactions": ("summary",),
    "follow-ups": ("title",),
}

_CONTACTS = {
    "name": "name", "full name": "name", "display name": "name", "contact name": "name",
    "first name": "first_name", "firstname": "first_name", "first_name": "first_name",
    "given name": "first_name", "middle name": "middle_name", "additional name": "middle_name",
    "last name": "last_name", "lastname": "last_name", "last_name": "last_name",
    "family name": "last_name", "surname": "last_name",
    "email": "email", "e-mail": "email", "emails": "email", "email address": "email",
    "e-mail address": "email", "e-mail 2 address": "email", "e-mail 3 address": "email",
    "email 2": "email", "email 3": "email", "primary email": "email", "mail": "email",
    "phone": "phone", "phones": "phone", "phone number": "phone", "telephone": "phone",
    "tel": "phone", "mobile": "phone:mobile", "mobile phone": "phone:mobile",
    "mobile phone number": "phone:mobile", "cell": "phone:mobile", "work phone": "phone:work",
    "business phone": "phone:work", "business phone 2": "phone:work",
    "company main phone": "phone:work", "home phone": "phone:home", "home phone 2": "phone:home",
    "other phone": "phone:other", "primary phone": "phone", "car phone": "phone:car",
    "pager": "phone:pager",
    "company": "company", "company name": "company", "organization": "company",
    "organisation": "company", "organization name": "company", "account name": "company",
    "associated company": "company", "additional email addresses": "email",
    "website url": "url", "title": "title", "job title": "title", "position": "title",
    "role": "title", "organization title": "title",
    "tags": "tags", "tag": "tags", "labels": "tags", "label": "tags", "categories": "tags",
    "group membership": "tags",
    "source": "source", "lead source": "source", "original source": "source",
    "notes": "notes", "note": "notes",
    "lifecycle": "lifecycle", "lifecycle stage": "lifecycle",
    "website": "url", "web site": "url", "web page": "url", "url": "url", "urls": "url",
    "homepage": "url", "personal web page": "url",
    "uuid": "uuid", "uid": "uid", "vcard uid": "uid", "lead status": "custom.lead_status",
    "given": "first_name", "given_name": "first_name", "family": "last_name",
    "family_name": "last_name", "middle": "middle_name", "middle_name": "middle_name",
    "prefix": "name_prefix", "name prefix": "name_prefix", "name_prefix": "name_prefix",
    "suffix": "name_suffix", "name suffix": "name_suffix", "name_suffix": "name_suffix",
    "nickname": "nickname", "nick name": "nickname",
    "birthday": "birthday", "date of birth": "birthday", "birth date": "birthday",
    "birthdate": "birthday", "anniversary": "anniversary",
    # a postal address: in one cell ("1 Main St; Springfield; IL; 62701; USA"), or in parts
    "address": "address", "postal address": "address", "address_label": "address_label",
    "street": "street", "street address": "street", "address_street": "street",
    "po box": "po_box", "address_po_box": "po_box", "extended address": "extended",
    "address_extended": "extended", "city": "locality", "town": "locality",
    "locality": "locality", "address_locality": "locality", "state": "region",
    "region": "region", "state/region": "region", "province": "region",
    "address_region": "region", "postcode": "postcode", "postal code": "postcode",
    "zip": "postcode", "zip code": "postcode", "address_postcode": "postcode",
    "country": "country", "country/region": "country", "address_country": "country",
}  # fmt: skip
_COMPANIES = {
    "name": "name", "company": "name", "company name": "name", "organization": "name",
    "organisation": "name", "organization name": "name", "account name": "name",
    "domain": "domain", "company domain name": "domain", "website": "domain",
    "industry": "industry", "size": "size", "employees": "size",
    "number of employees": "size", "notes": "notes", "note": "notes", "tags": "tags",
    "labels": "tags", "label": "tags", "uuid": "uuid",
}  # fmt: skip
_DEALS = {
    "title": "title", "deal": "title", "deal name": "title", "name": "title",
    "value": "value", "amount": "value", "currency": "currency", "recurring": "recurring",
    "stage": "stage",
    "deal stage": "stage", "pipeline": "pipeline", "status": "status",
    "lost reason": "lost_reason", "lost_reason": "lost_reason",
    "expected close": "expected_close", "expected close date": "expected_close",
    "expected_close": "expected_close", "close date": "expected_close",
    "probability": "probability", "budget": "budget", "authority": "authority", "need": "need",
    "timing": "timing", "contact": "contact", "person": "contact",
    "contact name": "contact", "person name": "contact", "contact person": "contact",
    "contact email": "contact_email",
    "contact_email": "contact_email", "email": "contact_email", "person email": "contact_email",
    "company": "company", "company name": "company", "organization": "company",
    "organization name": "company", "notes": "notes", "tags": "tags", "labels": "tags",
    "label": "tags", "uuid": "uuid",
}  # fmt: skip
# who an interaction or a follow-up is about
_ABOUT = {
    "contact": "contact", "person": "contact", "contact email": "contact",
    "contact_email": "contact", "email": "contact", "contact name": "contact", "deal": "deal",
    "deal title": "deal", "deal name": "deal", "uuid": "uuid",
}  # fmt: skip
_INTERACTIONS = {
    **_ABOUT, "kind": "kind", "type": "kind", "direction": "direction", "when": "when",
    "at": "when", "date": "when", "occurred at": "when", "occurred_at": "when",
    "summary": "summary", "subject": "summary", "note": "summary", "notes": "summary",
    "message_id": "message_id", "message-id": "message_id", "message id": "message_id",
}  # fmt: skip
_FOLLOW_UPS = {
    **_ABOUT, "title": "title", "task": "title", "subject": "title", "due": "due",
    "due at": "due", "due_at": "due", "due date": "due", "all_day": "all_day",
    "all-day": "all_day", "all day": "all_day", "recurrence": "recurrence", "rrule": "recurrence",
    "repeat": "recurrence", "status": "status", "snoozed_until": "snoozed_until",
    "snoozed until": "snoozed_until", "priority": "priority", "completed_at": "completed_at",
    "completed at": "completed_at", "completed": "completed_at",
}  # fmt: skip
# tinycrm's own export columns that an import does not take back
_OWN = {"id": "ignore", "created_at": "ignore", "updated_at": "ignore", "closed_at": "ignore"}
ALIASES = {
    "contacts": {**_OWN, **_CONTACTS},
    "companies": {**_OWN, **_COMPANIES},
    "deals": {**_OWN, **_DEALS},
    "interactions": {**_OWN, **_INTERACTIONS},
    "follow-ups": {**_OWN, **_FOLLOW_UPS},
}
# Outlook's "Title" is a courtesy title (Mr., Dr.): the name's prefix, never the job title
# (that is "Job Title").
_OUTLOOK = {"title": "name_prefix", "e-mail display name": "ignore"}
# Outlook's addresses: "Business Street", "Home City", "Other Country/Region"…
_OUTLOOK_ADDRESS = re.compile(
    r"^(business|home|other) (street(?: [23])?|po box|city|state|postal code|country/region)$"
)
_OUTLOOK_PARTS = {"po box": "po_box", "city": "locality", "state": "region",
                  "postal code": "postcode", "country/region": "country"}  # fmt: skip
_OUTLOOK_LABELS = {"business": "work", "home": "home", "other": "other"}
# LinkedIn's Connections.csv: the profile's URL, and the day the seller connected.
_LINKEDIN = {"url": "url:linkedin", "connected on": "connected_on"}
# The header LinkedIn writes after its "Notes:" preamble, to recognise the layout by.
_LINKEDIN_KEYS = {"first name", "last name", "url", "connected on"}

_NUMBERED = re.compile(r"^(e-mail|email|phone|website) (\d+) - (value|label|type)$")
_GOOGLE_ORG = re.compile(r"^organization (\d+) - (name|title)$")
_GOOGLE_CUSTOM = re.compile(r"^custom field (\d+) - (value|label)$")
# Google's "Address 1 - Street", "Event 1 - Value"…
_GOOGLE_ADDRESS = re.compile(
    r"^address (\d+) - (type|label|formatted|street|city|po box|region|postal code|country"
    r"|extended address)$"
)
_GOOGLE_PARTS = {"formatted": "formatted", "street": "street", "city": "locality",
                 "po box": "po_box", "region": "region", "postal code": "postcode",
                 "country": "country", "extended address": "extended"}  # fmt: skip
_GOOGLE_EVENT = re.compile(r"^event (\d+) - (value|label|type)$")
_PIPEDRIVE = re.compile(r"^(person|deal|organization) - (.+)$")
_LABELLED = re.compile(r"^(email|phone) - (\w+)$")


@dataclass(frozen=True)
class Target:
    """Where one column goes: a field, an optional label, or a column holding the label; for
    a part of a postal address, the address it belongs to (`group`: "home", "2"…)."""

    field: str
    label: str | None = None
    label_column: int | None = None
    group: str = ""


@dataclass
class Layout:
    """What a header row was recognised as, and each column's target."""

    name: str
    targets: dict[int, Target]
    ignored: list[str]
    headers: list[str]


def detect(headers: list[str]) -> str:
    """Name the tool a header row comes from: google, outlook, hubspot, pipedrive, linkedin or
    plain."""
    keys = {fold(h) for h in headers}
    if keys >= _LINKEDIN_KEYS:
        return "linkedin"
    if any(_PIPEDRIVE.match(k) for k in keys):
        return "pipedrive"
    if (
        any(_NUMBERED.match(k) or _GOOGLE_ORG.match(k) or _GOOGLE_CUSTOM.match(k) for k in keys)
        or any(_GOOGLE_ADDRESS.match(k) for k in keys)
        or "group membership" in keys
    ):
        return "google"
    if keys & {"e-mail address", "business phone", "e-mail 2 address"}:
        return "outlook"
    if keys & {"lifecycle stage", "lead status", "record id", "contact owner",
               "associated company", "additional email addresses"}:  # fmt: skip
        return "hubspot"
    return "plain"


def _pipedrive(key: str, kind: str) -> str | None:
    """Return the field of a Pipedrive column ('Person - Email - Work')."""
    match = _PIPEDRIVE.match(key)
    if not match or kind not in ("contacts", "companies", "deals"):
        return None
    owner, rest = match.groups()
    if kind == "deals":
        if owner == "person":
            return {"name": "contact", "email": "contact_email"}.get(rest.split(" - ")[0])
        if owner == "organization":
            return "company" if rest == "name" else None
        return _DEALS.get(rest)
    if kind == "companies":
        return _COMPANIES.get(rest) if owner == "organization" else None
    if owner == "organization":
        return "company" if rest == "name" else None
    if owner != "person":
        return None
    if rest == "organization":
        return "company"
    labelled = _LABELLED.match(rest)
    if labelled:
        return f"{labelled[1]}:{labelled[2]}"
    return _CONTACTS.get(rest)


def _whole_record(key: str, kind: str, name: str, index: dict[str, int]) -> Target | None:
    """Return the target of a Google or Outlook address column or a Google event (a date),
    "ignore" for the column that labels them, or None for another column."""
    if kind != "contacts":
        return None
    google = _GOOGLE_ADDRESS.match(key)
    if google:
        n, part = google.groups()
        if part in ("type", "label"):
            return Target("ignore")
        label_at = index.get(f"address {n} - type", index.get(f"address {n} - label"))
        return Target(_GOOGLE_PARTS[part], None, label_at, group=n)
    event = _GOOGLE_EVENT.match(key)
    if event:
        n, part = event.groups()
        if part != "value":
            return Target("ignore")
        return Target(
            "event", None, index.get(f"event {n} - label", index.get(f"event {n} - type"))
        )
    outlook = _OUTLOOK_ADDRESS.match(key) if name == "outlook" else None
    if outlook:
        where, part = outlook.groups()
        field = "street" if part.startswith("street") else _OUTLOOK_PARTS[part]
        return Target(field, _OUTLOOK_LABELS[where], group=where)
    return None


def _parse_target(text: str, kind: str, column: str) -> Target:
    """Read a --map target such as 'email', 'phone:mobile', 'custom.region' or 'ignore'."""
    value = text.strip()
    if value.startswith("custom.") and kind in ("interactions", "follow-ups"):
        raise UsageError(
            f"--map {column}={text}: {kind} have no custom fields",
            hint=f"fields: {', '.join(FIELDS[kind])}, ignore",
        )
    if value == "ignore" or value.startswith("custom."):
        return Target(value)
    name, _, label = value.partition(":")
    if name not in FIELDS[kind]:
        raise UsageError(
            f"--map {column}={text}: {kind} have no field {name!r}",
            hint=f"fields: {', '.join(FIELDS[kind])}, custom.NAME, ignore",
        )
    return Target(name, label or None)


def parse_maps(maps: list[str]) -> dict[str, str]:
    """Read --map 'Column=field' options into {folded column: target text}."""
    out = {}
    for item in maps:
        column, sep, target = item.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise UsageError(f"--map takes 'Column=field', not {item!r}")
        out[fold(column)] = target.strip()
    return out


def resolve(headers: list[str], kind: str, maps: dict[str, str]) -> Layout:
    """Map each column of a header row to a field; refuse a layout with no usable column."""
    name = detect(headers)
    aliases: dict[str, str | None] = dict(ALIASES[kind])
    if name == "outlook" and kind == "contacts":
        aliases.update(_OUTLOOK)
    if name == "linkedin" and kind == "contacts":
        aliases.update(_LINKEDIN)
    keys = [fold(h) for h in headers]
    index = {k: i for i, k in reversed(list(enumerate(keys)))}
    targets: dict[int, Target] = {}
    ignored: list[str] = []
    label_columns: set[int] = set()
    for i, key in enumerate(keys):
        if key in maps:
            target = _parse_target(maps[key], kind, headers[i])
            if target.field != "ignore":
                targets[i] = target
            continue
        numbered = _NUMBERED.match(key)
        if numbered and kind == "contacts":
            what, n, part = numbered.groups()
            if part == "value":
                field = {"e-mail": "email", "email": "email", "phone": "phone"}.get(what, "url")
                label_at = index.get(f"{what} {n} - label", index.get(f"{what} {n} - type"))
                targets[i] = Target(field, None, label_at)
            else:
                label_columns.add(i)
            continue
        place = _whole_record(key, kind, name, index)
        if place is not None:
            if place.field == "ignore":
                continue
            targets[i] = place
            continue
        org = _GOOGLE_ORG.match(key)
        if org and kind == "contacts":
            if org[1] == "1":
                targets[i] = Target("company" if org[2] == "name" else "title")
            else:
                ignored.append(headers[i])  # a contact has one company
            continue
        custom = _GOOGLE_CUSTOM.match(key)
        if custom and kind == "contacts":
            if custom[2] == "value":
                # a custom field named by the label beside it (a value without one is named
                # among the ignored columns)
                label_at = index.get(f"custom field {custom[1]} - label")
                if label_at is None:
                    ignored.append(headers[i])
                else:
                    targets[i] = Target("custom", None, label_at)
            continue
        field_text = aliases.get(key) or _pipedrive(key, kind)
        if field_text is None:
            if key:
                ignored.append(headers[i])
            continue
        if field_text == "ignore":
            continue
        field, _, label = field_text.partition(":")
        targets[i] = Target(field, label or None)
    if not any(t.field in REQUIRED[kind] for t in targets.values()):
        wanted = " or ".join(REQUIRED[kind])
        raise ValidationError(
            f"cannot tell which column holds the {wanted} of the {kind}; columns: "
            + ", ".join(h for h in headers if h.strip())[:300],
            hint=f"name it with --map, e.g. --map '{headers[0] if headers else 'Column'}="
            f"{REQUIRED[kind][0]}'",
        )
    return Layout(name, targets, ignored, headers)
