"""Resolving what a person types (`12`, `#12`, an email, part of a name) to one record."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from tinycrm.core.models import Company, Contact, ContactEmail, Deal
from tinycrm.core.text import escape_like, fold
from tinycrm.errors import AmbiguousError, NotFoundError

KINDS = ("contact", "company", "deal")
_ID = re.compile(r"^#?(\d+)$")
_MODELS: dict[str, Any] = {"contact": Contact, "company": Company, "deal": Deal}
_LIMIT = 20


@dataclass(frozen=True)
class Match:
    """One record a reference matched."""

    kind: str
    id: int
    label: str

    def __str__(self) -> str:
        return f"{self.kind} #{self.id} {self.label}"


def _label_column(kind: str) -> Any:
    return Deal.title if kind == "deal" else _MODELS[kind].name


def _key_column(kind: str) -> Any:
    return Deal.title_key if kind == "deal" else _MODELS[kind].name_key


def _alive(model: Any, trashed: bool) -> Any:
    """Select live records, or only trashed ones when `trashed`."""
    column = col(model.deleted_at)
    return column.is_not(None) if trashed else column.is_(None)


def _by_id(session: Session, kind: str, record_id: int, trashed: bool = False) -> list[Match]:
    model = _MODELS[kind]
    row = session.exec(
        select(model.id, _label_column(kind)).where(model.id == record_id, _alive(model, trashed))
    ).first()
    return [Match(kind, row[0], row[1])] if row else []


def _by_email(session: Session, email: str, trashed: bool = False) -> list[Match]:
    rows = session.exec(
        select(Contact.id, Contact.name)
        .join(ContactEmail, col(ContactEmail.contact_id) == Contact.id)
        .where(ContactEmail.email_key == email.lower(), _alive(Contact, trashed))
    ).all()
    return [Match("contact", r[0], r[1]) for r in rows]


def _by_words(session: Session, kind: str, words: list[str], trashed: bool = False) -> list[Match]:
    model = _MODELS[kind]
    key = _key_column(kind)
    conditions = [key.like(f"%{escape_like(w)}%", escape="\\") for w in words]
    rows = session.exec(
        select(model.id, _label_column(kind), key)
        .where(and_(*conditions), _alive(model, trashed))
        .order_by(model.id)
        .limit(_LIMIT + 1)
    ).all()
    return [Match(kind, r[0], r[1]) for r in rows]


def _close_matches(
    session: Session, kinds: Sequence[str], folded: str, trashed: bool = False
) -> list[str]:
    """Suggest names near `folded`, looking only at names that share a 3-letter piece."""
    pieces = {w[:3] for w in folded.split() if len(w) >= 3}
    if not pieces:
        return []
    found: dict[str, str] = {}
    for kind in kinds:
        key = _key_column(kind)
        model = _MODELS[kind]
        conditions = [key.like(f"%{escape_like(p)}%", escape="\\") for p in pieces]
        rows = session.exec(
            select(_label_column(kind), key)
            .where(or_(*conditions), _alive(model, trashed))
            .limit(500)
        ).all()
        for label, k in rows:
            found.setdefault(k, label)
    close = difflib.get_close_matches(folded, list(found), n=3, cutoff=0.6)
    return [found[k] for k in close]


def find_all(
    session: Session, ref: str, kinds: Sequence[str] = KINDS, trashed: bool = False
) -> list[Match]:
    """Return every record of `kinds` that `ref` names (an id, an email, or words of a name).

    Trashed records are left out, unless `trashed` asks for them (and only them).
    """
    raw = ref.strip()
    if not raw:
        return []
    m = _ID.match(raw)
    if m:
        number = int(m.group(1))
        return [hit for kind in kinds for hit in _by_id(session, kind, number, trashed)]
    if "@" in raw and "contact" in kinds:
        hits = _by_email(session, raw, trashed)
        if hits:
            return hits
    folded = fold(raw)
    words = folded.split()
    hits = [hit for kind in kinds for hit in _by_words(session, kind, words, trashed)]
    exact = [h for h in hits if fold(h.label) == folded]
    return exact if exact else hits


def resolve(
    session: Session, ref: str, kinds: Sequence[str] = KINDS, trashed: bool = False
) -> Match:
    """Return the one record `ref` names; raise AmbiguousError or NotFoundError otherwise.

    With `trashed`, only records in the trash are looked at (for restoring them).
    """
    what = " or ".join(kinds) if len(kinds) < len(KINDS) else "contact, company or deal"
    if trashed:
        what = f"trashed {what}"
    hits = find_all(session, ref, kinds, trashed)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        close = (
            _close_matches(session, kinds, fold(ref), trashed) if not _ID.match(ref.strip()) else []
        )
        hint = f"did you mean: {', '.join(close)}?" if close else None
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


def resolve_first(session: Session, ref: str, kinds: Sequence[str]) -> Match:
    """Return the record `ref` names in the first of `kinds` that has one, so that where a
    contact is the usual meaning, `12` is contact #12 and a deal's title still works."""
    for kind in kinds:
        try:
            return resolve(session, ref, (kind,))
        except NotFoundError:
            continue
    raise NotFoundError(
        f"no {' or '.join(kinds)} matches {ref!r}",
        hint="; ".join(f"crm list {'companies' if k == 'company' else k + 's'}" for k in kinds),
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


def resolve_company(session: Session, ref: str) -> Company:
    """Return the one company `ref` names."""
    hit = resolve(session, ref, ("company",))
    company = session.get(Company, hit.id)
    assert company is not None
    return company
