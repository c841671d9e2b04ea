"""What an import file says, row by row, before it meets the database; and what came of it."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, TypeVar

from tinycrm.domain.text import check_text, fold
from tinycrm.errors import ValidationError

DUPLICATE_POLICIES = ("skip", "update", "merge")
_TAG_CHARS = re.compile(r"[^\w.+/-]+")
_NOT_DIGIT = re.compile(r"\D+")
_SPLITTERS: dict[str, re.Pattern[str]] = {}


@dataclass(slots=True)
class ContactIn:
    """A contact read from a file (values already checked)."""

    line: int
    name: str
    emails: list[tuple[str, str | None]] = field(default_factory=list)
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    urls: list[tuple[str, str | None]] = field(default_factory=list)
    company: str | None = None
    title: str | None = None
    source: str | None = None
    notes: str | None = None
    lifecycle: str | None = None
    tags: list[str] = field(default_factory=list)
    uuid: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    file: str | None = None  # the file it came from, when a folder is imported
    uid: str | None = None  # a vCard's UID exactly as written
    # the rest of a whole record (from a vCard): columns of the contact row (name parts,
    # nickname, the N as written, photo), the types and group of an email, phone or url
    # ((kind, value) -> (types, group)), addresses and dates as rows, lines kept verbatim
    parts: dict[str, str] = field(default_factory=dict)
    details: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    dates: list[dict[str, Any]] = field(default_factory=list)
    kept_lines: list[tuple[str, str]] = field(default_factory=list)  # (name, line)


@dataclass(slots=True)
class CompanyIn:
    """A company read from a file."""

    line: int
    name: str
    domain: str | None = None
    industry: str | None = None
    size: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    uuid: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DealIn:
    """A deal read from a file (amount in minor units, dates parsed)."""

    line: int
    title: str
    value: int | None = None
    currency: str | None = None
    stage: str | None = None
    pipeline: str | None = None
    status: str | None = None
    lost_reason: str | None = None
    expected_close: date | None = None
    probability: int | None = None
    recurring: str | None = None  # "monthly" or "yearly"; None: one-off (or not given)
    # qualification (BANT): "yes" or "no"; None: not known (or not given)
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timing: str | None = None
    contact: str | None = None
    contact_email: str | None = None
    company: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    uuid: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that cannot be read, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """A value left out of a row that was imported: the cell could not be read exactly."""

    line: int
    column: str
    value: str
    reason: str

    def describe(self) -> str:
        """Return the note as the summary lists it."""
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass(slots=True)
class Action:
    """What an import did (or would do) with one row: for a row that matched a record, the
    record (`target`, e.g. "contact #4 Jane Doe" or "line 2 Jane Doe") and why (`reason`)."""

    line: int
    action: str  # create, update, skip
    label: str
    record_id: int | None = None
    reason: str | None = None
    target: str | None = None

    def describe(self) -> str:
        """Return the row as the dry run lists it."""
        text = f"line {self.line}: {self.action} {self.label}"
        if self.target:
            text += f" -> {self.target}"
        if self.reason:
            text += f" ({self.reason})"
        return text


@dataclass(frozen=True, slots=True)
class Likeness:
    """A row that looks like another contact without being the same person by identity
    (a shared phone, the same first name only, the same name at another company): it was
    imported as its own contact, and is named so that the seller can merge the two."""

    line: int
    record_id: int
    label: str
    other_id: int
    other_label: str
    other_line: int | None  # the other is a row of the same file, new in this import
    reason: str
    new: bool  # the row's contact is created by this import

    def describe(self, dry_run: bool) -> str:
        """Return the likeness as the summary names it."""
        this = f"{self.label} (new)" if dry_run and self.new else f"#{self.record_id} {self.label}"
        if dry_run and self.other_line is not None:
            other = f"line {self.other_line} {self.other_label}"
        else:
            other = f"#{self.other_id} {self.other_label}"
        return f"line {self.line}: {this} looks like {other} ({self.reason})"


@dataclass
class ImportReport:
    """The outcome of an import: counts, each row's action, the rows that cannot be read."""

    kind: str
    source: str
    layout: str
    dry_run: bool
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    possible: list[Likeness] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)  # values left out of imported rows
    ignored_what: str = "columns"  # what ignored_columns names: CSV columns, vCard properties
    # the lines of won or lost deals dated at the import: no close date, or one still ahead
    undated_closed: list[int] = field(default_factory=list)
    kept_verbatim: list[str] = field(default_factory=list)  # vCard properties kept as written

    def count(self, action: str) -> int:
        """Return how many rows got this action."""
        return sum(1 for a in self.actions if a.action == action)

    def as_dict(self) -> dict[str, Any]:
        """Describe the report with stable names (the --json output)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "layout": self.layout,
            "dry_run": self.dry_run,
            "created": self.count("create"),
            "updated": self.count("update"),
            "skipped": self.count("skip"),
            "bad": len(self.problems),
            "rows": [
                {
                    "line": a.line,
                    "action": a.action,
                    "label": a.label,
                    "id": a.record_id,
                    "reason": a.reason,
                }
                for a in self.actions
            ],
            "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
            "dropped": [
                {"line": d.line, "column": d.column, "value": d.value, "reason": d.reason}
                for d in self.dropped
            ],
            "ignored_columns": self.ignored_columns,
            "closed_at_import": self.undated_closed,
            "kept_as_written": self.kept_verbatim,
            "possible_duplicates": [
                {
                    "line": p.line,
                    "id": p.record_id,
                    "label": p.label,
                    "other_id": p.other_id,
                    "other_label": p.other_label,
                    "other_line": p.other_line,
                    "reason": p.reason,
                }
                for p in self.possible
            ],
        }


class BadRowsError(ValidationError):
    """Some rows cannot be read, so nothing was imported."""

    def __init__(
        self, problems: list[Problem], dry_run: bool = False, report: ImportReport | None = None
    ) -> None:
        n = len(problems)
        outcome = "the import would write nothing" if dry_run else "nothing was imported"
        super().__init__(
            f"{n} row{'s' if n != 1 else ''} cannot be read; {outcome}",
            hint="fix the rows listed above, or pass --skip-bad to import the others",
        )
        self.problems = problems
        self.report = report  # a dry run's report, to show before the error


def fold_key(text: str) -> str:
    """Return text.fold(text), quickly for plain ASCII (most names in bulk imports)."""
    if text.isascii():
        return " ".join(text.lower().split())
    return fold(text)


def phone_key(phone: str) -> str:
    """Return text.phone_key(phone) (the digits, and a leading +), quickly."""
    digits = _NOT_DIGIT.sub("", phone)
    return ("+" + digits) if phone.strip().startswith("+") else digits


def tag_name(text: str) -> str | None:
    """Turn a label from another tool ('Friends & Family') into a tag ('friends-family')."""
    raw = text.strip().lstrip("*#").strip().lower()
    slug = _TAG_CHARS.sub("-", raw).strip("-.+/")
    return slug or None


def split_values(text: str | None, separators: str = ",;") -> list[str]:
    """Split a cell holding several values (Google's ' ::: ', commas, semicolons)."""
    if not text:
        return []
    pattern = _SPLITTERS.get(separators)
    if pattern is None:
        pattern = re.compile("|".join(re.escape(s) for s in (":::", *separators)))
        _SPLITTERS[separators] = pattern
    return [p.strip() for p in pattern.split(text) if p.strip()]


def uuid_key(text: str | None) -> str | None:
    """Return a UUID in its canonical form, or None if `text` is not one."""
    if not text:
        return None
    raw = text.strip().lower().removeprefix("urn:uuid:")
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


# Fields of a row that may hold several lines; the others are one line.
# (a vCard line kept verbatim holds the line breaks of a quoted-printable value)
# and a street may take two lines, as in an address book
_MULTI_LINE = frozenset({"notes", "lost_reason", "kept_line", "street"})
_NAMES = {"ContactIn": "contact", "CompanyIn": "company", "DealIn": "deal"}


Row = TypeVar("Row", ContactIn, CompanyIn, DealIn)


def checked(rec: Row) -> Row:
    """Return the row if none of its text holds a control character, else raise ValueError
    saying which field (the same rule as for what is typed, see domain.text.check_text)."""
    kind = _NAMES[type(rec).__name__]
    try:
        for item in fields(rec):
            if item.name in ("line", "file"):
                continue
            _check(getattr(rec, item.name), kind, item.name)
    except ValidationError as exc:
        raise ValueError(exc.message) from None
    return rec


def _check(value: Any, kind: str, name: str) -> None:
    if isinstance(value, str):
        what = name if name in ("company", "contact", "stage", "pipeline") else f"{kind} {name}"
        check_text(value, what.replace("_", " "), multi_line=name in _MULTI_LINE)
    elif isinstance(value, (list, tuple)):
        for part in value:
            _check(part, kind, name.removesuffix("s") if isinstance(value, list) else name)
    elif isinstance(value, dict) and name == "custom":
        for key, item in value.items():
            check_text(str(key), "custom field name")
            _check(item, kind, f"custom field {key}")
    elif isinstance(value, dict):  # the columns of a row: a name part, an address's street
        for key, item in value.items():
            _check(item, kind, key if isinstance(key, str) else name)
