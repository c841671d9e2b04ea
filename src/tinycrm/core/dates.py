"""Dates people type, read exactly or refused; times are shown in local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from tinycrm.errors import ValidationError

EXAMPLES = "2026-12-01, today, tomorrow"


@dataclass(frozen=True)
class When:
    """A moment someone typed: an aware UTC time, and whether only a day was given."""

    at: datetime
    all_day: bool

    def day(self, tz: tzinfo | None = None) -> date:
        """Return the local calendar day of this moment."""
        return self.at.astimezone(tz).date()


def local_tz() -> tzinfo:
    """Return the machine's local timezone (TZ is honoured)."""
    tz = datetime.now().astimezone().tzinfo
    assert tz is not None
    return tz


def parse_day(text: str, now: datetime, tz: tzinfo | None = None) -> date:
    """Read a calendar day such as '2026-12-01', 'today' or 'tomorrow'."""
    tz = tz or local_tz()
    raw = text.strip().lower()
    today = now.astimezone(tz).date()
    if raw == "today":
        return today
    if raw == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"cannot read the date {text!r}", hint=f"examples: {EXAMPLES}"
        ) from None


def parse_when(text: str, now: datetime, tz: tzinfo | None = None) -> When:
    """Read a day or a day and time; a day alone means all day (local midnight)."""
    tz = tz or local_tz()
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        day = parse_day(raw, now, tz)
        return When(datetime.combine(day, time(0), tz).astimezone(UTC), all_day=True)
    if len(raw) <= 10:
        return When(datetime.combine(moment.date(), time(0), tz).astimezone(UTC), all_day=True)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return When(moment.astimezone(UTC), all_day=False)


def to_local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """Return an aware time in the local timezone."""
    return moment.astimezone(tz or local_tz())


def show(moment: datetime | None, tz: tzinfo | None = None) -> str:
    """Render a time for people, in local time, to the minute."""
    if moment is None:
        return ""
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M")
