"""The reports' statements: tuned aggregates that read best as SQL, kept portable (what
differs between engines comes from the dialect module).

Each function returns a `text()` statement; a segment's conditions arrive as SQL text on the
aliases the statement names (`d` for deals, `c` for contacts), made by `kept` from the
segment's own Core statement of the ids it keeps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from tinycrm.domain.values import CLOSED
from tinycrm.store.dialect import days_between_text, greatest_text, inline, json_field_text

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.engine import RowMapping
    from sqlalchemy.sql.elements import TextClause
    from sqlmodel import Session


def live_text(alias: str) -> str:
    """SQL text for the rows of `alias` that are not in the trash (`query.live` in Core)."""
    return f"{alias}.deleted_at IS NULL"


def kept(alias: str, ids: Select[Any] | None) -> str:
    """SQL text keeping the rows of `alias` whose id `ids` selects ('1', all, for None): a
    segment's Core statement, with its values written in, inside a report's text."""
    return "1" if ids is None else f"{alias}.id IN ({inline(ids)})"


OPEN = f"d.status = 'open' AND {live_text('d')}"
PROBABILITY = "coalesce(d.probability, s.probability)"
# What an open deal is worth in its first year, as the pipeline and the forecast count it: a
# monthly value twelve times, a yearly or one-off value once.
FIRST_YEAR = "d.value * CASE WHEN d.recurring = 'monthly' THEN 12 ELSE 1 END"
_CLOSED = ", ".join(f"'{status}'" for status in CLOSED)
_MEDIAN = "avg(days) FILTER (WHERE rn IN ((n + 1) / 2, (n + 2) / 2))"


def run(session: Session, statement: TextClause, params: dict[str, Any]) -> list[RowMapping]:
    """Run a report's statement in the session's transaction; rows are read by name."""
    return list(session.connection().execute(statement, params).mappings())


def pipeline_figures(deals: str, one_pipeline: bool) -> TextClause:
    """Open deals per stage and currency: count, total and value x probability, a deal's
    value its first year's (:pid names the pipeline when `one_pipeline`)."""
    where = "WHERE p.id = :pid" if one_pipeline else ""
    return text(f"""
        SELECT p.name AS pipeline, s.id AS stage_id, s.name AS stage, s.position,
               s.probability, s.stale_days, d.currency,
               count(d.id) AS deals, sum({FIRST_YEAR}) AS total,
               sum(coalesce({FIRST_YEAR}, 0) * {PROBABILITY}) AS weighted
        FROM stage s
        JOIN pipeline p ON p.id = s.pipeline_id
        LEFT JOIN deal d ON d.stage_id = s.id AND {OPEN} AND {deals}
        {where}
        GROUP BY s.id, d.currency
        ORDER BY p.is_default DESC, p.id, s.position, d.currency
        """)


def forecast_figures(deals: str) -> TextClause:
    """Open deals per expected close month (:today, :end) and currency, a deal's value its
    first year's."""
    return text(f"""
        SELECT CASE WHEN d.expected_close IS NULL THEN 'none'
                    WHEN d.expected_close < :today THEN 'overdue'
                    WHEN d.expected_close >= :end THEN 'later'
                    ELSE substr(d.expected_close, 1, 7) END AS period,
               d.currency, count(*) AS deals, sum({FIRST_YEAR}) AS total,
               sum(coalesce({FIRST_YEAR}, 0) * {PROBABILITY}) AS weighted
        FROM deal d JOIN stage s ON s.id = d.stage_id
        WHERE {OPEN} AND {deals}
        GROUP BY period, d.currency
        """)


def _closed(deals: str, since: bool) -> str:
    """The closed deals kept by a segment's conditions, closed from :since on if `since`."""
    closed = f"d.status IN ({_CLOSED}) AND {live_text('d')} AND {deals}"
    return f"{closed} AND d.closed_at >= :since" if since else closed


def first_closed(deals: str, since: bool) -> TextClause:
    """When the first of the closed deals closed (column m)."""
    return text(f"SELECT min(d.closed_at) AS m FROM deal d WHERE {_closed(deals, since)}")


def _month_case(column: str, months: list[str]) -> str:
    """SQL text naming the month of a stored time: the first of `months` that it is before
    the end of (:m0, :m1 …), else 'later'."""
    whens = " ".join(f"WHEN {column} < :m{n} THEN '{name}'" for n, name in enumerate(months))
    return f"CASE {whens} ELSE 'later' END"


