"""The rules every query shares, written once: what is live (not in the trash), when a
follow-up is due, which deals are closed, a record by id, and text that contains words.

Services build their reads as SQLAlchemy Core on the models' tables with these pieces, so a
rule changes in one place and means the same on every engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import BindParameter, exists, func, select
from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel

from tinycrm.domain.text import escape_like
from tinycrm.domain.values import CLOSED
from tinycrm.errors import NotFoundError
from tinycrm.store.models import Deal, FollowUp

if TYPE_CHECKING:
    from sqlalchemy.engine import Result
    from sqlalchemy.sql import Executable
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

Record = TypeVar("Record")


def live(model: Any) -> ColumnElement[bool]:
    """The rows of a trashable table that are not in the trash."""
    column: ColumnElement[Any] = model.deleted_at
    return column.is_(None)


def due_time() -> ColumnElement[Any]:
    """When a follow-up is due: the time it was snoozed until, else its due time."""
    return func.coalesce(FollowUp.snoozed_until, FollowUp.due_at)


def live_parents() -> ColumnElement[bool]:
    """Follow-ups whose contact and deal (if any) are not in the trash: a follow-up of a
    trashed record leaves the agenda, the board and reminders until it is restored.

    Two primary-key probes per follow-up, so the follow-up's own indexes still choose the rows.
    """
    contact = SQLModel.metadata.tables["contact"].alias("parent_contact")
    deal = SQLModel.metadata.tables["deal"].alias("parent_deal")
    return ~exists().where(
        contact.c.id == FollowUp.contact_id, contact.c.deleted_at.is_not(None)
    ) & ~exists().where(deal.c.id == FollowUp.deal_id, deal.c.deleted_at.is_not(None))


def closed() -> ColumnElement[bool]:
    """Deals that are won or lost."""
    column: ColumnElement[Any] = Deal.status  # type: ignore[assignment]
    return column.in_([str(status) for status in CLOSED])


def contains(column: Any, words: str | BindParameter[str]) -> ColumnElement[bool]:
    """`column` (a folded key) holds `words` (folded already) anywhere, LIKE's own signs
    taken literally. For a statement built once, `words` is a named parameter, given
    `containing(words)` as its value."""
    pattern = words if isinstance(words, BindParameter) else containing(words)
    found: ColumnElement[bool] = column.like(pattern, escape="\\")
    return found


def containing(words: str) -> str:
    """The LIKE pattern of `contains`: the words anywhere, their % and _ escaped."""
    return f"%{escape_like(words)}%"


def get(
    session: Session, model: type[Record], record_id: int, what: str, hint: str | None = None
) -> Record:
    """Return the live record of `model` with this id, or raise NotFoundError ("no WHAT #ID");
    a record in the trash is not found."""
    record = find(session, model, record_id)
    if record is None:
        raise NotFoundError(f"no {what} #{record_id}", hint=hint)
    return record


def find(session: Session, model: type[Record], record_id: int) -> Record | None:
    """Return the live record of `model` with this id, or None."""
    record = session.get(model, record_id)
    if record is None or getattr(record, "deleted_at", None) is not None:
        return None
    return record


# lists and filters


def execute(
    session: Session, statement: Executable, values: dict[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    """Run a Core statement in the session's transaction, as rows of columns (no records are
    built), with `values` for its named parameters; the session's pending changes are
    flushed first, so a command reads what it has just written.

    A statement of a fixed shape is best built once with named parameters (`bindparam`)
    and run with new values: building one costs more than SQLite's work for a small read."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, values)


def table(model: Any) -> Any:
    """A model's table, to build Core statements on without the ORM's layer: they build and
    compile in half the time, which a command run in a fresh process pays for each new
    shape of statement."""
    return sa_inspect(model).local_table


def primary_first(model: Any) -> tuple[ColumnElement[Any], ...]:
    """The order of a contact's emails, phones or web addresses: the primary one first, then
    the others as they were added."""
    return (model.is_primary.desc(), model.id)


def primary_of(model: Any, column: Any, contact_id: Any) -> Any:
    """A contact's primary email, phone or web address (`column` of `model`; the first added
    if none is marked), as a value a list's statement can select."""

    return (
        select(column)
        .where(model.contact_id == contact_id)
        .order_by(*primary_first(model))
        .limit(1)
        .scalar_subquery()
    )
