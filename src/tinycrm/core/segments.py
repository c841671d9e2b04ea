"""Segments: saved list filters, and the conditions that narrow contacts and deals to one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, select, true
from sqlmodel import col

from tinycrm.core.listing import CONTACT, DEAL, ListFilter, deal_filter, person_filter
from tinycrm.core.pipelines import pipeline_row, stage_row
from tinycrm.domain.dates import stored_iso
from tinycrm.domain.qualification import check_at_least, check_criteria
from tinycrm.domain.text import clean, fold, tag_name
from tinycrm.domain.values import check_lifecycle, check_status
from tinycrm.errors import ConflictError, NotFoundError, ValidationError
from tinycrm.store import history
from tinycrm.store.dialect import stored_text
from tinycrm.store.models import Contact, Deal, Segment
from tinycrm.store.query import execute, live, table

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.sql.elements import ColumnElement
    from sqlmodel import Session

    from tinycrm.domain.rows import SegmentCount, SegmentView

# Fields that describe a person; the rest describe a deal.
CONTACT_FIELDS = ("tags", "lifecycle", "source", "company", "text")
DEAL_FIELDS = ("pipeline", "stage", "status", "min_value", "max_value", "qualified", "bant")


def check_name(name: str) -> str:
    """Return a segment name as stored (trimmed, lower case), or raise ValidationError."""
    value = fold(name)
    if not value:
        raise ValidationError("a segment needs a name")
    return value


def filter_to_json(flt: ListFilter) -> dict[str, Any]:
    """Return the fields of a filter that are set, as JSON-ready values."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(flt):
        value = getattr(flt, f.name)
        if value in (None, (), {}, ""):
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def filter_from_json(data: dict[str, Any]) -> ListFilter:
    """Rebuild a filter from stored JSON; a field this version does not know is an error."""
    known = {f.name for f in dataclasses.fields(ListFilter)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(
            f"the segment uses filters this tinycrm does not know: {', '.join(unknown)}",
            hint="upgrade tinycrm, or save the segment again",
        )
    values = dict(data)
    for key in ("tags", "bant"):
        if key in values:
            values[key] = tuple(values[key])
    return ListFilter(**values)


def check_filter(session: Session, flt: ListFilter) -> ListFilter:
    """Return the filter with its values in stored form; raise ValidationError or
    NotFoundError for a value that names nothing (a lifecycle, status, pipeline or stage)."""
    changes: dict[str, Any] = {"tags": tuple(tag_name(t) for t in flt.tags)}
    if flt.bant:
        changes["bant"] = check_criteria(flt.bant)
    if flt.qualified is not None:
        changes["qualified"] = check_at_least(flt.qualified)
    if flt.lifecycle:
        changes["lifecycle"] = check_lifecycle(flt.lifecycle)
    if flt.source:
        changes["source"] = fold(flt.source)
    if flt.status:
        changes["status"] = check_status(flt.status)
    if flt.pipeline or flt.stage:
        pipe_id, pipe_name = pipeline_row(session, flt.pipeline)
        changes["pipeline"] = pipe_name
        if flt.stage:
            changes["stage"] = stage_row(session, pipe_id, flt.stage)[1]
    for key in ("company", "text"):
        changes[key] = clean(getattr(flt, key))
    if flt.min_value is not None and flt.max_value is not None and flt.min_value > flt.max_value:
        raise ValidationError("the smallest value is above the largest")
    return dataclasses.replace(flt, **changes)


def save_segment(
    session: Session, name: str, flt: ListFilter, now: datetime, replace: bool = False
) -> Segment:
    """Save filters under a name; an existing name is refused unless `replace`."""
    key = check_name(name)
    checked = check_filter(session, flt)
    data = filter_to_json(checked)
    if not data:
        raise ValidationError(
            "a segment needs at least one filter", hint="for example --tag vip --lifecycle lead"
        )
    history.describe(session, f"save segment {key}")
    existing = find_segment(session, key)
    if existing is not None:
        if not replace:
            raise ConflictError(
                f"there is already a segment called {key}",
                hint="add --replace to overwrite it, or pick another name",
            )
        existing.filters = data
        existing.updated_at = now
        session.add(existing)
        session.flush()
        return existing
    segment = Segment(name=key, filters=data, created_at=now, updated_at=now)
    session.add(segment)
    session.flush()
    return segment


def find_segment(session: Session, name: str) -> Segment | None:
    """Return the segment called `name`, or None."""
    from sqlmodel import select as select_records

    return session.exec(select_records(Segment).where(Segment.name == check_name(name))).first()


def _missing(session: Session, name: str) -> NotFoundError:
    names = list(execute(session, select(col(Segment.name)).order_by(col(Segment.name))).scalars())
    hint = f"segments: {', '.join(names)}" if names else "save one with crm segment save"
    return NotFoundError(f"no segment called {name!r}", hint=hint)


def get_segment(session: Session, name: str) -> Segment:
    """Return the segment called `name`, or raise NotFoundError."""
    segment = find_segment(session, name)
    if segment is None:
        raise _missing(session, name)
    return segment


def segment_filter(session: Session, name: str) -> ListFilter:
    """Return the filters saved under `name`, or raise NotFoundError."""
    statement = select(col(Segment.filters)).where(col(Segment.name) == check_name(name))
    filters = execute(session, statement).scalar_one_or_none()
    if filters is None:
        raise _missing(session, name)
    return filter_from_json(filters)


def segment_dicts(session: Session, name: str | None = None) -> list[SegmentView]:
    """Describe every segment, by name (or the one called `name`: NotFoundError if none)."""
    statement = select(
        col(Segment.name),
        col(Segment.filters),
        stored_text(Segment.created_at),
        stored_text(Segment.updated_at),
    ).order_by(col(Segment.name))
    if name is not None:
        statement = statement.where(col(Segment.name) == check_name(name))
    rows = list(execute(session, statement))
    if name is not None and not rows:
        raise _missing(session, name)
    return [
        {
            "name": seg_name,
            "filters": filters,
            "created_at": stored_iso(created),
            "updated_at": stored_iso(updated),
        }
        for seg_name, filters, created, updated in rows
    ]


def delete_segment(session: Session, name: str) -> Segment:
    """Delete a segment (the contacts and deals it matched are not touched)."""
    segment = get_segment(session, name)
    history.describe(session, f"delete segment {segment.name}")
    session.delete(segment)
    session.flush()
    return segment


def segment_dict(session: Session, name: str) -> SegmentView:
    """Describe the segment called `name`, or raise NotFoundError."""
    return segment_dicts(session, name)[0]


@dataclass(frozen=True)
class Scope:
    """A filter as conditions: which contacts and which deals it keeps.

    A contact is kept when it matches the person fields (tags on the contact, lifecycle,
    source, company, name) and, if the filter has deal fields (pipeline, stage, status,
    value, qualification), has at least one live deal matching them. A deal is kept when it
    matches the deal fields and, if the filter has person fields, its live contact matches
    them.
    """

    filters: ListFilter  # checked: values in stored form
    pipeline_id: int | None = None
    stage_id: int | None = None

    def _people(self, person: Any) -> list[ColumnElement[bool]]:
        return person_filter(self.filters, person)

    def _deals(self, deal: Any) -> list[ColumnElement[bool]]:
        return deal_filter(self.filters, deal, self.pipeline_id, self.stage_id)

    def contacts(self, person: Any = CONTACT) -> ColumnElement[bool]:
        """The condition keeping the contacts of the scope, on `person`: the contact table's
        columns or an alias's."""
        parts = self._people(person)
        deal = table(Deal).alias("seg_d").c
        deal_parts = self._deals(deal)
        if deal_parts:
            parts.append(exists().where(col(deal.contact_id) == person.id, live(deal), *deal_parts))
        return and_(true(), *parts)

    def deals(self, deal: Any = DEAL) -> ColumnElement[bool]:
        """The condition keeping the deals of the scope, on `deal`: the deal table's columns
        or an alias's."""
        parts = self._deals(deal)
        person = table(Contact).alias("seg_c").c
        people = self._people(person)
        if people:
            parts.append(exists().where(col(person.id) == deal.contact_id, live(person), *people))
        return and_(true(), *parts)

    def kept_contacts(self) -> Select[Any] | None:
        """The ids of the contacts kept, as a statement; None when the scope keeps them all."""
        if not self._people(CONTACT) and not self._deals(DEAL):
            return None
        return select(CONTACT.id).where(self.contacts())

    def kept_deals(self) -> Select[Any] | None:
        """The ids of the deals kept, as a statement; None when the scope keeps them all."""
        if not self._people(CONTACT) and not self._deals(DEAL):
            return None
        return select(DEAL.id).where(self.deals())


EVERYTHING = Scope(ListFilter())


def scope(session: Session, flt: ListFilter | None) -> Scope:
    """Turn a filter into conditions (see Scope); None keeps everything."""
    if flt is None:
        return EVERYTHING
    flt = check_filter(session, flt)
    pipe = stage = None
    if flt.pipeline:
        pipe = pipeline_row(session, flt.pipeline)[0]
        if flt.stage:
            stage = stage_row(session, pipe, flt.stage)[0]
    return Scope(flt, pipe, stage)


def contact_condition(session: Session, flt: ListFilter) -> ColumnElement[bool]:
    """Return the condition keeping the contacts of a segment (for list queries)."""
    return scope(session, flt).contacts()


def deal_condition(session: Session, flt: ListFilter) -> ColumnElement[bool]:
    """Return the condition keeping the deals of a segment (for list queries)."""
    return scope(session, flt).deals()


def count(session: Session, flt: ListFilter) -> SegmentCount:
    """Return how many contacts and deals (not in the trash) a filter keeps."""
    found = scope(session, flt)
    contacts = select(func.count()).select_from(table(Contact))
    contacts = contacts.where(live(CONTACT), found.contacts())
    deals = select(func.count()).select_from(table(Deal)).where(live(DEAL), found.deals())
    return {
        "contacts": int(execute(session, contacts).scalar_one()),
        "deals": int(execute(session, deals).scalar_one()),
    }
