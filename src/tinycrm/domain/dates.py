"""Dates people type, read exactly or refused; times are shown in local time.

The grammar is small and strict (see docs/dates.md): ISO dates and times, `today`,
`tomorrow`, weekday names, `next fri`, `in 3 days`, `+2w`, `2h`, `dec 1`, each with an optional
time (`3pm`, `15:30`, `at 10am`, `noon`). Anything else is a ValidationError, never a guess.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from tinycrm.errors import ValidationError

EXAMPLES = (
    "2026-12-01, 2026-12-01 15:30, today, tomorrow 3pm, fri, next tue 10am, "
    "in 3 days, +2w, in 1 month, 2h, dec 1, 1 dec at noon"
)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip

# `m` is a month (as in `+1m`); minutes are spelled `min`.
UNITS = {
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "m": "months", "mo": "months", "month": "months", "months": "months",
    "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
}  # fmt: skip

# The largest offset anyone means: 100 years (keeps arithmetic inside datetime's range).
MAX_DAYS = 36_600

_TIME = (
    r"(?:(?P<noon>noon|midday)|(?P<midnight>midnight)"
    r"|(?P<h12>\d{1,2})(?::(?P<m12>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<h24>\d{1,2}):(?P<m24>\d{2}))"
)
_TIME_LAST = re.compile(rf"(?P<rest>.*?)(?:^|\s+|,\s*)(?:at\s+)?{_TIME}", re.ASCII)
_TIME_FIRST = re.compile(rf"(?:at\s+)?{_TIME}(?:\s+|,\s*)(?:on\s+)?(?P<rest>.+)", re.ASCII)
_OFFSET = re.compile(
    r"(?:in\s+(?P<n>\d{1,7}|an?)\s*|\+\s*(?P<p>\d{1,7})\s*|(?P<b>\d{1,7})\s*)(?P<u>[a-z]+)",
    re.ASCII,
)
_MONTH_DAY = re.compile(
    r"(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?", re.ASCII
)
_DAY_MONTH = re.compile(
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]+)\.?(?:,?\s+(?P<y>\d{4}))?",
    re.ASCII,
)
_AGO = re.compile(r"(?P<b>\d{1,7}|an?)\s*(?P<u>[a-z]+)\s+ago", re.ASCII)
_WEEKDAY = re.compile(r"(?:(?P<which>this|next|last|on)\s+)?(?P<wd>[a-z]+)", re.ASCII)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}.*", re.ASCII)


@dataclass(frozen=True)
class When:
    """A moment someone typed: an aware UTC time, and whether only a day was given."""

    at: datetime
    all_day: bool

    def day(self, tz: tzinfo | None = None) -> date:
        """Return the local calendar day of this moment."""
        return self.at.astimezone(tz or local_tz()).date()

    def describe(self, tz: tzinfo | None = None, calendar: Calendar | None = None) -> str:
        """Render it the way commands echo it: 'Fri 2026-11-27 10:00' or 'Fri 2026-11-27'."""
        return describe(self.at, self.all_day, tz, calendar or ISO_CALENDAR)


@dataclass(frozen=True)
class Calendar:
    """The seller's calendar settings: the day weeks start on (0 Monday … 6 Sunday), which
    `next fri`, `this week` and `next week` count from, and the strftime pattern days are
    shown with (what people type is read the same whatever it is)."""

    week_start: int = 0
    day_format: str = "%Y-%m-%d"

    def week_of(self, day: date) -> date:
        """Return the first day of the week `day` is in."""
        return day - timedelta(days=(day.weekday() - self.week_start) % 7)

    def show_day(self, day: date) -> str:
        """Render a calendar day for people: '2026-11-27', or as `day_format` says."""
        return day.strftime(self.day_format)

    def describe_day(self, day: date) -> str:
        """Render a day for an echo line: 'Fri 2026-11-27' (the weekday is left to a format
        that names it)."""
        shown = self.show_day(day)
        if "%a" in self.day_format or "%A" in self.day_format:
            return shown
        return f"{WEEKDAY_NAMES[day.weekday()]} {shown}"


ISO_CALENDAR = Calendar()


def calendar_of(week_start: str, day_format: str) -> Calendar:
    """Return the calendar of the settings: a weekday's name ('sunday') and a strftime pattern."""
    return Calendar(WEEKDAYS.get(week_start, 0), day_format)


