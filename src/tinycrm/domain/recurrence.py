"""Recurrence rules (RFC 5545 RRULE): what `--every` means, the rule parts dateutil takes but
the standard refuses, and a rule's UNTIL in the local wall-clock time tinycrm repeats in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from tinycrm.domain.dates import UNITS
from tinycrm.errors import ValidationError

_UNTIL_UTC = re.compile(r"(?<![A-Z])UNTIL=(\d{8}T\d{6})Z", re.ASCII)


def every_to_rrule(text: str) -> str:
    """Turn 'week', '2 weeks', 'every 3 months', 'day', 'year' into an RRULE."""
    raw = " ".join(str(text).lower().split()).removeprefix("every ").strip()
    raw = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}.get(raw, raw)
    found = re.fullmatch(r"(?:(\d{1,4})\s*)?([a-z]+)", raw, re.ASCII)
    freq = {
        "days": "DAILY",
        "weeks": "WEEKLY",
        "months": "MONTHLY",
        "years": "YEARLY",
    }.get(UNITS.get(found.group(2), "") if found else "")
    if found is None or freq is None:
        raise ValidationError(
            f"cannot read the recurrence {text!r}",
            hint='write it like "week", "2 weeks", "month", "3 months", "year", '
            'or give --rrule "FREQ=MONTHLY;BYDAY=1MO"',
        )
    interval = int(found.group(1) or 1)
    if not 1 <= interval <= 1000:
        raise ValidationError(f"the recurrence {text!r} is out of range")
    return f"FREQ={freq}" + (f";INTERVAL={interval}" if interval > 1 else "")


def parts_of(rule: str) -> dict[str, str]:
    """Return a rule's parts by name ('FREQ=WEEKLY;COUNT=3' -> {'FREQ': 'WEEKLY', ...})."""
    found = {}
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        found[name.strip().upper()] = value.strip()
    return found


def problem(rule: str) -> str | None:
    """Say what RFC 5545 refuses in a rule that dateutil would take, or None: a COUNT that is
    not a whole number of 1 or more (`COUNT=0` repeats nothing), an INTERVAL below 1, COUNT
    and UNTIL together."""
    parts = parts_of(rule)
    for name in ("COUNT", "INTERVAL"):
        value = parts.get(name)
        if value is not None and not (value.isdigit() and int(value) >= 1):
            return f"{name} must be a whole number, 1 or more"
    if "COUNT" in parts and "UNTIL" in parts:
        return "COUNT and UNTIL cannot both be given"
    return None


def local_until(rule: str, tz: tzinfo, as_date: bool = False) -> str:
    """Return the rule with a UTC UNTIL ('UNTIL=20270301T000000Z') written as the local wall
    time it is (or its local day, `as_date`): tinycrm repeats in local wall-clock time, which
    RFC 5545 requires an UNTIL to match."""

    def local(match: re.Match[str]) -> str:
        moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        wall = moment.astimezone(tz)
        return "UNTIL=" + wall.strftime("%Y%m%d" if as_date else "%Y%m%dT%H%M%S")

    return _UNTIL_UTC.sub(local, rule)
