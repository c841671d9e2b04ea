"""Everything that differs between database engines, behind functions: full-text search,
date arithmetic, JSON, aggregation into text, upserts, pragmas and schema questions.

Only SQLite is spoken today. Every SQLite-only construct of the program lives here, so that a
second engine is one more branch in each function, not a hunt through the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, func, literal_column, text, type_coerce

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Executable
    from sqlalchemy.sql.dml import Insert
    from sqlalchemy.sql.elements import ColumnElement, TextClause
    from sqlalchemy.sql.expression import TableClause


# --- search, dates and reports --------------------------------------------------------------

# The search index (an FTS5 table that triggers keep current, see migration 0002) keys each
# entry as record id * 8 + a code per kind. Filtering a kind on the rowid reads no stored
# text, so it is ~20x cheaper than the kind column on common words.
SEARCH_CODES = {"contact": 1, "company": 2, "deal": 3, "interaction": 4, "follow-up": 5}
# The fields each kind's index entry joins, with a space, into its body (in that order).
SEARCH_BODIES = {
    "contact": ("title", "notes", "source"),
    "company": ("domain", "industry", "notes"),
    "deal": ("notes", "lost_reason"),
}
# Title hits weigh more than body hits (columns: kind, record_id, title, body).
_BM25 = "bm25(search_index, 0.0, 0.0, 10.0, 1.0)"


@cache
def search_ranked(of_kind: bool) -> TextClause:
    """The statement for the best matches of an FTS5 expression (:expr), up to :limit, ranked:
    rowid, kind, record_id, title, a snippet (the words found between :open and :close) and a
    score (lower is better); `of_kind` keeps one kind (:code).

    Only the newest :pool matches are ranked: the rowid of the :pool-th newest is found
    first without ranking (ranking every match of a common word takes seconds)."""
    kind = " AND (rowid % 8) = :code" if of_kind else ""
    floor = (
        "SELECT rowid FROM search_index WHERE search_index MATCH :expr"
        f"{kind} ORDER BY rowid DESC LIMIT 1 OFFSET :pool - 1"
    )
    return text(
        "SELECT rowid, kind, record_id, title, "
        "snippet(search_index, -1, :open, :close, '…', 12) AS snippet, "
        f"{_BM25} AS score FROM search_index WHERE search_index MATCH :expr{kind} "
        f"AND rowid >= coalesce(({floor}), 0) ORDER BY score LIMIT :limit"
    )


def upsert(table: TableClause, keys: Sequence[str], values: Sequence[str]) -> Insert:
    """An insert of rows into `table` that, where a row with the same `keys` exists, sets its
    `values` columns to the new row's instead."""
    from sqlalchemy.dialects.sqlite import insert

    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in values}
    )


def days_between_text(later: str, earlier: str) -> str:
    """SQL text for the days (a fraction) from the stored time `earlier` to `later`, for
    the reports' statements."""
    return f"(julianday({later}) - julianday({earlier}))"


def greatest_text(*values: str) -> str:
    """SQL text for the largest of several values (NULLs are the caller's to avoid)."""
    return f"max({', '.join(values)})"


def json_field_text(column: str, key: str) -> str:
    """SQL text for the value under `key` of a JSON object stored in `column`."""
    return f"json_extract({column}, '$.{key}')"


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
    return position(text_, part) > 0


def position(text_: Any, part: Any) -> ColumnElement[int]:
    """Where `part` first starts in `text_`, counting from 1 (0: nowhere)."""
    found: ColumnElement[int] = func.instr(text_, part)
    return found


# --- lists and filters ------------------------------------------------------------


def joined(column: Any, separator: str) -> ColumnElement[str]:
    """The values of `column` in a group joined into one text (NULL when there are none)."""
    found: ColumnElement[str] = func.group_concat(column, separator)
    return found


def stored_text(column: Any) -> ColumnElement[str]:
    """A time or date column read as the text it is stored as, unparsed: a list of thousands
    reshapes that text (domain.dates.stored_iso) instead of building datetimes."""
    return type_coerce(column, String)


def least(first: Any, second: Any) -> ColumnElement[Any]:
    """The smaller of two values of one row (SQLite's two-argument min is a scalar)."""
    found: ColumnElement[Any] = func.min(first, second)
    return found


def greatest(first: Any, second: Any) -> ColumnElement[Any]:
    """The larger of two values of one row (SQLite's two-argument max is a scalar)."""
    found: ColumnElement[Any] = func.max(first, second)
    return found


def days_between(later: Any, earlier: Any) -> ColumnElement[float]:
    """The days from `earlier` to `later`, two stored times, with the fraction of a day."""
    found: ColumnElement[float] = func.julianday(later) - func.julianday(earlier)
    return found


def inline(statement: Any) -> str:
    """Render a statement as SQLite text with its values written in, for a report that is
    itself SQL text to embed (the values are strings and numbers, quoted by SQLAlchemy)."""
    from sqlalchemy.dialects import sqlite

    return str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
