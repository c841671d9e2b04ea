"""Reports: pipeline, forecast, win rate, funnel, cycle time, velocity, stale deals, sources
and customers, each computed by SQL aggregates and returned as JSON-ready dicts.

Money is never added across currencies: every amount is a row of its own currency. Amounts
are integer minor units (`value_minor`) with their decimal text (`value`). See
docs/reports.md for the definition of every figure.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.core.listing import ListFilter
from tinycrm.core.segments import Scope, scope
from tinycrm.domain.dates import local_tz, stored_iso, to_stored
from tinycrm.domain.money import to_decimal_text
from tinycrm.store.reader import connection, pipeline_row

if TYPE_CHECKING:
    from tinycrm.store.reader import Reader

OPEN = "d.status = 'open' AND d.deleted_at IS NULL"
PROBABILITY = "coalesce(d.probability, s.probability)"


def _rows(reader: Reader, sql: str, params: dict[str, Any]) -> list[sqlite3.Row]:
    cursor = connection(reader).cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchall()


def _start_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def _today(now: datetime, tz: tzinfo) -> date:
    return now.astimezone(tz).date()


def _money(minor: int | None, currency: str) -> dict[str, Any]:
    minor = int(minor or 0)
    return {"currency": currency, "value": to_decimal_text(minor, currency), "value_minor": minor}


def _weighted(value_times_percent: int | None) -> int:
    """Turn a sum of value x percent into minor units, rounding half up."""
    return (int(value_times_percent or 0) + 50) // 100


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _days(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def _scope(reader: Reader, segment: ListFilter | None) -> Scope:
    from sqlmodel import Session

    assert isinstance(reader, Session)  # every report reads on a snapshot session
    return scope(reader, segment)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _month_case(column: str, starts: list[date], tz: tzinfo, params: dict[str, Any]) -> str:
    """A SQL CASE that names the local calendar month of a stored UTC time."""
    whens = []
    for n, first in enumerate(starts):
        params[f"m{n}"] = to_stored(_start_of(_add_months(first, 1), tz))
        whens.append(f"WHEN {column} < :m{n} THEN '{first:%Y-%m}'")
    return "CASE " + " ".join(whens) + " ELSE 'later' END"


# --- pipeline -------------------------------------------------------------------------------


def pipeline_report(
    reader: Reader, pipeline: str | None = None, segment: ListFilter | None = None
) -> dict[str, Any]:
    """Open deals per stage: count, total and weighted value, per currency.

    Without `pipeline`, every pipeline is reported; the weighted value of a deal is its value
    times its probability (the deal's own, else its stage's).
    """
    found = _scope(reader, segment)
    params = dict(found.params)
    where = ""
    if pipeline:
        params["pid"] = pipeline_row(reader, pipeline)[0]
        where = "WHERE p.id = :pid"
    rows = _rows(
        reader,
        f"""
        SELECT p.name AS pipeline, s.name AS stage, s.position, s.probability, d.currency,
               count(d.id) AS deals, sum(d.value) AS total,
               sum(coalesce(d.value, 0) * {PROBABILITY}) AS weighted
        FROM stage s
        JOIN pipeline p ON p.id = s.pipeline_id
        LEFT JOIN deal d ON d.stage_id = s.id AND {OPEN} AND {found.deal_where("d")}
        {where}
        GROUP BY s.id, d.currency
        ORDER BY p.is_default DESC, p.id, s.position, d.currency
        """,
        params,
    )
    out_rows = []
    totals: dict[str, dict[str, int]] = {}
    for r in rows:
        cur = r["currency"]
        row: dict[str, Any] = {
            "pipeline": r["pipeline"],
            "stage": r["stage"],
            "position": r["position"],
            "probability": r["probability"],
            "currency": cur,
            "deals": r["deals"],
            "total": _money(r["total"], cur) if cur else None,
            "weighted": _money(_weighted(r["weighted"]), cur) if cur else None,
        }
        out_rows.append(row)
        if cur:
            t = totals.setdefault(cur, {"deals": 0, "total": 0, "weighted": 0})
            t["deals"] += r["deals"]
            t["total"] += int(r["total"] or 0)
            t["weighted"] += int(r["weighted"] or 0)
    return {
        "rows": out_rows,
        "totals": [
            {
                "currency": cur,
                "deals": t["deals"],
                "total": _money(t["total"], cur),
                "weighted": _money(_weighted(t["weighted"]), cur),
            }
            for cur, t in sorted(totals.items())
        ],
    }


# --- forecast -------------------------------------------------------------------------------


def forecast_report(
    reader: Reader,
    now: datetime,
    months: int = 6,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Weighted value of open deals by expected close month, this month and the next ones.

    Periods: 'overdue' (close date before today), one per month ('2026-11'), 'later' (after
    the last month shown) and 'none' (no close date).
    """
    from tinycrm.errors import ValidationError

    if months < 1:
        raise ValidationError("a forecast covers at least one month")
    tz = tz or local_tz()
    today = _today(now, tz)
    first = today.replace(day=1)
    found = _scope(reader, segment)
    params = dict(found.params)
    params["today"] = today.isoformat()
    params["end"] = _add_months(first, months).isoformat()
    rows = _rows(
        reader,
        f"""
        SELECT CASE WHEN d.expected_close IS NULL THEN 'none'
                    WHEN d.expected_close < :today THEN 'overdue'
                    WHEN d.expected_close >= :end THEN 'later'
                    ELSE substr(d.expected_close, 1, 7) END AS period,
               d.currency, count(*) AS deals, sum(d.value) AS total,
               sum(coalesce(d.value, 0) * {PROBABILITY}) AS weighted
        FROM deal d JOIN stage s ON s.id = d.stage_id
        WHERE {OPEN} AND {found.deal_where("d")}
        GROUP BY period, d.currency
        """,
        params,
    )
    periods = ["overdue", *(f"{_add_months(first, n):%Y-%m}" for n in range(months))]
    periods += ["later", "none"]
    currencies = sorted({r["currency"] for r in rows})
    found_rows = {(r["period"], r["currency"]): r for r in rows}
    out = []
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
                    "total": _money(r["total"] if r else 0, cur),
                    "weighted": _money(_weighted(r["weighted"]) if r else 0, cur),
                }
            )
    return {"today": today.isoformat(), "months": months, "rows": out}