def win_figures(deals: str, since: bool, by: str | None, months: list[str]) -> TextClause:
    """Won and lost deals and values per currency and group: the lead source (`by`
    'source'), the month they closed in (`by` 'month', one of `months`), or none ('')."""
    if by == "source":
        group = "coalesce(c.source, '')"
    elif by == "month":
        group = _month_case("d.closed_at", months)
    else:
        group = "''"
    where = _closed(deals, since)
    return text(f"""
        SELECT {group} AS grp, d.currency,
               count(*) FILTER (WHERE d.status = 'won') AS won,
               count(*) FILTER (WHERE d.status = 'lost') AS lost,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'won'), 0) AS won_value,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'lost'), 0) AS lost_value
        FROM deal d LEFT JOIN contact c ON c.id = d.contact_id
        WHERE {where}
        GROUP BY grp, d.currency
        ORDER BY grp, d.currency
        """)


def _week_case(column: str, weeks: int) -> str:
    """SQL text numbering the week a stored time falls in: 0 from :w0 to :w1, 1 from :w1 to
    :w2 … (the statement keeps only the times from :w0 to :w`weeks`, see `_in_weeks`)."""
    whens = " ".join(f"WHEN {column} < :w{n + 1} THEN {n}" for n in range(weeks))
    return f"CASE {whens} END"


def _in_weeks(column: str, weeks: int) -> str:
    return f"{column} >= :w0 AND {column} < :w{weeks}"


def interaction_weeks(people: str, deals: str, weeks: int) -> TextClause:
    """Interactions per week (bounds :w0 … :w`weeks`) and kind; an interaction is kept when
    its contact (`people`, on c) or its deal (`deals`, on d) is."""
    return text(f"""
        SELECT {_week_case("i.occurred_at", weeks)} AS week, i.kind AS figure, count(*) AS n
        FROM interaction i
        LEFT JOIN contact c ON c.id = i.contact_id
        LEFT JOIN deal d ON d.id = i.deal_id
        WHERE {live_text("i")} AND {_in_weeks("i.occurred_at", weeks)}
          AND ({people} OR {deals})
        GROUP BY week, i.kind
        """)


def deal_weeks(deals: str, weeks: int) -> TextClause:
    """Per week (bounds :w0 … :w`weeks`): deals created, moved from one stage to another
    (a stage change that is not a creation), won and lost (figures created, moved, won and
    lost)."""
    kept = f"{live_text('d')} AND {deals}"
    moved = "sc.from_stage_id IS NOT NULL AND sc.from_stage_id <> sc.to_stage_id"
    return text(f"""
        SELECT week, figure, count(*) AS n FROM (
            SELECT {_week_case("d.created_at", weeks)} AS week, 'created' AS figure
            FROM deal d WHERE {kept} AND {_in_weeks("d.created_at", weeks)}
            UNION ALL
            SELECT {_week_case("sc.at", weeks)}, 'moved'
            FROM stage_change sc JOIN deal d ON d.id = sc.deal_id
            WHERE {moved} AND {kept} AND {_in_weeks("sc.at", weeks)}
            UNION ALL
            SELECT {_week_case("d.closed_at", weeks)}, d.status
            FROM deal d
            WHERE d.status IN ({_CLOSED}) AND {kept} AND {_in_weeks("d.closed_at", weeks)}
        ) AS happened
        GROUP BY week, figure
        """)


def follow_up_weeks(people: str, deals: str, weeks: int) -> TextClause:
    """Per week: follow-ups done (completed from :w0 … :w`weeks`), and overdue at the week's
    end (:e0, :e1 …: created before it, due before it, and neither done nor cancelled by
    then; a cancelled one by its last change). Follow-ups of a record in the trash are left
    out; one is kept when its contact (`people`, on c) or its deal (`deals`, on d) is."""
    ends = ", ".join(f"({n}, :e{n})" for n in range(weeks))
    kept = f"""{live_text("f")} AND (c.id IS NULL OR {live_text("c")})
          AND (d.id IS NULL OR {live_text("d")}) AND ({people} OR {deals})"""
    parents = "LEFT JOIN contact c ON c.id = f.contact_id LEFT JOIN deal d ON d.id = f.deal_id"
    still_open = """(f.status = 'open'
                OR (f.status = 'done' AND f.completed_at >= w.ends)
                OR (f.status = 'cancelled' AND f.updated_at >= w.ends))"""
    return text(f"""
        WITH weeks (week, ends) AS (VALUES {ends})
        SELECT {_week_case("f.completed_at", weeks)} AS week, 'done' AS figure, count(*) AS n
        FROM follow_up f {parents}
        WHERE f.status = 'done' AND {kept} AND {_in_weeks("f.completed_at", weeks)}
        GROUP BY 1
        UNION ALL
        SELECT w.week, 'overdue', count(*)
        FROM weeks w JOIN follow_up f
          ON f.created_at < w.ends AND coalesce(f.snoozed_until, f.due_at) < w.ends
             AND {still_open}
        {parents}
        WHERE {kept}
        GROUP BY w.week
        """)


