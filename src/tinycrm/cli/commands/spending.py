"""`crm spend add|list|delete`: the money spent on finding customers, per source and month."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, QUIET_NEW

app = typer.Typer(
    help="Money spent on finding customers, per lead source and month: add, list, delete.",
    no_args_is_help=True,
)


@app.command("add")
def spend_add(
    source: str = typer.Argument(..., help="The lead source, as contacts' sources are named."),
    amount: str = typer.Argument(..., help="Amount: 1200, 1,200, 1200.50, 1.2k."),
    month: str | None = typer.Option(
        None, "--month", help="The month spent in, YYYY-MM (default: this month)."
    ),
    currency: str | None = typer.Option(
        None, "--currency", help="ISO 4217 code (default from config, as deals')."
    ),
    note: str | None = typer.Option(None, "--note", help="What it was spent on."),
    quiet: bool = QUIET_NEW,
    as_json: bool = JSON,
) -> None:
    """Record money spent on one lead source in one month.

    `crm report sources` divides it by the new customers of that source (CAC).
    Example: crm spend add ads 1200 --month 2026-11 --note "search ads"
    """
    from tinycrm.core import spend
    from tinycrm.domain.money import format_money

    with state.database().transaction() as session:
        made = spend.add_spend(
            session,
            source,
            amount,
            now=state.now(),
            currency=currency or state.settings().general.default_currency,
            month=month,
            note=note,
        )
        data = spend.spend_dict(made)
    shown = format_money(data["amount_minor"], data["currency"])
    render.record(
        data,
        as_json,
        quiet,
        f"Added spend #{data['id']} {shown} on {data['source']} in {data['month']}",
    )


@app.command("list")
def spend_list(
    source: str | None = typer.Option(None, "--source", help="Only this lead source."),
    since: str | None = typer.Option(None, "--since", help="From this month on, YYYY-MM."),
    as_json: bool = JSON,
) -> None:
    """List the recorded spend, newest month first.

    Example: crm spend list --source ads --since 2026-01
    """
    from tinycrm.core import spend
    from tinycrm.domain.money import format_money

    with state.database(write=False).snapshot() as session:
        data = spend.list_spend(session, source, since)
    if as_json:
        render.print_json(data)
        return
    rows = [
        {**r, "amount": format_money(r["amount_minor"], r["currency"]), "note": r["note"] or ""}
        for r in data
    ]
    columns = [("id", "#"), ("month", "Month"), ("source", "Source"), ("amount", "Amount"),
               ("note", "Note")]  # fmt: skip
    render.table(rows, columns, title="spend")


@app.command("delete")
def spend_delete(
    spend_id: int = typer.Argument(..., help="The spend's number, as `crm spend list` shows it."),
) -> None:
    """Delete a recorded spend (`crm undo` brings it back). Example: crm spend delete 3"""
    from tinycrm.core import spend
    from tinycrm.domain.money import format_money

    with state.database().transaction() as session:
        gone = spend.delete_spend(session, spend_id, state.now())
        shown = format_money(gone.amount, gone.currency)
        line = f"Deleted spend #{spend_id} {shown} on {gone.source} in {gone.month}"
    render.say(line)
