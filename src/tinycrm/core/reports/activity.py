"""The week in review: what the seller logged and what moved, this week against the weeks
before it, each week a local calendar week starting on the seller's `general.week_start`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tinycrm.core.reports.common import rate, start_of, today
from tinycrm.core.segments import scope
from tinycrm.domain.dates import Calendar, local_tz, to_stored
from tinycrm.domain.values import InteractionKind
from tinycrm.errors import ValidationError
from tinycrm.store import reports_sql as sql

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import ActivityReport, ReviewFigure, ReviewWeek

# The figures of the week in review, in the order they are shown, with their labels: the
# interactions logged by kind, what happened to deals, the follow-ups done and overdue.
FIGURES: dict[str, str] = {
    **{f"{kind}s": f"{kind}s" for kind in InteractionKind},
    "deals_created": "deals created",
    "deals_moved": "deals moved",
    "deals_won": "deals won",
    "deals_lost": "deals lost",
    "follow_ups_done": "follow-ups done",
    "follow_ups_overdue": "follow-ups overdue",
}
MAX_WEEKS = 52
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def activity_report(
    session: Session,
    now: datetime,
    weeks: int = 4,
    calendar: Calendar | None = None,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> ActivityReport:
    """Count, for this week and each of the `weeks` before it, the interactions logged (by
    kind), the deals created, moved, won and lost, the follow-ups done, and those overdue at
    the week's end (for this week: now); and this week's change against the earlier weeks'
    average.

    A week is a local calendar week starting on the calendar's first day (`this week` reads
    the same day); its bounds are local midnights, so a time counts in the week the seller
    saw it in. A segment keeps the deals it keeps, and the interactions and follow-ups of
    its contacts or its deals.
    """
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError(f"the week in review compares this week with 1 to {MAX_WEEKS} weeks")
    tz = tz or local_tz()
    calendar = calendar or Calendar()
    this = calendar.week_of(today(now, tz))
    starts = [this - timedelta(days=7 * (weeks - n)) for n in range(weeks + 1)]
    params: dict[str, Any] = {}
    for n, first in enumerate([*starts, this + timedelta(days=7)]):
        params[f"w{n}"] = to_stored(start_of(first, tz))
    for n, first in enumerate(starts):
        params[f"e{n}"] = to_stored(min(start_of(first + timedelta(days=7), tz), now))
    found = scope(session, segment)
    people, deals = sql.kept("c", found.kept_contacts()), sql.kept("d", found.kept_deals())
    columns = len(starts)
    counts: dict[str, list[int]] = {key: [0] * columns for key in FIGURES}
    # one statement per family; a row's figure ('call', 'won', 'overdue') is named as the
    # family names it: 'calls', 'deals_won', 'follow_ups_overdue'
    families = (
        ("{}s", sql.interaction_weeks(people, deals, columns)),
        ("deals_{}", sql.deal_weeks(deals, columns)),
        ("follow_ups_{}", sql.follow_up_weeks(people, deals, columns)),
    )
    for name, statement in families:
        for r in sql.run(session, statement, params):
            counts.setdefault(name.format(r["figure"]), [0] * columns)[r["week"]] += r["n"]
    shown: list[ReviewWeek] = [
        {"start": first.isoformat(), "end": (first + timedelta(days=6)).isoformat()}
        for first in starts
    ]
    return {
        "week_start": _DAY_NAMES[calendar.week_start],
        "now": now.isoformat(),
        "weeks": shown,
        "figures": [_figure(key, found_counts) for key, found_counts in counts.items()],
    }


def _figure(key: str, counts: list[int]) -> ReviewFigure:
    """A figure's weeks, with this week (the last) against the average of the others."""
    earlier, this_week = counts[:-1], counts[-1]
    average = sum(earlier) / len(earlier)
    return {
        "figure": key,
        "counts": counts,
        "this_week": this_week,
        "average": round(average, 2),
        "change": round(this_week - average, 2),
        "change_rate": rate(this_week - average, average),
    }


def label(key: str) -> str:
    """The words a figure is shown by ('follow-ups done'); a kind of interaction that is
    not one of the known ones is shown by its own name."""
    return FIGURES.get(key, key.replace("_", " "))


def week_label(start: str) -> str:
    """Name a week by its first day, short enough for a column: 'Nov 16'."""
    return f"{date.fromisoformat(start):%b %d}"


def amount_text(value: float, signed: bool = False) -> str:
    """Show an average or a change as the report rounds it, without trailing zeros: '0.25',
    '1.5', '2'; `signed` puts a sign before a change other than 0 ('+0.25', '-1')."""
    if not value:
        return "0"
    shown = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return ("-" if value < 0 else "+" if signed else "") + shown
