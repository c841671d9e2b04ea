"""Everything that differs between database engines, behind functions: full-text search,
date arithmetic, JSON, aggregation into text, upserts, pragmas and schema questions.

Only SQLite is spoken today. Every SQLite-only construct of the program lives here, so that a
second engine is one more branch in each function, not a hunt through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal_column, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Executable
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.sql.expression import TableClause


# writes, imports and files


def raise_counter(counters: TableClause, name: str, next_id: int) -> Executable:
    """Set the counter `name` to `next_id` unless it is higher already (an upsert)."""
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(counters).values(name=name, next_id=next_id)
    return statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"next_id": func.max(counters.c.next_id, statement.excluded.next_id)},
    )


def triggered_tables(conn: Connection) -> set[str]:
    """Return the tables that have triggers (those that keep the search index up to date)."""
    found = conn.execute(text("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'"))
    return {str(name) for name in found.scalars()}


def data_tables(conn: Connection) -> list[str]:
    """Return the tables holding data, by name: not SQLite's, not the search index's."""
    rows = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ).all()
    virtual = [n for n, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [
        n for n, _ in rows if n not in virtual and not any(n.startswith(f"{v}_") for v in virtual)
    ]


def schema_number(conn: Connection) -> int:
    """Return the schema version the database records (its newest migration)."""
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def json_field(column: Any, key: str) -> ColumnElement[Any]:
    """The value under `key` in a JSON column, as SQL sees it (a number stays a number)."""
    return func.json_extract(column, f"$.{key}")


def json_without(column: Any, key: str) -> ColumnElement[Any]:
    """A JSON column's object with `key` set to null."""
    return func.json_set(column, f"$.{key}", func.json("null"))


def defer_foreign_keys(conn: Connection) -> None:
    """Check foreign keys at the end of this transaction, not at each row (a restore writes
    tables in any order)."""
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


@dataclass(frozen=True)
class ColumnInfo:
    """A column as the database declares it."""

    name: str
    declared: str  # the declared type, in capitals ("DATETIME", "JSON", "INTEGER" ...)
    required: bool  # NOT NULL without a default, and not the key
    pk: int


def columns_of(conn: Connection, table_name: str) -> list[ColumnInfo]:
    """Return a table's columns in order, as the database declares them."""
    rows = conn.exec_driver_sql(f'PRAGMA table_info("{table_name}")').all()
    return [
        ColumnInfo(
            str(name), (decl or "").upper(), bool(notnull and default is None and not pk), pk
        )
        for _cid, name, decl, notnull, default, pk in rows
    ]


def insertion_order() -> ColumnElement[Any]:
    """Order rows as they were written."""
    return literal_column("rowid")


def empty_copy(conn: Connection, table_name: str, copy: str, columns: list[str]) -> None:
    """Create a temporary table `copy` with these columns of `table_name`, and no rows."""
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(
        f'CREATE TEMP TABLE "{copy}" AS SELECT {names} FROM main."{table_name}" WHERE 0'
    )


def broken_reference(conn: Connection) -> tuple[str, str] | None:
    """Return (table, the table it points to) of a row whose foreign key names no row."""
    row = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    return None if row is None else (str(row[0]), str(row[2]))


def holds(text_: Any, part: Any) -> ColumnElement[bool]:
    """`text_` contains `part` anywhere, taken literally (no pattern signs)."""
    return func.instr(text_, part) > 0
