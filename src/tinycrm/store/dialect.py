"""Everything that differs between database engines, behind functions: full-text search,
date arithmetic, JSON, aggregation into text, upserts, pragmas and schema questions.

Only SQLite is spoken today. Every SQLite-only construct of the program lives here, so that a
second engine is one more branch in each function, not a hunt through the services.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, type_coerce
from sqlalchemy.sql.elements import ColumnElement

# lists and filters


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
