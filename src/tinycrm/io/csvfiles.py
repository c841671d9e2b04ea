"""CSV import (any recognised layout, any common encoding and delimiter) and CSV export with
stable columns."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.text import is_email
from tinycrm.domain.values import DEAL_STATUSES, read_probability
from tinycrm.errors import UsageError, ValidationError
from tinycrm.io.layouts import Layout, resolve
from tinycrm.io.records import (
    CompanyIn,
    ContactIn,
    DealIn,
    ImportReport,
    Problem,
    checked,
    phone_key,
    split_values,
    tag_name,
    uuid_key,
)

if TYPE_CHECKING:
    from tinycrm.io.imports import ImportOptions, Progress
    from tinycrm.store.db import Database

DELIMITERS = ",;\t"
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
    """A cell that cannot be read exactly."""


def sniff_delimiter(text: str) -> str:
    """Return the delimiter of a CSV text: csv.Sniffer, checked against the header line."""
    header = text.split("\n", 1)[0]
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    try:
        found = csv.Sniffer().sniff(text[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and counts.get(found, 0) > 0:
        return found
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    quoted = False
    n = 0
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            n += 1
    return n


@dataclass
class CsvRows:
    """The rows of a CSV file with the line each starts on, and its recognised layout."""

    layout: Layout
    rows: list[tuple[int, list[str]]]


def skip_preamble(text: str) -> tuple[str, int]:
    """Return the text from its header row on, and how many lines came before it: LinkedIn's
    Connections.csv starts with a "Notes:" line and a quoted note, then a blank line."""
    first = text.split("\n", 1)[0].strip().strip('"').lower()
    if first != "notes:":
        return text, 0
    lines = text.split("\n")
    for n, line in enumerate(lines[1:], start=1):
        if not line.strip():
            return "\n".join(lines[n + 1 :]), n + 1
    return text, 0


def read_rows(text: str, kind: str, maps: dict[str, str], name: str) -> CsvRows:
    """Split a CSV text into rows and recognise its header; refuse an empty or unknown file."""
    if not text.strip():
        raise ValidationError(f"{name} is empty; nothing was imported")
    text, offset = skip_preamble(text)
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        # Excel's hint line, e.g. "sep=;", names the delimiter
        delimiter, text, offset = first.strip()[4], rest, offset + 1
    else:
        delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        headers = next(reader, [])
        rows: list[tuple[int, list[str]]] = []
        last = reader.line_num
        for row in reader:
            if "".join(row).strip():
                rows.append((offset + last + 1, row))
            last = reader.line_num
    except csv.Error as exc:
        raise ValidationError(
            f"{name} is not a readable CSV file (line {offset + reader.line_num}: {exc})"
        ) from None
    layout = resolve([h.strip() for h in headers], kind, maps)
    return CsvRows(layout, rows)


def _cells(layout: Layout, row: list[str]) -> Iterator[tuple[str, str | None, str]]:
    """Yield (field, label, value) for each non-empty mapped cell of a row."""
    for i, target in layout.targets.items():
        if i >= len(row):
            continue
        value = restore(row[i].strip())
        if not value.strip():
            continue
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        label = target.label
        if target.label_column is not None and target.label_column < len(row):
            label = row[target.label_column].strip().lstrip("* ").lower() or None
        yield target.field, label, value


def _email(value: str) -> str:
    if not is_email(value):
        raise RowError(f"not an email address: {value!r}")
    return value


def _phone(value: str) -> str:
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


def _day(value: str) -> str:
    """Read a day as LinkedIn writes it ('03 Jan 2023') or as an ISO date; return it as an ISO
    date, or raise RowError (never a guess)."""
    match = _DAY_MONTH_YEAR.fullmatch(value.strip().lower())
    try:
        if match and match[2] in _MONTHS:
            return date(int(match[3]), _MONTHS.index(match[2]) + 1, int(match[1])).isoformat()
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise RowError(f"cannot read the date {value!r} (write it as 2026-12-31)") from None


def _uuid(value: str) -> str:
    found = uuid_key(value)
    if found is None:
        raise RowError(f"not a UUID: {value!r}")
    return found


def contact_from_row(line: int, layout: Layout, row: list[str]) -> ContactIn:
    """Read one CSV row as a contact, or raise RowError."""
    parts: dict[str, str] = {}
    rec = ContactIn(line, "")
    for field, label, value in _cells(layout, row):
        if field == "email":
            rec.emails += [(_email(v), label) for v in split_values(value)]
        elif field == "phone":
            rec.phones += [(_phone(v), label) for v in split_values(value, ";")]
        elif field == "url":
            rec.urls += [(v, label) for v in split_values(value, "; ")]
        elif field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t and t != "mycontacts"]
        elif field == "lifecycle":
            rec.lifecycle = lifecycle_value(value)
        elif field == "uuid":
            rec.uuid = _uuid(value)
        elif field == "uid":
            rec.uid = value  # a vCard UID from another address book, any form
        elif field == "connected_on":
            rec.custom["connected_on"] = _day(value)
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        elif field == "custom":  # Google's "Custom Field 1 - Value", named by its label
            rec.custom[label or "custom"] = value
        elif field in ("name", "first_name", "middle_name", "last_name"):
            parts[field] = value
        else:
            setattr(rec, field, value)
    name = parts.get("name") or " ".join(
        parts[k] for k in ("first_name", "middle_name", "last_name") if k in parts
    )
    if not name:
        if rec.emails:
            name = rec.emails[0][0]
        else:
            raise RowError("no name and no email")
    rec.name = " ".join(name.split())
    rec.tags = list(dict.fromkeys(rec.tags))
    return rec


def company_from_row(line: int, layout: Layout, row: list[str]) -> CompanyIn:
    """Read one CSV row as a company, or raise RowError."""
    rec = CompanyIn(line, "")
    for field, _label, value in _cells(layout, row):
        if field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t]
        elif field == "uuid":
            rec.uuid = _uuid(value)
        elif field == "domain":
            domain = value.lower().removeprefix("https://").removeprefix("http://")
            domain = domain.removeprefix("www.").strip("/")
            if " " in domain or "." not in domain:
                raise RowError(f"not a domain: {value!r}")
            rec.domain = domain
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        else:
            setattr(rec, field, value)
    if not rec.name:
        raise RowError("no company name")
    return rec


def deal_from_row(line: int, layout: Layout, row: list[str], currency: str) -> DealIn:
    """Read one CSV row as a deal (amounts and dates exactly, or RowError)."""
    from tinycrm.domain.money import check_currency, parse_money

    rec = DealIn(line, "")
    raw_value = None
    for field, _label, value in _cells(layout, row):
        if field == "value":
            raw_value = value
        elif field == "currency":
            try:
                rec.currency = check_currency(value)
            except ValidationError as exc:
                raise RowError(exc.message) from None
        elif field == "expected_close":
            try:
                rec.expected_close = (
                    date.fromisoformat(value)
                    if len(value) <= 10
                    else datetime.fromisoformat(value).date()
                )
            except ValueError:
                raise RowError(f"cannot read the date {value!r} (write it as 2026-12-31)") from None
        elif field == "probability":
            try:
                rec.probability = read_probability(value)
            except ValidationError:
                raise RowError(f"not a probability: {value!r} (0 to 100)") from None
        elif field == "status":
            status = value.strip().lower()
            if status not in DEAL_STATUSES:
                raise RowError(f"not a deal status: {value!r} (open, won or lost)")
            rec.status = status
        elif field == "contact_email":
            rec.contact_email = _email(value)
        elif field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t]
        elif field == "uuid":
            rec.uuid = _uuid(value)
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        else:
            setattr(rec, field, value)
    if not rec.title:
        raise RowError("no deal title")
    if raw_value is not None:
        try:
            rec.value = parse_money(raw_value, rec.currency or currency)
        except ValidationError as exc:
            raise RowError(exc.message) from None
    rec.tags = list(dict.fromkeys(rec.tags))
    return rec


def records_from_csv(
    text: str, kind: str, maps: dict[str, str], name: str, currency: str = "USD"
) -> tuple[list[Any], list[Problem], Layout]:
    """Read a whole CSV text as records of `kind`, with the rows that cannot be read."""
    parsed = read_rows(text, kind, maps, name)
    layout = parsed.layout
    records: list[Any] = []
    problems: list[Problem] = []
    for line, row in parsed.rows:
        try:
            if kind == "contacts":
                records.append(checked(contact_from_row(line, layout, row)))
            elif kind == "companies":
                records.append(checked(company_from_row(line, layout, row)))
            else:
                records.append(checked(deal_from_row(line, layout, row, currency)))
        except (RowError, ValueError) as exc:
            problems.append(Problem(line, str(exc)))
    return records, problems, layout


# --- export ---------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "id", "uuid", "name", "email", "emails", "phones", "urls", "company", "title", "lifecycle",
    "source", "tags", "notes", "created_at", "updated_at", "uid",
)  # fmt: skip
COMPANY_COLUMNS = (
    "id", "uuid", "name", "domain", "industry", "size", "tags", "notes", "created_at",
    "updated_at",
)  # fmt: skip
DEAL_COLUMNS = (
    "id", "uuid", "title", "pipeline", "stage", "status", "value", "currency", "probability",
    "expected_close", "contact", "contact_email", "company", "lost_reason", "tags", "notes",
    "closed_at", "created_at", "updated_at",
)  # fmt: skip
COLUMNS = {"contacts": CONTACT_COLUMNS, "companies": COMPANY_COLUMNS, "deals": DEAL_COLUMNS}


def write_csv(kind: str, rows: list[dict[str, Any]], out: io.TextIOBase | Any) -> int:
    """Write export rows (from io.exports) as CSV with the documented columns; return the count."""
    writer = csv.writer(out, lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row.get(c)) for c in columns])
    return len(rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return neutralise("; ".join(str(v) for v in value))
    return neutralise(value if isinstance(value, str) else str(value))


def import_csv(
    db: Database,
    path: Path,
    *,
    kind: str = "contacts",
    maps: list[str] | None = None,
    options: ImportOptions | None = None,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV file of contacts, companies or deals; one transaction, one undo step."""
    from tinycrm.io import imports
    from tinycrm.io.layouts import KINDS, parse_maps
    from tinycrm.io.sources import read_text

    if kind not in KINDS:
        raise UsageError(f"--kind takes contacts, companies or deals, not {kind!r}")
    options = options or imports.ImportOptions()
    text = read_text(path)
    records, problems, layout = records_from_csv(
        text, kind, parse_maps(maps or []), path.name, options.currency
    )
    report = ImportReport(kind, path.name, layout.name, options.dry_run)
    report.problems = problems
    report.ignored_columns = layout.ignored
    if kind == "contacts":
        return imports.import_contacts(db, records, report, options, now, progress)
    if kind == "companies":
        return imports.import_companies(db, records, report, options, now, progress)
    return imports.import_deals(db, records, report, options, now, progress)
