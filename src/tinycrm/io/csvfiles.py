"""CSV import (any recognised layout, any common encoding and delimiter) and CSV export with
stable columns. One cell is read in io.csvcells."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.qualification import CRITERIA
from tinycrm.domain.values import DEAL_STATUSES, read_recurring
from tinycrm.errors import UsageError, ValidationError
from tinycrm.io.csvcells import (
    Cells,
    answer,
    close_date,
    day,
    domain,
    email,
    neutralise,
    phone,
    probability,
    uuid_value,
)
from tinycrm.io.csvcells import RowError as RowError  # the vCard reader's too
from tinycrm.io.csvcells import lifecycle_value as lifecycle_value
from tinycrm.io.layouts import Layout, resolve
from tinycrm.io.records import (
    CompanyIn,
    ContactIn,
    DealIn,
    Dropped,
    ImportReport,
    Problem,
    checked,
    split_values,
    tag_name,
)

if TYPE_CHECKING:
    from tinycrm.io.imports import ImportOptions, Progress
    from tinycrm.store.db import Database

DELIMITERS = ",;\t"


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


def contact_from_row(cells: Cells) -> ContactIn:
    """Read one CSV row as a contact, or raise RowError."""
    from tinycrm.io.csvwhole import FIELDS, WholeRecord

    parts: dict[str, str] = {}
    rec = ContactIn(cells.line, "")
    whole = WholeRecord(cells)
    for field, label, value in cells:
        if field in FIELDS:
            whole.take(field, label, value)
        if field == "email":
            emails = [(e, label) for v in split_values(value) if (e := cells.read(v, email))]
            _listed(rec.emails, emails, cells.primary)
        elif field == "phone":
            phones = [(p, label) for v in split_values(value, ";") if (p := cells.read(v, phone))]
            _listed(rec.phones, phones, cells.primary)
        elif field == "url":
            rec.urls += [(v, label) for v in split_values(value, "; ")]
        elif field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t and t != "mycontacts"]
        elif field == "lifecycle":
            rec.lifecycle = cells.read(value, lifecycle_value)
        elif field == "uuid":
            rec.uuid = cells.read(value, uuid_value)
        elif field == "uid":
            rec.uid = value  # a vCard UID from another address book, any form
        elif field == "connected_on":
            connected = cells.read(value, day)
            if connected:
                rec.custom["connected_on"] = connected
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        elif field == "custom":  # Google's "Custom Field 1 - Value", named by its label
            rec.custom[label or "custom"] = value
        elif field in ("name", "first_name", "middle_name", "last_name"):
            parts[field] = value
        elif field not in FIELDS:
            setattr(rec, field, value)
    whole.fill(rec)
    name = parts.get("name") or " ".join(
        parts[k] for k in ("first_name", "middle_name", "last_name") if k in parts
    )
    if not name:
        if rec.emails:
            name = rec.emails[0][0]
        else:
            raise RowError("no name and no email" + _without(cells))
    rec.name = " ".join(name.split())
    rec.tags = list(dict.fromkeys(rec.tags))
    return rec


def _listed(
    values: list[tuple[str, str | None]], new: list[tuple[str, str | None]], primary: bool
) -> None:
    """Add a cell's emails or phones; first, when its label marks them primary (`* Home`)."""
    if primary:
        values[:0] = new
    else:
        values += new


def _without(cells: Cells) -> str:
    """Say which cells were left out of a row that is refused for what they lacked."""
    if not cells.dropped:
        return ""
    return " (" + "; ".join(f"column {d.column}: {d.reason}" for d in cells.dropped) + ")"


def company_from_row(cells: Cells) -> CompanyIn:
    """Read one CSV row as a company, or raise RowError."""
    rec = CompanyIn(cells.line, "")
    for field, _label, value in cells:
        if field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t]
        elif field == "uuid":
            rec.uuid = cells.read(value, uuid_value)
        elif field == "domain":
            rec.domain = cells.read(value, domain)
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        else:
            setattr(rec, field, value)
    if not rec.name:
        raise RowError("no company name")
    return rec


def deal_from_row(cells: Cells, currency: str) -> DealIn:
    """Read one CSV row as a deal (amounts and dates exactly). A status, currency or
    recurrence that cannot be read refuses the row, whatever `strict` says: where the deal
    goes and what its amount means depend on them."""
    from tinycrm.domain.money import check_currency, parse_money

    rec = DealIn(cells.line, "")
    raw_value = None
    value_column = ""
    for field, _label, value in cells:
        if field == "value":
            raw_value, value_column = value, cells.column
        elif field == "currency":
            try:
                rec.currency = check_currency(value)
            except ValidationError as exc:
                cells.refuse(exc.message, value)
        elif field == "expected_close":
            rec.expected_close = cells.read(value, close_date)
        elif field == "probability":
            rec.probability = cells.read(value, probability)
        elif field in CRITERIA:
            setattr(rec, field, cells.read(value, answer(field)))
        elif field == "recurring":
            try:
                rec.recurring = read_recurring(value)
            except ValidationError as exc:
                cells.refuse(exc.message, value)
        elif field == "status":
            status = value.strip().lower()
            if status not in DEAL_STATUSES:
                cells.refuse(f"not a deal status: {value!r} (open, won or lost)", value)
            rec.status = status
        elif field == "contact_email":
            rec.contact_email = cells.read(value, email)
        elif field == "tags":
            rec.tags += [t for t in map(tag_name, split_values(value)) if t]
        elif field == "uuid":
            rec.uuid = cells.read(value, uuid_value)
        elif field.startswith("custom."):
            rec.custom[field[7:]] = value
        else:
            setattr(rec, field, value)
    if not rec.title:
        raise RowError("no deal title")
    if raw_value is not None:
        deal_currency = rec.currency or currency

        def money(text: str) -> int:
            try:
                return parse_money(text, deal_currency)
            except ValidationError as exc:
                raise RowError(exc.message) from None

        cells.column = value_column
        rec.value = cells.read(raw_value, money)
    rec.tags = list(dict.fromkeys(rec.tags))
    return rec


