"""What every report shares: money rows, rates, rounding, local days and months."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.domain.dates import to_stored
from tinycrm.domain.money import to_decimal_text

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


def month_bounds(starts: list[date], tz: tzinfo, params: dict[str, Any]) -> list[str]:
    """Name the local calendar months that begin on `starts` ('2026-11'), and put in
    `params` the stored UTC time each one ends at (m0, m1 …, as the win-rate statement
    reads them)."""
    for n, first in enumerate(starts):
        params[f"m{n}"] = to_stored(start_of(add_months(first, 1), tz))
    return [f"{first:%Y-%m}" for first in starts]
