"""The reports on open and closed deals: pipeline, forecast, win rate and velocity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.core.pipelines import pipeline_row
from tinycrm.core.reports.common import (
    add_months,
    days,
    money,
    month_bounds,
    rate,
    start_of,
    today,
    weighted,
)
from tinycrm.core.segments import scope
from tinycrm.domain.dates import local_tz, to_stored
from tinycrm.domain.money import to_decimal_text
from tinycrm.errors import ValidationError
from tinycrm.store import reports_sql as sql

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import (
        ForecastReport,
        ForecastRow,
        PipelineReport,
        PipelineRow,
        StageShown,
        VelocityReport,
        VelocityRow,
        WinGroup,
        WinRateReport,
    )


# --- pipeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFigure:
    """The open deals of one stage in one currency (currency None: the stage holds none):
    how many, their total and their value x probability (a sum of percentages)."""

    pipeline: str
    stage_id: int
    stage: str
    position: int
    probability: int
    stale_days: int | None
    currency: str | None
    deals: int
    total: int
    weighted: int


def stage_figures(
    session: Session, pipeline_id: int | None = None, segment: ListFilter | None = None
) -> list[StageFigure]:
    """Open deals per stage and currency, of one pipeline or (None) of every pipeline, the
    default one first: the figures of `crm report pipeline` and of `crm pipeline show`."""
    found = scope(session, segment)
    params: dict[str, Any] = {}
    if pipeline_id is not None:
        params["pid"] = pipeline_id
    rows = sql.run(
        session,
        sql.pipeline_figures(sql.kept("d", found.kept_deals()), pipeline_id is not None),
        params,
    )
    return [
        StageFigure(
            r["pipeline"],
            r["stage_id"],
            r["stage"],
            r["position"],
            r["probability"],
            r["stale_days"],
            r["currency"],
            r["deals"],
            int(r["total"] or 0),
            int(r["weighted"] or 0),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class StageSummary:
    """A stage with how many open deals it holds and what they are worth (`crm pipeline
    show`): the pipeline report's figures of one pipeline, by stage."""

    id: int
    name: str
    position: int
    probability: int
    stale_days: int | None
    open_deals: int
    open_values: dict[str, int]

    def as_dict(self) -> StageShown:
        """Describe the stage with stable names (the `--json` output)."""
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "probability": self.probability,
            "stale_days": self.stale_days,
            "open_deals": self.open_deals,
            "open_value": {
                currency: str(to_decimal_text(minor, currency))
                for currency, minor in sorted(self.open_values.items())
            },
            "open_value_minor": dict(sorted(self.open_values.items())),
        }


def stage_summaries(session: Session, pipeline_id: int) -> list[StageSummary]:
    """Return a pipeline's stages with their open deal counts and values, in one query."""
    found: dict[int, StageSummary] = {}
    for f in stage_figures(session, pipeline_id):
        before = found.get(f.stage_id)
        values = dict(before.open_values) if before else {}
        if f.currency is not None:
            values[f.currency] = f.total
        found[f.stage_id] = StageSummary(
            f.stage_id,
            f.stage,
            f.position,
            f.probability,
            f.stale_days,
            (before.open_deals if before else 0) + f.deals,
            values,
        )
    return list(found.values())


def pipeline_report(
    session: Session, pipeline: str | None = None, segment: ListFilter | None = None
) -> PipelineReport:
    """Open deals per stage: count, total and weighted value, per currency.

    Without `pipeline`, every pipeline is reported; the weighted value of a deal is its value
    times its probability (the deal's own, else its stage's).
    """
    pipeline_id = pipeline_row(session, pipeline)[0] if pipeline else None
    out_rows: list[PipelineRow] = []
    totals: dict[str, dict[str, int]] = {}
    for f in stage_figures(session, pipeline_id, segment):
        cur = f.currency
        out_rows.append(
            {
                "pipeline": f.pipeline,
                "stage": f.stage,
                "position": f.position,
                "probability": f.probability,
                "currency": cur,
                "deals": f.deals,
                "total": money(f.total, cur) if cur else None,
                "weighted": money(weighted(f.weighted), cur) if cur else None,
            }
        )
        if cur:
            t = totals.setdefault(cur, {"deals": 0, "total": 0, "weighted": 0})
            t["deals"] += f.deals
            t["total"] += f.total
            t["weighted"] += f.weighted
    return {
        "rows": out_rows,
        "totals": [
            {
                "currency": cur,
                "deals": t["deals"],
                "total": money(t["total"], cur),
                "weighted": money(weighted(t["weighted"]), cur),
            }
            for cur, t in sorted(totals.items())
        ],
    }


# --- forecast -------------------------------------------------------------------------------