def lost_figures(deals: str, since: bool, one_pipeline: bool) -> TextClause:
    """Lost deals (closed from :since on if `since`) per stage, reason and currency: how many
    and their total; every stage has a row (of pipeline :pid when `one_pipeline`), with no
    currency when no deal was lost in it."""
    closed = "AND d.closed_at >= :since" if since else ""
    where = "WHERE p.id = :pid" if one_pipeline else ""
    return text(f"""
        SELECT p.name AS pipeline, s.id AS stage_id, s.name AS stage, s.position,
               d.lost_reason AS reason, d.currency,
               count(d.id) AS deals, coalesce(sum(coalesce(d.value, 0)), 0) AS total
        FROM stage s
        JOIN pipeline p ON p.id = s.pipeline_id
        LEFT JOIN deal d ON d.stage_id = s.id AND d.status = 'lost' AND {live_text("d")}
                        AND {deals} {closed}
        {where}
        GROUP BY s.id, d.lost_reason, d.currency
        ORDER BY p.is_default DESC, p.id, s.position, d.lost_reason, d.currency
        """)


def funnel_figures(deals: str) -> TextClause:
    """Per stage of pipeline :pid: the deals that reached it, were lost in it, and won."""
    return text(f"""
        WITH reach AS (
            SELECT d.id, d.status, d.stage_id,
                   CASE WHEN d.status = 'won' THEN 1e9
                        ELSE {greatest_text("cur.position", "coalesce(max(s2.position), 0)")}
                   END AS top
            FROM deal d
            JOIN stage cur ON cur.id = d.stage_id
            LEFT JOIN stage_change sc ON sc.deal_id = d.id
            LEFT JOIN stage s2 ON s2.id = sc.to_stage_id AND s2.pipeline_id = d.pipeline_id
            WHERE d.pipeline_id = :pid AND {live_text("d")} AND {deals}
            GROUP BY d.id
        )
        SELECT s.name AS stage, s.position,
               (SELECT count(*) FROM reach WHERE reach.top >= s.position) AS reached,
               (SELECT count(*) FROM reach WHERE reach.stage_id = s.id
                                             AND reach.status = 'lost') AS lost_here,
               (SELECT count(*) FROM reach WHERE reach.status = 'won') AS won
        FROM stage s WHERE s.pipeline_id = :pid ORDER BY s.position
        """)


def _of_pipeline(deals: str) -> str:
    return f"d.pipeline_id = :pid AND {live_text('d')} AND {deals}"


def stay_figures(deals: str) -> TextClause:
    """Per stage of pipeline :pid: the finished stays in it, their average and median days."""
    deal_filter = _of_pipeline(deals)
    ended = "coalesce(stays.left_at, CASE WHEN d.status != 'open' THEN d.closed_at END)"
    return text(f"""
        WITH stays AS (
            SELECT sc.deal_id, sc.to_stage_id AS stage_id, sc.at AS entered,
                   lead(sc.at) OVER (PARTITION BY sc.deal_id ORDER BY sc.at, sc.id) AS left_at
            FROM stage_change sc JOIN deal d ON d.id = sc.deal_id
            WHERE {deal_filter}
        ), done AS (
            SELECT stays.stage_id, {days_between_text(ended, "stays.entered")} AS days
            FROM stays JOIN deal d ON d.id = stays.deal_id
            WHERE {ended} IS NOT NULL
        ), ranked AS (
            SELECT stage_id, days,
                   row_number() OVER (PARTITION BY stage_id ORDER BY days) AS rn,
                   count(*) OVER (PARTITION BY stage_id) AS n
            FROM done
        ), figures AS (
            SELECT stage_id, count(*) AS stays, avg(days) AS average, {_MEDIAN} AS median
            FROM ranked GROUP BY stage_id
        )
        SELECT s.name AS stage, s.position, coalesce(f.stays, 0) AS stays, f.average, f.median
        FROM stage s LEFT JOIN figures f ON f.stage_id = s.id
        WHERE s.pipeline_id = :pid ORDER BY s.position
        """)


