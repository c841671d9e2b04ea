"""The reports on people: stale deals and contacts gone dark, lead sources, customers."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm import clock
from tinycrm.core.reports.common import money, rate, share, start_of, today
from tinycrm.core.segments import scope
from tinycrm.domain.dates import local_tz, stored_iso, to_stored
from tinycrm.errors import ValidationError
from tinycrm.store import reports_sql as sql

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import CustomersReport, SourceRow, SourcesReport, StaleReport


def stale_report(
    session: Session, now: datetime, days: int = 30, segment: ListFilter | None = None
) -> StaleReport:
    """Open deals idle past their stage's stale_days, and contacts with open deals and no
    interaction for `days` days (gone dark)."""
    if days < 1:
        raise ValidationError("--days is at least 1")
    found = scope(session, segment)
    params: dict[str, Any] = {}
    params["now"] = to_stored(now)
    params["cutoff"] = to_stored(now - timedelta(days=days))
    deals = sql.run(session, sql.stale_deals(sql.kept("d", found.kept_deals())), params)
    dark = sql.run(
        session,
        sql.dark_contacts(sql.kept("c", found.kept_contacts()), sql.kept("d", found.kept_deals())),
        params,
    )
    return {
        "days": days,
        "deals": [
            {
                "id": r["id"],
                "title": r["title"],
                "stage": r["stage"],
                "stale_days": r["stale_days"],
                "contact": {"id": r["contact_id"], "name": r["contact"]}
                if r["contact_id"]
                else None,
                "value": money(r["value"], r["currency"]) if r["value"] is not None else None,
                "last_activity": stored_iso(r["last_activity"]),
                "idle_days": int(r["idle"]),
            }
            for r in deals
        ],
        "gone_dark": [
            {
                "id": r["id"],
                "name": r["name"],
                "open_deals": r["open_deals"],
                "last_interaction": stored_iso(r["last_interaction"]),
                "silent_days": int(r["silent"]) if r["silent"] is not None else None,
            }
            for r in dark
        ],
    }


def sources_report(
    session: Session,
    segment: ListFilter | None = None,
    now: datetime | None = None,
    since: date | None = None,
    tz: tzinfo | None = None,
) -> SourcesReport:
    """Per lead source (the contact's): contacts, deals, won and lost, win rate, won value;
    and what a customer costs beside what one is worth.

    New customers are the source's contacts whose first won deal closed in the period (from
    `since`, a local day, to `now`; all time without `since`). Spend is that of the months of
    the period (the month of `since` to this month). CAC = spend / new customers, per
    currency. Lifetime value per customer is the customers report's average, per source: its
    customers' won deals / its customers. CLV:CAC compares the two in one currency.
    """
    tz = tz or local_tz()
    now = now or clock.now()
    found = scope(session, segment)
    people = sql.kept("c", found.kept_contacts())
    params: dict[str, Any] = {"now": to_stored(now), "month": f"{today(now, tz):%Y-%m}"}
    if since is not None:
        params["start"] = to_stored(start_of(since, tz))
        params["first_month"] = f"{since:%Y-%m}"
    leads = sql.run(session, sql.source_leads(people), params)
    deals = sql.run(session, sql.source_deals(sql.kept("d", found.kept_deals())), params)
    by_source: dict[str, SourceRow] = {}

    def entry(source: str) -> SourceRow:
        return by_source.setdefault(
            source,
            {"source": source or None, "leads": 0, "deals": 0, "won": 0, "lost": 0,
             "won_value": [], "new_customers": 0, "spend": [], "cac": [], "customers": 0,
             "lifetime_value": [], "clv_cac": []},
        )  # fmt: skip

    for r in leads:
        entry(r["source"])["leads"] = r["leads"]
    for r in deals:
        e = entry(r["source"])
        e["deals"] += r["deals"]
        e["won"] += r["won"]
        e["lost"] += r["lost"]
        if r["won_value"]:
            e["won_value"].append(money(r["won_value"], r["currency"]))
    for r in sql.run(session, sql.source_new_customers(people, since is not None), params):
        entry(r["source"])["new_customers"] = r["customers"]
    for r in sql.run(session, sql.source_spend(since is not None), params):
        # a segment keeps the sources of its contacts: spend on others is not theirs
        if segment is None or r["source"] in by_source:
            entry(r["source"])["spend"].append(money(r["total"], r["currency"]))
    for r in sql.run(session, sql.source_customers(people), params):
        entry(r["source"])["customers"] = r["customers"]
    for r in sql.run(session, sql.source_lifetime_values(people), params):
        e = entry(r["source"])
        e["lifetime_value"].append(money(share(r["total"], e["customers"]), r["currency"]))
    out = sorted(by_source.values(), key=lambda e: (-e["leads"], -e["deals"], e["source"] or "~"))
    for e in out:
        e["win_rate"] = rate(e["won"], e["won"] + e["lost"])
        _costs(e)
    return {"since": since.isoformat() if since else None, "rows": out}


def _costs(row: SourceRow) -> None:
    """Fill a source's CAC (per currency of its spend, when it has new customers) and its
    CLV:CAC ratios (per currency holding both), ordered by currency."""
    row["spend"].sort(key=lambda m: m["currency"])
    row["lifetime_value"].sort(key=lambda m: m["currency"])
    if row["new_customers"]:
        row["cac"] = [
            money(share(s["value_minor"], row["new_customers"]), s["currency"])
            for s in row["spend"]
            if s["value_minor"]
        ]
    cost = {c["currency"]: c["value_minor"] for c in row["cac"]}
    row["clv_cac"] = [
        {"currency": v["currency"], "ratio": round(v["value_minor"] / cost[v["currency"]], 2)}
        for v in row["lifetime_value"]
        if cost.get(v["currency"])
    ]


def customers_report(
    session: Session,
    now: datetime,
    since: date | None = None,
    limit: int = 10,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> CustomersReport:
    """Customers, their lifetime value (won deals, by currency), and churn since a day.

    Recurring revenue is that of customers' won recurring deals: ARR = monthly values x 12 +
    yearly values, exactly; MRR = ARR / 12, rounded half up to the minor unit once (per
    currency, and per customer). A customer who became a former customer no longer counts.

    Churn = customers at the start who became former customers in the period / customers at
    the start. A contact's lifecycle at a moment is read from the history: the 'before' of
    its first lifecycle change after that moment, else its current lifecycle.
    """
    tz = tz or local_tz()
    since = since or (today(now, tz) - timedelta(days=30))
    found = scope(session, segment)
    params: dict[str, Any] = {}
    params["start"] = to_stored(start_of(since, tz))
    params["limit"] = limit
    people = sql.kept("c", found.kept_contacts())
    customers = sql.run(session, sql.customer_count(people), params)[0]["n"]
    value = sql.run(session, sql.lifetime_values(people), params)
    top = sql.run(session, sql.top_customers(people), params)
    recurring = sql.run(session, sql.recurring_revenue(people), params)
    churn = sql.run(session, sql.churn_figures(people), params)[0]
    return {
        "customers": customers,
        "lifetime_value": [
            {
                **money(r["total"], r["currency"]),
                "customers_with_won_deals": r["customers"],
                "average_per_customer": money(share(r["total"], customers), r["currency"])
                if customers
                else None,
            }
            for r in value
        ],
        "recurring": [
            {
                "currency": r["currency"],
                "customers": r["customers"],
                "mrr": money(share(r["annual"], 12), r["currency"]),
                "arr": money(r["annual"], r["currency"]),
                "average_mrr": money(share(r["annual"], 12 * r["customers"]), r["currency"]),
            }
            for r in recurring
        ],
        "top": [
            {
                "id": r["id"],
                "name": r["name"],
                "deals": r["deals"],
                "lifetime_value": money(r["total"], r["currency"]),
                "mrr": money(share(r["annual"], 12), r["currency"]) if r["recurring"] else None,
            }
            for r in top
        ],
        "churn": {
            "since": since.isoformat(),
            "customers_at_start": churn["customers"],
            "churned": churn["churned"],
            "rate": rate(churn["churned"], churn["customers"]),
        },
    }
