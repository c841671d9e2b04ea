"""A record as a plain-text form (`key: value` lines, `#` comments) to edit in any text editor:
formatting, parsing, the changes between two forms, and the edit-until-valid loop."""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.core.edits import CUSTOM_KEY, FIELDS, Changes, check_custom_key
from tinycrm.domain.qualification import CRITERIA, answers_of
from tinycrm.errors import (
    AmbiguousError,
    ConflictError,
    NotFoundError,
    TinyCrmError,
    ValidationError,
)
from tinycrm.system import foreground

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.db import Database

LISTS: dict[str, tuple[str, ...]] = {
    "contact": ("emails", "phones", "tags"),
    "company": ("tags",),
    "deal": ("tags",),
}
CUSTOM = "custom."
_ERROR_MARK = "# error: "
_HINT_MARK = "# hint: "
# Mistakes in a form that the person can fix by editing it again.
FIXABLE = (ValidationError, NotFoundError, AmbiguousError, ConflictError)


class FormError(ValidationError):
    """A form that cannot be read (a line that is not `key: value`, an unknown field)."""


@dataclass
class Form:
    """The values of a form: scalar fields as text, lists, and custom fields."""

    kind: str
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)


def keys_of(kind: str) -> tuple[str, ...]:
    """Return the field names a form of `kind` has, in order."""
    return FIELDS[kind] + LISTS[kind]


def _values(session: Session, kind: str, record_id: int) -> tuple[Form, list[str]]:
    """Read a record into a Form, with comment lines that describe it."""
    from tinycrm.core import views
    from tinycrm.core.edits import get_record

    record = get_record(session, kind, record_id)
    form = Form(kind)
    about: list[str] = []
    data: Mapping[str, Any]
    if kind == "contact":
        data = views.contact_dict(session, record)
        form.fields = {
            "name": data["name"],
            "title": data["title"] or "",
            "company": data["company"]["name"] if data["company"] else "",
            "lifecycle": data["lifecycle"],
            "source": data["source"] or "",
            "notes": data["notes"] or "",
            "keep_in_touch_days": str(data["keep_in_touch_days"] or ""),
            "given_name": data["name_parts"]["given"] or "",
            "family_name": data["name_parts"]["family"] or "",
            "middle_name": data["name_parts"]["middle"] or "",
            "name_prefix": data["name_parts"]["prefix"] or "",
            "name_suffix": data["name_parts"]["suffix"] or "",
            "nickname": data["nickname"] or "",
            **{
                kind: next((d["date"] for d in data["dates"] if d["kind"] == kind), "")
                for kind in ("birthday", "anniversary")
            },
        }
        form.lists = {
            "emails": [e["email"] for e in data["emails"]],
            "phones": [p["phone"] for p in data["phones"]],
            "tags": data["tags"],
        }
        about.append("lifecycle: lead, prospect, customer or former customer")
        about.append("emails, phones, tags: comma-separated")
        about.append("birthday, anniversary: 1985-04-12, or --04-12 with no year")
    elif kind == "company":
        data = views.company_dict(session, record)
        values: Mapping[str, Any] = data
        form.fields = {k: values[k] or "" for k in FIELDS["company"]}
        form.lists = {"tags": data["tags"]}
    else:
        data = views.deal_dict(session, record, with_history=False)
        form.fields = {
            "title": data["title"],
            "contact": data["contact"]["name"] if data["contact"] else "",
            "company": data["company"]["name"] if data["company"] else "",
            "value": data["value"] or "",
            "recurring": data["recurring"] or "",
            "currency": data["currency"],
            "close": data["expected_close"] or "",
            "probability": str(record.probability) if record.probability is not None else "",
            "notes": data["notes"] or "",
            **{
                name: answer or ""
                for name, answer in zip(CRITERIA, answers_of(data["qualification"]), strict=True)
            },
        }
        form.lists = {"tags": data["tags"]}
        about.append(
            f"stage: {data['stage']} ({data['pipeline']}), {data['status']};"
            " change it with: crm move"
        )
        about.append(
            f"probability: empty means the stage's ({data['probability']}%);"
            " close: a date such as 2026-12-31"
        )
        about.append("budget, authority, need, timing: yes, no, or empty when not known")
        about.append(
            "recurring: monthly or yearly (the value is per month or year); empty: one-off"
        )
    form.custom = {str(k): str(v) for k, v in (data["custom"] or {}).items()}
    return form, about


