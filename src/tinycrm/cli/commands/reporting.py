"""`crm report …` on the pipeline and its pace: the pipeline, the forecast, the win rate,
the funnel, cycle time, velocity and what has gone stale, as tables with bars or JSON. The
group's other reports are in accounting and reviewing, which this module brings in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON
from tinycrm.cli.reportparts import (
    PIPELINE,
    SEGMENT,
    SINCE,
    app,
    bar,
    biggest,
    days,
    run,
    segment_filter,
    since_day,
    table,
)
from tinycrm.domain import labels

if TYPE_CHECKING:
    from tinycrm.domain.figures import WinValues

__all__ = ["app"]


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

    flt = segment_filter(segment)
    data = run(lambda s: reports.pipeline_report(s, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    top = biggest(data["rows"], "weighted")
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
    table(rows, columns, "Pipeline (open deals)", "no stages")


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

    flt = segment_filter(segment)
    data = run(lambda s: reports.forecast_report(s, state.now(), months, flt))
    if as_json:
        render.print_json(data)
        return
    top = biggest(data["rows"], "weighted")
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
    table(rows, columns, f"Forecast from {data['today']}", "no open deals")


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

    flt = segment_filter(segment)
    day = since_day(since)
    key = by.strip().lower() if by else None
    data = run(lambda s: reports.win_rate_report(s, state.now(), day, key, flt))
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
    table(rows, columns, title, "no deals won or lost")


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

    flt = segment_filter(segment)
    data = run(lambda s: reports.funnel_report(s, pipeline_name, flt))
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
    table(rows, columns, f"Funnel ({data['pipeline']})", "no stages")


@app.command("cycle")
def cycle(pipeline_name: str | None = PIPELINE, segment: str | None = SEGMENT,
          as_json: bool = JSON) -> None:  # fmt: skip
    """Average and median days in each stage, and from creation to won.

    Example: crm report cycle
    """
    from tinycrm.core import reports

    flt = segment_filter(segment)
    data = run(lambda s: reports.cycle_report(s, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    top = max([r["average_days"] or 0 for r in data["stages"]] + [0])
    rows = [
        {
            "stage": r["stage"],
            "stays": r["stays"],
            "average": days(r["average_days"]),
            "median": days(r["median_days"]),
            "bar": bar(r["average_days"] or 0, top),
        }
        for r in data["stages"]
    ]
    won = data["to_won"]
    rows.append(
        {
            "stage": "created to won",
            "stays": won["deals"],
            "average": days(won["average_days"]),
            "median": days(won["median_days"]),
        }
    )
    columns = [("stage", "Stage"), ("#stays", "Deals"), ("#average", "Avg days"),
               ("#median", "Median days"), ("bar", "")]  # fmt: skip
    table(rows, columns, f"Cycle time ({data['pipeline']})", "no stages")


@app.command("velocity")
def velocity(since: str | None = SINCE, segment: str | None = SEGMENT,
             as_json: bool = JSON) -> None:  # fmt: skip
    """Sales velocity: open deals x average won value x win rate / average cycle (days).

    Example: crm report velocity
    """
    from tinycrm.core import reports

    flt = segment_filter(segment)
    day = since_day(since)
    data = run(lambda s: reports.velocity_report(s, state.now(), day, flt))
    if as_json:
        render.print_json(data)
        return
    rows = [
        {
            "currency": r["currency"],
            "open": r["open_deals"],
            "average": labels.amount(r["average_won"]),
            "rate": labels.percent(r["win_rate"]),
            "cycle": days(r["cycle_days"]),
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
    table(rows, columns, title, "no deals")


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

    flt = segment_filter(segment)
    data = run(lambda s: reports.stale_report(s, state.now(), days, flt))
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
    table(deals, columns, "Stale deals", "no stale deals")
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
    table(people, columns, f"Gone dark (no interaction for {days} days)", "nobody gone dark")
    _more(len(data["gone_dark"]), limit, "contacts gone dark")


def _first(rows: list[Any], limit: int) -> list[Any]:
    return rows if limit == 0 else rows[:limit]


def _more(total: int, limit: int, what: str) -> None:
    if 0 < limit < total:
        render.say(f"... and {total - limit} more {what} (--limit 0 shows all)")


# The group's other reports join its app when it is built.
from tinycrm.cli.commands import accounting, reviewing  # noqa: E402, F401