def won_span_figures(deals: str) -> TextClause:
    """The won deals of pipeline :pid, their days from creation to won: count, average and
    median."""
    deal_filter = _of_pipeline(deals)
    return text(f"""
        WITH spans AS (
            SELECT {days_between_text("d.closed_at", "d.created_at")} AS days FROM deal d
            WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND {deal_filter}
        ), ranked AS (
            SELECT days, row_number() OVER (ORDER BY days) AS rn, count(*) OVER () AS n
            FROM spans
        )
        SELECT count(*) AS deals, avg(days) AS average, {_MEDIAN} AS median
        FROM ranked
        """)


def velocity_figures(deals: str, since: bool) -> TextClause:
    """Per currency: open deals, won and lost (closed from :since on if `since`), average won
    value and cycle."""
    closed_since = "AND d.closed_at >= :since" if since else ""
    won = f"d.status = 'won' {closed_since}"
    return text(f"""
        SELECT d.currency,
               count(*) FILTER (WHERE d.status = 'open') AS open_deals,
               count(*) FILTER (WHERE {won}) AS won,
               count(*) FILTER (WHERE d.status = 'lost' {closed_since}) AS lost,
               avg(d.value) FILTER (WHERE {won}) AS average_won,
               avg({days_between_text("d.closed_at", "d.created_at")}) FILTER (WHERE {won}) AS cycle
        FROM deal d
        WHERE {live_text("d")} AND {deals}
        GROUP BY d.currency ORDER BY d.currency
        """)


def stale_deals(deals: str) -> TextClause:
    """Open deals idle (no stage change or interaction) past their stage's stale_days by
    :now, the longest idle first."""
    last_activity = greatest_text(
        "d.stage_entered_at",
        "coalesce((SELECT max(sc.at) FROM stage_change sc WHERE sc.deal_id = d.id), '')",
        "coalesce((SELECT max(i.occurred_at) FROM interaction i"
        f" WHERE i.deal_id = d.id AND {live_text('i')}), '')",
        "coalesce((SELECT max(i.occurred_at) FROM interaction i"
        f" WHERE i.contact_id = d.contact_id AND {live_text('i')}), '')",
    )
    idle = days_between_text(":now", "last_activity")
    return text(f"""
        WITH activity AS (
            SELECT d.id, d.title, d.value, d.currency, s.name AS stage, s.stale_days,
                   c.id AS contact_id, c.name AS contact, {last_activity} AS last_activity
            FROM deal d
            JOIN stage s ON s.id = d.stage_id
            LEFT JOIN contact c ON c.id = d.contact_id
            WHERE {OPEN} AND s.stale_days IS NOT NULL AND {deals}
        )
        SELECT *, {idle} AS idle
        FROM activity
        WHERE {idle} > stale_days
        ORDER BY idle DESC, id
        """)


def dark_contacts(people: str, deals: str) -> TextClause:
    """Contacts with open deals and no interaction since :cutoff, the longest silent first."""
    return text(f"""
        WITH people AS (
            SELECT c.id, c.name, count(d.id) AS open_deals,
                   (SELECT max(i.occurred_at) FROM interaction i
                    WHERE i.contact_id = c.id AND {live_text("i")}) AS last_interaction
            FROM contact c JOIN deal d ON d.contact_id = c.id AND {OPEN}
            WHERE {live_text("c")} AND {people}
              AND {deals}
            GROUP BY c.id
        )
        SELECT *, {days_between_text(":now", "last_interaction")} AS silent
        FROM people
        WHERE last_interaction IS NULL OR last_interaction < :cutoff
        ORDER BY last_interaction IS NOT NULL, last_interaction, id
        """)


def source_leads(people: str) -> TextClause:
    """Contacts per lead source."""
    return text(f"""
        SELECT coalesce(c.source, '') AS source, count(*) AS leads FROM contact c
        WHERE {live_text("c")} AND {people}
        GROUP BY c.source
        """)


def source_deals(deals: str) -> TextClause:
    """Deals, won, lost and won value per lead source and currency."""
    return text(f"""
        SELECT coalesce(c.source, '') AS source, d.currency, count(*) AS deals,
               count(*) FILTER (WHERE d.status = 'won') AS won,
               count(*) FILTER (WHERE d.status = 'lost') AS lost,
               coalesce(sum(d.value) FILTER (WHERE d.status = 'won'), 0) AS won_value
        FROM deal d LEFT JOIN contact c ON c.id = d.contact_id
        WHERE {live_text("d")} AND {deals}
        GROUP BY c.source, d.currency
        """)