def forecast_report(
    session: Session,
    now: datetime,
    months: int = 6,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> ForecastReport:
    """Weighted value of open deals by expected close month, this month and the next ones.

    Periods: 'overdue' (close date before today), one per month ('2026-11'), 'later' (after
    the last month shown) and 'none' (no close date).
    """
    if months < 1:
        raise ValidationError("a forecast covers at least one month")
    tz = tz or local_tz()
    day = today(now, tz)
    first = day.replace(day=1)
    found = scope(session, segment)
    params: dict[str, Any] = {}
    params["today"] = day.isoformat()
    params["end"] = add_months(first, months).isoformat()
    rows = sql.run(session, sql.forecast_figures(sql.kept("d", found.kept_deals())), params)
    periods = ["overdue", *(f"{add_months(first, n):%Y-%m}" for n in range(months))]
    periods += ["later", "none"]
    currencies = sorted({r["currency"] for r in rows})
    found_rows = {(r["period"], r["currency"]): r for r in rows}
    out: list[ForecastRow] = []
    for period in periods:
        for cur in currencies:
            r = found_rows.get((period, cur))
            if r is None and period in ("overdue", "later", "none"):
                continue
            out.append(
                {
                    "period": period,
                    "currency": cur,
                    "deals": r["deals"] if r else 0,
                    "total": money(r["total"] if r else 0, cur),
                    "weighted": money(weighted(r["weighted"]) if r else 0, cur),
                }
            )
    return {"today": day.isoformat(), "months": months, "rows": out}


# --- win rate -------------------------------------------------------------------------------


def win_rate_report(
    session: Session,
    now: datetime,
    since: date | None = None,
    by: str | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> WinRateReport:
    """Won / (won + lost) of deals closed since a day, overall or by lead source or month."""
    tz = tz or local_tz()
    found = scope(session, segment)
    if by not in (None, "source", "month"):
        raise ValidationError(f"cannot group a win rate by {by!r}", hint="use source or month")
    deals = sql.kept("d", found.kept_deals())
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = to_stored(start_of(since, tz))
    months: list[str] = []
    if by == "month":
        first_closed = sql.run(session, sql.first_closed(deals, since is not None), params)[0]["m"]
        start = since or today(now, tz)
        if first_closed is not None:
            closed = datetime.fromisoformat(first_closed).replace(tzinfo=UTC)
            start = min(start, closed.astimezone(tz).date())
        month = start.replace(day=1)
        starts = []
        while month <= today(now, tz):
            starts.append(month)
            month = add_months(month, 1)
        months = month_bounds(starts, tz, params)
    groups: dict[str, WinGroup] = {}
    totals: dict[str, list[int]] = {}  # every group's won and lost value, per currency
    for r in sql.run(session, sql.win_figures(deals, since is not None, by, months), params):
        total = totals.setdefault(r["currency"], [0, 0])
        total[0] += r["won_value"]
        total[1] += r["lost_value"]
        g = groups.setdefault(r["grp"], {"group": r["grp"] or None, "won": 0, "lost": 0})
        g["won"] += r["won"]
        g["lost"] += r["lost"]
        g.setdefault("values", []).append(
            {
                "currency": r["currency"],
                "won": money(r["won_value"], r["currency"]),
                "lost": money(r["lost_value"], r["currency"]),
                "value_win_rate": rate(r["won_value"], r["won_value"] + r["lost_value"]),
            }
        )
    out = []
    for g in groups.values():
        g["win_rate"] = rate(g["won"], g["won"] + g["lost"])
        out.append(g)
    won = sum(g["won"] for g in out)
    lost = sum(g["lost"] for g in out)
    return {
        "since": since.isoformat() if since else None,
        "by": by,
        "rows": out,
        "won": won,
        "lost": lost,
        "win_rate": rate(won, won + lost),
        "values": [
            {
                "currency": currency,
                "won": money(won_value, currency),
                "lost": money(lost_value, currency),
                "value_win_rate": rate(won_value, won_value + lost_value),
            }
            for currency, (won_value, lost_value) in sorted(totals.items())
        ],
    }


# --- velocity -------------------------------------------------------------------------------


def velocity_report(
    session: Session,
    now: datetime,
    since: date | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> VelocityReport:
    """Sales velocity per currency: open deals x average won value x win rate / average
    cycle length in days, a value per day, with its four inputs."""
    tz = tz or local_tz()
    found = scope(session, segment)
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = to_stored(start_of(since, tz))
    statement = sql.velocity_figures(sql.kept("d", found.kept_deals()), since is not None)
    out: list[VelocityRow] = []
    for r in sql.run(session, statement, params):
        won_rate = rate(r["won"], r["won"] + r["lost"])
        average = round(r["average_won"]) if r["average_won"] is not None else None
        cycle = r["cycle"]
        per_day = None
        if average is not None and won_rate is not None and cycle:
            per_day = round(r["open_deals"] * average * (r["won"] / (r["won"] + r["lost"])) / cycle)
        out.append(
            {
                "currency": r["currency"],
                "open_deals": r["open_deals"],
                "average_won": money(average, r["currency"]) if average is not None else None,
                "win_rate": won_rate,
                "cycle_days": days(cycle),
                "velocity_per_day": money(per_day, r["currency"]) if per_day is not None else None,
            }
        )
    return {"since": since.isoformat() if since else None, "rows": out}
