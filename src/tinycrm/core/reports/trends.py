"""The win rate over time: won / (won + lost) by count, for each of the last months."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinycrm.core.reports.common import add_months, rate, today
from tinycrm.core.reports.deals import win_rate_report
from tinycrm.domain.dates import local_tz
from tinycrm.errors import ValidationError

if TYPE_CHECKING:
    from datetime import datetime, tzinfo

    from sqlmodel import Session

    from tinycrm.core.listing import ListFilter
    from tinycrm.domain.figures import WinMonth, WinTrendReport


def win_trend_report(
    session: Session,
    now: datetime,
    months: int = 12,
    segment: ListFilter | None = None,
    tz: tzinfo | None = None,
) -> WinTrendReport:
    """The win rate by count of each of the last `months` local months, this one last.

    Every month has a line, a month in which nothing closed too (its rate is None), so that
    a chart of it has one column per month. The figures are the win-rate report's by month
    (`crm report win-rate --by month --since` the first of those months).
    """
    if months < 1:
        raise ValidationError("a win rate over time covers at least one month")
    tz = tz or local_tz()
    first = add_months(today(now, tz).replace(day=1), 1 - months)
    found = win_rate_report(session, now, since=first, by="month", segment=segment, tz=tz)
    counts = {g["group"]: (g["won"], g["lost"]) for g in found["rows"]}
    out: list[WinMonth] = []
    for n in range(months):
        month = f"{add_months(first, n):%Y-%m}"
        won, lost = counts.get(month, (0, 0))
        out.append({"month": month, "won": won, "lost": lost, "win_rate": rate(won, won + lost)})
    won = sum(m["won"] for m in out)
    lost = sum(m["lost"] for m in out)
    return {
        "since": first.isoformat(),
        "months": out,
        "won": won,
        "lost": lost,
        "win_rate": rate(won, won + lost),
    }
