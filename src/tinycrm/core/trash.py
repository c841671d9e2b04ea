"""The trash: deleting a contact, company or deal hides it until it is restored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session, col

from tinycrm.core import refs
from tinycrm.core.views import iso
from tinycrm.store import history
from tinycrm.store.models import Company, Contact, Deal
from tinycrm.store.query import execute, live

if TYPE_CHECKING:
    from tinycrm.domain.rows import TrashedRow

_MODELS: dict[str, Any] = {"contact": Contact, "company": Company, "deal": Deal}


@dataclass(frozen=True)
class Trashed:
    """A record in the trash."""

    kind: str
    id: int
    label: str
    deleted_at: datetime

    def as_dict(self) -> TrashedRow:
        """Describe the record with stable names (the `--json` output)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.label,
            "deleted_at": iso(self.deleted_at),
        }


def _record(session: Session, match: refs.Match) -> Any:
    record = session.get(_MODELS[match.kind], match.id)
    assert record is not None
    return record


def delete(
    session: Session, ref: str, now: datetime, kinds: Sequence[str] = refs.KINDS
) -> refs.Match:
    """Move the record `ref` names to the trash; return what was trashed."""
    match = refs.resolve(session, ref, kinds)
    history.describe(session, f"delete {match}")
    record = _record(session, match)
    record.deleted_at = now
    record.updated_at = now
    session.add(record)
    session.flush()
    return match


def restore(
    session: Session, ref: str, now: datetime, kinds: Sequence[str] = refs.KINDS
) -> refs.Match:
    """Take the record `ref` names (among trashed ones) out of the trash."""
    match = refs.resolve(session, ref, kinds, trashed=True)
    history.describe(session, f"restore {match}")
    record = _record(session, match)
    record.deleted_at = None
    record.updated_at = now
    session.add(record)
    session.flush()
    return match


def list_trash(session: Session) -> list[Trashed]:
    """Return every trashed contact, company and deal, most recently deleted first."""
    found: list[Trashed] = []
    for kind, model in _MODELS.items():
        label = model.title if kind == "deal" else model.name
        statement = select(col(model.id), col(label), col(model.deleted_at)).where(~live(model))
        found.extend(Trashed(kind, r[0], r[1], r[2]) for r in execute(session, statement))
    return sorted(found, key=lambda t: (t.deleted_at, t.kind, t.id), reverse=True)
