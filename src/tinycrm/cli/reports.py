"""`crm report …`, `crm score` and `crm segment …`: figures as tables with bars, or JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import typer

from tinycrm.cli import render, state

app = typer.Typer(
    help="Reports: pipeline, forecast, win rate, funnel, cycle, velocity, stale, sources, "
    "customers.",
    no_args_is_help=True,
)
segment_app = typer.Typer(help="Saved filters: save, list, show, delete.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")
SEGMENT = typer.Option(None, "--segment", help="Count only the contacts and deals of a segment.")
PIPELINE = typer.Option(None, "--pipeline", help="Pipeline name (default: the default one).")
SINCE = typer.Option(None, "--since", help="Only deals closed on or after this day.")
BAR_WIDTH = 24


def register(root: typer.Typer) -> None:
    """Add `report`, `score` and `segment` to the root app."""
    from tinycrm.cli import groups

    groups.add("report", app)
    groups.add("segment", segment_app)
    root.command("score")(score)


def bar(value: float, biggest: float, width: int = BAR_WIDTH) -> str:
    """Return a bar of unicode blocks, `width` long for `biggest`."""
    from tinycrm.domain.text import bar as blocks

    return blocks(value, biggest, width)


def _money(amount: dict[str, Any] | None) -> str:
    from tinycrm.domain.money import format_money

    if not amount:
        return ""
    return str(format_money(amount["value_minor"], amount["currency"]))


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}%"


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _segment(name: str | None) -> Any:
    """Return the filters of a segment by name (None when no --segment)."""
    if not name:
        return None
    from tinycrm.core import segments

    with state.database(write=False).snapshot() as reader:
        return segments.segment_filter(reader, name)


def _since(text: str | None) -> Any:
    if not text:
        return None
    from tinycrm.domain import dates

    return dates.parse_day(text, state.now())


def _run(build: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    with state.database(write=False).snapshot() as reader:
        return build(reader)


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
    out.print(tab)


def _biggest(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
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
            "total": _money(r["total"]),
            "weighted": _money(r["weighted"]),
            "bar": bar(r["weighted"]["value_minor"], top[r["currency"]]) if r["weighted"] else "",
        }
        for r in data["rows"]
    ]
    rows += [
        {
            "stage": f"total {t['currency']}",
            "deals": t["deals"],
            "total": _money(t["total"]),
            "weighted": _money(t["weighted"]),
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
    labels = {"overdue": "overdue", "later": "later", "none": "no close date"}
    rows: list[dict[str, Any]] = []
    for r in data["rows"]:
        label = labels.get(r["period"], r["period"])
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
                "total": _money(r["total"]),
                "weighted": _money(r["weighted"]),
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
    rows = []
    for r in data["rows"]:
        rows.append(
            {
                "group": r["group"] or ("(no source)" if key == "source" else "all"),
                "won": r["won"],
                "lost": r["lost"],
                "rate": _percent(r["win_rate"]),
                "bar": bar(r["win_rate"] or 0, 1, 20),
                "won_value": ", ".join(_money(v["won"]) for v in r["values"]),
                "value_rate": ", ".join(
                    f"{_percent(v['value_win_rate'])} {v['currency']}" for v in r["values"]
                ),
            }
        )
    if key and rows:
        rows.append({"group": "all", "won": data["won"], "lost": data["lost"],
                     "rate": _percent(data["win_rate"])})  # fmt: skip
    heading = {"source": "Source", "month": "Month"}.get(key or "", "")
    columns = [("group", heading), ("#won", "Won"), ("#lost", "Lost"), ("#rate", "Win rate"),
               ("bar", ""), ("#won_value", "Won value"), ("#value_rate", "By value")]  # fmt: skip
    title = "Win rate" + (f" since {data['since']}" if data["since"] else "")
    _table(rows, columns, title, "no deals won or lost")


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
            "conversion": f"{_percent(r['conversion'])} to {r['next']}"
            if r["conversion"] is not None
            else "",
        }
        for r in data["stages"]
    ]
    rows.append({"stage": "won", "reached": data["won"], "bar": bar(data["won"], first),
                 "conversion": f"{_percent(data['overall'])} overall"
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
            "average": _money(r["average_won"]),
            "rate": _percent(r["win_rate"]),
            "cycle": _days(r["cycle_days"]),
            "velocity": (_money(r["velocity_per_day"]) + " / day") if r["velocity_per_day"] else "",
        }
        for r in data["rows"]
    ]
    columns = [("currency", "Currency"), ("#open", "Open deals"),
               ("#average", "Avg won value"), ("#rate", "Win rate"), ("#cycle", "Cycle days"),
               ("#velocity", "Velocity")]  # fmt: skip
    _table(rows, columns, "Sales velocity", "no deals")


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
            "value": _money(r["value"]),
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
            "last": (r["last_interaction"] or "")[:10] or "never",
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
def sources(segment: str | None = SEGMENT, as_json: bool = JSON) -> None:
    """Contacts, deals, won value and win rate by lead source.

    Example: crm report sources
    """
    from tinycrm.core import reports

    flt = _segment(segment)
    data = _run(lambda s: reports.sources_report(s, flt))
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
            "rate": _percent(r["win_rate"]),
            "value": ", ".join(_money(v) for v in r["won_value"]),
        }
        for r in data["rows"]
    ]
    columns = [("source", "Source"), ("#leads", "Contacts"), ("#deals", "Deals"),
               ("#won", "Won"), ("#lost", "Lost"), ("#rate", "Win rate"),
               ("#value", "Won value")]  # fmt: skip
    _table(rows, columns, "Lead sources", "no contacts")


@app.command("customers")
def customers(
    since: str | None = typer.Option(
        None, "--since", help="Churn period start (default: 30 days ago)."
    ),
    limit: int = typer.Option(10, "--limit", "-n", min=1, help="Top customers shown."),
    segment: str | None = SEGMENT,
    as_json: bool = JSON,
) -> None:
    """Customers, lifetime value (won deals) and churn since a day.

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
        average = _money(v["average_per_customer"])
        pairs.append((f"lifetime value {v['currency']}", f"{_money(v)} (average {average})"))
    pairs.append(
        (
            f"churn since {churn['since']}",
            f"{churn['churned']} of {churn['customers_at_start']} customers"
            + (f" ({_percent(churn['rate'])})" if churn["rate"] is not None else ""),
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
            "value": _money(r["lifetime_value"]),
            "bar": bar(r["lifetime_value"]["value_minor"], top[r["lifetime_value"]["currency"]]),
        }
        for r in data["top"]
    ]
    columns = [("#id", "#"), ("name", "Customer"), ("#deals", "Won deals"),
               ("#value", "Lifetime value"), ("bar", "")]  # fmt: skip
    _table(rows, columns, "Top customers", "no customer has won deals yet")


