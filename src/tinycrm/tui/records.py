"""What a person can do to a contact or a company from the board: add one, edit one.

The forms hold the fields that `crm add contact|company` and `crm edit` take, and what they
save goes through the same services: `contacts.add_contact`, `companies.add_company`, and
for an edit the change set that `crm edit` in $EDITOR makes (`forms.diff`) applied by
`edits.apply_changes`. Each is queued with the app's writer: one transaction, one undo step,
named as the command line names it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from tinycrm.tui.dialogs.forms import FieldError
from tinycrm.tui.dialogs.records import (
    RecordField,
    check_fields,
    items,
    open_record_form,
)
from tinycrm.tui.writer import Job

if TYPE_CHECKING:
    from tinycrm.core.forms import Form
    from tinycrm.domain.rows import Ref
    from tinycrm.tui.app import CrmApp

_NAME = RecordField("name", "Name", placeholder="Ada Lovelace", what="contact name")
_CONTACT = [
    _NAME,
    RecordField("emails", "Emails", placeholder="ada@example.com, …", what="email", many=True),
    RecordField("phones", "Phones", placeholder="+44 20 7946 0000, …", what="phone", many=True),
    RecordField(
        "company", "Company", placeholder="a name (added if new) or #id", what="company name"
    ),
    RecordField("title", "Job title", placeholder="CTO", what="job title"),
    RecordField(
        "lifecycle", "Lifecycle", "lead", "lead, prospect, customer", what="contact lifecycle"
    ),
    RecordField("source", "Source", placeholder="referral, inbound, event", what="source"),
    RecordField("tags", "Tags", placeholder="vip, partner", what="tag", many=True),
]
_KEEP_IN_TOUCH = RecordField(
    "keep_in_touch_days", "Keep in touch", placeholder="days between touches", what="days"
)
_CONTACT_NOTES = RecordField("notes", "Notes", what="contact notes", multi_line=True)
_COMPANY = [
    RecordField("name", "Name", placeholder="Acme Ltd", what="company name"),
    RecordField("domain", "Domain", placeholder="acme.com", what="company domain"),
    RecordField("industry", "Industry", placeholder="software", what="company industry"),
    RecordField("size", "Size", placeholder="11-50", what="company size"),
    RecordField("tags", "Tags", placeholder="partner", what="tag", many=True),
    RecordField("notes", "Notes", what="company notes", multi_line=True),
]
CONTACT_FIELDS = [*_CONTACT, _CONTACT_NOTES]
"""A new contact's form (what `crm add contact` takes)."""
CONTACT_EDIT_FIELDS = [*_CONTACT, _KEEP_IN_TOUCH, _CONTACT_NOTES]
"""A contact's edit form (what `crm edit` changes on a contact)."""
COMPANY_FIELDS = _COMPANY
"""A company's form, new or edited (what `crm add company` and `crm edit` take)."""


def _check_contact(values: dict[str, str], new: bool = False) -> None:
    """Refuse, naming its field, what the core would refuse without asking the database (a
    new contact's lifecycle may be left empty: it is a lead)."""
    from tinycrm.core import contacts
    from tinycrm.domain.values import check_lifecycle
    from tinycrm.errors import TinyCrmError

    if not values["name"].strip():
        raise FieldError("name", "a contact needs a name")
    try:
        for email in items(values["emails"]):
            contacts.check_email(email)
    except TinyCrmError as error:
        raise FieldError("emails", error.message, error.hint) from None
    try:
        if values["lifecycle"].strip() or not new:
            check_lifecycle(values["lifecycle"])
    except TinyCrmError as error:
        raise FieldError("lifecycle", error.message, error.hint) from None


def _check_company(values: dict[str, str]) -> None:
    """Refuse, naming its field, a company without a name or with a domain that isn't one."""
    from tinycrm.core import companies
    from tinycrm.errors import TinyCrmError

    if not values["name"].strip():
        raise FieldError("name", "a company needs a name")
    try:
        companies.check_domain(values["domain"])
    except TinyCrmError as error:
        raise FieldError("domain", error.message, error.hint) from None


