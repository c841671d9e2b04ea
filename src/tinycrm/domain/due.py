"""When something is due: the agenda's buckets, and what stays all day once snoozed."""

from __future__ import annotations

from datetime import datetime, time, tzinfo
from typing import Protocol


class Dated(Protocol):
    """Anything with a follow-up's two times: a record, or a row read for a list."""

    @property
    def due_at(self) -> datetime: ...

    @property
    def snoozed_until(self) -> datetime | None: ...


def due_of(follow_up: Dated) -> datetime:
    """When a follow-up is next due: the time it was snoozed until, else its due time
    (`store.query.due_time()` is the same rule in a query)."""
    return follow_up.snoozed_until if follow_up.snoozed_until is not None else follow_up.due_at


def whole_day(moment: datetime, all_day: bool, tz: tzinfo) -> bool:
    """Tell whether an all-day item due at `moment` is still all day: snoozed to a day it
    is (its time is the day's start), snoozed to a time of day it is timed from then on.
    The one rule for how a follow-up is shown and when it is late, in every list, echo,
    reminder and screen."""
    return all_day and moment.astimezone(tz).time() == time(0)


def bucket_of(due: datetime, all_day: bool, now: datetime, tz: tzinfo) -> str:
    """Return the agenda bucket of a due time: overdue, today or upcoming.

    An all-day item is overdue only once its day has passed; a timed one once its time has.
    """
    today = now.astimezone(tz).date()
    day = due.astimezone(tz).date()
    if all_day:
        return "overdue" if day < today else "today" if day == today else "upcoming"
    return "overdue" if due <= now else "today" if day == today else "upcoming"