def format_form(form: Form, title: str, about: list[str] | None = None) -> str:
    """Render a Form as text: comments on top, then one `key: value` line per field."""
    lines = [
        f"# {title}",
        "# Edit the values, save and close. Lines starting with # are ignored.",
        "# Empty a value to clear it; empty the whole file to cancel.",
        "# Notes may go on over several lines indented by two spaces.",
        f"# Custom fields: add, change or delete lines like '{CUSTOM}plan: gold'.",
    ]
    lines += [f"# {line}" for line in about or []]
    lines.append("")
    for key in keys_of(form.kind):
        if key in form.lists:
            lines.append(f"{key}: {', '.join(form.lists[key])}".rstrip())
            continue
        value = form.fields.get(key, "")
        if key != "notes":
            lines.append(f"{key}: {' '.join(value.split())}".rstrip())
            continue
        first, *rest = value.split("\n") if value else [""]
        lines.append(f"{key}: {first}".rstrip())
        lines += [f"  {line}".rstrip() if line.strip() else "" for line in rest]
    for key, value in sorted(form.custom.items()):
        flat = " ".join(value.split())
        if CUSTOM_KEY.match(key):
            lines.append(f"{CUSTOM}{key}: {flat}".rstrip())
        else:  # a name this form cannot hold (from an import): shown, kept as it is
            lines.append(f"# custom field {key!r} (kept as it is): {flat}")
    return "\n".join(lines) + "\n"


def record_form(session: Session, kind: str, record_id: int) -> tuple[Form, str]:
    """Return a record's Form and its text, ready for an editor."""
    from tinycrm.core.edits import get_record, label_of

    form, about = _values(session, kind, record_id)
    label = label_of(get_record(session, kind, record_id))
    return form, format_form(form, f"{kind} #{record_id} {label}", about)


def is_blank(text: str) -> bool:
    """Tell whether a form has nothing but comments and empty lines (which cancels)."""
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def parse_form(kind: str, text: str) -> Form:
    """Read a form's text; raise FormError naming the line for anything that is not a field."""
    known = keys_of(kind)
    form = Form(kind)
    seen: set[str] = set()
    current: str | None = None
    blanks = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            continue
        if not line.strip():
            blanks += 1
            continue
        if line[0] in " \t":
            if current != "notes":
                raise FormError(
                    f"line {number}: only notes can go on over several lines",
                    hint="start each field at the beginning of a line, as 'key: value'",
                )
            text_part = line[2:] if line.startswith("  ") else line.lstrip()
            form.fields["notes"] += "\n" * (blanks + 1) + text_part.rstrip()
            blanks = 0
            continue
        blanks = 0
        key, sep, value = line.partition(":")
        key = key.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep:
            raise FormError(
                f"line {number}: expected 'field: value', got {line.strip()[:40]!r}",
                hint="lines look like 'name: Jane Doe'; comments start with #",
            )
        value = value.strip()
        if key.startswith(CUSTOM):
            try:
                name = check_custom_key(line.partition(":")[0].strip()[len(CUSTOM) :])
            except ValidationError as exc:
                raise FormError(f"line {number}: {exc.message}", hint=exc.hint) from None
            if name in form.custom:
                raise FormError(f"line {number}: custom field {name!r} is given twice")
            form.custom[name] = value
            current = None
            continue
        if key not in known:
            raise FormError(
                f"line {number}: a {kind} has no field {key!r}",
                hint=f"fields: {', '.join(known)}, {CUSTOM}NAME",
            )
        if key in seen:
            raise FormError(f"line {number}: {key!r} is given twice")
        seen.add(key)
        current = key
        if key in LISTS[kind]:
            form.lists[key] = [item.strip() for item in value.split(",") if item.strip()]
        else:
            form.fields[key] = value
    for key in FIELDS[kind]:
        form.fields.setdefault(key, "")
    for key in LISTS[kind]:
        form.lists.setdefault(key, [])
    return form


