"""Full-text search over contacts, companies, deals, interactions and follow-ups.

This is the one module that speaks SQLite FTS5 (the `search_index` table that triggers keep
current); another engine can be put behind `search()` without touching its callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from tinycrm.domain.dates import stored_iso
from tinycrm.errors import ValidationError
from tinycrm.store.reader import fetch

if TYPE_CHECKING:
    from tinycrm.store.reader import Reader

KINDS = ("contact", "company", "deal", "interaction", "follow-up")
# How many of the newest matches are ranked when a word is common: ranking every match of a
# common word (bm25 over a million rows) takes seconds, ranking a few thousand is instant.
POOL = 2000
# Title hits weigh more than body hits (columns: kind, record_id, title, body).
_BM25 = "bm25(search_index, 0.0, 0.0, 10.0, 1.0)"
HIGHLIGHT = ("[", "]")
# The index's rowid is record id * 8 + a code per kind (see migration 0002). Filtering a kind on
# the rowid reads no stored text, so it is ~20x cheaper than the kind column on common words.
_CODES = {"contact": 1, "company": 2, "deal": 3, "interaction": 4, "follow-up": 5}


def check_kind(kind: str | None) -> str | None:
    """Return a searchable kind (or None for all), or raise ValidationError."""
    if kind is None:
        return None
    key = kind.strip().lower().replace("followup", "follow-up").replace("_", "-")
    if key.endswith("s") and key[:-1] in KINDS:
        key = key[:-1]
    if key == "companie":
        key = "company"
    if key not in KINDS:
        raise ValidationError(f"not a kind to search: {kind!r}", hint=f"use {', '.join(KINDS)}")
    return key


def match_expression(query: str, prefix: bool = True) -> str:
    """Turn what a person typed into a safe FTS5 query: every word quoted (so no character is
    FTS syntax), all words required, the last one also matching as a prefix."""
    terms = []
    for word in query.split():
        if not any(ch.isalnum() for ch in word):
            continue
        terms.append('"' + word.replace('"', '""') + '"')
    if not terms:
        raise ValidationError(
            f"nothing to search for in {query!r}", hint="type a word, e.g. crm search acme"
        )
    if prefix and query.rstrip()[-1:].isalnum():
        terms[-1] += "*"
    return " ".join(terms)


class Hit(NamedTuple):
    """One ranked row of the search index."""

    rowid: int
    kind: str
    record_id: int
    title: str
    snippet: str
    score: float


def _matches(reader: Reader, expr: str, kind: str | None, limit: int) -> list[int]:
    """Return up to `limit` matching rowids, newest first (cheap: no ranking)."""
    where = " AND (rowid % 8) = :code" if kind else ""
    rows = fetch(
        reader,
        "SELECT rowid FROM search_index WHERE search_index MATCH :expr"
        f"{where} ORDER BY rowid DESC LIMIT :limit",
        {"expr": expr, "code": _CODES.get(kind or ""), "limit": limit},
    )
    return [r[0] for r in rows]


def _ranked(
    reader: Reader,
    expr: str,
    kind: str | None,
    floor: int | None,
    limit: int,
    highlight: tuple[str, str],
) -> list[Hit]:
    where = " AND (rowid % 8) = :code" if kind else ""
    if floor is not None:
        where += " AND rowid >= :floor"
    rows = fetch(
        reader,
        "SELECT rowid, kind, record_id, title, "
        "snippet(search_index, -1, :open, :close, '…', 12) AS snippet, "
        f"{_BM25} AS score FROM search_index WHERE search_index MATCH :expr{where} "
        "ORDER BY score LIMIT :limit",
        {
            "expr": expr,
            "code": _CODES.get(kind or ""),
            "floor": floor,
            "limit": limit,
            "open": highlight[0],
            "close": highlight[1],
        },
    )
    return [Hit(*row) for row in rows]


_LIVE: dict[str, str] = {
    "contact": "SELECT id, name, NULL, NULL FROM contact WHERE deleted_at IS NULL AND id IN ({})",
    "company": "SELECT id, name, NULL, NULL FROM company WHERE deleted_at IS NULL AND id IN ({})",
    "deal": "SELECT id, title, NULL, NULL FROM deal WHERE deleted_at IS NULL AND id IN ({})",
    "interaction": (
        "SELECT i.id, i.kind || coalesce(' with ' || c.name, ''), i.occurred_at, c.id"
        " FROM interaction i LEFT JOIN contact c ON c.id = i.contact_id"
        " WHERE i.deleted_at IS NULL AND c.deleted_at IS NULL AND i.id IN ({})"
    ),
    "follow-up": (
        "SELECT f.id, f.title, f.due_at, c.id FROM follow_up f"
        " LEFT JOIN contact c ON c.id = f.contact_id"
        " WHERE f.deleted_at IS NULL AND c.deleted_at IS NULL AND f.id IN ({})"
    ),
}


def _live(reader: Reader, hits: list[Hit]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Look up the hits' records, one query per kind, leaving trashed ones out."""
    by_kind: dict[str, list[int]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(int(hit.record_id))
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    for kind, ids in by_kind.items():
        if kind not in _LIVE:
            continue
        marks = ", ".join(str(int(i)) for i in ids)
        for row in fetch(reader, _LIVE[kind].format(marks)):
            found[(kind, row[0])] = tuple(row)
    return found


def _find(
    reader: Reader, expr: str, kind: str | None, wanted: int, highlight: tuple[str, str]
) -> list[Hit]:
    """Rank the matches of one FTS5 expression, limiting first (see POOL)."""
    import sqlite3

    try:
        newest = _matches(reader, expr, kind, POOL)
        floor = newest[-1] if len(newest) >= POOL else None
        return _ranked(reader, expr, kind, floor, wanted, highlight)
    except (
        sqlite3.OperationalError
    ) as exc:  # what FTS5 still refuses is the person's text, not a crash
        raise ValidationError("cannot search for that text", hint="search for plain words") from exc


def _results(reader: Reader, hits: list[Hit], limit: int) -> list[dict[str, Any]]:
    """Turn ranked hits into result dicts, leaving out trashed records."""
    live = _live(reader, hits)
    out: list[dict[str, Any]] = []
    for hit in hits:
        row = live.get((hit.kind, int(hit.record_id)))
        if row is None:
            continue
        item: dict[str, Any] = {
            "kind": hit.kind,
            "id": int(hit.record_id),
            "label": row[1],
            "snippet": hit.snippet,
            "score": round(float(hit.score), 4),
        }
        if hit.kind in ("interaction", "follow-up"):
            item["at"] = stored_iso(row[2])
            item["contact_id"] = row[3]
        out.append(item)
        if len(out) >= limit:
            break
    return out


def search(
    reader: Reader,
    query: str,
    *,
    kind: str | None = None,
    limit: int = 20,
    highlight: tuple[str, str] = HIGHLIGHT,
) -> list[dict[str, Any]]:
    """Return the best matches for `query`: kind, id, label, a snippet and a score (lower is
    better), trashed records left out.

    Limit first: the newest POOL matches are found without ranking; only if there are that
    many (a common word) is ranking confined to them, otherwise every match is ranked.
    Whole words are tried first; the last word is taken as a prefix only when they find fewer
    than `limit` (a prefix of a common word is costly to expand).
    """
    if limit < 1:
        raise ValidationError("--limit must be 1 or more")
    kind = check_kind(kind)
    # room for trashed records that are left out (and never past what SQLite's LIMIT holds)
    wanted = min(limit * 2 + 10, 2**63 - 1)
    exact = match_expression(query, prefix=False)
    found = _results(reader, _find(reader, exact, kind, wanted, highlight), limit)
    if len(found) < limit:
        loose = match_expression(query, prefix=True)
        if loose != exact:
            found = _results(reader, _find(reader, loose, kind, wanted, highlight), limit)
    return found
