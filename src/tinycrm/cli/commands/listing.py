"""`crm list contacts|companies|deals|currencies`: filtered, sorted tables or JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import BANT, JSON, QUALIFIED, QUIET_IDS, qualification, value_bounds

app = typer.Typer(help="List contacts, companies, deals or currencies.", no_args_is_help=True)

TAG = typer.Option([], "--tag", help="Only records with this tag (repeatable: all must match).")
SORT = typer.Option(None, "--sort", help="Sort key.")
DESC = typer.Option(False, "--desc", help="Sort descending.")
LIMIT = typer.Option(None, "--limit", "-n", min=1, help="Show at most N rows.")
CREATED_AFTER = typer.Option(None, "--created-after", help="Added on or after this day.")
CREATED_BEFORE = typer.Option(None, "--created-before", help="Added before this day.")
UPDATED_AFTER = typer.Option(None, "--updated-after", help="Changed on or after this day.")
UPDATED_BEFORE = typer.Option(None, "--updated-before", help="Changed before this day.")
QUIET_DAYS = typer.Option(
    None,
    "--no-interaction-days",
    min=0,
    max=36_600,
    help="No interaction logged in the last N days.",
)


def _days(
    created_after: str | None,
    created_before: str | None,
    updated_after: str | None,
    updated_before: str | None,
) -> dict[str, Any]:
    """Read the --created-*/--updated-* days into ListFilter fields (local midnights)."""
    from tinycrm.domain import dates

    now = state.now()
    given = {
        "created_after": created_after,
        "created_before": created_before,
        "updated_after": updated_after,
        "updated_before": updated_before,
    }
    cal = state.calendar()
    return {
        k: dates.day_start(v, now, calendar=cal, past=True) if v else None for k, v in given.items()
    }


SEGMENT = typer.Option(None, "--segment", help="Only the records of a saved segment.")


def _out(
    rows: Sequence[Mapping[str, object]],
    columns: list[tuple[str, str]],
    what: str,
    as_json: bool,
    quiet: bool,
) -> None:
    if as_json:
        render.print_json(rows)
    elif quiet:
        for row in rows:
            render.say(str(row["id"]))
    else:
        with render.paged():
            render.table(rows, columns, title=what)


@app.command("contacts")
def list_contacts(
    tag: list[str] = TAG,
    lifecycle: str | None = typer.Option(
        None, "--lifecycle", help="lead, prospect, customer, former customer."
    ),
    source: str | None = typer.Option(None, "--source", help="Lead source."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    name: str | None = typer.Option(None, "--name", help="Name contains."),
    created_after: str | None = CREATED_AFTER,
    created_before: str | None = CREATED_BEFORE,
    updated_after: str | None = UPDATED_AFTER,
    updated_before: str | None = UPDATED_BEFORE,
    no_interaction_days: int | None = QUIET_DAYS,
    segment: str | None = SEGMENT,
    sort: str | None = typer.Option(None, "--sort", help="Sort key (score: the lead score)."),
    desc: bool = DESC,
    limit: int | None = LIMIT,
    as_json: bool = JSON,
    quiet: bool = QUIET_IDS,
) -> None:
    """List contacts.

    Examples: crm list contacts --tag vip --lifecycle prospect;
    crm list contacts --no-interaction-days 30 --created-before 2026-06-01
    """
    from tinycrm.core import listing

    flt = listing.ListFilter(
        tags=tuple(tag),
        lifecycle=lifecycle,
        source=source,
        company=company,
        text=name,
        no_interaction_days=no_interaction_days,
        now=state.now(),
        **_days(created_after, created_before, updated_after, updated_before),
    )
    with state.database(write=False).snapshot() as session:
        where = None
        if segment:
            from tinycrm.core import segments

            saved = segments.segment_filter(session, segment)
            where = segments.contact_condition(session, saved)
        score = None
        if sort == "score":
            from tinycrm.core import scoring

            rules = scoring.rules_from(state.settings().scoring)
            score = scoring.score_expression(session, rules, state.now())
        rows = listing.list_contacts(
            session, flt, listing.Page(sort, desc, limit), where=where, score=score
        )
    columns = [("id", "#"), ("name", "Name"), ("company", "Company"), ("email", "Email"),
               ("phone", "Phone"), ("lifecycle", "Lifecycle"), ("tags", "Tags")]  # fmt: skip
    if score is not None:
        columns.append(("score", "Score"))
    _out(rows, columns, "contacts", as_json, quiet)


@app.command("companies")
def list_companies(
    tag: list[str] = TAG,
    name: str | None = typer.Option(None, "--name", help="Name contains."),
    created_after: str | None = CREATED_AFTER,
    created_before: str | None = CREATED_BEFORE,
    updated_after: str | None = UPDATED_AFTER,
    updated_before: str | None = UPDATED_BEFORE,
    sort: str | None = SORT,
    desc: bool = DESC,
    limit: int | None = LIMIT,
    as_json: bool = JSON,
    quiet: bool = QUIET_IDS,
) -> None:
    """List companies. Example: crm list companies --sort created --desc"""
    from tinycrm.core import listing

    flt = listing.ListFilter(
        tags=tuple(tag),
        text=name,
        **_days(created_after, created_before, updated_after, updated_before),
    )
    with state.database(write=False).snapshot() as session:
        rows = listing.list_companies(session, flt, listing.Page(sort, desc, limit))
    columns = [("id", "#"), ("name", "Name"), ("domain", "Domain"), ("industry", "Industry"),
               ("contacts", "Contacts"), ("open_deals", "Open deals")]  # fmt: skip
    _out(rows, columns, "companies", as_json, quiet)


@app.command("deals")
def list_deals(
    stage: str | None = typer.Option(None, "--stage", help="Stage name or prefix."),
    status: str | None = typer.Option(None, "--status", help="open, won or lost."),
    pipeline: str | None = typer.Option(None, "--pipeline", help="Pipeline name."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    min_value: str | None = typer.Option(None, "--min-value", help="At least this amount."),
    max_value: str | None = typer.Option(None, "--max-value", help="At most this amount."),
    tag: list[str] = TAG,
    title: str | None = typer.Option(None, "--title", help="Title contains."),
    created_after: str | None = CREATED_AFTER,
    created_before: str | None = CREATED_BEFORE,
    updated_after: str | None = UPDATED_AFTER,
    updated_before: str | None = UPDATED_BEFORE,
    no_interaction_days: int | None = QUIET_DAYS,
    qualified: int | None = QUALIFIED,
    bant: str | None = BANT,
    segment: str | None = SEGMENT,
    sort: str | None = SORT,
    desc: bool = DESC,
    limit: int | None = LIMIT,
    as_json: bool = JSON,
    quiet: bool = QUIET_IDS,
) -> None:
    """List deals.

    Examples: crm list deals --status open --stage present --min-value 1k;
    crm list deals --status open --no-interaction-days 14; crm list deals --qualified 3;
    crm list deals --bant budget,authority
    """
    from tinycrm.core import listing
    from tinycrm.domain import labels

    flt = listing.ListFilter(
        tags=tuple(tag),
        stage=stage,
        status=status,
        pipeline=pipeline,
        company=company,
        text=title,
        **value_bounds(min_value, max_value),
        **qualification(qualified, bant),
        no_interaction_days=no_interaction_days,
        now=state.now(),
        **_days(created_after, created_before, updated_after, updated_before),
    )
    with state.database(write=False).snapshot() as session:
        where = None
        if segment:
            from tinycrm.core import segments

            saved = segments.segment_filter(session, segment)
            where = segments.deal_condition(session, saved)
        rows = listing.list_deals(session, flt, listing.Page(sort, desc, limit), where=where)
    shown: Sequence[Mapping[str, object]] = rows
    if not as_json:
        shown = [
            {
                **row,
                "amount": labels.deal_value(row["value_minor"], row["currency"], row["recurring"]),
                "expected_close": render.day(row["expected_close"]),
            }
            for row in rows
        ]
    columns = [("id", "#"), ("title", "Title"), ("stage", "Stage"), ("status", "Status"),
               ("amount", "Value"), ("contact", "Contact"), ("company", "Company"),
               ("expected_close", "Close")]  # fmt: skip
    _out(shown, columns, "deals", as_json, quiet)


@app.command("currencies")
def list_currencies(as_json: bool = JSON) -> None:
    """List the ISO 4217 currency codes a deal may have, with their decimal places.

    Example: crm list currencies
    """
    from tinycrm.domain import money

    rows = [{"code": code, "decimals": money.exponent(code)} for code in money.CURRENCIES]
    if as_json:
        render.print_json(rows)
    else:
        with render.paged():
            render.table(rows, [("code", "Code"), ("decimals", "Decimals")], title="currencies")
