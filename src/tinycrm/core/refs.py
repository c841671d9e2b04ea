"""Resolving what a person types (`12`, `#12`, an email, part of a name) to one record."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, Select, bindparam, or_, select
from sqlmodel import col

from tinycrm.domain.text import fold
from tinycrm.errors import AmbiguousError, NotFoundError
from tinycrm.store.models import Company, Contact, ContactEmail, Deal, FollowUp
from tinycrm.store.query import containing, contains, execute, live

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

KINDS = ("contact", "company", "deal")
_ID = re.compile(r"^#?(\d+)$")
# each kind's model, the column people see, and the folded column they are matched on
_COLUMNS: dict[str, tuple[Any, Any, Any]] = {
    "contact": (Contact, Contact.name, Contact.name_key),
    "company": (Company, Company.name, Company.name_key),
    "deal": (Deal, Deal.title, Deal.title_key),
}
_LIMIT = 20


@dataclass(frozen=True)
class Match:
    """One record a reference matched."""

    kind: str
    id: int
    label: str

    def __str__(self) -> str:
        return f"{self.kind} #{self.id} {self.label}"


def _alive(model: Any, trashed: bool) -> ColumnElement[bool]:
    """Select live records, or only trashed ones when `trashed`."""
    return ~live(model) if trashed else live(model)


@cache
def _id_statement(kind: str, trashed: bool) -> Select[*tuple[Any, ...]]:
    model, label, _key = _COLUMNS[kind]
    return select(col(model.id), col(label)).where(
        col(model.id) == bindparam("id", type_=Integer), _alive(model, trashed)
    )


def _by_id(session: Session, kind: str, record_id: int, trashed: bool = False) -> list[Match]:
    rows = execute(session, _id_statement(kind, trashed), {"id": record_id})
    return [Match(kind, r[0], r[1]) for r in rows]


@cache
def _follow_up_statement() -> Select[*tuple[Any, ...]]:
    return select(col(FollowUp.id)).where(col(FollowUp.id) == bindparam("id", type_=Integer))


def _is_follow_up(session: Session, record_id: int) -> bool:
    """Return True if the id is a follow-up's (ids are one sequence for every kind)."""
    if record_id >= 1 << 63:
        return False
    return execute(session, _follow_up_statement(), {"id": record_id}).first() is not None


@cache
def _email_statement(trashed: bool) -> Select[*tuple[Any, ...]]:
    return (
        select(col(Contact.id), col(Contact.name))
        .join_from(Contact, ContactEmail, col(ContactEmail.contact_id) == Contact.id)
        .where(col(ContactEmail.email_key) == bindparam("email"), _alive(Contact, trashed))
    )


def _by_email(session: Session, email: str, trashed: bool = False) -> list[Match]:
    rows = execute(session, _email_statement(trashed), {"email": email.lower()})
    return [Match("contact", r[0], r[1]) for r in rows]


@cache
def _words_statement(kind: str, count: int, trashed: bool) -> Select[*tuple[Any, ...]]:
    model, label, key = _COLUMNS[kind]
    return (
        select(col(model.id), col(label))
        .where(*(contains(key, bindparam(f"word{n}")) for n in range(count)))
        .where(_alive(model, trashed))
        .order_by(col(model.id))
        .limit(_LIMIT + 1)
    )


def _by_words(session: Session, kind: str, words: list[str], trashed: bool = False) -> list[Match]:
    statement = _words_statement(kind, len(words), trashed)
    values = {f"word{n}": containing(w) for n, w in enumerate(words)}
    return [Match(kind, r[0], r[1]) for r in execute(session, statement, values)]


def _close_matches(
    session: Session, kinds: Sequence[str], folded: str, trashed: bool = False
) -> list[str]:
    """Suggest names near `folded`, looking only at names that share a 3-letter piece."""
    pieces = sorted({w[:3] for w in folded.split() if len(w) >= 3})
    if not pieces:
        return []
    found: dict[str, str] = {}
    for kind in kinds:
        model, label, key = _COLUMNS[kind]
        statement = (
            select(col(label), col(key))
            .where(or_(*(contains(key, p) for p in pieces)), _alive(model, trashed))
            .limit(500)
        )
        for name, k in execute(session, statement):
            found.setdefault(k, name)
    close = difflib.get_close_matches(folded, list(found), n=3, cutoff=0.6)
    return [found[k] for k in close]