# --- win rate -------------------------------------------------------------------------------


def win_rate_report(
    reader: Reader,
    now: datetime,
    since: date | None = None,
    by: str | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Won / (won + lost) of deals closed since a day, overall or by lead source or month."""
    from tinycrm.errors import ValidationError

    tz = tz or local_tz()
    found = _scope(reader, segment)
    params = dict(found.params)
    conditions = ["d.status IN ('won', 'lost')", "d.deleted_at IS NULL", found.deal_where("d")]
    if since is not None:
        params["since"] = to_stored(_start_of(since, tz))
        conditions.append("d.closed_at >= :since")
    where = " AND ".join(conditions)
    if by is None:
        group = "''"
    elif by == "source":
        group = "coalesce(c.source, '')"
    elif by == "month":
        first_closed = _rows(
            reader,
            f"SELECT min(d.closed_at) AS m FROM deal d WHERE {where}",
            params,
        )[0]["m"]
        start = since or _today(now, tz)
        if first_closed is not None:
            closed = datetime.fromisoformat(first_closed).replace(tzinfo=UTC)
            start = min(start, closed.astimezone(tz).date())
        month = start.replace(day=1)
        starts = []
        while month <= _today(now, tz):
            starts.append(month)
            month = _add_months(month, 1)
        group = _month_case("d.closed_at", starts, tz, params)
    else:
        raise ValidationError(f"cannot group a win rate by {by!r}", hint="use source or month")
    rows = _rows(
        reader,
        f"""
        SELECT {group} AS grp, d.currency,
               count(*) FILTER (WHERE d.status = 'won') AS won,
               count(*) FILTER (WHERE d.status = 'lost') AS lost,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'won'), 0) AS won_value,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'lost'), 0) AS lost_value
        FROM deal d LEFT JOIN contact c ON c.id = d.contact_id
        WHERE {where}
        GROUP BY grp, d.currency
        ORDER BY grp, d.currency
        """,
        params,
    )
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault(r["grp"], {"group": r["grp"] or None, "won": 0, "lost": 0})
        g["won"] += r["won"]
        g["lost"] += r["lost"]
        g.setdefault("values", []).append(
            {
                "currency": r["currency"],
                "won": _money(r["won_value"], r["currency"]),
                "lost": _money(r["lost_value"], r["currency"]),
                "value_win_rate": _rate(r["won_value"], r["won_value"] + r["lost_value"]),
            }
        )
    out = []
    for g in groups.values():
        g["win_rate"] = _rate(g["won"], g["won"] + g["lost"])
        out.append(g)
    won = sum(g["won"] for g in out)
    lost = sum(g["lost"] for g in out)
    return {
        "since": since.isoformat() if since else None,
        "by": by,
        "rows": out,
        "won": won,
        "lost": lost,
        "win_rate": _rate(won, won + lost),
    }


# --- funnel ---------------------------------------------------------------------------------


def funnel_report(
    reader: Reader, pipeline: str | None = None, segment: ListFilter | None = None
) -> dict[str, Any]:
    """How many deals of a pipeline reached each stage, and the conversion to the next.

    A deal reached a stage if it ever entered that stage or a later one (by position), by its
    stage changes or its current stage; a won deal reached every stage, and 'won'.
    """
    pipe_id, pipe_name = pipeline_row(reader, pipeline)
    found = _scope(reader, segment)
    params = dict(found.params)
    params["pid"] = pipe_id
    rows = _rows(
        reader,
        f"""
        WITH reach AS (
            SELECT d.id, d.status, d.stage_id,
                   CASE WHEN d.status = 'won' THEN 1e9
                        ELSE max(cur.position, coalesce(max(s2.position), 0)) END AS top
            FROM deal d
            JOIN stage cur ON cur.id = d.stage_id
            LEFT JOIN stage_change sc ON sc.deal_id = d.id
            LEFT JOIN stage s2 ON s2.id = sc.to_stage_id AND s2.pipeline_id = d.pipeline_id
            WHERE d.pipeline_id = :pid AND d.deleted_at IS NULL AND {found.deal_where("d")}
            GROUP BY d.id
        )
        SELECT s.name AS stage, s.position,
               (SELECT count(*) FROM reach WHERE reach.top >= s.position) AS reached,
               (SELECT count(*) FROM reach WHERE reach.stage_id = s.id
                                             AND reach.status = 'lost') AS lost_here,
               (SELECT count(*) FROM reach WHERE reach.status = 'won') AS won
        FROM stage s WHERE s.pipeline_id = :pid ORDER BY s.position
        """,
        params,
    )
    out = []
    won = rows[0]["won"] if rows else 0
    for n, r in enumerate(rows):
        following = rows[n + 1]["reached"] if n + 1 < len(rows) else won
        out.append(
            {
                "stage": r["stage"],
                "position": r["position"],
                "reached": r["reached"],
                "lost_here": r["lost_here"],
                "next": rows[n + 1]["stage"] if n + 1 < len(rows) else "won",
                "conversion": _rate(following, r["reached"]),
            }
        )
    first = rows[0]["reached"] if rows else 0
    return {
        "pipeline": pipe_name,
        "stages": out,
        "won": won,
        "overall": _rate(won, first),
    }


# --- cycle time -----------------------------------------------------------------------------


def cycle_report(
    reader: Reader, pipeline: str | None = None, segment: ListFilter | None = None
) -> dict[str, Any]:
    """Average and median days deals spent in each stage, and from creation to won.

    A stay in a stage starts at a stage change into it and ends at the deal's next stage
    change, or when the deal was won or lost; stays still going on are not counted.
    """
    pipe_id, pipe_name = pipeline_row(reader, pipeline)
    found = _scope(reader, segment)
    params = dict(found.params)
    params["pid"] = pipe_id
    deal_filter = f"d.pipeline_id = :pid AND d.deleted_at IS NULL AND {found.deal_where('d')}"
    rows = _rows(
        reader,
        f"""
        WITH stays AS (
            SELECT sc.deal_id, sc.to_stage_id AS stage_id, sc.at AS entered,
                   lead(sc.at) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS left_at
            FROM stage_change sc JOIN deal d ON d.id = sc.deal_id
            WHERE {deal_filter}
        ), done AS (
            SELECT stays.stage_id,
                   julianday(coalesce(stays.left_at,
                                      CASE WHEN d.status != 'open' THEN d.closed_at END))
                   - julianday(stays.entered) AS days
            FROM stays JOIN deal d ON d.id = stays.deal_id
            WHERE coalesce(stays.left_at, CASE WHEN d.status != 'open' THEN d.closed_at END)
                  IS NOT NULL
        ), ranked AS (
            SELECT stage_id, days,
                   row_number() OVER (PARTITION BY stage_id ORDER BY days) AS rn,
                   count(*) OVER (PARTITION BY stage_id) AS n
            FROM done
        ), figures AS (
            SELECT stage_id, count(*) AS stays, avg(days) AS average,
                   avg(days) FILTER (WHERE rn IN ((n + 1) / 2, (n + 2) / 2)) AS median
            FROM ranked GROUP BY stage_id
        )
        SELECT s.name AS stage, s.position, coalesce(f.stays, 0) AS stays, f.average, f.median
        FROM stage s LEFT JOIN figures f ON f.stage_id = s.id
        WHERE s.pipeline_id = :pid ORDER BY s.position
        """,
        params,
    )
    won = _rows(
        reader,
        f"""
        WITH spans AS (
            SELECT julianday(d.closed_at) - julianday(d.created_at) AS days FROM deal d
            WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND {deal_filter}
        ), ranked AS (
            SELECT days, row_number() OVER (ORDER BY days) AS rn, count(*) OVER () AS n
            FROM spans
        )
        SELECT count(*) AS deals, avg(days) AS average,
               avg(days) FILTER (WHERE rn IN ((n + 1) / 2, (n + 2) / 2)) AS median
        FROM ranked
        """,
        params,
    )[0]
    return {
        "pipeline": pipe_name,
        "stages": [
            {
                "stage": r["stage"],
                "position": r["position"],
                "stays": r["stays"],
                "average_days": _days(r["average"]),
                "median_days": _days(r["median"]),
            }
            for r in rows
        ],
        "to_won": {
            "deals": won["deals"],
            "average_days": _days(won["average"]),
            "median_days": _days(won["median"]),
        },
    }


# --- velocity -------------------------------------------------------------------------------


def velocity_report(
    reader: Reader,
    now: datetime,
    since: date | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Sales velocity per currency: open deals x average won value x win rate / average
    cycle length in days, a value per day, with its four inputs."""
    tz = tz or local_tz()
    found = _scope(reader, segment)
    params = dict(found.params)
    closed_since = ""
    if since is not None:
        params["since"] = to_stored(_start_of(since, tz))
        closed_since = "AND d.closed_at >= :since"
    rows = _rows(
        reader,
        f"""
        SELECT d.currency,
               count(*) FILTER (WHERE d.status = 'open') AS open_deals,
               count(*) FILTER (WHERE d.status = 'won' {closed_since}) AS won,
               count(*) FILTER (WHERE d.status = 'lost' {closed_since}) AS lost,
               avg(d.value) FILTER (WHERE d.status = 'won' {closed_since}) AS average_won,
               avg(julianday(d.closed_at) - julianday(d.created_at))
                   FILTER (WHERE d.status = 'won' {closed_since}) AS cycle
        FROM deal d
        WHERE d.deleted_at IS NULL AND {found.deal_where("d")}
        GROUP BY d.currency ORDER BY d.currency
        """,
        params,
    )
    out = []
    for r in rows:
        rate = _rate(r["won"], r["won"] + r["lost"])
        average = round(r["average_won"]) if r["average_won"] is not None else None
        cycle = r["cycle"]
        per_day = None
        if average is not None and rate is not None and cycle:
            per_day = round(r["open_deals"] * average * (r["won"] / (r["won"] + r["lost"])) / cycle)
        out.append(
            {
                "currency": r["currency"],
                "open_deals": r["open_deals"],
                "average_won": _money(average, r["currency"]) if average is not None else None,
                "win_rate": rate,
                "cycle_days": _days(cycle),
                "velocity_per_day": _money(per_day, r["currency"]) if per_day is not None else None,
            }
        )
    return {"since": since.isoformat() if since else None, "rows": out}


