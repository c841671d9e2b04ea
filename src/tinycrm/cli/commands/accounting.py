"""`crm report sources` and `crm report customers`: what finding customers costs and what
keeping them is worth (spend, CAC, lifetime value, recurring revenue), as tables or JSON."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON
from tinycrm.cli.reportparts import (
    SEGMENT,
    app,
    bar,
    biggest,
    run,
    segment_filter,
    since_day,
    table,
)
from tinycrm.domain import labels


@app.command("sources")
def sources(
    since: str | None = typer.Option(
        None, "--since", help="New customers and spend from this day on (default: all time)."
    ),
    months: int | None = typer.Option(
        None, "--months", min=1, max=600, help="This month and the ones before it."
    ),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Contacts, deals, won value and win rate by lead source; spend, cost per new customer
    (CAC) and lifetime value per customer (CLV).

    Example: crm report sources --months 3
    """
    from tinycrm.core import reports
    from tinycrm.core.reports.common import period_start
    from tinycrm.domain.dates import local_tz

    flt = segment_filter(segment)
    now = state.now()
    start = period_start(now, since_day(since), months, local_tz())
    data = run(lambda s: reports.sources_report(s, flt, now, start))
    if as_json:
        render.print_json(data)
        return
    rows = [
        {
            "source": r["source"] or "(none)",
            "leads": r["leads"],
            "deals": r["deals"],
            "won": r["won"],
            "lost": r["lost"],
            "rate": labels.percent(r["win_rate"]),
            "value": _amounts(r["won_value"], ""),
            "new": r["new_customers"],
            "spend": _amounts(r["spend"], ""),
            "cac": _amounts(r["cac"], "—"),
            "clv": _amounts(r["lifetime_value"], "—"),
            "ratio": ", ".join(
                f"{x['ratio']:.1f}" + (f" {x['currency']}" if len(r["clv_cac"]) > 1 else "")
                for x in r["clv_cac"]
            )
            or "—",
        }
        for r in data["rows"]
    ]
    columns = [("source", "Source"), ("#leads", "Contacts"), ("#deals", "Deals"),
               ("#won", "Won"), ("#lost", "Lost"), ("#rate", "Win rate"),
               ("#value", "Won value"), ("#new", "New cust."), ("#spend", "Spend"),
               ("#cac", "CAC"), ("#clv", "CLV"), ("#ratio", "CLV:CAC")]  # fmt: skip
    title = f"Lead sources since {render.day(data['since'])}" if data["since"] else "Lead sources"
    table(rows, columns, title, "no contacts")


def _amounts(values: list[Any], empty: str) -> str:
    """Amounts of several currencies on one line, or `empty` for none."""
    return ", ".join(labels.amount(v) for v in values) or empty


@app.command("customers")
def customers(
    since: str | None = typer.Option(
        None, "--since", help="Churn period start (default: 30 days ago)."
    ),
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="Top customers shown."),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Customers, lifetime value (won deals), recurring revenue (MRR, ARR) and churn since a
    day.

    Example: crm report customers --since 2026-01-01
    """
    from tinycrm.core import reports

    flt = segment_filter(segment)
    day = since_day(since)
    data = run(lambda s: reports.customers_report(s, state.now(), day, limit, flt))
    if as_json:
        render.print_json(data)
        return
    churn = data["churn"]
    pairs: list[tuple[str, Any]] = [("customers", str(data["customers"]))]
    for v in data["lifetime_value"]:
        average = labels.amount(v["average_per_customer"])
        pairs.append((f"lifetime value {v['currency']}", f"{labels.amount(v)} (average {average})"))
    for m in data["recurring"]:
        many = "customer" if m["customers"] == 1 else "customers"
        pairs.append((f"MRR {m['currency']}", f"{labels.amount(m['mrr'])} (ARR "
                      f"{labels.amount(m['arr'])}; {m['customers']} {many}, average "
                      f"{labels.amount(m['average_mrr'])})"))  # fmt: skip
    pairs.append(
        (
            f"churn since {render.day(churn['since'])}",
            f"{churn['churned']} of {churn['customers_at_start']} customers"
            + (f" ({labels.percent(churn['rate'])})" if churn["rate"] is not None else ""),
        )
    )
    render.fields(pairs, title="Customers")
    render.say("")
    top = biggest(data["top"], "lifetime_value")
    rows = [
        {
            "id": r["id"],
            "name": r["name"],
            "deals": r["deals"],
            "value": labels.amount(r["lifetime_value"]),
            "mrr": labels.amount(r["mrr"]),
            "bar": bar(r["lifetime_value"]["value_minor"], top[r["lifetime_value"]["currency"]]),
        }
        for r in data["top"]
    ]
    columns = [("#id", "#"), ("name", "Customer"), ("#deals", "Won deals"),
               ("#value", "Lifetime value"), ("#mrr", "MRR"), ("bar", "")]  # fmt: skip
    table(rows, columns, "Top customers", "no customer has won deals yet")