def find_all(
    session: Session, ref: str, kinds: Sequence[str] = KINDS, trashed: bool = False
) -> list[Match]:
    """Return every record of `kinds` that `ref` names (an id, an email, or words of a name).

    Of the names holding the words, a name equal to them is preferred, then names holding
    each word whole, then names with words starting with them. Trashed records are left
    out, unless `trashed` asks for them (and only them).
    """
    raw = ref.strip()
    if not raw:
        return []
    m = _ID.match(raw)
    if m:
        # an id beyond 64 bits names nothing (and int() refuses thousands of digits)
        digits = m.group(1).lstrip("0") or "0"
        number = int(digits) if len(digits) <= 19 else -1
        if not 0 <= number < 2**63:
            return []
        return [hit for kind in kinds for hit in _by_id(session, kind, number, trashed)]
    if "@" in raw and "contact" in kinds:
        hits = _by_email(session, raw, trashed)
        if hits:
            return hits
    folded = fold(raw)
    words = folded.split()
    found = [_by_words(session, kind, words, trashed) for kind in kinds]
    hits = [hit for kind_hits in found for hit in kind_hits]
    exact = [h for h in hits if fold(h.label) == folded]
    if exact:
        return exact
    if any(len(kind_hits) > _LIMIT for kind_hits in found):
        # some matches were not read: preferring among the rest could pick the wrong one
        return hits
    return _best_fits(hits, words)


def _best_fits(hits: list[Match], words: list[str]) -> list[Match]:
    """Keep the hits whose names hold every word whole (`ben`: Ben Ode), else those whose
    words start with them (Bennett), else all (the words anywhere: Reuben)."""
    for pattern in (r"(?<!\w){}(?!\w)", r"(?<!\w){}"):
        checks = [re.compile(pattern.format(re.escape(w))) for w in words]
        fits = [h for h in hits if all(c.search(fold(h.label)) for c in checks)]
        if fits:
            return fits
    return hits


def _not_found_hint(
    session: Session, ref: str, kinds: Sequence[str], trashed: bool = False
) -> str | None:
    """Say what `ref`, which named nothing of `kinds`, may have meant: the names close to it,
    or what kind of record its id is."""
    number = _ID.match(ref.strip())
    close = _close_matches(session, kinds, fold(ref), trashed) if not number else []
    hint = f"did you mean: {', '.join(close)}?" if close else None
    digits = number.group(1).lstrip("0") if number else ""
    if digits and len(digits) <= 19 and _is_follow_up(session, int(digits)):
        # ids are shared by every kind: say what the number is instead
        hint = f"#{digits} is a follow-up (crm agenda lists them)"
    return hint


def resolve(
    session: Session,
    ref: str,
    kinds: Sequence[str] = KINDS,
    trashed: bool = False,
    prefer: Sequence[str] | None = None,
) -> Match:
    """Return the one record `ref` names; raise AmbiguousError or NotFoundError otherwise.

    With `trashed`, only records in the trash are looked at (for restoring them). When
    records of several kinds match, `prefer` names the kinds the command fits (a deal for
    `crm edit --value`), and those of the other kinds are left out.
    """
    if prefer is not None and len(kinds) > 1:
        matched = [k for k in kinds if find_all(session, ref, (k,), trashed)]
        fitting = [k for k in matched if k in prefer]
        if len(matched) > 1 and fitting:
            kinds = fitting
    what = " or ".join(kinds) if len(kinds) < len(KINDS) else "contact, company or deal"
    if trashed:
        what = f"trashed {what}"
    hits = find_all(session, ref, kinds, trashed)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise NotFoundError(
            f"no {what} matches {ref!r}", hint=_not_found_hint(session, ref, kinds, trashed)
        )
    shown = "; ".join(str(h) for h in hits[:_LIMIT])
    more = " and more" if len(hits) > _LIMIT else ""
    kinds_hit = "|".join(k for k in KINDS if any(h.kind == k for h in hits))
    if _ID.match(ref.strip()):
        hint = f"say which with --kind {kinds_hit}"
    else:
        hint = "use the id (e.g. #12)"
        if "|" in kinds_hit:
            hint += f" or --kind {kinds_hit}"
    raise AmbiguousError(f"{ref!r} matches several: {shown}{more}", hint=hint)


def resolve_first(session: Session, ref: str, kinds: Sequence[str]) -> Match:
    """Return the record `ref` names in the first of `kinds` that has one, so that where a
    contact is the usual meaning, `12` is contact #12 and a deal's title still works."""
    for kind in kinds:
        try:
            return resolve(session, ref, (kind,))
        except NotFoundError:
            continue
    listings = "; ".join(f"crm list {'companies' if k == 'company' else k + 's'}" for k in kinds)
    raise NotFoundError(
        f"no {' or '.join(kinds)} matches {ref!r}",
        hint=_not_found_hint(session, ref, kinds) or listings,
    )


def resolve_contact(session: Session, ref: str) -> Contact:
    """Return the one contact `ref` names."""
    hit = resolve(session, ref, ("contact",))
    contact = session.get(Contact, hit.id)
    assert contact is not None
    return contact


def resolve_deal(session: Session, ref: str) -> Deal:
    """Return the one deal `ref` names."""
    hit = resolve(session, ref, ("deal",))
    deal = session.get(Deal, hit.id)
    assert deal is not None
    return deal
