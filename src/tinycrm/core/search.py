"""Full-text search over contacts, companies, deals, interactions and follow-ups.

The index and its query language are the engine's (SQLite FTS5 today, behind the store's
dialect functions); this module turns what a person typed into a safe query, ranks the
matches cheaply and leaves out what is in the trash.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, null, select
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from tinycrm.domain.dates import iso
from tinycrm.domain.snippets import separated
from tinycrm.errors import ValidationError
from tinycrm.store import dialect
from tinycrm.store.models import Company, Contact, Deal, FollowUp, Interaction
from tinycrm.store.query import live

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql import Select
    from sqlalchemy.sql.elements import BindParameter
    from sqlmodel import Session

    from tinycrm.domain.figures import SearchResult

KINDS = ("contact", "company", "deal", "interaction", "follow-up")
# How many of the newest matches are ranked when a word is common: ranking every match of a
# common word (bm25 over a million rows) takes seconds, ranking a few thousand is instant.
POOL = 2000
HIGHLIGHT = ("[", "]")


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


def _ranked(
    conn: Connection, expr: str, kind: str | None, limit: int, highlight: tuple[str, str]
) -> list[Hit]:
    """Rank the newest POOL matches of one expression, the best `limit` of them."""
    rows = conn.execute(
        dialect.search_ranked(kind is not None),
        {
            "expr": expr,
            "code": dialect.SEARCH_CODES.get(kind or ""),
            "pool": POOL,
            "limit": limit,
            "open": highlight[0],
            "close": highlight[1],
        },
    )
    return [Hit(*row) for row in rows]


# each kind with a body of fields: its model and the column people know it by
_RECORDS: dict[str, tuple[Any, Any]] = {
    "contact": (Contact, Contact.name),
    "company": (Company, Company.name),
    "deal": (Deal, Deal.title),
}


@cache
def _live_query(kind: str) -> Select[Any] | None:
    """The statement that reads the live records of one kind among :ids: id, label, and for
    contacts, companies and deals the fields of their index entry's body, for interactions
    and follow-ups their time, their contact's id and the kind (for the label)."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    query: Select[Any] | None = None
    if kind in dialect.SEARCH_BODIES:
        model, label = _RECORDS[kind]
        body = [getattr(model, name) for name in dialect.SEARCH_BODIES[kind]]
        query = select(model.id, label, *body).where(live(model), col(model.id).in_(ids))
    elif kind == "interaction":
        query = (
            select(
                Interaction.id, Contact.name, Interaction.occurred_at, Contact.id, Interaction.kind
            )
            .outerjoin(Contact, col(Contact.id) == Interaction.contact_id)
            .where(live(Interaction), live(Contact), col(Interaction.id).in_(ids))
        )
    elif kind == "follow-up":
        query = (
            select(FollowUp.id, FollowUp.title, FollowUp.due_at, Contact.id, null())
            .outerjoin(Contact, col(Contact.id) == FollowUp.contact_id)
            .where(live(FollowUp), live(Contact), col(FollowUp.id).in_(ids))
        )
    return query


def _live(conn: Connection, hits: list[Hit]) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Look up the hits' records, one query per kind, leaving trashed ones out: (id, label)
    or (id, label, time, contact id)."""
    by_kind: dict[str, list[int]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(int(hit.record_id))
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    for kind, ids in by_kind.items():
        query = _live_query(kind)
        if query is None:
            continue
        for row in conn.execute(query, {"ids": ids}):
            if kind == "interaction":  # "call with Ann Lee", or "call" without a contact
                label = row[4] + (f" with {row[1]}" if row[1] is not None else "")
                found[(kind, row[0])] = (row[0], label, row[2], row[3])
            else:
                found[(kind, row[0])] = tuple(row)
    return found


def _find(
    conn: Connection, expr: str, kind: str | None, wanted: int, highlight: tuple[str, str]
) -> list[Hit]:
    """Rank the matches of one FTS5 expression, limiting first (see POOL)."""
    try:
        return _ranked(conn, expr, kind, wanted, highlight)
    except OperationalError as exc:  # what the index still refuses is the person's text
        raise ValidationError("cannot search for that text", hint="search for plain words") from exc


def _results(
    conn: Connection, hits: list[Hit], limit: int, highlight: tuple[str, str]
) -> list[SearchResult]:
    """Turn ranked hits into results, leaving out trashed records; a snippet of a record's
    fields shows them apart."""
    live_rows = _live(conn, hits)
    out: list[SearchResult] = []
    for hit in hits:
        row = live_rows.get((hit.kind, int(hit.record_id)))
        if row is None:
            continue
        item: SearchResult = {
            "kind": hit.kind,
            "id": int(hit.record_id),
            "label": row[1],
            "snippet": (
                separated(hit.snippet, row[2:], highlight)
                if hit.kind in dialect.SEARCH_BODIES
                else hit.snippet
            ),
            "score": round(float(hit.score), 4),
        }
        if hit.kind in ("interaction", "follow-up"):
            item["at"] = iso(row[2])
            item["contact_id"] = row[3]
        out.append(item)
        if len(out) >= limit:
            break
    return out


def search(
    session: Session,
    query: str,
    *,
    kind: str | None = None,
    limit: int = 20,
    highlight: tuple[str, str] = HIGHLIGHT,
) -> list[SearchResult]:
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
    loose = match_expression(query, prefix=True)
    conn = session.connection()
    hits = _find(conn, exact, kind, wanted, highlight)
    # fewer hits than asked for can only make fewer results: go to the prefix at once
    if len(hits) >= limit or loose == exact:
        found = _results(conn, hits, limit, highlight)
        if len(found) >= limit or loose == exact:
            return found
    return _results(conn, _find(conn, loose, kind, wanted, highlight), limit, highlight)
