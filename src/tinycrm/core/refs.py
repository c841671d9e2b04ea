"""Resolving what a person types (`12`, `#12`, an email, part of a name) to one record."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tinycrm.domain.text import escape_like, fold
from tinycrm.errors import AmbiguousError, NotFoundError
from tinycrm.store.reader import fetch

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.models import Company, Contact, Deal
    from tinycrm.store.reader import Reader

KINDS = ("contact", "company", "deal")
_ID = re.compile(r"^#?(\d+)$")
# each kind's table, the column people see, and the folded column they are matched on
_COLUMNS = {
    "contact": ("contact", "name", "name_key"),
    "company": ("company", "name", "name_key"),
    "deal": ("deal", "title", "title_key"),
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


def _alive(table: str, trashed: bool) -> str:
    """Select live records, or only trashed ones when `trashed`."""
    return f"{table}.deleted_at IS {'NOT ' if trashed else ''}NULL"


def _by_id(reader: Reader, kind: str, record_id: int, trashed: bool = False) -> list[Match]:
    table, label, _key = _COLUMNS[kind]
    rows = fetch(
        reader,
        f"SELECT id, {label} FROM {table} WHERE id = ? AND {_alive(table, trashed)}",
        (record_id,),
    )
    return [Match(kind, rows[0][0], rows[0][1])] if rows else []


def _is_follow_up(reader: Reader, record_id: int) -> bool:
    """Return True if the id is a follow-up's (ids are one sequence for every kind)."""
    if record_id >= 1 << 63:
        return False
    return bool(fetch(reader, "SELECT 1 FROM follow_up WHERE id = ?", (record_id,)))


def _by_email(reader: Reader, email: str, trashed: bool = False) -> list[Match]:
    rows = fetch(
        reader,
        "SELECT contact.id, contact.name FROM contact"
        " JOIN contact_email ON contact_email.contact_id = contact.id"
        f" WHERE contact_email.email_key = ? AND {_alive('contact', trashed)}",
        (email.lower(),),
    )
    return [Match("contact", r[0], r[1]) for r in rows]


def _by_words(reader: Reader, kind: str, words: list[str], trashed: bool = False) -> list[Match]:
    table, label, key = _COLUMNS[kind]
    conditions = " AND ".join(f"{key} LIKE ? ESCAPE '\\'" for _ in words)
    rows = fetch(
        reader,
        f"SELECT id, {label} FROM {table} WHERE {conditions} AND {_alive(table, trashed)}"
        f" ORDER BY id LIMIT {_LIMIT + 1}",
        [f"%{escape_like(w)}%" for w in words],
    )
    return [Match(kind, r[0], r[1]) for r in rows]


def _close_matches(
    reader: Reader, kinds: Sequence[str], folded: str, trashed: bool = False
) -> list[str]:
    """Suggest names near `folded`, looking only at names that share a 3-letter piece."""
    pieces = sorted({w[:3] for w in folded.split() if len(w) >= 3})
    if not pieces:
        return []
    found: dict[str, str] = {}
    for kind in kinds:
        table, label, key = _COLUMNS[kind]
        conditions = " OR ".join(f"{key} LIKE ? ESCAPE '\\'" for _ in pieces)
        rows = fetch(
            reader,
            f"SELECT {label}, {key} FROM {table} WHERE ({conditions})"
            f" AND {_alive(table, trashed)} LIMIT 500",
            [f"%{escape_like(p)}%" for p in pieces],
        )
        for name, k in rows:
            found.setdefault(k, name)
    close = difflib.get_close_matches(folded, list(found), n=3, cutoff=0.6)
    return [found[k] for k in close]


def find_all(
    reader: Reader, ref: str, kinds: Sequence[str] = KINDS, trashed: bool = False
) -> list[Match]:
    """Return every record of `kinds` that `ref` names (an id, an email, or words of a name).

    Trashed records are left out, unless `trashed` asks for them (and only them).
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
        return [hit for kind in kinds for hit in _by_id(reader, kind, number, trashed)]
    if "@" in raw and "contact" in kinds:
        hits = _by_email(reader, raw, trashed)
        if hits:
            return hits
    folded = fold(raw)
    words = folded.split()
    hits = [hit for kind in kinds for hit in _by_words(reader, kind, words, trashed)]
    exact = [h for h in hits if fold(h.label) == folded]
    return exact if exact else hits


def resolve(reader: Reader, ref: str, kinds: Sequence[str] = KINDS, trashed: bool = False) -> Match:
    """Return the one record `ref` names; raise AmbiguousError or NotFoundError otherwise.

    With `trashed`, only records in the trash are looked at (for restoring them).
    """
    what = " or ".join(kinds) if len(kinds) < len(KINDS) else "contact, company or deal"
    if trashed:
        what = f"trashed {what}"
    hits = find_all(reader, ref, kinds, trashed)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        number = _ID.match(ref.strip())
        close = _close_matches(reader, kinds, fold(ref), trashed) if not number else []
        hint = f"did you mean: {', '.join(close)}?" if close else None
        digits = number.group(1).lstrip("0") if number else ""
        if digits and len(digits) <= 19 and _is_follow_up(reader, int(digits)):
            # ids are shared by every kind: say what the number is instead
            hint = f"#{digits} is a follow-up (crm agenda lists them)"
        raise NotFoundError(f"no {what} matches {ref!r}", hint=hint)
    shown = "; ".join(str(h) for h in hits[:_LIMIT])
    more = " and more" if len(hits) > _LIMIT else ""
    kinds_hit = {h.kind for h in hits}
    if _ID.match(ref.strip()):
        hint = f"say which with --kind {'|'.join(sorted(kinds_hit))}"
    else:
        hint = "use the id (e.g. #12)"
        if len(kinds_hit) > 1:
            hint += " or --kind contact|company|deal"
    raise AmbiguousError(f"{ref!r} matches several: {shown}{more}", hint=hint)


def resolve_first(reader: Reader, ref: str, kinds: Sequence[str]) -> Match:
    """Return the record `ref` names in the first of `kinds` that has one, so that where a
    contact is the usual meaning, `12` is contact #12 and a deal's title still works."""
    for kind in kinds:
        try:
            return resolve(reader, ref, (kind,))
        except NotFoundError:
            continue
    raise NotFoundError(
        f"no {' or '.join(kinds)} matches {ref!r}",
        hint="; ".join(f"crm list {'companies' if k == 'company' else k + 's'}" for k in kinds),
    )


def resolve_contact(session: Session, ref: str) -> Contact:
    """Return the one contact `ref` names."""
    from tinycrm.store.models import Contact

    hit = resolve(session, ref, ("contact",))
    contact = session.get(Contact, hit.id)
    assert contact is not None
    return contact


def resolve_deal(session: Session, ref: str) -> Deal:
    """Return the one deal `ref` names."""
    from tinycrm.store.models import Deal

    hit = resolve(session, ref, ("deal",))
    deal = session.get(Deal, hit.id)
    assert deal is not None
    return deal


def resolve_company(session: Session, ref: str) -> Company:
    """Return the one company `ref` names."""
    from tinycrm.store.models import Company

    hit = resolve(session, ref, ("company",))
    company = session.get(Company, hit.id)
    assert company is not None
    return company