def source_new_customers(people: str, since: bool) -> TextClause:
    """New customers per lead source: contacts whose first won deal closed by :now (and from
    :start on if `since`)."""
    start = "AND f.first_won >= :start" if since else ""
    return text(f"""
        WITH firsts AS (
            SELECT d.contact_id, min(d.closed_at) AS first_won FROM deal d
            WHERE d.status = 'won' AND {live_text("d")} AND d.contact_id IS NOT NULL
            GROUP BY d.contact_id
        )
        SELECT coalesce(c.source, '') AS source, count(*) AS customers
        FROM firsts f JOIN contact c ON c.id = f.contact_id
        WHERE {live_text("c")} AND {people} AND f.first_won <= :now {start}
        GROUP BY c.source
        """)


def source_spend(since: bool) -> TextClause:
    """Spend per (folded) source and currency, of the months up to :month (and from
    :first_month on if `since`)."""
    start = "AND s.month >= :first_month" if since else ""
    return text(f"""
        SELECT s.source_key AS source, s.currency, sum(s.amount) AS total FROM spend s
        WHERE {live_text("s")} AND s.month <= :month {start}
        GROUP BY s.source_key, s.currency
        """)


def source_customers(people: str) -> TextClause:
    """Customers (lifecycle now 'customer') per lead source."""
    people = _live_people(people)
    return text(f"""
        SELECT coalesce(c.source, '') AS source, count(*) AS customers FROM contact c
        WHERE c.lifecycle = 'customer' AND {people}
        GROUP BY c.source
        """)


def source_lifetime_values(people: str) -> TextClause:
    """Per lead source and currency: the won deals' total of its customers (the lifetime
    value `lifetime_values` sums, split by source)."""
    return text(f"""SELECT coalesce(c.source, '') AS source, d.currency,
                   sum(coalesce(d.value, 0)) AS total {_won_of_customers(people)}
            GROUP BY c.source, d.currency""")


def _live_people(people: str) -> str:
    return f"{live_text('c')} AND {people}"


def customer_count(people: str) -> TextClause:
    """How many live contacts are customers (column n)."""
    people = _live_people(people)
    return text(f"SELECT count(*) AS n FROM contact c WHERE c.lifecycle = 'customer' AND {people}")


def _won_of_customers(people: str) -> str:
    people = _live_people(people)
    return f"""
        FROM deal d JOIN contact c ON c.id = d.contact_id
        WHERE d.status = 'won' AND {live_text("d")} AND c.lifecycle = 'customer'
          AND {people}
    """


def lifetime_values(people: str) -> TextClause:
    """Per currency: the customers with won deals and the deals' total."""
    return text(f"""SELECT d.currency, count(DISTINCT d.contact_id) AS customers,
                   sum(coalesce(d.value, 0)) AS total {_won_of_customers(people)}
            GROUP BY d.currency ORDER BY d.currency""")


# A recurring deal's value over a year: twelve months of a monthly value, one yearly value
# (0 for a one-off value: it does not recur).
_ANNUAL = (
    "coalesce(d.value, 0) * CASE d.recurring WHEN 'monthly' THEN 12 WHEN 'yearly' THEN 1 ELSE 0 END"
)


def top_customers(people: str) -> TextClause:
    """The :limit customers whose won deals are worth most (per currency), with the annual
    value of their recurring ones."""
    return text(f"""SELECT c.id, c.name, d.currency, sum(coalesce(d.value, 0)) AS total,
                   count(*) AS deals, sum({_ANNUAL}) AS annual,
                   count(d.recurring) AS recurring {_won_of_customers(people)}
            GROUP BY c.id, d.currency ORDER BY total DESC, c.id LIMIT :limit""")


def recurring_revenue(people: str) -> TextClause:
    """Per currency: the customers with won recurring deals and those deals' annual value."""
    return text(f"""SELECT d.currency, count(DISTINCT d.contact_id) AS customers,
                   sum({_ANNUAL}) AS annual {_won_of_customers(people)}
              AND d.recurring IS NOT NULL
            GROUP BY d.currency ORDER BY d.currency""")


def churn_figures(people: str) -> TextClause:
    """Customers at :start (read from the lifecycle changes since) and how many churned."""
    people = _live_people(people)
    old, new = json_field_text("e.before", "lifecycle"), json_field_text("e.after", "lifecycle")
    return text(f"""
        WITH changes AS (
            SELECT CAST(e.entity_id AS INTEGER) AS contact_id, e.id, e.at,
                   {old} AS old, {new} AS new
            FROM event e
            WHERE e.entity = 'contact' AND e.action = 'update' AND e.at >= :start
              AND e.undone_at IS NULL AND {new} IS NOT NULL
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
        """)
