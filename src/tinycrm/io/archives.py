"""The full JSON export (every table, history included) and its exact restore into an empty
database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import column, delete, literal, select, table
from sqlalchemy.exc import IntegrityError, OperationalError

from tinycrm.domain.dates import to_stored
from tinycrm.domain.text import json_safe
from tinycrm.errors import ConflictError, StorageError, ValidationError
from tinycrm.store import bulk, dialect
from tinycrm.store.dialect import ColumnInfo
from tinycrm.store.models import Event

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tinycrm.store.db import Database

FORMAT = "tinycrm"
VERSION = 1
# Tables a new database fills by itself (the default pipeline and its history).
_SEEDED = ("pipeline", "stage", "event", "id_sequence", "redo_stack")


def _kind(column_info: ColumnInfo) -> str:
    """What a column holds, for its JSON form: datetime, json, bool or other."""
    for declared, kind in (("DATETIME", "datetime"), ("JSON", "json"), ("BOOLEAN", "bool")):
        if column_info.declared.startswith(declared):
            return kind
    return "other"


def _rows(conn: Connection, name: str, names: list[str]) -> list[Any]:
    """Return the rows of a table as stored, in the order they were written."""
    source = table(name, *(column(n) for n in names))
    return list(conn.execute(select(*source.c).order_by(dialect.insertion_order())))


def _to_json(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return moment.isoformat().replace("+00:00", "Z")
    if kind == "bool":
        return bool(value)
    if kind == "json":
        return json.loads(value)
    return value


def _from_json(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return to_stored(datetime.fromisoformat(value).astimezone(UTC))
    if kind == "bool":
        return int(bool(value))
    if kind == "json":
        return json.dumps(value)
    return value


def document(db: Database, now: datetime) -> dict[str, Any]:
    """Return the whole database as a versioned document (see docs/import-export.md)."""
    with db.snapshot() as session:
        conn = session.connection()
        schema = dialect.schema_number(conn)
        tables: dict[str, list[dict[str, Any]]] = {}
        for name in dialect.data_tables(conn):
            columns = [(c.name, _kind(c)) for c in dialect.columns_of(conn, name)]
            tables[name] = [
                {c: _to_json(kind, v) for (c, kind), v in zip(columns, row, strict=True)}
                for row in _rows(conn, name, [c for c, _ in columns])
            ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "schema": schema,
        "exported_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "tables": tables,
    }


def dump(db: Database, now: datetime) -> str:
    """Return the whole database as JSON text."""
    return json_safe(json.dumps(document(db, now), indent=2, ensure_ascii=False)) + "\n"


def _load(path: Path) -> dict[str, Any]:
    from tinycrm.io.sources import read_text, refuse_other_type

    text = read_text(path)
    refuse_other_type(text, path.name, "tinycrm", str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{path.name} is not JSON (line {exc.lineno}: {exc.msg}); nothing was imported"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            f'{path.name} is not a tinycrm export (no "format": "tinycrm"); nothing was imported',
            hint="import contacts from other tools with crm import csv or crm import vcard",
        )
    version = data.get("version")
    if not isinstance(version, int) or version < 1:
        raise ValidationError(f"{path.name} has no readable format version; nothing was imported")
    if version > VERSION:
        raise ValidationError(
            f"{path.name} was written by a newer tinycrm (export format {version}; this one "
            f"reads up to {VERSION}); nothing was imported",
            hint="upgrade tinycrm (pip install -U tinycrm), then import again",
        )
    if not isinstance(data.get("tables"), dict):
        raise ValidationError(f'{path.name} has no "tables"; nothing was imported')
    return data


def _refuse_non_empty(conn: Connection, db: Database) -> None:
    for name in dialect.data_tables(conn):
        if name in _SEEDED:
            continue
        if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
            break
    else:
        mine = select(Event.id).where(Event.origin != "system").limit(1)
        if conn.execute(mine).first() is None:
            return
    raise ConflictError(
        f"the database {db.path} already holds data; a JSON export is restored only into an"
        " empty database; nothing was imported",
        hint="restore into a new file: crm --db restored.db import json FILE",
    )


def restore(db: Database, path: Path) -> dict[str, int]:
    """Restore a JSON export into an empty database exactly (ids, UUIDs, history); return
    the rows written per table. One transaction: on any error nothing is written.

    The rows are written as they were exported, history rows included, so the restore
    itself records nothing."""
    data = _load(path)
    tables: dict[str, Any] = data["tables"]
    counts: dict[str, int] = {}
    try:
        with db.transaction(origin="import") as session:
            conn = session.connection()
            known = dialect.data_tables(conn)
            unknown = sorted(set(tables) - set(known))
            if unknown:
                raise ValidationError(
                    f"{path.name} has tables this tinycrm does not know: {', '.join(unknown)};"
                    " nothing was imported",
                    hint="upgrade tinycrm, then import again",
                )
            dialect.defer_foreign_keys(conn)
            _refuse_non_empty(conn, db)
            for name in known:
                conn.execute(delete(table(name)))
            for name in known:
                counts[name] = _restore_table(conn, name, tables.get(name, []), path.name)
            broken = dialect.broken_reference(conn)
            if broken:
                raise ValidationError(
                    f"{path.name} is inconsistent: a {broken[0]} row points to a missing"
                    f" {broken[1]}; nothing was imported"
                )
    except IntegrityError as exc:
        raise ValidationError(
            f"{path.name} cannot be restored: {exc.orig}; nothing was imported"
        ) from None
    except OperationalError as exc:
        raise StorageError(
            f"the database could not be written: {exc.orig}; nothing was imported"
        ) from None
    return counts


_LARGEST = 2**63 - 1


def _type_problem(decl: str, value: Any) -> str | None:
    """Say why `value` cannot go into a column declared `decl`, or return None."""
    if value is None or decl.startswith("JSON"):
        return None
    if decl.startswith("INTEGER"):
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not a whole number"
        return None if -_LARGEST - 1 <= value <= _LARGEST else "is too large"
    if decl.startswith("BOOLEAN"):
        return None if isinstance(value, bool) or value in (0, 1) else "is not true or false"
    if not isinstance(value, str):
        return "is not text"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text"
    try:
        if decl.startswith("DATETIME"):
            _from_json("datetime", value)
        elif decl.startswith("DATE"):
            date.fromisoformat(value)
    except (ValueError, OverflowError):
        return "is not a date" if decl == "DATE" else "is not a time"
    return None


def _check_rows(conn: Connection, table_name: str, rows: Any, name: str) -> None:
    """Refuse a table that is not a list of objects whose values fit their columns."""
    if not isinstance(rows, list):
        raise ValidationError(
            f"{name}: {table_name} is not a list of rows; nothing was imported",
            hint="restore a file written by crm export json",
        )
    info = dialect.columns_of(conn, table_name)
    decls = {c.name: c.declared for c in info}
    required = [c.name for c in info if c.required]
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ValidationError(
                f"{name}: row {number} of {table_name} is not an object; nothing was imported"
            )
        for key in required:
            if row.get(key) is None:
                raise ValidationError(
                    f"{name}: row {number} of {table_name} has no {key}; nothing was imported"
                )
        for key, value in row.items():
            if key not in decls:
                continue
            problem = _type_problem(decls[key], value)
            if problem:
                raise ValidationError(
                    f"{name}: row {number} of {table_name}: {key} {problem}; nothing was imported"
                )


def _restore_table(conn: Connection, table_name: str, rows: list[Any], name: str) -> int:
    _check_rows(conn, table_name, rows, name)
    if not rows:
        return 0
    kinds = {c.name: _kind(c) for c in dialect.columns_of(conn, table_name)}
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key not in kinds:
                raise ValidationError(
                    f"{name}: {table_name} has no column {key!r} here; nothing was imported",
                    hint="upgrade tinycrm, then import again",
                )
            if key not in keys:
                keys.append(key)
    try:
        values = [tuple(_from_json(kinds[k], row.get(k)) for k in keys) for row in rows]
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(f"{name}: a value of {table_name} cannot be read ({exc})") from None
    bulk.insert_rows(conn, table(table_name, *(column(k) for k in keys)), values)
    return len(rows)
