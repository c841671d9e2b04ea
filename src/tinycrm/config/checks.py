"""What a setting's value may be: one check per kind of value, each returning the value
normalised or raising ValueError that says what is expected; and which settings are secret."""

from __future__ import annotations

import re
from typing import Any

Value = str | int | bool | list[str]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CHANNELS = ("stdout", "desktop", "email", "command")


def currency(value: Value) -> Value:
    code = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError("an ISO 4217 code of three letters, such as USD, EUR, GBP")
    return code


def date_format(value: Value) -> Value:
    text = str(value)
    if "%" not in text:
        raise ValueError("a strftime pattern such as %Y-%m-%d or %d/%m/%Y")
    from datetime import date

    try:
        date(2026, 1, 2).strftime(text)
    except ValueError as exc:
        raise ValueError(f"a strftime pattern such as %Y-%m-%d ({exc})") from None
    return text


def weekday(value: Value) -> Value:
    key = str(value).strip().lower()
    found = [d for d in WEEKDAYS if d.startswith(key)] if len(key) >= 2 else []
    if len(found) != 1:
        raise ValueError(f"a day of the week: {', '.join(WEEKDAYS)}")
    return found[0]


def days(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a whole number of days, 0 or more")
    return value


DATE_KINDS = ("birthday", "anniversary", "other")


def date_kinds(value: Value) -> Value:
    items = [str(v).strip().lower() for v in value] if isinstance(value, list) else []
    unknown = [v for v in items if v not in DATE_KINDS]
    if unknown:
        raise ValueError(
            f"kinds of dates from: {', '.join(DATE_KINDS)} (an empty list: none);"
            f" unknown kind {unknown[0]!r}"
        )
    return list(dict.fromkeys(items))


def days_ahead(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366:
        raise ValueError("a whole number of days from 0 to 366")
    return value


def channels(value: Value) -> Value:
    items = [str(v).strip().lower() for v in value] if isinstance(value, list) else []
    unknown = [v for v in items if v not in CHANNELS]
    if unknown:
        raise ValueError(
            f"known channels ({', '.join(CHANNELS)}); unknown reminder channel {unknown[0]!r}"
        )
    if not items:
        raise ValueError(f"a list of channels from: {', '.join(CHANNELS)}")
    return list(dict.fromkeys(items))


def email(value: Value) -> Value:
    text = str(value).strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError("an email address such as you@example.com")
    return text


def emails(value: Value) -> Value:
    items = value if isinstance(value, list) else [str(value)]
    if not items:
        raise ValueError("one or more email addresses, such as you@example.com")
    return [str(email(v)) for v in items]


def time_of_day(value: Value) -> Value:
    text = str(value).strip()
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", text):
        raise ValueError("a time of day as HH:MM, such as 09:00")
    return text


def port(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ValueError("a port number from 1 to 65535")
    return value


def server_mode(value: Value) -> Value:
    chosen = str(value).strip().lower()
    if chosen not in ("auto", "on", "off"):  # client.MODES; config may not import the client
        raise ValueError("auto (use it, start it when needed), on (wait for it) or off")
    return chosen


def close_follow_ups(value: Value) -> Value:
    chosen = str(value).strip().lower()
    if chosen not in ("cancel", "keep"):
        raise ValueError("cancel (a closed deal's open follow-ups) or keep (them open)")
    return chosen


def minutes(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 24 * 60:
        raise ValueError("a whole number of minutes from 1 to 1440")
    return value


def seconds(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3600:
        raise ValueError("a whole number of seconds from 1 to 3600")
    return value


def commands(value: Value) -> Value:
    items = [str(v).strip() for v in value] if isinstance(value, list) else []
    if any(not v for v in items):
        raise ValueError("a shell command, or a list of them, without empty ones")
    return items


def flag(value: Value) -> Value:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def text(value: Value) -> Value:
    text = str(value).strip()
    if not text:
        raise ValueError("some text")
    return text


def reasons(value: Value) -> Value:
    items = [str(v).strip() for v in value] if isinstance(value, list) else []
    if any(not v for v in items):
        raise ValueError("a list of short texts, without empty ones")
    return list(dict.fromkeys(items))


def points(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number of points (less than 0 takes points away)")
    return value


def at_least_one(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("a whole number, 1 or more")
    return value


def count(value: Value) -> Value:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a whole number, 0 or more")
    return value


SECRET_WORDS = ("password", "secret", "token")
MASK = "***"


def is_secret(key: str) -> bool:
    """Tell whether a setting holds a secret (its name says password, secret or token)."""
    return any(word in key.lower() for word in SECRET_WORDS)


def shown(key: str, value: Any) -> Any:
    """Return the value to show for `key`: a secret that is set shows as ***."""
    return MASK if is_secret(key) and value not in (None, "") else value
