"""`crm report …`: figures as tables with bars, or JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON
from tinycrm.domain import labels

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.domain.figures import WinValues


Figures = TypeVar("Figures")

app = typer.Typer(
    help="Reports: pipeline, forecast, win rate, funnel, cycle, velocity, stale, sources, "
    "customers, the week's activity, lost deals.",
    no_args_is_help=True,
)

SEGMENT = typer.Option(None, "--segment", help="Count only the contacts and deals of a segment.")
PIPELINE = typer.Option(None, "--pipeline", help="Pipeline name (default: the default one).")
SINCE = typer.Option(None, "--since", help="Only deals closed on or after this day.")
BAR_WIDTH = 24


def bar(value: float, biggest: float, width: int = BAR_WIDTH) -> str:
    """Return a bar of unicode blocks, `width` long for `biggest`."""
    from tinycrm.domain.text import bar as blocks

    return blocks(value, biggest, width)


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _segment(name: str | None) -> Any:
    """Return the filters of a segment by name (None when no --segment)."""
    if not name:
        return None
    from tinycrm.core import segments

    with state.database(write=False).snapshot() as session:
        return segments.segment_filter(session, name)


def _since(text: str | None) -> Any:
    if not text:
        return None
    from tinycrm.domain import dates

    return dates.parse_day(text, state.now(), calendar=state.calendar(), past=True)


def _run(build: Callable[[Session], Figures]) -> Figures:
    """Compute a report on one read snapshot."""
    with state.database(write=False).snapshot() as session:
        return build(session)


def _table(
    rows: list[dict[str, Any]], columns: list[tuple[str, str]], title: str, empty: str
) -> None:
    from rich.table import Table

    out = render.console()
    if not rows:
        out.print(empty)
        return
    tab = Table(title=title, title_justify="left", show_edge=False, pad_edge=False,
                header_style="bold", title_style="bold")  # fmt: skip
    for key, heading in columns:
        numeric = key.startswith("#")
        tab.add_column(heading, justify="right" if numeric else "left", no_wrap=key == "bar")
    for row in rows:
        tab.add_row(*(str(row.get(key.lstrip("#"), "")) for key, _ in columns))
    render.print_unbroken(out, tab)


def _biggest(rows: Sequence[Mapping[str, Any]], key: str) -> dict[str, int]:
    """The largest amount per currency, so bars compare like with like."""
    out: dict[str, int] = {}
    for r in rows:
        amount = r.get(key)
        if amount:
            out[amount["currency"]] = max(out.get(amount["currency"], 0), amount["value_minor"])
    return out


@app.command("pipeline")
def pipeline(
    pipeline_name: str | None = typer.Option(
        None, "--pipeline", help="One pipeline (default: all of them)."
    ),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Open deals per stage: count, total and weighted value (value x probability).

    Example: crm report pipeline --pipeline sales
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.pipeline_report(s, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    top = _biggest(data["rows"], "weighted")
    several = len({r["pipeline"] for r in data["rows"]}) > 1
    rows = [
        {
            "stage": (f"{r['pipeline']} / " if several else "") + r["stage"],
            "probability": f"{r['probability']}%",
            "deals": r["deals"],
            "total": labels.amount(r["total"]),
            "weighted": labels.amount(r["weighted"]),
            "bar": bar(r["weighted"]["value_minor"], top[r["weighted"]["currency"]])
            if r["weighted"]
            else "",
        }
        for r in data["rows"]
    ]
    rows += [
        {
            "stage": f"total {t['currency']}",
            "deals": t["deals"],
            "total": labels.amount(t["total"]),
            "weighted": labels.amount(t["weighted"]),
        }
        for t in data["totals"]
    ]
    columns = [("stage", "Stage"), ("#probability", "Prob."), ("#deals", "Deals"),
               ("#total", "Total"), ("#weighted", "Weighted"), ("bar", "")]  # fmt: skip
    _table(rows, columns, "Pipeline (open deals)", "no stages")


@app.command("forecast")
def forecast(
    months: int = typer.Option(6, "--months", min=1, max=60, help="How many months ahead."),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Weighted value of open deals by expected close month.

    Overdue close dates and deals with no close date are rows of their own.
    Example: crm report forecast --months 3
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.forecast_report(s, state.now(), months, flt))
    if as_json:
        render.print_json(data)
        return
    top = _biggest(data["rows"], "weighted")
    periods = {"overdue": "overdue", "later": "later", "none": "no close date"}
    rows: list[dict[str, Any]] = []
    for r in data["rows"]:
        label = periods.get(r["period"], r["period"])
        if r["deals"] == 0:
            # an empty month is one row, whatever the number of currencies
            if not any(o["period"] == label for o in rows):
                rows.append({"period": label, "deals": 0})
            continue
        rows = [o for o in rows if not (o["period"] == label and o["deals"] == 0)]
        rows.append(
            {
                "period": label,
                "deals": r["deals"],
                "total": labels.amount(r["total"]),
                "weighted": labels.amount(r["weighted"]),
                "bar": bar(r["weighted"]["value_minor"], top.get(r["currency"], 0)),
            }
        )
    columns = [("period", "Close"), ("#deals", "Deals"), ("#total", "Total"),
               ("#weighted", "Weighted"), ("bar", "")]  # fmt: skip
    _table(rows, columns, f"Forecast from {data['today']}", "no open deals")


@app.command("win-rate")
def win_rate(
    since: str | None = SINCE,
    by: str | None = typer.Option(None, "--by", help="source or month."),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Won / (won + lost) of closed deals, by count and by value.

    Example: crm report win-rate --since 2026-01-01 --by source
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    day = _since(since)
    key = by.strip().lower() if by else None
    data = _run(lambda s: reports.win_rate_report(s, state.now(), day, key, flt))
    if as_json:
        render.print_json(data)
        return
    rows = [
        {
            "group": r["group"] or ("(no source)" if key == "source" else "all"),
            "won": r["won"],
            "lost": r["lost"],
            "rate": labels.percent(r["win_rate"]),
            "bar": bar(r["win_rate"] or 0, 1, 20),
            **_win_values(r.get("values", [])),
        }
        for r in data["rows"]
    ]
    if key and rows:
        rows.append({"group": "all", "won": data["won"], "lost": data["lost"],
                     "rate": labels.percent(data["win_rate"]),
                     **_win_values(data["values"])})  # fmt: skip
    heading = {"source": "Source", "month": "Month"}.get(key or "", "")
    columns = [("group", heading), ("#won", "Won"), ("#lost", "Lost"), ("#rate", "Win rate"),
               ("bar", ""), ("#won_value", "Won value"), ("#value_rate", "By value")]  # fmt: skip
    title = "Win rate" + (f" since {render.day(data['since'])}" if data["since"] else "")
    _table(rows, columns, title, "no deals won or lost")


def _win_values(values: list[WinValues]) -> dict[str, str]:
    """A win-rate row's won value and rate by value, per currency."""
    return {
        "won_value": ", ".join(labels.amount(v["won"]) for v in values),
        "value_rate": ", ".join(
            f"{labels.percent(v['value_win_rate'])} {v['currency']}" for v in values
        ),
    }


