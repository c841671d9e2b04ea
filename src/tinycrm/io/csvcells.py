"""Reading one CSV cell exactly: emails, phones, lifecycles, dates, UUIDs, domains,
Message-IDs, a deal's qualification answers; what
becomes of a cell that cannot be read (left out of its row with a note, or, strict, the row
refused); and the apostrophe that keeps a cell from running as a spreadsheet formula."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVar

from tinycrm.domain.text import is_email
from tinycrm.domain.values import read_probability
from tinycrm.errors import ValidationError
from tinycrm.io.records import Dropped, phone_key, uuid_key

if TYPE_CHECKING:
    from tinycrm.domain.parts import PartialDate
    from tinycrm.io.layouts import Layout

T = TypeVar("T")

_HUBSPOT_LIFECYCLE = {
    "subscriber": "lead", "lead": "lead", "marketingqualifiedlead": "lead",
    "marketing qualified lead": "lead", "salesqualifiedlead": "prospect",
    "sales qualified lead": "prospect", "opportunity": "prospect", "customer": "customer",
    "evangelist": "customer", "former customer": "former customer", "prospect": "prospect",
    "other": "lead",
}  # fmt: skip


# A cell a spreadsheet would run as a formula starts with one of these (OWASP's list); the
# export writes it with an apostrophe in front, and so a cell that starts with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(text: str) -> str:
    """Return a cell a spreadsheet shows as text, never runs: `'` before a leading = + - @
    tab or carriage return, and before a leading `'` (so that import can take it off again).
    A plain negative number (-12.50) is a number, not a formula, and is left as it is."""
    if text.startswith((*FORMULA_STARTS, "'")) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo `neutralise`: take off the apostrophe before a leading = + - @ tab, CR or `'`."""
    if text.startswith("'") and text[1:2] and text[1:].startswith((*FORMULA_STARTS, "'")):
        return text[1:]
    return text


class RowError(Exception):
    """A row, or a cell of it, that cannot be read exactly."""


class Cells:
    """The mapped cells of one row, and what becomes of a cell that cannot be read: without
    `strict`, its value is left out and noted (the row is imported without it); with
    `strict`, the row is refused (RowError naming the column)."""

    def __init__(self, line: int, layout: Layout, row: list[str], strict: bool) -> None:
        self.line = line
        self.layout = layout
        self.row = row
        self.strict = strict
        self.dropped: list[Dropped] = []
        self.column = ""  # the header of the cell being read
        self.group = ""  # the postal address the cell is a part of
        self.primary = False  # the cell's label marks it as the primary one (Google's "*")

    def __iter__(self) -> Iterator[tuple[str, str | None, str]]:
        """Yield (field, label, value) for each non-empty mapped cell of the row."""
        row = self.row
        for i, target in self.layout.targets.items():
            if i >= len(row):
                continue
            value = restore(row[i].strip())
            if not value.strip():
                continue
            if "\r" in value:
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            label = target.label
            self.primary = False
            if target.label_column is not None and target.label_column < len(row):
                written = row[target.label_column].strip()
                self.primary = written.startswith("*")
                label = written.lstrip("* ").lower() or None
            self.group = target.group
            self.column = self.layout.headers[i] if i < len(self.layout.headers) else f"#{i + 1}"
            yield target.field, label, value

    def read(self, value: str, reader: Callable[[str], T]) -> T | None:
        """Return `reader(value)`; a value it cannot read is left out with a note (None), or,
        strict, refuses the row."""
        try:
            return reader(value)
        except RowError as exc:
            self.refuse(str(exc), value, strict=self.strict)
            return None

    def refuse(self, reason: str, value: str, strict: bool = True) -> None:
        """Refuse the row for the current cell (RowError), or note its value as left out."""
        if strict:
            raise RowError(f"column {self.column}: {reason}")
        self.dropped.append(Dropped(self.line, self.column, value, reason))


def email(value: str) -> str:
    """Return an email address as written, or raise RowError."""
    if not is_email(value):
        raise RowError(f"not an email address: {value!r}")
    return value


def phone(value: str) -> str:
    """Return a phone number as written (digits, no letters), or raise RowError."""
    key = phone_key(value)
    if len(key.lstrip("+")) < 3 or any(c.isalpha() for c in value):
        raise RowError(f"not a phone number: {value!r}")
    return value


