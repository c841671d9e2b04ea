"""The calendar rules of a date that comes back every year (a birthday, an anniversary):
the day it falls on in a given year, the days of the year a range of days covers, and the
years it counts. No I/O.

A date of 29 February falls on 28 February in a year that has none: the day stays in its
month, the day before the one it would have been, so a reminder is never late."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta


def falls_on(month: int, day: int, year: int) -> date:
    """Return the day a yearly date (month, day) falls on in `year`; 29 February falls on
    28 February in a year that has no 29 February."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def days_of(first: date, last: date) -> Iterator[date]:
    """Yield each day from `first` to `last`, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def month_day_spans(first: date, last: date) -> list[tuple[int, int, int]]:
    """Return (month, first day, last day) spans of the stored month and day that can fall
    between `first` and `last` (both included; at most one year of days is read): one span
    a month, so a query reads them as ranges of the (month, day) index. A range that holds
    28 February of a year without a 29th also holds the stored 29 February."""
    if (last - first).days >= 366:
        return [(month, 1, 31) for month in range(1, 13)]
    spans: dict[int, list[int]] = {}
    for day in days_of(first, last):
        found = spans.setdefault(day.month, [day.day, day.day])
        found[0], found[1] = min(found[0], day.day), max(found[1], day.day)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            found[1] = max(found[1], 29)
    return [(month, lo, hi) for month, (lo, hi) in sorted(spans.items())]


def next_on(month: int, day: int, first: date) -> date:
    """Return the first day on or after `first` that the yearly date (month, day) falls on."""
    this_year = falls_on(month, day, first.year)
    return this_year if this_year >= first else falls_on(month, day, first.year + 1)


def years_at(value: str, on: date) -> int | None:
    """Return how many years a date kept as `value` ('1985-04-12', or '--04-12' with no
    year) counts on its day `on` (a birthday's age, an anniversary's years); None when its
    year is not known."""
    if value.startswith("--"):
        return None
    return on.year - int(value[:4])