def score(
    ref: str = typer.Argument(..., help="The contact: id, #id, email or part of the name."),
    as_json: bool = JSON,
) -> None:
    """Explain a contact's lead score, rule by rule.

    The rules are in config.toml [scoring]. Example: crm score jane
    """
    from tinycrm.core import refs, scoring

    rules = scoring.rules_from(state.settings().raw)
    with state.database(write=False).snapshot() as reader:
        hit = refs.resolve(reader, ref, ("contact",))
        data = scoring.explain(reader, hit.id, rules, state.now())
    if as_json:
        render.print_json(data)
        return
    render.say(f"Score of contact #{data['id']} {data['name']}: {data['score']}")
    for line in data["lines"]:
        render.say(f"  {line['points']:>+4}  {line['rule']}: {line['detail']}")


# --- segments -------------------------------------------------------------------------------


@segment_app.command("save")
def segment_save(
    name: str = typer.Argument(..., help="A name for the segment, e.g. hot."),
    tag: list[str] = typer.Option([], "--tag", help="Contacts with this tag (repeatable)."),
    lifecycle: str | None = typer.Option(None, "--lifecycle", help="lead, prospect, …"),
    source: str | None = typer.Option(None, "--source", help="Lead source."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    contact_name: str | None = typer.Option(None, "--name", help="Contact name contains."),
    pipeline_name: str | None = typer.Option(None, "--pipeline", help="Deals of a pipeline."),
    stage: str | None = typer.Option(None, "--stage", help="Deals in a stage."),
    status: str | None = typer.Option(None, "--status", help="Deals open, won or lost."),
    min_value: str | None = typer.Option(None, "--min-value", help="Deals worth at least."),
    max_value: str | None = typer.Option(None, "--max-value", help="Deals worth at most."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a segment of that name."),
    as_json: bool = JSON,
) -> None:
    """Save filters under a name, for `--segment NAME` in lists and reports.

    Example: crm segment save hot --tag vip --lifecycle prospect
    """
    from tinycrm.core import listing, segments
    from tinycrm.domain import money

    currency = state.settings().default_currency
    flt = listing.ListFilter(
        tags=tuple(tag),
        lifecycle=lifecycle,
        source=source,
        company=company,
        text=contact_name,
        pipeline=pipeline_name,
        stage=stage,
        status=status,
        min_value=money.parse_money(min_value, currency) if min_value else None,
        max_value=money.parse_money(max_value, currency) if max_value else None,
    )
    with state.database().transaction(summary=f"save segment {name}", now=state.now()) as s:
        saved = segments.save_segment(s, name, flt, state.now(), replace)
        data = segments.segment_dict(s, saved.name)
    if as_json:
        render.print_json(data)
    else:
        render.say(f"Saved segment {data['name']}: {_describe(data['filters'])}")


def _describe(filters: Mapping[str, Any]) -> str:
    parts = []
    for key, value in filters.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts)


@segment_app.command("list")
def segment_list(as_json: bool = JSON) -> None:
    """List saved segments. Example: crm segment list"""
    from tinycrm.core import segments

    with state.database(write=False).snapshot() as reader:
        data = segments.segment_dicts(reader)
    if as_json:
        render.print_json(data)
        return
    rows = [{"name": d["name"], "filters": _describe(d["filters"])} for d in data]
    render.table(rows, [("name", "Segment"), ("filters", "Filters")], title="segments")


@segment_app.command("show")
def segment_show(
    name: str = typer.Argument(..., help="The segment's name."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Contacts shown."),
    as_json: bool = JSON,
) -> None:
    """Show a segment's filters, how many contacts and deals it holds, and its contacts.

    Example: crm segment show hot
    """
    from tinycrm.core import listing, segments

    with state.database(write=False).snapshot() as reader:
        seg = segments.segment_dict(reader, name)
        flt = segments.filter_from_json(seg["filters"])
        counts = segments.count(reader, flt)
        people = listing.list_contacts(
            reader,
            listing.ListFilter(),
            listing.Page(limit=limit),
            where=segments.contact_condition(reader, flt),
        )
        data = {**seg, **counts, "first_contacts": people}
    if as_json:
        render.print_json(data)
        return
    render.fields(
        [("filters", _describe(seg["filters"])), ("contacts", str(data["contacts"])),
         ("deals", str(data["deals"]))],
        title=f"segment {data['name']}",
    )  # fmt: skip
    render.say("")
    columns = [("id", "#"), ("name", "Name"), ("company", "Company"), ("email", "Email"),
               ("lifecycle", "Lifecycle"), ("tags", "Tags")]  # fmt: skip
    render.table(people, columns, title="contacts")


@segment_app.command("delete")
def segment_delete(name: str = typer.Argument(..., help="The segment's name.")) -> None:
    """Delete a segment; its contacts and deals are not touched. Example: crm segment delete hot"""
    from tinycrm.core import segments

    with state.database().transaction(summary=f"delete segment {name}", now=state.now()) as s:
        seg = segments.delete_segment(s, name)
    render.say(f"Deleted segment {seg.name}")
