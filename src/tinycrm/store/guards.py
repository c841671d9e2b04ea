"""The last check before a write: no text a command stores holds a control character.

Every service writes through a session of `Database.transaction`; checking what that session
flushes covers them all (typed commands, `crm edit` in $EDITOR, the board's forms) with one
rule. Imports check their rows earlier, in io/records.py, to name the row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from tinycrm.domain.text import check_text, visible

# Columns that may hold several lines; every other text column is one line.
# (a vCard line kept verbatim holds the line breaks of its quoted-printable value)
MULTI_LINE = frozenset({"notes", "summary", "lost_reason", "line", "street"})
# What the error calls a column, when "<table> <column>" would read badly.
_LABELS = {
    ("contact_email", "email"): "email",
    ("contact_phone", "phone"): "phone",
    ("contact_url", "url"): "web address",
    ("follow_up", "title"): "follow-up title",
    ("contact", "title"): "job title",
    ("interaction", "summary"): "interaction summary",
}
# History rows repeat values already checked; keys and UUIDs are derived by the code.
_SKIPPED_TABLES = frozenset({"event"})


def watch(session: Session) -> None:
    """Refuse, at flush time, text with control characters in what `session` writes.

    A summary the transaction was opened with is stored with control characters written
    as escapes (as `history.describe` stores the services' own).
    """
    summary = session.info.get("summary")
    if isinstance(summary, str):
        session.info["summary"] = visible(summary)
    event.listen(session, "before_flush", _before_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        _check(obj, None)
    for obj in session.dirty:
        _check(obj, inspect(obj))


def _check(obj: Any, state: Any) -> None:
    table = getattr(obj, "__tablename__", "")
    if table in _SKIPPED_TABLES:
        return
    for column in obj.__table__.columns:
        name = column.key
        if name == "uuid" or name.endswith("_key"):
            continue
        if state is None:
            values = [getattr(obj, name, None)]
        else:
            # only what this command changed: an old value is not refused on every edit
            values = list(state.attrs[name].history.added)
        for value in values:
            _check_value(value, table, name)


def _check_value(value: Any, table: str, name: str) -> None:
    label = _LABELS.get((table, name), f"{table.replace('_', ' ')} {name.replace('_', ' ')}")
    if isinstance(value, str):
        check_text(value, label, multi_line=name in MULTI_LINE)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(str(key), "custom field name")
            if isinstance(item, str):
                check_text(item, f"custom field {key}")
            else:
                _check_value(item, table, name)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, table, name)
