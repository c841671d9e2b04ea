"""`crm edit` (field options, or the record as a form in $EDITOR) and `crm tag`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, RECORD_KIND, kinds_for


def interactive() -> bool:
    """Tell whether a person is at a terminal (an editor can be opened)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _fields(kind: str, given: dict[str, str | None]) -> dict[str, str]:
    """Map the options given to the field names of `kind` (--name of a deal is its title)."""
    from tinycrm.errors import UsageError

    out: dict[str, str] = {}
    for option, value in given.items():
        if value is None:
            continue
        key = option
        if kind == "deal" and option == "name":
            key = "title"
        if key in out and out[key] != value:
            raise UsageError("--name and --title both set a deal's title; give one")
        out[key] = value
    return out


def edit(
    ref: str = typer.Argument(..., help="An id (#12), an email, or part of a name or title."),
    kind: str | None = RECORD_KIND,
    name: str | None = typer.Option(None, "--name", help="Name (a deal's title)."),
    title: str | None = typer.Option(None, "--title", help="Job title (a deal's title)."),
    email: list[str] = typer.Option([], "--email", "-e", help="Add an email (repeatable)."),
    remove_email: list[str] = typer.Option([], "--remove-email", help="Remove an email."),
    phone: list[str] = typer.Option([], "--phone", "-p", help="Add a phone (repeatable)."),
    remove_phone: list[str] = typer.Option([], "--remove-phone", help="Remove a phone."),
    url: list[str] = typer.Option([], "--url", help="Add a web address (repeatable)."),
    given_name: str | None = typer.Option(None, "--given", help="Given (first) name."),
    family: str | None = typer.Option(None, "--family", help="Family (last) name."),
    middle: str | None = typer.Option(None, "--middle", help="Middle names."),
    prefix: str | None = typer.Option(None, "--prefix", help="Honorific prefix."),
    suffix: str | None = typer.Option(None, "--suffix", help="Honorific suffix."),
    nickname: str | None = typer.Option(None, "--nickname", help="Nickname."),
    birthday: str | None = typer.Option(
        None, "--birthday", help="1985-04-12, or --04-12 with no year (empty: none)."
    ),
    anniversary: str | None = typer.Option(None, "--anniversary", help="Like --birthday."),
    date: list[str] = typer.Option([], "--date", help='Add a date: "label: 2019-03-01".'),
    remove_date: list[str] = typer.Option([], "--remove-date", help="Remove a date by label."),
    address: list[str] = typer.Option(
        [], "--address", help='Add "label: street; city; region; postcode; country".'
    ),
    remove_address: list[str] = typer.Option(
        [], "--remove-address", help="Remove an address by label or number (1 is the first)."
    ),
    company: str | None = typer.Option(None, "--company", "-c", help="Company name or #id."),
    contact: str | None = typer.Option(None, "--contact", help="A deal's contact."),
    lifecycle: str | None = typer.Option(None, "--lifecycle", help="lead, prospect, ..."),
    source: str | None = typer.Option(None, "--source", "-s", help="Lead source."),
    notes: str | None = typer.Option(None, "--notes", "--note", "-n", help="Notes."),
    value: str | None = typer.Option(None, "--value", "-v", help="A deal's amount."),
    currency: str | None = typer.Option(None, "--currency", help="A deal's currency."),
    recurring: str | None = typer.Option(
        None, "--recurring", help="A deal's value per: monthly, yearly or none (one-off)."
    ),
    close: str | None = typer.Option(None, "--close", help="Expected close date."),
    probability: str | None = typer.Option(None, "--probability", help="0-100 (%)."),
    budget: str | None = typer.Option(None, "--budget", help="A deal's budget: yes, no, unknown."),
    authority: str | None = typer.Option(None, "--authority", help="Like --budget."),
    need: str | None = typer.Option(None, "--need", help="Like --budget."),
    timing: str | None = typer.Option(None, "--timing", help="Like --budget."),
    domain: str | None = typer.Option(None, "--domain", help="A company's domain."),
    industry: str | None = typer.Option(None, "--industry", help="A company's industry."),
    size: str | None = typer.Option(None, "--size", help="A company's size."),
    keep_in_touch: str | None = typer.Option(
        None, "--keep-in-touch", help="Days between touches with a contact (empty: none)."
    ),
    set_: list[str] = typer.Option([], "--set", help="Custom field: key=value (repeatable)."),
    unset: list[str] = typer.Option([], "--unset", help="Remove a custom field (repeatable)."),
    as_json: bool = JSON,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only the id."),
) -> None:
    """Change a contact, company or deal; with no field options, edit it in $EDITOR.

    An empty value clears a field (--title ""). Examples:
    crm edit jane --title CTO --email jane@home.org --set plan=gold;
    crm edit "acme website" --value 7.5k --close 2026-12-31; crm edit 12
    """
    from tinycrm.core import edits, refs
    from tinycrm.errors import UsageError

    db = state.database()
    now = state.now()
    given = {
        "name": name,
        "title": title,
        "company": company,
        "contact": contact,
        "lifecycle": lifecycle,
        "source": source,
        "notes": notes,
        "value": value,
        "currency": currency,
        "recurring": recurring,
        "close": close,
        "probability": probability,
        "budget": budget,
        "authority": authority,
        "need": need,
        "timing": timing,
        "domain": domain,
        "industry": industry,
        "size": size,
        "keep_in_touch_days": keep_in_touch,
        "given_name": given_name,
        "family_name": family,
        "middle_name": middle,
        "name_prefix": prefix,
        "name_suffix": suffix,
        "nickname": nickname,
        "birthday": birthday,
        "anniversary": anniversary,
    }
    fits = edits.kinds_fitting(
        [key for key, given_value in given.items() if given_value is not None],
        emails_or_phones=bool(email or remove_email or phone or remove_phone),
    )
    with db.snapshot() as session:
        # a name that is a company's and a deal's is the deal's when --value is given
        hit = refs.resolve(session, ref, kinds_for(kind), prefer=fits)
    changes = edits.Changes(
        fields=_fields(hit.kind, given),
        add_emails=email,
        remove_emails=remove_email,
        add_phones=phone,
        remove_phones=remove_phone,
        add_urls=url,
        add_addresses=address,
        remove_addresses=remove_address,
        add_dates=date,
        remove_dates=remove_date,
        set_custom=dict(edits.parse_assignment(item) for item in set_),
        unset_custom=[edits.check_custom_key(key) for key in unset],
    )
    if changes.is_empty():
        if not interactive():
            raise UsageError(
                "crm edit opens an editor only in a terminal; give fields to change",
                hint=f"e.g. crm edit {hit.id} --kind {hit.kind} --notes 'met at the fair'",
            )
        _edit_in_editor(hit.kind, hit.id, as_json, quiet)
        return
    with db.transaction(now=now) as session:
        edits.apply_changes(session, hit.kind, hit.id, changes, now, state.calendar())
        data = _record_dict(session, hit.kind, hit.id)
    _report(data, changes.describe(), as_json, quiet)