@app.command("funnel")
def funnel(pipeline_name: str | None = PIPELINE, segment: str | None = SEGMENT,
           as_json: bool = JSON) -> None:  # fmt: skip
    """Conversion from each stage to the next.

    A deal reached a stage if it ever entered it or a later stage.
    Example: crm report funnel
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.funnel_report(s, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    first = data["stages"][0]["reached"] if data["stages"] else 0
    rows = [
        {
            "stage": r["stage"],
            "reached": r["reached"],
            "bar": bar(r["reached"], first),
            "lost": r["lost_here"],
            "conversion": f"{labels.percent(r['conversion'])} to {r['next']}"
            if r["conversion"] is not None
            else "",
        }
        for r in data["stages"]
    ]
    rows.append({"stage": "won", "reached": data["won"], "bar": bar(data["won"], first),
                 "conversion": f"{labels.percent(data['overall'])} overall"
                 if data["overall"] is not None else ""})  # fmt: skip
    columns = [("stage", "Stage"), ("#reached", "Reached"), ("bar", ""), ("#lost", "Lost here"),
               ("conversion", "Conversion")]  # fmt: skip
    _table(rows, columns, f"Funnel ({data['pipeline']})", "no stages")


@app.command("cycle")
def cycle(pipeline_name: str | None = PIPELINE, segment: str | None = SEGMENT,
          as_json: bool = JSON) -> None:  # fmt: skip
    """Average and median days in each stage, and from creation to won.

    Example: crm report cycle
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.cycle_report(s, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    top = max([r["average_days"] or 0 for r in data["stages"]] + [0])
    rows = [
        {
            "stage": r["stage"],
            "stays": r["stays"],
            "average": _days(r["average_days"]),
            "median": _days(r["median_days"]),
            "bar": bar(r["average_days"] or 0, top),
        }
        for r in data["stages"]
    ]
    won = data["to_won"]
    rows.append(
        {
            "stage": "created to won",
            "stays": won["deals"],
            "average": _days(won["average_days"]),
            "median": _days(won["median_days"]),
        }
    )
    columns = [("stage", "Stage"), ("#stays", "Deals"), ("#average", "Avg days"),
               ("#median", "Median days"), ("bar", "")]  # fmt: skip
    _table(rows, columns, f"Cycle time ({data['pipeline']})", "no stages")


@app.command("velocity")
def velocity(since: str | None = SINCE, segment: str | None = SEGMENT,
             as_json: bool = JSON) -> None:  # fmt: skip
    """Sales velocity: open deals x average won value x win rate / average cycle (days).

    Example: crm report velocity
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    day = _since(since)
    data = _run(lambda s: reports.velocity_report(s, state.now(), day, flt))
    if as_json:
        render.print_json(data)
        return
    rows = [
        {
            "currency": r["currency"],
            "open": r["open_deals"],
            "average": labels.amount(r["average_won"]),
            "rate": labels.percent(r["win_rate"]),
            "cycle": _days(r["cycle_days"]),
            "velocity": (labels.amount(r["velocity_per_day"]) + " / day")
            if r["velocity_per_day"]
            else "",
        }
        for r in data["rows"]
    ]
    columns = [("currency", "Currency"), ("#open", "Open deals"),
               ("#average", "Avg won value"), ("#rate", "Win rate"), ("#cycle", "Cycle days"),
               ("#velocity", "Velocity")]  # fmt: skip
    title = "Sales velocity" + (f" since {render.day(data['since'])}" if data["since"] else "")
    _table(rows, columns, title, "no deals")


@app.command("stale")
def stale(
    days: int = typer.Option(
        30, "--days", min=1, max=36_600, help="Gone dark after this many days."
    ),
    limit: int = typer.Option(
        20, "--limit", "-n", min=0, help="Rows of each list to show (0: all; --json has all)."
    ),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Open deals idle past their stage's limit, and contacts with open deals gone dark;
    the longest idle first.

    Example: crm report stale --days 21 --limit 50
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.stale_report(s, state.now(), days, flt))
    if as_json:
        render.print_json(data)
        return
    deals = [
        {
            "id": r["id"],
            "title": r["title"],
            "stage": r["stage"],
            "contact": r["contact"]["name"] if r["contact"] else "",
            "value": labels.amount(r["value"]),
            "idle": f"{r['idle_days']} d (limit {r['stale_days']})",
        }
        for r in _first(data["deals"], limit)
    ]
    columns = [("#id", "#"), ("title", "Deal"), ("stage", "Stage"), ("contact", "Contact"),
               ("#value", "Value"), ("#idle", "Idle")]  # fmt: skip
    _table(deals, columns, "Stale deals", "no stale deals")
    _more(len(data["deals"]), limit, "stale deals")
    render.say("")
    people = [
        {
            "id": r["id"],
            "name": r["name"],
            "open": r["open_deals"],
            "last": render.day(r["last_interaction"]) or "never",
            "silent": f"{r['silent_days']} d" if r["silent_days"] is not None else "",
        }
        for r in _first(data["gone_dark"], limit)
    ]
    columns = [("#id", "#"), ("name", "Contact"), ("#open", "Open deals"),
               ("last", "Last interaction"), ("#silent", "Silent")]  # fmt: skip
    _table(people, columns, f"Gone dark (no interaction for {days} days)", "nobody gone dark")
    _more(len(data["gone_dark"]), limit, "contacts gone dark")


def _first(rows: list[Any], limit: int) -> list[Any]:
    return rows if limit == 0 else rows[:limit]


def _more(total: int, limit: int, what: str) -> None:
    if 0 < limit < total:
        render.say(f"... and {total - limit} more {what} (--limit 0 shows all)")


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

    flt = _segment(segment)
    now = state.now()
    start = period_start(now, _since(since), months, local_tz())
    data = _run(lambda s: reports.sources_report(s, flt, now, start))
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
    _table(rows, columns, title, "no contacts")


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

    flt = _segment(segment)
    day = _since(since)
    data = _run(lambda s: reports.customers_report(s, state.now(), day, limit, flt))
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
    top = _biggest(data["top"], "lifetime_value")
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
    _table(rows, columns, "Top customers", "no customer has won deals yet")