@dataclass
class CsvRecords:
    """What a CSV file holds: the records read, the rows that cannot be read, the values left
    out of rows that were read, and the layout."""

    records: list[Any]
    problems: list[Problem]
    dropped: list[Dropped]
    layout: Layout


def records_from_csv(
    text: str,
    kind: str,
    maps: dict[str, str],
    name: str,
    currency: str = "USD",
    strict: bool = False,
    now: datetime | None = None,
) -> CsvRecords:
    """Read a whole CSV text as records of `kind`. A cell that cannot be read is left out of
    its record and noted in `dropped`; with `strict`, its row is refused instead. `now`
    is when the import runs (an interaction cannot have happened after it)."""
    from tinycrm.io.activities import follow_up_from_row, interaction_from_row

    parsed = read_rows(text, kind, maps, name)
    layout = parsed.layout
    out = CsvRecords([], [], [], layout)
    for line, row in parsed.rows:
        cells = Cells(line, layout, row, strict)
        try:
            if kind == "contacts":
                out.records.append(checked(contact_from_row(cells)))
            elif kind == "companies":
                out.records.append(checked(company_from_row(cells)))
            elif kind == "deals":
                out.records.append(checked(deal_from_row(cells, currency)))
            elif kind == "interactions":
                out.records.append(interaction_from_row(cells, now or datetime.now(UTC)))
            else:
                out.records.append(follow_up_from_row(cells))
        except (RowError, ValueError) as exc:
            out.problems.append(Problem(line, str(exc)))
        else:
            out.dropped += cells.dropped
    return out


# --- export ---------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "id", "uuid", "name", "email", "emails", "phones", "urls", "company", "title", "lifecycle",
    "source", "tags", "notes", "created_at", "updated_at", "uid", "given_name", "middle_name",
    "family_name", "name_prefix", "name_suffix", "nickname", "birthday", "anniversary",
    "address_label", "address_po_box", "address_extended", "address_street",
    "address_locality", "address_region", "address_postcode", "address_country",
)  # fmt: skip
COMPANY_COLUMNS = (
    "id", "uuid", "name", "domain", "industry", "size", "tags", "notes", "created_at",
    "updated_at",
)  # fmt: skip
DEAL_COLUMNS = (
    "id", "uuid", "title", "pipeline", "stage", "status", "value", "currency", "recurring",
    "probability", "expected_close", "budget", "authority", "need", "timing", "contact",
    "contact_email", "company", "lost_reason", "tags", "notes", "closed_at", "created_at",
    "updated_at",
)  # fmt: skip
INTERACTION_COLUMNS = (
    "id", "uuid", "contact", "deal", "kind", "direction", "when", "summary", "message_id",
    "created_at",
)  # fmt: skip
FOLLOW_UP_COLUMNS = (
    "id", "uuid", "contact", "deal", "title", "due", "all_day", "recurrence", "status",
    "snoozed_until", "priority", "completed_at", "created_at",
)  # fmt: skip
COLUMNS = {
    "contacts": CONTACT_COLUMNS, "companies": COMPANY_COLUMNS, "deals": DEAL_COLUMNS,
    "interactions": INTERACTION_COLUMNS, "follow-ups": FOLLOW_UP_COLUMNS,
}  # fmt: skip


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
    """Import a CSV file of contacts, companies, deals, interactions or follow-ups; one
    transaction, one undo step."""
    from tinycrm.io import imports
    from tinycrm.io.layouts import KINDS, parse_maps
    from tinycrm.io.sources import read_text, refuse_other_type

    if kind not in KINDS:
        raise UsageError(f"--kind takes {', '.join(KINDS)}, not {kind!r}")
    options = options or imports.ImportOptions()
    if kind in ("interactions", "follow-ups") and options.on_duplicate != "skip":
        raise UsageError(
            f"--on-duplicate {options.on_duplicate} is for contacts, companies and deals;"
            f" {kind} already here are skipped"
        )
    text = read_text(path)
    refuse_other_type(text, path.name, "csv", str(path))
    read = records_from_csv(
        text, kind, parse_maps(maps or []), path.name, options.currency, options.strict, now
    )
    records = read.records
    report = ImportReport(kind, path.name, read.layout.name, options.dry_run)
    report.problems = read.problems
    report.dropped = read.dropped
    report.ignored_columns = read.layout.ignored
    if kind == "contacts":
        return imports.import_contacts(db, records, report, options, now, progress)
    if kind == "companies":
        return imports.import_companies(db, records, report, options, now, progress)
    if kind == "deals":
        return imports.import_deals(db, records, report, options, now, progress)
    return imports.import_activities(db, kind, records, report, options, now, progress)
