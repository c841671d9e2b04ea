"""Everything that differs between database engines, behind functions: full-text search,
date arithmetic, JSON, aggregation into text, upserts, pragmas and schema questions.

Only SQLite is spoken today. Every SQLite-only construct of the program lives here, so that a
second engine is one more branch in each function, not a hunt through the services.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.sql.dml import Insert
    from sqlalchemy.sql.elements import TextClause
    from sqlalchemy.sql.expression import TableClause

# --- search, dates and reports --------------------------------------------------------------

# The search index (an FTS5 table that triggers keep current, see migration 0002) keys each
# entry as record id * 8 + a code per kind. Filtering a kind on the rowid reads no stored
# text, so it is ~20x cheaper than the kind column on common words.
SEARCH_CODES = {"contact": 1, "company": 2, "deal": 3, "interaction": 4, "follow-up": 5}
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


def days_between(later: str, earlier: str) -> str:
    """SQL text for the days (a fraction) from the stored time `earlier` to `later`, for
    the reports' statements."""
    return f"(julianday({later}) - julianday({earlier}))"


def greatest(*values: str) -> str:
    """SQL text for the largest of several values (NULLs are the caller's to avoid)."""
    return f"max({', '.join(values)})"


def json_text(column: str, key: str) -> str:
    """SQL text for the value under `key` of a JSON object stored in `column`."""
    return f"json_extract({column}, '$.{key}')"