def local_tz() -> tzinfo:
    """Return the local timezone as a real zone (with its daylight-saving rules).

    TZ is honoured (an IANA name such as Europe/Paris, or a POSIX rule); without it the
    system's zone (/etc/localtime) is used.
    """
    return _local_for(os.environ.get("TZ", "").strip().removeprefix(":"))


@functools.lru_cache(maxsize=8)
def _local_for(name: str) -> tzinfo:
    """Return the zone TZ names (cached: commands ask for it once per row they show)."""
    if name:
        found = _zone(name)
        if found is not None:
            return found
    system = _system_zone()
    if system is not None:
        return system
    from dateutil import tz as dateutil_tz

    return dateutil_tz.tzlocal()


def _system_zone() -> tzinfo | None:
    """Read the system's zone file (/etc/localtime) as a zoneinfo zone, if there is one."""
    from zoneinfo import ZoneInfo

    try:
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError):
        return None


def _zone(name: str) -> tzinfo | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    from dateutil import tz as dateutil_tz

    return dateutil_tz.gettz(name)


def at_local(day: date, wall: time, tz: tzinfo) -> datetime:
    """Return the aware UTC moment of a local wall-clock time on a day.

    A time that does not exist (skipped by a daylight-saving change) moves forward by the
    gap, e.g. 02:30 becomes 03:30; a time that happens twice means the first one.
    """
    # PEP 495: with fold=0 a skipped time is read with the offset in force before the change,
    # which lands it `gap` later once converted; a repeated time takes its first occurrence.
    return datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


def _error(text: str, why: str | None = None) -> ValidationError:
    detail = f" ({why})" if why else ""
    return ValidationError(
        f"cannot read the date {text!r}{detail}", hint=f"write it like one of: {EXAMPLES}"
    )


def _read_time(match: re.Match[str], text: str) -> time:
    if match.group("noon"):
        return time(12, 0)
    if match.group("midnight"):
        return time(0, 0)
    if match.group("ampm"):
        hour = int(match.group("h12"))
        minute = int(match.group("m12") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise _error(text, "no such time")
        pm = match.group("ampm").startswith("p")
        return time(hour % 12 + (12 if pm else 0), minute)
    hour, minute = int(match.group("h24")), int(match.group("m24"))
    if hour > 23 or minute > 59:
        raise _error(text, "no such time")
    return time(hour, minute)


def _split_time(raw: str, text: str) -> tuple[str, time | None]:
    """Separate a trailing or leading time of day from the day part."""
    found = _TIME_LAST.fullmatch(raw)
    if found is not None:
        return found.group("rest").strip(" ,"), _read_time(found, text)
    found = _TIME_FIRST.fullmatch(raw)
    if found is not None:
        return found.group("rest").strip(" ,"), _read_time(found, text)
    return raw, None


def _offset(raw: str, now: datetime, today: date, text: str) -> date | datetime | None:
    """Read 'in 3 days', '+2w', '2h' and '3 days ago', '2h ago': a day for day units, an
    exact moment for hours and minutes."""
    ago = _AGO.fullmatch(raw)
    found = ago or _OFFSET.fullmatch(raw)
    if found is None:
        return None
    unit = UNITS.get(found.group("u"))
    if unit is None:
        return None
    parts = found.groupdict()
    amount_text = parts.get("n") or parts.get("p") or parts["b"]
    amount = (1 if amount_text in ("a", "an") else int(amount_text)) * (-1 if ago else 1)
    far = "too far back" if ago else "too far ahead"
    if unit in ("hours", "minutes"):
        if abs(amount) > MAX_DAYS * (24 if unit == "hours" else 1440):
            raise _error(text, far)
        return now + timedelta(**{unit: amount})
    if abs(amount) * {"days": 1, "weeks": 7, "months": 31, "years": 366}[unit] > MAX_DAYS:
        raise _error(text, far)
    from dateutil.relativedelta import relativedelta

    step = {
        "days": relativedelta(days=amount),
        "weeks": relativedelta(weeks=amount),
        "months": relativedelta(months=amount),
        "years": relativedelta(years=amount),
    }[unit]
    result: date = today + step
    return result


def _month_day(raw: str, today: date, text: str, past: bool) -> date | None:
    """Read 'dec 1', '1 dec', 'december 1st', 'dec 1 2027': the next such date (the last
    one, for something that happened), today included."""
    found = _MONTH_DAY.fullmatch(raw) or _DAY_MONTH.fullmatch(raw)
    if found is None:
        return None
    month = MONTHS.get(found.group("mon"))
    if month is None:
        return None
    day = int(found.group("d"))
    year_text = found.group("y")
    try:
        if year_text:
            return date(int(year_text), month, day)
        step = -1 if past else 1
        for year in range(today.year, today.year + 9 * step, step):
            if _exists(year, month, day) and (date(year, month, day) - today).days * step >= 0:
                return date(year, month, day)
    except ValueError:
        pass
    raise _error(text, "no such day")


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _weekday(raw: str, today: date, calendar: Calendar, text: str, past: bool) -> date | None:
    """Read 'fri' (today if today is Friday, else the coming one; the last one, for something
    that happened), 'next fri' (the Friday of next week, weeks starting on the calendar's
    day), 'last fri' (the last Friday, when that is the Friday of last week too), and
    'this week', 'next week', 'last week' (the first day of that week)."""
    found = _WEEKDAY.fullmatch(raw)
    if found is None:
        return None
    which, word = found.group("which"), found.group("wd")
    weeks = {"this": 0, "next": 1, "last": -1}
    if word == "week" and which in weeks:
        return calendar.week_of(today) + timedelta(days=7 * weeks[which])
    if word not in WEEKDAYS:
        return None
    wanted = WEEKDAYS[word]
    in_week = timedelta(days=(wanted - calendar.week_start) % 7)
    if which == "next":
        return calendar.week_of(today) + timedelta(days=7) + in_week
    if which == "last":
        before = today - timedelta(days=(today.weekday() - wanted - 1) % 7 + 1)
        of_last_week = calendar.week_of(today) - timedelta(days=7) + in_week
        if before != of_last_week:
            raise ValidationError(
                f"{text!r} could be {_weekday_day(before)} (the last {word}) or "
                f"{_weekday_day(of_last_week)} (the {word} of last week)",
                hint=f"write the day, e.g. {before.isoformat()}, or {_ago(today - before)}",
            )
        return before
    if past and which != "this":
        return today - timedelta(days=(today.weekday() - wanted) % 7)
    return today + timedelta(days=(wanted - today.weekday()) % 7)


def _ago(gap: timedelta) -> str:
    return f"{gap.days} day{'' if gap.days == 1 else 's'} ago"


def _weekday_day(day: date) -> str:
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}"