def ask_new_contact(app: CrmApp) -> None:
    """Ask for a new contact's name, emails, phones, company and the rest, then add it."""
    from tinycrm.core import contacts, duplicates

    def build(values: dict[str, str]) -> Job:
        check_fields(CONTACT_FIELDS, values)
        _check_contact(values, new=True)

        def change(session: Session, now: datetime) -> tuple[int, str, list[Ref]]:
            contact = contacts.add_contact(
                session,
                values["name"],
                now=now,
                emails=items(values["emails"]),
                phones=items(values["phones"]),
                company=values["company"] or None,
                title=values["title"] or None,
                tag_names=items(values["tags"]),
                source=values["source"] or None,
                lifecycle=values["lifecycle"].strip() or "lead",
                notes=values["notes"] or None,
            )
            assert contact.id is not None
            namesakes = duplicates.same_name(session, contact.id, contact.name_key)
            return contact.id, contact.name, namesakes

        def done(added: tuple[int, str, list[Ref]]) -> None:
            added_id, name, namesakes = added
            app.notify(f"Added contact #{added_id} {name}", markup=False)
            for other in namesakes:
                app.notify(
                    f"Contact #{other['id']} {other['name']} has the same name; if they are one"
                    f" person: {duplicates.merge_line('contact', other['id'], added_id)}",
                    severity="warning",
                    markup=False,
                )

        return Job(change, done=done)

    open_record_form(app, "New contact", CONTACT_FIELDS, build, action="Add")


def ask_new_company(app: CrmApp) -> None:
    """Ask for a new company's name, domain, industry and size, then add it."""
    from tinycrm.core import companies, tags

    def build(values: dict[str, str]) -> Job:
        check_fields(COMPANY_FIELDS, values)
        _check_company(values)

        def change(session: Session, now: datetime) -> tuple[int | None, str]:
            company = companies.add_company(
                session,
                values["name"],
                now=now,
                domain=values["domain"] or None,
                industry=values["industry"] or None,
                size=values["size"] or None,
                notes=values["notes"] or None,
            )
            assert company.id is not None
            if items(values["tags"]):
                tags.add_tags(session, "company", company.id, items(values["tags"]))
            return company.id, company.name

        def done(added: tuple[int | None, str]) -> None:
            app.notify(f"Added company #{added[0]} {added[1]}", markup=False)

        return Job(change, done=done)

    open_record_form(app, "New company", COMPANY_FIELDS, build, action="Add")


def _as_form(kind: str, fields: Sequence[RecordField], values: dict[str, str]) -> Form:
    """Read a form's values as the editor form reads its lines: trimmed text, and lists."""
    from tinycrm.core.forms import Form

    form = Form(kind)
    for item in fields:
        typed = values.get(item.name, "")
        if item.many:
            form.lists[item.name] = items(typed)
        else:
            form.fields[item.name] = typed.strip()
    return form


def _shown(form: Form, fields: Sequence[RecordField]) -> list[RecordField]:
    """Return the fields holding a record's values (lists comma-separated)."""
    from dataclasses import replace

    return [
        replace(
            f,
            value=", ".join(form.lists.get(f.name, [])) if f.many else form.fields.get(f.name, ""),
        )
        for f in fields
    ]


def ask_edit(app: CrmApp, kind: str, record_id: int) -> None:
    """Ask for a contact's or company's fields as they are, then save what was changed, as
    `crm edit` does."""
    from tinycrm.core import edits, forms

    fields = CONTACT_EDIT_FIELDS if kind == "contact" else COMPANY_FIELDS
    with app.db.snapshot() as session:
        record_form, _ = forms.record_form(session, kind, record_id)
        label = edits.label_of(edits.get_record(session, kind, record_id))
    shown = _shown(record_form, fields)
    before = _as_form(kind, fields, {f.name: f.value for f in shown})

    def build(values: dict[str, str]) -> Job | None:
        check_fields(fields, values)
        (_check_contact if kind == "contact" else _check_company)(values)
        changes = forms.diff(before, _as_form(kind, fields, values))
        if changes.is_empty():
            app.notify(f"Nothing changed on {label}", markup=False)
            return None
        what = ", ".join(changes.describe())

        def change(session: Session, now: datetime) -> str:
            record = edits.apply_changes(session, kind, record_id, changes, now)
            return edits.label_of(record)

        def done(now_called: str) -> None:
            app.notify(f"Updated {kind} #{record_id} {now_called}: {what}", markup=False)

        return Job(change, done=done)

    title = f"Edit {label}" if kind == "contact" else f"Edit company {label}"
    open_record_form(app, title, shown, build)
