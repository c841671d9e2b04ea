"""Segments: saved list filters, and the SQL that narrows contacts and deals to one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinycrm.core.listing import Condition, ListFilter
from tinycrm.domain.text import clean, escape_like, fold, tag_name
from tinycrm.domain.values import check_lifecycle, check_status
from tinycrm.errors import ConflictError, NotFoundError, ValidationError
from tinycrm.store.reader import fetch, pipeline_row, stage_row

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.models import Segment
    from tinycrm.store.reader import Reader

# Fields that describe a person; the rest describe a deal.
CONTACT_FIELDS = ("tags", "lifecycle", "source", "company", "text")
DEAL_FIELDS = ("pipeline", "stage", "status", "min_value", "max_value")


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
    if "tags" in values:
        values["tags"] = tuple(values["tags"])
    return ListFilter(**values)


def check_filter(reader: Reader, flt: ListFilter) -> ListFilter:
    """Return the filter with its values in stored form; raise ValidationError or
    NotFoundError for a value that names nothing (a lifecycle, status, pipeline or stage)."""
    changes: dict[str, Any] = {"tags": tuple(tag_name(t) for t in flt.tags)}
    if flt.lifecycle:
        changes["lifecycle"] = check_lifecycle(flt.lifecycle)
    if flt.source:
        changes["source"] = fold(flt.source)
    if flt.status:
        changes["status"] = check_status(flt.status)
    if flt.pipeline or flt.stage:
        pipe_id, pipe_name = pipeline_row(reader, flt.pipeline)
        changes["pipeline"] = pipe_name
        if flt.stage:
            changes["stage"] = stage_row(reader, pipe_id, flt.stage)[1]
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
    from tinycrm.store.models import Segment

    segment = Segment(name=key, filters=data, created_at=now, updated_at=now)
    session.add(segment)
    session.flush()
    return segment


def find_segment(session: Session, name: str) -> Segment | None:
    """Return the segment called `name`, or None."""
    from sqlmodel import select

    from tinycrm.store.models import Segment

    return session.exec(select(Segment).where(Segment.name == check_name(name))).first()


def _missing(reader: Reader, name: str) -> NotFoundError:
    names = [r[0] for r in fetch(reader, "SELECT name FROM segment ORDER BY name")]
    hint = f"segments: {', '.join(names)}" if names else "save one with crm segment save"
    return NotFoundError(f"no segment called {name!r}", hint=hint)


def get_segment(session: Session, name: str) -> Segment:
    """Return the segment called `name`, or raise NotFoundError."""
    segment = find_segment(session, name)
    if segment is None:
        raise _missing(session, name)
    return segment


def segment_filter(reader: Reader, name: str) -> ListFilter:
    """Return the filters saved under `name`, or raise NotFoundError."""
    import json

    rows = fetch(reader, "SELECT filters FROM segment WHERE name = ?", (check_name(name),))
    if not rows:
        raise _missing(reader, name)
    return filter_from_json(json.loads(rows[0][0]))


def segment_dicts(reader: Reader, name: str | None = None) -> list[dict[str, Any]]:
    """Describe every segment, by name (or the one called `name`: NotFoundError if none)."""
    import json

    from tinycrm.domain.dates import stored_iso

    sql = "SELECT name, filters, created_at, updated_at FROM segment"
    params: tuple[str, ...] = ()
    if name is not None:
        sql += " WHERE name = ?"
        params = (check_name(name),)
    rows = fetch(reader, sql + " ORDER BY name", params)
    if name is not None and not rows:
        raise _missing(reader, name)
    return [
        {
            "name": seg_name,
            "filters": json.loads(filters),
            "created_at": stored_iso(created),
            "updated_at": stored_iso(updated),
        }
        for seg_name, filters, created, updated in rows
    ]


def delete_segment(session: Session, name: str) -> Segment:
    """Delete a segment (the contacts and deals it matched are not touched)."""
    segment = get_segment(session, name)
    session.delete(segment)
    session.flush()
    return segment


def segment_dict(reader: Reader, name: str) -> dict[str, Any]:
    """Describe the segment called `name`, or raise NotFoundError."""
    return segment_dicts(reader, name)[0]


@dataclass(frozen=True)
class Scope:
    """A filter as SQL conditions: which contacts and which deals it keeps.

    A contact is kept when it matches the person fields (tags on the contact, lifecycle,
    source, company, name) and, if the filter has deal fields (pipeline, stage, status,
    value), has at least one deal matching them. A deal is kept when it matches the deal
    fields and, if the filter has person fields, its contact matches them.
    """

    contact_conditions: tuple[str, ...]
    deal_conditions: tuple[str, ...]
    params: dict[str, Any]

    def contact_where(self, alias: str) -> str:
        """Return a SQL condition on the contact table (under `alias`), '1' if no filter."""
        parts = [c.format(c=alias) for c in self.contact_conditions]
        if self.deal_conditions:
            inner = " AND ".join(c.format(d="seg_d") for c in self.deal_conditions)
            parts.append(
                f"EXISTS (SELECT 1 FROM deal seg_d WHERE seg_d.contact_id = {alias}.id"
                f" AND seg_d.deleted_at IS NULL AND {inner})"
            )
        return "(" + " AND ".join(parts) + ")" if parts else "1"

    def deal_where(self, alias: str) -> str:
        """Return a SQL condition on the deal table (under `alias`), '1' if no filter."""
        parts = [c.format(d=alias) for c in self.deal_conditions]
        if self.contact_conditions:
            inner = " AND ".join(c.format(c="seg_c") for c in self.contact_conditions)
            parts.append(
                f"EXISTS (SELECT 1 FROM contact seg_c WHERE seg_c.id = {alias}.contact_id"
                f" AND seg_c.deleted_at IS NULL AND {inner})"
            )
        return "(" + " AND ".join(parts) + ")" if parts else "1"


EVERYTHING = Scope((), (), {})


def scope(reader: Reader, flt: ListFilter | None) -> Scope:
    """Turn a filter into SQL conditions (see Scope); None keeps everything."""
    if flt is None:
        return EVERYTHING
    flt = check_filter(reader, flt)
    people: list[str] = []
    deals: list[str] = []
    params: dict[str, Any] = {}
    for n, tag in enumerate(flt.tags):
        params[f"seg_tag{n}"] = tag
        people.append(
            "EXISTS (SELECT 1 FROM contact_tag seg_ct JOIN tag seg_t ON seg_t.id = seg_ct.tag_id"
            f" WHERE seg_ct.contact_id = {{c}}.id AND seg_t.name = :seg_tag{n})"
        )
    if flt.lifecycle:
        params["seg_lifecycle"] = flt.lifecycle
        people.append("{c}.lifecycle = :seg_lifecycle")
    if flt.source:
        params["seg_source"] = flt.source
        people.append("{c}.source = :seg_source")
    if flt.company:
        params["seg_company"] = f"%{escape_like(fold(flt.company))}%"
        people.append(
            "EXISTS (SELECT 1 FROM company seg_co WHERE seg_co.id = {c}.company_id"
            " AND seg_co.name_key LIKE :seg_company ESCAPE '\\')"
        )
    if flt.text:
        params["seg_text"] = f"%{escape_like(fold(flt.text))}%"
        people.append("{c}.name_key LIKE :seg_text ESCAPE '\\'")
    if flt.pipeline:
        pipe = pipeline_row(reader, flt.pipeline)[0]
        params["seg_pipeline"] = pipe
        deals.append("{d}.pipeline_id = :seg_pipeline")
        if flt.stage:
            params["seg_stage"] = stage_row(reader, pipe, flt.stage)[0]
            deals.append("{d}.stage_id = :seg_stage")
    if flt.status:
        params["seg_status"] = flt.status
        deals.append("{d}.status = :seg_status")
    if flt.min_value is not None:
        params["seg_min"] = flt.min_value
        deals.append("{d}.value >= :seg_min")
    if flt.max_value is not None:
        params["seg_max"] = flt.max_value
        deals.append("{d}.value <= :seg_max")
    return Scope(tuple(people), tuple(deals), params)


def contact_condition(reader: Reader, flt: ListFilter) -> Condition:
    """Return the condition keeping the contacts of a segment (for list queries)."""
    found = scope(reader, flt)
    return Condition(found.contact_where("contact"), found.params)


def deal_condition(reader: Reader, flt: ListFilter) -> Condition:
    """Return the condition keeping the deals of a segment (for list queries)."""
    found = scope(reader, flt)
    return Condition(found.deal_where("deal"), found.params)


def count(reader: Reader, flt: ListFilter) -> dict[str, int]:
    """Return how many contacts and deals (not in the trash) a filter keeps."""
    found = scope(reader, flt)
    contacts = fetch(
        reader,
        f"SELECT count(*) FROM contact c WHERE c.deleted_at IS NULL AND {found.contact_where('c')}",
        found.params,
    )[0][0]
    deals = fetch(
        reader,
        f"SELECT count(*) FROM deal d WHERE d.deleted_at IS NULL AND {found.deal_where('d')}",
        found.params,
    )[0][0]
    return {"contacts": int(contacts), "deals": int(deals)}