def _day_part(
    raw: str, now: datetime, today: date, text: str, calendar: Calendar, past: bool
) -> date | datetime:
    """Read the day part: a calendar day, or an exact moment ('now', 'in 2 hours')."""
    named = {"today": 0, "tod": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "yesterday": -1}
    if raw in named:
        return today + timedelta(days=named[raw])
    if raw == "now":
        return now
    if _ISO_DAY.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise _error(text, "no such day") from None
    found: date | datetime | None = _offset(raw, now, today, text)
    if found is None:
        found = _weekday(raw, today, calendar, text, past)
    if found is None:
        found = _month_day(raw, today, text, past)
    if found is None:
        raise _error(text)
    return found


def _iso_moment(raw: str, tz: tzinfo) -> When | None:
    """Read an ISO 8601 date and time ('2026-12-01T15:30', '2026-12-01 15:30+01:00')."""
    if not _ISO_MOMENT.fullmatch(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw.upper())
    except ValueError:
        return None
    _check_range(moment.date(), raw)
    if moment.tzinfo is None:
        return When(at_local(moment.date(), moment.time(), tz), all_day=False)
    return When(moment.astimezone(UTC), all_day=False)


def parse_when(
    text: str,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: Calendar = ISO_CALENDAR,
    *,
    past: bool = False,
) -> When:
    """Read a day, or a day and a time, in local time; a day alone means all day.

    A time alone ('3pm') is the next such time: today, or tomorrow once it has passed. For
    something that happened (`past`), a time alone is today's, and a weekday or a month-day
    alone ('fri', 'dec 1') the last such day, today included.
    """
    tz = tz or local_tz()
    raw = " ".join(str(text).lower().split()).strip(" ,")
    if not raw:
        raise _error(text, "it is empty")
    iso = _iso_moment(raw, tz)
    if iso is not None:
        return iso
    local_now = now.astimezone(tz)
    today = local_now.date()
    rest, wall = _split_time(raw, text)
    if wall is not None and not rest:
        moment = at_local(today, wall, tz)
        if moment <= now and not past:
            moment = at_local(today + timedelta(days=1), wall, tz)
        return When(moment, all_day=False)
    day = _day_part(rest, now, today, text, calendar, past)
    if isinstance(day, datetime):
        if wall is not None:
            raise _error(text, "a time was given twice")
        return When(day.astimezone(UTC), all_day=False)
    _check_range(day, text)
    if wall is None:
        return When(at_local(day, time(0), tz), all_day=True)
    return When(at_local(day, wall, tz), all_day=False)


