"""`crm add contact|company|deal`: quick capture from the shell."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, QUIET_NEW

app = typer.Typer(help="Add a contact, a company or a deal.", no_args_is_help=True)


@app.command("contact")
def add_contact(
    name: str = typer.Argument(..., help="The person's full name."),
    email: list[str] = typer.Option(
        [], "--email", "-e", help="Email address, label: before it optional (repeatable)."
    ),
    phone: list[str] = typer.Option(
        [], "--phone", "-p", help="Phone number, label: before it optional (repeatable)."
    ),
    url: list[str] = typer.Option([], "--url", help="Web address (repeatable)."),
    given: str | None = typer.Option(None, "--given", help="Given (first) name."),
    family: str | None = typer.Option(None, "--family", help="Family (last) name."),
    middle: str | None = typer.Option(None, "--middle", help="Middle names."),
    prefix: str | None = typer.Option(None, "--prefix", help="Honorific prefix (Dr., Ms.)."),
    suffix: str | None = typer.Option(None, "--suffix", help="Honorific suffix (Jr., PhD)."),
    nickname: str | None = typer.Option(None, "--nickname", help="Nickname."),
    birthday: str | None = typer.Option(
        None, "--birthday", help="1985-04-12, or --04-12 with no year."
    ),
    anniversary: str | None = typer.Option(None, "--anniversary", help="Like --birthday."),
    date: list[str] = typer.Option(
        [], "--date", help='Another date: "label: 2019-03-01" (repeatable).'
    ),
    address: list[str] = typer.Option(
        [],
        "--address",
        help='"label: street; city; region; postcode; country" (repeatable).',
    ),
    company: str | None = typer.Option(
        None, "--company", "-c", help="Company name or #id (created if new)."
    ),
    title: str | None = typer.Option(None, "--title", "-t", help="Job title."),
    tag: list[str] = typer.Option([], "--tag", help="Tag (repeatable)."),
    source: str | None = typer.Option(
        None, "--source", "-s", help="Lead source: referral, inbound, outbound, event, ..."
    ),
    note: str | None = typer.Option(None, "--note", "-n", help="A note about the person."),
    lifecycle: str = typer.Option(
        "lead", "--lifecycle", help="lead, prospect, customer or former customer."
    ),
    quiet: bool = QUIET_NEW,
    as_json: bool = JSON,
) -> None:
    """Add a person.

    Example: crm add contact "Jane Doe" --email work:jane@acme.com --company Acme --tag vip
    --birthday --04-12 --address "work: 1 Main St; Springfield; IL; 62701; USA"
    """
    from tinycrm.core import contacts, duplicates, views

    parts = {
        "given_name": given,
        "family_name": family,
        "middle_name": middle,
        "name_prefix": prefix,
        "name_suffix": suffix,
        "nickname": nickname,
    }
    days = {"birthday": birthday, "anniversary": anniversary}
    db = state.database()
    with db.transaction() as session:
        contact = contacts.add_contact(
            session,
            name,
            now=state.now(),
            emails=email,
            phones=phone,
            urls=url,
            parts={k: v for k, v in parts.items() if v is not None},
            dates={k: v for k, v in days.items() if v is not None},
            other_dates=date,
            addresses=address,
            company=company,
            title=title,
            tag_names=tag,
            source=source,
            lifecycle=lifecycle,
            notes=note,
        )
        data = views.contact_dict(session, contact)
        namesakes = duplicates.same_name(session, data["id"], contact.name_key)
    render.record(data, as_json, quiet, f"Added contact #{data['id']} {data['name']}")
    for other in namesakes:
        render.warn(
            f"contact #{other['id']} {other['name']} has the same name; if they are one person:"
            f" {duplicates.merge_line('contact', other['id'], data['id'])}"
        )


@app.command("company")
def add_company(
    name: str = typer.Argument(..., help="The organisation's name."),
    domain: str | None = typer.Option(None, "--domain", "-d", help="Web domain, e.g. acme.com."),
    industry: str | None = typer.Option(None, "--industry", "-i", help="Industry."),
    size: str | None = typer.Option(None, "--size", help="Size, e.g. 11-50."),
    quiet: bool = QUIET_NEW,
    as_json: bool = JSON,
) -> None:
    """Add a company.

    Example: crm add company Acme --domain acme.com --industry software
    """
    from tinycrm.core import companies, views

    db = state.database()
    with db.transaction() as session:
        company = companies.add_company(
            session, name, now=state.now(), domain=domain, industry=industry, size=size
        )
        data = views.company_dict(session, company)
    render.record(data, as_json, quiet, f"Added company #{data['id']} {data['name']}")


@app.command("deal")
def add_deal(
    title: str = typer.Argument(..., help="What the deal is, e.g. 'Acme website'."),
    contact: str | None = typer.Option(
        None, "--contact", help="The contact: id, email or part of the name."
    ),
    company: str | None = typer.Option(
        None, "--company", help="Company name or #id (default: the contact's)."
    ),
    value: str | None = typer.Option(
        None, "--value", "-v", help="Amount: 5000, 5,000, 5000.50, 5k, 1.2m."
    ),
    currency: str | None = typer.Option(
        None, "--currency", help="ISO 4217 code (default from config)."
    ),
    recurring: str | None = typer.Option(
        None, "--recurring", help="monthly or yearly: the value is per month or year."
    ),
    stage: str | None = typer.Option(
        None, "--stage", help="Stage name or prefix (default: the first)."
    ),
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Pipeline (default: the default one)."
    ),
    close: str | None = typer.Option(None, "--close", help="Expected close date, e.g. 2026-12-31."),
    quiet: bool = QUIET_NEW,
    as_json: bool = JSON,
) -> None:
    """Add a deal to the pipeline.

    Example: crm add deal "Acme website" --contact jane --value 5k --close 2026-12-31;
    crm add deal "Acme hosting" --contact jane --value 500 --recurring monthly
    """
    from tinycrm.core import deals, refs, views
    from tinycrm.domain import dates

    db = state.database()
    now = state.now()
    cal = state.calendar()
    expected = dates.parse_day(close, now, calendar=cal) if close else None
    with db.transaction() as session:
        the_contact = refs.resolve_contact(session, contact) if contact else None
        deal = deals.add_deal(
            session,
            title,
            now=now,
            currency=currency or state.settings().general.default_currency,
            contact=the_contact,
            company=company,
            value=value,
            stage=stage,
            pipeline=pipeline,
            expected_close=expected,
            recurring=recurring,
        )
        data = views.deal_dict(session, deal)
    closing = f", expected to close {cal.describe_day(expected)}" if expected else ""
    render.record(
        data,
        as_json,
        quiet,
        f"Added deal #{data['id']} {data['title']} in {data['stage']}{closing}",
    )
