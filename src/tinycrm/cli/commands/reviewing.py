"""`crm report activity` and `crm report lost`: the seller's own numbers, the week in review
and why deals are lost, as tables or JSON. They are commands of the `crm report` group
(the group's other reports are in reporting and accounting)."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON
from tinycrm.cli.reportparts import SEGMENT, SINCE, app, bar, run, segment_filter, since_day, table
from tinycrm.domain import labels


@app.command("activity")
def activity(
    weeks: int = typer.Option(
        4, "--weeks", min=1, max=52, help="How many earlier weeks this week is compared with."
    ),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """The week in review: interactions logged, deals created, moved, won and lost,
    follow-ups done and overdue, this week against each of the weeks before.

    Weeks start on the day `general.week_start` names. Example: crm report activity --weeks 8
    """
    from tinycrm.core import reports
    from tinycrm.core.reports.activity import amount_text, label, week_label

    flt = segment_filter(segment)
    calendar = state.calendar()
    data = run(lambda s: reports.activity_report(s, state.now(), weeks, calendar, flt))
    if as_json:
        render.print_json(data)
        return
    heads = [week_label(w["start"]) for w in data["weeks"][:-1]] + ["this week"]
    rows: list[dict[str, Any]] = []
    for f in data["figures"]:
        row: dict[str, Any] = {"figure": label(f["figure"])}
        row.update({f"w{n}": count for n, count in enumerate(f["counts"])})
        row["average"] = amount_text(f["average"])
        row["change"] = change_text(f["change"], f["change_rate"])
        rows.append(row)
    columns = [("figure", ""), *((f"#w{n}", head) for n, head in enumerate(heads)),
               ("#average", "avg"), ("#change", "vs avg")]  # fmt: skip
    this = data["weeks"][-1]
    title = (
        f"Week in review: this week {render.day(this['start'])} to {render.day(this['end'])}"
        f", against the {weeks} before"
    )
    table(rows, columns, title, "nothing to review")


def change_text(change: float, change_rate: float | None) -> str:
    """This week against the average: '+1.5 (+60%)', '0', '+2' (from an average of 0)."""
    from tinycrm.core.reports.activity import amount_text

    shown = amount_text(change, signed=True)
    if change and change_rate is not None:
        shown += f" ({change_rate * 100:+.0f}%)"
    return shown


@app.command("lost")
def lost(
    since: str | None = SINCE,
    pipeline_name: str | None = typer.Option(
        None, "--pipeline", help="One pipeline (default: all of them)."
    ),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Lost deals by reason (the configured `deals.lost_reasons` first) and by the stage
    they were lost in, with their values per currency.

    Example: crm report lost --since 2026-01-01
    """
    from tinycrm.core import reports

    flt = segment_filter(segment)
    day = since_day(since)
    configured = state.settings().deals.lost_reasons
    data = run(lambda s: reports.lost_report(s, configured, day, pipeline_name, flt))
    if as_json:
        render.print_json(data)
        return
    most = max([r["deals"] for r in data["reasons"]] + [0])
    reasons = [
        {
            "reason": r["reason"] or "(no reason)",
            "deals": r["deals"],
            "value": ", ".join(labels.amount(v) for v in r["values"]),
            "bar": bar(r["deals"], most, 16),
        }
        for r in data["reasons"]
    ]
    where = f" since {render.day(data['since'])}" if data["since"] else ""
    total = ", ".join(labels.amount(v) for v in data["values"])
    title = f"Lost deals{where}: {data['deals']}" + (f" ({total})" if total else "")
    columns = [("reason", "Reason"), ("#deals", "Deals"), ("#value", "Value"), ("bar", "")]
    table(reasons, columns, title, f"no deals lost{where}")
    if not data["deals"]:
        return
    render.say("")
    several = len({r["pipeline"] for r in data["stages"]}) > 1
    most = max(r["deals"] for r in data["stages"])
    stages = [
        {
            "stage": (f"{r['pipeline']} / " if several else "") + r["stage"],
            "deals": r["deals"],
            "value": ", ".join(labels.amount(v) for v in r["values"]),
            "bar": bar(r["deals"], most, 16),
        }
        for r in data["stages"]
    ]
    columns = [("stage", "Stage"), ("#deals", "Deals"), ("#value", "Value"), ("bar", "")]
    table(stages, columns, "Lost in stage", "no stages")