def _check_range(day: date, text: str) -> None:
    if not 1900 <= day.year <= 9000:
        raise _error(text, "out of range")


def parse_day(
    text: str,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: Calendar = ISO_CALENDAR,
    *,
    past: bool = False,
) -> date:
    """Read a calendar day such as '2026-12-01', 'today', 'fri', 'in 2 weeks' or 'dec 1'
    (`past`: a day something happened on, as `parse_when` reads it)."""
    when = parse_when(text, now, tz, calendar, past=past)
    if not when.all_day:
        raise ValidationError(
            f"{text!r} is a time; a day is needed here",
            hint="write a day, e.g. 2026-12-01, tomorrow, fri, dec 1",
        )
    return when.day(tz or local_tz())


def day_start(
    text: str,
    now: datetime,
    tz: tzinfo | None = None,
    calendar: Calendar = ISO_CALENDAR,
    *,
    past: bool = False,
) -> datetime:
    """Read a day as typed ('2026-11-01', 'today') and return its local midnight, in UTC."""
    tz = tz or local_tz()
    day = parse_day(text, now, tz, calendar, past=past)
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def parse_days(text: str) -> int | None:
    """Read a cadence in days ('30d', '2w', '3m', '30', 'off'); None means off."""
    raw = " ".join(str(text).lower().split())
    if raw in ("off", "none", "never", "0"):
        return None
    found = re.fullmatch(r"(?:every\s+)?(\d{1,6})\s*([a-z]*)", raw, re.ASCII)
    unit = UNITS.get(found.group(2) or "d") if found else None
    if found is None or unit not in ("days", "weeks", "months", "years"):
        raise ValidationError(
            f"cannot read the cadence {text!r}", hint="write it like 30d, 2w, 3m, 1y or off"
        )
    days = int(found.group(1)) * {"days": 1, "weeks": 7, "months": 30, "years": 365}[unit]
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"the cadence {text!r} is out of range", hint="between 1d and 100y")
    return days


def to_local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """Return an aware time in the local timezone."""
    return moment.astimezone(tz or local_tz())


def describe(
    moment: datetime,
    all_day: bool = False,
    tz: tzinfo | None = None,
    calendar: Calendar = ISO_CALENDAR,
) -> str:
    """Render a moment for an echo line: 'Fri 2026-11-27 10:00', or 'Fri 2026-11-27' (the day
    as the calendar shows days; the weekday is left to a format that names it)."""
    local = to_local(moment, tz)
    day = calendar.describe_day(local.date())
    return day if all_day else f"{day} {local.strftime('%H:%M')}"


def show(
    moment: datetime | None, tz: tzinfo | None = None, calendar: Calendar = ISO_CALENDAR
) -> str:
    """Render a time for people, in local time, to the minute."""
    if moment is None:
        return ""
    local = to_local(moment, tz)
    return f"{calendar.show_day(local.date())} {local.strftime('%H:%M')}"


def iso(moment: datetime | None) -> str | None:
    """Render an aware time as ISO 8601 in UTC with a Z, as JSON shows it."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_stored(moment: datetime) -> str:
    """Write an aware time the way the database stores times: naive UTC text,
    '2026-11-23 10:00:00.000000', which sorts and compares as the times do."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the database; times must be aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def stored_time(value: object) -> datetime | None:
    """Read a time as SQLite stores it (naive UTC text) into an aware UTC datetime."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stored_iso(value: str | None) -> str | None:
    """Render a stored time (naive UTC text) as ISO 8601 in UTC with a Z, as JSON shows it."""
    if value is None:
        return None
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        # the stored form itself, reshaped without parsing (lists render thousands of these);
        # like isoformat(), whole seconds drop their zero microseconds
        tail = "" if value.endswith("000000") else value[19:]
        return f"{value[:10]}T{value[11:19]}{tail}Z"
    return datetime.fromisoformat(value).isoformat() + "Z"