def lifecycle_value(value: str) -> str:
    """Read a lifecycle (tinycrm's own, or a HubSpot lifecycle stage), or raise RowError."""
    key = " ".join(value.strip().lower().replace("-", " ").replace("_", " ").split())
    found = _HUBSPOT_LIFECYCLE.get(key) or _HUBSPOT_LIFECYCLE.get(key.replace(" ", ""))
    if found is None:
        raise RowError(f"not a lifecycle: {value!r} (lead, prospect, customer or former customer)")
    return found


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([a-z]{3}) (\d{4})")


def day(value: str) -> str:
    """Read a day as LinkedIn writes it ('03 Jan 2023') or as an ISO date; return it as an ISO
    date, or raise RowError (never a guess)."""
    match = _DAY_MONTH_YEAR.fullmatch(value.strip().lower())
    try:
        if match and match[2] in _MONTHS:
            return date(int(match[3]), _MONTHS.index(match[2]) + 1, int(match[1])).isoformat()
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise RowError(f"cannot read the date {value!r} (write it as 2026-12-31)") from None


_NO_DATE = re.compile(r"0{1,2}([./])0{1,2}\1(00|0000)")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def record_date(value: str) -> PartialDate | None:
    """Read a birthday or an anniversary exactly: an ISO date (`1985-04-12`), one with no
    year (`--04-12`, as Google writes it), a day first with dots (`12.4.1985`), or with
    slashes when the order cannot be mistaken (`25/4/1985` or `4/25/1985`: one number is
    over 12, or both are the same). None for Outlook's `0/0/00`, its "no date". Anything
    else, `4/12/1985` among them (April or December?), raises RowError."""
    from tinycrm.domain.parts import read_partial_date

    text = value.strip()
    if _NO_DATE.fullmatch(text):
        return None
    dotted, slashed = _DOTTED.fullmatch(text), _SLASHED.fullmatch(text)
    if dotted:
        text = f"{dotted[3]}-{int(dotted[2]):02d}-{int(dotted[1]):02d}"
    elif slashed:
        first, second, year = int(slashed[1]), int(slashed[2]), slashed[3]
        if first == second or first > 12 >= second:
            text = f"{year}-{second:02d}-{first:02d}"
        elif second > 12 >= first:
            text = f"{year}-{first:02d}-{second:02d}"
        else:
            raise RowError(
                f"cannot tell the day from the month in {value!r} (write it as 1985-04-12)"
            )
    try:
        return read_partial_date(text)
    except ValidationError:
        raise RowError(
            f"cannot read the date {value!r} (write it as 1985-04-12, or --04-12 with no year)"
        ) from None


def uuid_value(value: str) -> str:
    """Return a UUID in its canonical form, or raise RowError."""
    found = uuid_key(value)
    if found is None:
        raise RowError(f"not a UUID: {value!r}")
    return found


# RFC 5322's msg-id: "<" left "@" right ">", no space, angle bracket, second "@" or control
# character inside (what mail import and `crm mail` store, `<…@derived>` included)
def message_id(value: str) -> str:
    """Return a Message-ID as written (`<abc@example.com>`), or raise RowError: the same
    message is known by this exact text, so one that is not `<…@…>` is never mended."""
    from tinycrm.domain.mailtext import is_message_id

    text = value.strip()
    if not is_message_id(text):
        raise RowError(f"not a Message-ID: {value!r} (write it as <id@example.com>)")
    return text


def answer(criterion: str) -> Callable[[str], str | None]:
    """A reader of one qualification answer (yes, no, y, n or unknown, any case), for
    `Cells.read`: an answer that cannot be read raises RowError."""
    from tinycrm.domain.qualification import read_answer

    def read(value: str) -> str | None:
        try:
            return read_answer(criterion, value)
        except ValidationError as exc:
            raise RowError(f"{exc.message} (yes, no or unknown; y and n too)") from None

    return read


def domain(value: str) -> str:
    """Return a web domain without scheme or www. ('acme.com'), or raise RowError."""
    domain = value.lower().removeprefix("https://").removeprefix("http://")
    domain = domain.removeprefix("www.").strip("/")
    if " " in domain or "." not in domain:
        raise RowError(f"not a domain: {value!r}")
    return domain


def close_date(value: str) -> date:
    """Read an ISO date, or the date of an ISO date and time (HubSpot's close dates)."""
    try:
        return (
            date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value).date()
        )
    except ValueError:
        raise RowError(f"cannot read the date {value!r} (write it as 2026-12-31)") from None


def probability(value: str) -> int | None:
    """Read a probability (0 to 100, '40%' too), or raise RowError."""
    try:
        return read_probability(value)
    except ValidationError:
        raise RowError(f"not a probability: {value!r} (0 to 100)") from None
