"""The full JSON export (every table, history included) and its exact restore into an empty
database."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinycrm.domain.text import json_safe
from tinycrm.errors import ConflictError, StorageError, ValidationError
from tinycrm.io.batches import SQL_TIME, columns_of, insert_many

if TYPE_CHECKING:
    from tinycrm.store.db import Database

FORMAT = "tinycrm"
VERSION = 1
# Tables a new database fills by itself (the default pipeline and its history).
_SEEDED = ("pipeline", "stage", "event", "id_sequence", "redo_stack")


def data_tables(conn: sqlite3.Connection) -> list[str]:
    """Return the tables holding data, by name: not SQLite's, not the search index's."""
    rows = list(
        conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    )
    virtual = [n for n, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [
        n for n, _ in rows if n not in virtual and not any(n.startswith(f"{v}_") for v in virtual)
    ]


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
        return datetime.fromisoformat(value).astimezone(UTC).strftime(SQL_TIME)
    if kind == "bool":
        return int(bool(value))
    if kind == "json":
        return json.dumps(value)
    return value


def document(db: Database, now: datetime) -> dict[str, Any]:
    """Return the whole database as a versioned document (see docs/import-export.md)."""
    conn = db.raw()
    try:
        conn.execute("BEGIN")
        schema = conn.execute("PRAGMA user_version").fetchone()[0]
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in data_tables(conn):
            columns = columns_of(conn, table)
            names = ", ".join(f'"{c.name}"' for c in columns)
            rows = []
            for row in conn.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid'):
                rows.append(
                    {c.name: _to_json(c.kind, v) for c, v in zip(columns, row, strict=True)}
                )
            tables[table] = rows
        conn.execute("ROLLBACK")
    finally:
        conn.close()
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
    from tinycrm.io.sources import read_text

    text = read_text(path)
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


def _refuse_non_empty(conn: sqlite3.Connection, db: Database) -> None:
    for table in data_tables(conn):
        if table in _SEEDED:
            continue
        if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
            break
    else:
        if not conn.execute("SELECT 1 FROM event WHERE origin != 'system' LIMIT 1").fetchone():
            return
    raise ConflictError(
        f"the database {db.path} already holds data; a JSON export is restored only into an"
        " empty database; nothing was imported",
        hint="restore into a new file: crm --db restored.db import json FILE",
    )


def restore(db: Database, path: Path) -> dict[str, int]:
    """Restore a JSON export into an empty database exactly (ids, UUIDs, history); return
    the rows written per table. One transaction: on any error nothing is written."""
    data = _load(path)
    tables: dict[str, Any] = data["tables"]
    conn = db.raw()
    counts: dict[str, int] = {}
    try:
        known = data_tables(conn)
        unknown = sorted(set(tables) - set(known))
        if unknown:
            raise ValidationError(
                f"{path.name} has tables this tinycrm does not know: {', '.join(unknown)};"
                " nothing was imported",
                hint="upgrade tinycrm, then import again",
            )
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN IMMEDIATE")
        try:
            _refuse_non_empty(conn, db)
            for table in known:
                conn.execute(f'DELETE FROM "{table}"')
            for table in known:
                counts[table] = _restore_table(conn, table, tables.get(table, []), path.name)
            broken = conn.execute("PRAGMA foreign_key_check").fetchone()
            if broken:
                raise ValidationError(
                    f"{path.name} is inconsistent: a {broken[0]} row points to a missing"
                    f" {broken[2]}; nothing was imported"
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.IntegrityError as exc:
        raise ValidationError(
            f"{path.name} cannot be restored: {exc}; nothing was imported"
        ) from None
    except sqlite3.OperationalError as exc:
        raise StorageError(
            f"the database could not be written: {exc}; nothing was imported"
        ) from None
    finally:
        conn.close()
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


def _check_rows(conn: sqlite3.Connection, table: str, rows: Any, name: str) -> None:
    """Refuse a table that is not a list of objects whose values fit their columns."""
    if not isinstance(rows, list):
        raise ValidationError(
            f"{name}: {table} is not a list of rows; nothing was imported",
            hint="restore a file written by crm export json",
        )
    info = list(conn.execute(f'PRAGMA table_info("{table}")'))
    decls = {column: (decl or "").upper() for _cid, column, decl, *_ in info}
    required = [
        c for _cid, c, _decl, notnull, default, pk in info if notnull and default is None and not pk
    ]
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ValidationError(
                f"{name}: row {number} of {table} is not an object; nothing was imported"
            )
        for column in required:
            if row.get(column) is None:
                raise ValidationError(
                    f"{name}: row {number} of {table} has no {column}; nothing was imported"
                )
        for column, value in row.items():
            if column not in decls:
                continue
            problem = _type_problem(decls[column], value)
            if problem:
                raise ValidationError(
                    f"{name}: row {number} of {table}: {column} {problem}; nothing was imported"
                )


def _restore_table(conn: sqlite3.Connection, table: str, rows: list[Any], name: str) -> int:
    _check_rows(conn, table, rows, name)
    if not rows:
        return 0
    columns = {c.name: c for c in columns_of(conn, table)}
    keys: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                raise ValidationError(
                    f"{name}: {table} has no column {key!r} here; nothing was imported",
                    hint="upgrade tinycrm, then import again",
                )
            if key not in keys:
                keys.append(key)
    try:
        values = [tuple(_from_json(columns[k].kind, row.get(k)) for k in keys) for row in rows]
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(f"{name}: a value of {table} cannot be read ({exc})") from None
    insert_many(conn, table, keys, values)
    return len(rows)
