"""A deal's qualification (BANT): recording the answers (through `deals.update_deal`, so the
history names the change and undo takes it back), and the SQL every list, segment and the
lead score share to count and filter on them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, literal
from sqlmodel import col

from tinycrm.core import deals
from tinycrm.domain.qualification import CRITERIA, NO, YES, qualification
from tinycrm.errors import ValidationError
from tinycrm.store import history

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

    from tinycrm.domain.rows import Qualification
    from tinycrm.store.models import Deal


def qualification_of(deal: Deal) -> Qualification:
    """Return a deal's answers as a Qualification."""
    return qualification(getattr(deal, criterion) for criterion in CRITERIA)


def qualify(
    session: Session, deal: Deal, answers: Mapping[str, str | None], now: datetime
) -> Qualification:
    """Record answers ('yes', 'no' or None for not known) for some of a deal's criteria; the
    others keep theirs. Returns the deal's whole qualification after the change."""
    unknown = [name for name in answers if name not in CRITERIA]
    if unknown:
        raise ValidationError(
            f"not a qualification criterion: {unknown[0]!r}", hint=f"use {', '.join(CRITERIA)}"
        )
    said = ", ".join(f"{name} {answer or 'unknown'}" for name, answer in answers.items())
    history.describe(session, f"qualify deal #{deal.id} {deal.title}: {said}")
    deals.update_deal(session, deal, dict(answers), now)
    return qualification_of(deal)


def yes_count(deal: Any) -> ColumnElement[int]:
    """How many criteria of the deal row (the deal table's columns or an alias's) are yes."""
    parts = [case((col(getattr(deal, c)) == YES, literal(1)), else_=literal(0)) for c in CRITERIA]
    total: ColumnElement[int] = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def conditions(deal: Any, at_least: int | None, criteria: tuple[str, ...]) -> list[Any]:
    """Conditions on a deal row: at least `at_least` criteria are yes, and each of `criteria`
    is yes (nothing when neither is asked)."""
    found: list[Any] = [col(getattr(deal, c)) == YES for c in criteria]
    if at_least:
        found.append(yes_count(deal) >= at_least)
    return found


def points(deal: Any, yes: Mapping[str, int], no: Mapping[str, int]) -> ColumnElement[int]:
    """The lead-score points of one deal row's answers: `yes[c]` for each criterion answered
    yes, `no[c]` for each answered no (settings [scoring.qualified] and [scoring.unqualified])."""
    total: ColumnElement[int] = literal(0)
    for c in CRITERIA:
        pairs = [
            (col(getattr(deal, c)) == answer, literal(int(table.get(c, 0))))
            for answer, table in ((YES, yes), (NO, no))
            if table.get(c, 0)
        ]
        if pairs:
            total = total + case(*pairs, else_=literal(0))
    return total
