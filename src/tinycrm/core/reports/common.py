"""What every report shares: money rows, rates, rounding, local days and months."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.domain.dates import to_stored
from tinycrm.domain.money import to_decimal_text
from tinycrm.errors import ValidationError

if TYPE_CHECKING:
    from tinycrm.domain.figures import Money


def start_of(day: date, tz: tzinfo) -> datetime:
    """The UTC moment a local day begins."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def today(now: datetime, tz: tzinfo) -> date:
    """The local day of `now`."""
    return now.astimezone(tz).date()


def money(minor: int | None, currency: str) -> Money:
    """An amount of one currency (None counts as nothing)."""
    minor = int(minor or 0)
    text = str(to_decimal_text(minor, currency))
    return {"currency": currency, "value": text, "value_minor": minor}


def weighted(value_times_percent: int | None) -> int:
    """Turn a sum of value x percent into minor units, rounding half up."""
    return (int(value_times_percent or 0) + 50) // 100


def share(total: int, count: int) -> int:
    """`total` / `count` in whole minor units, rounded half away from zero, exactly (integer
    arithmetic: no binary fraction decides a half)."""
    whole = (abs(total) * 2 + count) // (count * 2)
    return whole if total >= 0 else -whole


def rate(part: float, whole: float) -> float | None:
    """part / whole to four places, or None when there is no whole."""
    return round(part / whole, 4) if whole else None


def days(value: float | None) -> float | None:
    """A number of days to two places."""
    return round(value, 2) if value is not None else None


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s."""
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def period_start(now: datetime, since: date | None, months: int | None, tz: tzinfo) -> date | None:
    """The first day of a report's period: `since`, or the first day of the month `months`
    - 1 months before this one (this month and the `months` - 1 before it), or None (all
    time). Both at once is an error."""
    if since is not None and months is not None:
        raise ValidationError("give --since or --months, not both")
    if months is not None:
        if months < 1:
            raise ValidationError("--months is at least 1")
        return add_months(today(now, tz), 1 - months)
    return since


def month_bounds(starts: list[date], tz: tzinfo, params: dict[str, Any]) -> list[str]:
    """Name the local calendar months that begin on `starts` ('2026-11'), and put in
    `params` the stored UTC time each one ends at (m0, m1 …, as the win-rate statement
    reads them)."""
    for n, first in enumerate(starts):
        params[f"m{n}"] = to_stored(start_of(add_months(first, 1), tz))
    return [f"{first:%Y-%m}" for first in starts]