def _list_key(name: str, item: str) -> str:
    from tinycrm.core.tags import normalise
    from tinycrm.domain.text import phone_key

    if name == "phones":
        return phone_key(item)
    if name == "tags":
        return normalise(item)
    return item.lower()


def diff(before: Form, after: Form) -> Changes:
    """Return the Changes that turn the `before` form into the `after` one."""
    changes = Changes()
    for key, value in after.fields.items():
        if value != before.fields.get(key, ""):
            changes.fields[key] = value
    for name in LISTS[after.kind]:
        old = {_list_key(name, i): i for i in before.lists.get(name, [])}
        new = {_list_key(name, i): i for i in after.lists.get(name, [])}
        added = [item for k, item in new.items() if k not in old]
        removed = [item for k, item in old.items() if k not in new]
        if name == "emails":
            changes.add_emails, changes.remove_emails = added, removed
        elif name == "phones":
            changes.add_phones, changes.remove_phones = added, removed
        else:
            changes.add_tags, changes.remove_tags = added, removed
    for key, value in after.custom.items():
        if before.custom.get(key) != value:
            changes.set_custom[key] = value
    changes.unset_custom = [k for k in before.custom if k not in after.custom]
    return changes


def with_error(text: str, error: TinyCrmError) -> str:
    """Put an error (and its hint) as comments on top of a form, replacing an earlier one."""
    lines = text.splitlines()
    while lines and (lines[0].startswith(_ERROR_MARK) or lines[0].startswith(_HINT_MARK)):
        lines.pop(0)
    top = [f"{_ERROR_MARK}{error.message}"]
    if error.hint:
        top.append(f"{_HINT_MARK}{error.hint}")
    return "\n".join(top + lines) + "\n"


def run_editor(text: str, editor: str | None = None) -> str | None:
    """Let a person edit `text` in $EDITOR (else vi); return the saved text, or None if the
    editor exited with an error. The file is private to its owner and removed afterwards."""
    command = shlex.split(editor or os.environ.get("EDITOR") or "vi")
    if not command:
        command = ["vi"]
    fd, name = tempfile.mkstemp(prefix="tinycrm-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            status = foreground.run([*command, str(path)])
        except OSError as exc:
            raise TinyCrmError(
                f"cannot start the editor {command[0]!r}: {exc.strerror or exc}",
                hint="set EDITOR to your editor, e.g. export EDITOR=nano",
            ) from None
        if status != 0:
            return None
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)


@dataclass(frozen=True)
class EditOutcome:
    """How an edit in the editor ended: 'saved', 'unchanged' or 'cancelled' (with why)."""

    status: str
    changes: Changes | None = None
    reason: str | None = None


def edit_in_editor(
    db: Database,
    kind: str,
    record_id: int,
    *,
    now: datetime,
    edit: Callable[[str], str | None] = run_editor,
    origin: str = "cli",
) -> EditOutcome:
    """Open a record's form with `edit` until it is valid, then save it as one command.

    Nothing is written until the form is valid; an invalid one is reopened with the error on
    top. An unchanged file changes nothing; an empty file or a failed editor cancels.
    """
    from tinycrm.core.edits import apply_changes

    with db.snapshot() as session:
        _, shown = record_form(session, kind, record_id)
    # compare with the form as read back, so what the text cannot show is never a change
    original = parse_form(kind, shown)
    last_error: TinyCrmError | None = None
    while True:
        edited = edit(shown)
        if edited is None:
            return EditOutcome("cancelled", reason="the editor exited with an error")
        if is_blank(edited):
            return EditOutcome("cancelled", reason="the file was empty")
        if edited == shown:
            if last_error is None:
                return EditOutcome("unchanged")
            return EditOutcome("cancelled", reason=f"the form still had an error: {last_error}")
        try:
            changes = diff(original, parse_form(kind, edited))
            if changes.is_empty():
                return EditOutcome("unchanged")
            with db.transaction(origin=origin, now=now) as session:
                apply_changes(session, kind, record_id, changes, now)
            return EditOutcome("saved", changes)
        except FIXABLE as error:
            last_error = error
            shown = with_error(edited, error)