def _record_dict(session: Any, kind: str, record_id: int) -> Mapping[str, Any]:
    from tinycrm.core import edits, views

    record = edits.get_record(session, kind, record_id)
    if kind == "contact":
        return views.contact_dict(session, record)
    if kind == "company":
        return views.company_dict(session, record)
    return views.deal_dict(session, record, with_history=False)


def _label(data: Mapping[str, Any]) -> str:
    return f"{data['kind']} #{data['id']} {data.get('name') or data.get('title')}"


def _report(data: Mapping[str, Any], what: list[str], as_json: bool, quiet: bool) -> None:
    render.record(data, as_json, quiet, f"Updated {_label(data)}: {', '.join(_dated(data, what))}")


def _dated(data: Mapping[str, Any], what: list[str]) -> list[str]:
    """Name the day a deal's new close date was read as: every date typed is echoed."""
    if "close" not in what or data.get("kind") != "deal":
        return what
    from datetime import date

    close = data.get("expected_close")
    day = f"close {state.calendar().describe_day(date.fromisoformat(close))}" if close else None
    return [(day or "close cleared") if item == "close" else item for item in what]


def _edit_in_editor(kind: str, record_id: int, as_json: bool, quiet: bool) -> None:
    from tinycrm.core import forms
    from tinycrm.errors import TinyCrmError

    db = state.database()
    outcome = forms.edit_in_editor(db, kind, record_id, now=state.now())
    if outcome.status == "cancelled":
        raise TinyCrmError(f"edit cancelled: {outcome.reason}; nothing was changed")
    with db.snapshot() as session:
        data = _record_dict(session, kind, record_id)
    if outcome.status == "unchanged":
        if as_json:
            render.print_json(data)
        elif not quiet:
            render.say(f"No changes to {_label(data)}")
        return
    assert outcome.changes is not None
    _report(data, outcome.changes.describe(), as_json, quiet)


def tag(
    ref: str = typer.Argument(..., help="An id (#12), an email, or part of a name or title."),
    changes: list[str] = typer.Argument(..., help="+tag adds, -tag removes, a bare tag adds."),
    kind: str | None = typer.Option(None, "--kind", help="contact, company or deal."),
    as_json: bool = JSON,
) -> None:
    """Add and remove tags on a contact, company or deal.

    Examples: crm tag jane +vip -cold; crm tag "acme website" urgent; crm tag 12 --kind deal -old
    """
    from tinycrm.core import edits, refs, tags

    add, remove = edits.parse_tag_changes(changes)
    db = state.database()
    now = state.now()
    with db.snapshot() as session:
        hit = refs.resolve(session, ref, kinds_for(kind))
    with db.transaction(now=now) as s:
        added, removed = edits.retag(s, hit.kind, hit.id, add, remove, now)
        now_tags = tags.tags_of(s, hit.kind, hit.id)
    if as_json:
        render.print_json(
            {"kind": hit.kind, "id": hit.id, "tags": now_tags, "added": added, "removed": removed}
        )
        return
    what = ", ".join([*(f"+{t}" for t in added), *(f"-{t}" for t in removed)]) or "no change"
    render.say(f"Tagged {hit.kind} #{hit.id} {hit.label}: {what}")
    render.say(f"tags: {', '.join(now_tags) or '(none)'}")