# --- stale deals and contacts gone dark -----------------------------------------------------


def stale_report(
    reader: Reader, now: datetime, days: int = 30, segment: ListFilter | None = None
) -> dict[str, Any]:
    """Open deals idle past their stage's stale_days, and contacts with open deals and no
    interaction for `days` days (gone dark)."""
    from tinycrm.errors import ValidationError

    if days < 1:
        raise ValidationError("--days is at least 1")
    found = _scope(reader, segment)
    params = dict(found.params)
    params["now"] = to_stored(now)
    params["cutoff"] = to_stored(now - timedelta(days=days))
    deals = _rows(
        reader,
        f"""
        WITH activity AS (
            SELECT d.id, d.title, d.value, d.currency, s.name AS stage, s.stale_days,
                   c.id AS contact_id, c.name AS contact,
                   max(d.stage_entered_at,
                       coalesce((SELECT max(sc.at) FROM stage_change sc
                                 WHERE sc.deal_id = d.id), ''),
                       coalesce((SELECT max(i.occurred_at) FROM interaction i
                                 WHERE i.deal_id = d.id AND i.deleted_at IS NULL), ''),
                       coalesce((SELECT max(i.occurred_at) FROM interaction i
                                 WHERE i.contact_id = d.contact_id
                                   AND i.deleted_at IS NULL), '')) AS last_activity
            FROM deal d
            JOIN stage s ON s.id = d.stage_id
            LEFT JOIN contact c ON c.id = d.contact_id
            WHERE {OPEN} AND s.stale_days IS NOT NULL AND {found.deal_where("d")}
        )
        SELECT *, julianday(:now) - julianday(last_activity) AS idle
        FROM activity
        WHERE julianday(:now) - julianday(last_activity) > stale_days
        ORDER BY idle DESC, id
        """,
        params,
    )
    dark = _rows(
        reader,
        f"""
        WITH people AS (
            SELECT c.id, c.name, count(d.id) AS open_deals,
                   (SELECT max(i.occurred_at) FROM interaction i
                    WHERE i.contact_id = c.id AND i.deleted_at IS NULL) AS last_interaction
            FROM contact c JOIN deal d ON d.contact_id = c.id AND {OPEN}
            WHERE c.deleted_at IS NULL AND {found.contact_where("c")}
              AND {found.deal_where("d")}
            GROUP BY c.id
        )
        SELECT *, julianday(:now) - julianday(last_interaction) AS silent
        FROM people
        WHERE last_interaction IS NULL OR last_interaction < :cutoff
        ORDER BY last_interaction IS NOT NULL, last_interaction, id
        """,
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
                "value": _money(r["value"], r["currency"]) if r["value"] is not None else None,
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


# --- lead sources ---------------------------------------------------------------------------


def sources_report(reader: Reader, segment: ListFilter | None = None) -> dict[str, Any]:
    """Per lead source (the contact's): contacts, deals, won and lost, win rate, won value."""
    found = _scope(reader, segment)
    params = dict(found.params)
    leads = _rows(
        reader,
        f"""
        SELECT coalesce(c.source, '') AS source, count(*) AS leads FROM contact c
        WHERE c.deleted_at IS NULL AND {found.contact_where("c")}
        GROUP BY c.source
        """,
        params,
    )
    deals = _rows(
        reader,
        f"""
        SELECT coalesce(c.source, '') AS source, d.currency, count(*) AS deals,
               count(*) FILTER (WHERE d.status = 'won') AS won,
               count(*) FILTER (WHERE d.status = 'lost') AS lost,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'won'), 0) AS won_value
        FROM deal d LEFT JOIN contact c ON c.id = d.contact_id
        WHERE d.deleted_at IS NULL AND {found.deal_where("d")}
        GROUP BY c.source, d.currency
        """,
        params,
    )
    by_source: dict[str, dict[str, Any]] = {}

    def entry(source: str) -> dict[str, Any]:
        return by_source.setdefault(
            source,
            {"source": source or None, "leads": 0, "deals": 0, "won": 0, "lost": 0,
             "won_value": []},
        )  # fmt: skip

    for r in leads:
        entry(r["source"])["leads"] = r["leads"]
    for r in deals:
        e = entry(r["source"])
        e["deals"] += r["deals"]
        e["won"] += r["won"]
        e["lost"] += r["lost"]
        if r["won_value"]:
            e["won_value"].append(_money(r["won_value"], r["currency"]))
    out = sorted(by_source.values(), key=lambda e: (-e["leads"], -e["deals"], e["source"] or "~"))
    for e in out:
        e["win_rate"] = _rate(e["won"], e["won"] + e["lost"])
    return {"rows": out}


# --- customers ------------------------------------------------------------------------------


def customers_report(
    reader: Reader,
    now: datetime,
    since: date | None = None,
    limit: int = 10,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Customers, their lifetime value (won deals, by currency), and churn since a day.

    Churn = customers at the start who became former customers in the period / customers at
    the start. A contact's lifecycle at a moment is read from the history: the 'before' of
    its first lifecycle change after that moment, else its current lifecycle.
    """
    tz = tz or local_tz()
    since = since or (_today(now, tz) - timedelta(days=30))
    found = _scope(reader, segment)
    params = dict(found.params)
    params["start"] = to_stored(_start_of(since, tz))
    params["limit"] = limit
    people = f"c.deleted_at IS NULL AND {found.contact_where('c')}"
    customers = _rows(
        reader,
        f"SELECT count(*) AS n FROM contact c WHERE c.lifecycle = 'customer' AND {people}",
        params,
    )[0]["n"]
    won = f"""
        FROM deal d JOIN contact c ON c.id = d.contact_id
        WHERE d.status = 'won' AND d.deleted_at IS NULL AND c.lifecycle = 'customer'
          AND {people}
    """
    value = _rows(
        reader,
        f"""SELECT d.currency, count(DISTINCT d.contact_id) AS customers,
                   sum(coalesce(d.value, 0)) AS total {won}
            GROUP BY d.currency ORDER BY d.currency""",
        params,
    )
    top = _rows(
        reader,
        f"""SELECT c.id, c.name, d.currency, sum(coalesce(d.value, 0)) AS total,
                   count(*) AS deals {won}
            GROUP BY c.id, d.currency ORDER BY total DESC, c.id LIMIT :limit""",
        params,
    )
    churn = _rows(
        reader,
        f"""
        WITH changes AS (
            SELECT CAST(e.entity_id AS INTEGER) AS contact_id, e.id, e.at,
                   json_extract(e.before, '$.lifecycle') AS old,
                   json_extract(e.after, '$.lifecycle') AS new
            FROM event e
            WHERE e.entity = 'contact' AND e.action = 'update' AND e.at >= :start
              AND e.undone_at IS NULL AND json_extract(e.after, '$.lifecycle') IS NOT NULL
        ), firsts AS MATERIALIZED (
            SELECT contact_id, old, churned FROM (
                SELECT contact_id,
                       first_value(old) OVER (PARTITION BY contact_id ORDER BY at, id) AS old,
                       max(new = 'former customer') OVER (PARTITION BY contact_id) AS churned,
                       row_number() OVER (PARTITION BY contact_id ORDER BY at, id) AS rn
                FROM changes
            ) WHERE rn = 1
        ), changed AS (
            SELECT f.churned FROM firsts f JOIN contact c ON c.id = f.contact_id
            WHERE f.old = 'customer' AND c.created_at < :start AND {people}
        )
        SELECT (SELECT count(*) FROM contact c
                WHERE c.lifecycle = 'customer' AND c.created_at < :start AND {people}
                  AND c.id NOT IN (SELECT contact_id FROM firsts))
               + (SELECT count(*) FROM changed) AS customers,
               (SELECT count(*) FROM changed WHERE churned) AS churned
        """,
        params,
    )[0]
    return {
        "customers": customers,
        "lifetime_value": [
            {
                **_money(r["total"], r["currency"]),
                "customers_with_won_deals": r["customers"],
                "average_per_customer": _money(round(r["total"] / customers), r["currency"])
                if customers
                else None,
            }
            for r in value
        ],
        "top": [
            {
                "id": r["id"],
                "name": r["name"],
                "deals": r["deals"],
                "lifetime_value": _money(r["total"], r["currency"]),
            }
            for r in top
        ],
        "churn": {
            "since": since.isoformat(),
            "customers_at_start": churn["customers"],
            "churned": churn["churned"],
            "rate": _rate(churn["churned"], churn["customers"]),
        },
    }
