"""Listing contacts, companies and deals with filters, sorting and paging, in one query each.

The list queries are written as SQL text with named parameters and run inside the reader's
transaction: a session's, or a plain connection's from `Database.snapshot()`, which needs
no ORM at all. A list is the most frequent read there is, and
building an ORM statement for it cost ten times the query itself; as text, a first page
costs little more than SQLite's own work (see docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from tinycrm.domain.dates import stored_iso, to_stored
from tinycrm.domain.money import to_decimal_text
from tinycrm.domain.text import escape_like, fold
from tinycrm.domain.values import check_lifecycle, check_status
from tinycrm.errors import ValidationError
from tinycrm.store.reader import fetch, pipeline_id, stage_id

if TYPE_CHECKING:
    from tinycrm.store.reader import Reader


@dataclass(frozen=True)
class ListFilter:
    """What a list is narrowed to; every field is optional."""

    tags: tuple[str, ...] = ()
    lifecycle: str | None = None
    source: str | None = None
    company: str | None = None
    stage: str | None = None
    status: str | None = None
    pipeline: str | None = None
    min_value: int | None = None
    max_value: int | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    no_interaction_days: int | None = None
    now: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """Sorting and paging."""

    sort: str | None = None
    descending: bool = False
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class Condition:
    """A piece of SQL with its named parameters: a condition that narrows a list further
    (a segment), or an extra column (the lead score). Parameter names must not clash with
    the list's own, which never start with 'seg_' or 'score_'."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """A list query before sorting and paging: columns, tables, conditions, parameters."""

    columns: tuple[str, ...]
    source: str
    conditions: tuple[str, ...]
    params: dict[str, Any]

    def where(self, condition: Condition) -> Query:
        """Return the query narrowed by one more condition."""
        return replace(
            self,
            conditions=(*self.conditions, f"({condition.sql})"),
            params={**self.params, **condition.params},
        )

    def sql(
        self,
        columns: tuple[str, ...] | None = None,
        order: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[str, dict[str, Any]]:
        """Return the SELECT statement and its parameters."""
        params = dict(self.params)
        text = f"SELECT {', '.join(columns or self.columns)} FROM {self.source}"
        if self.conditions:
            text += " WHERE " + " AND ".join(self.conditions)
        if order:
            text += f" ORDER BY {order}"
        if limit is not None or offset:
            # SQLite takes an offset only after a limit; -1 is no limit
            text += " LIMIT :limit"
            params["limit"] = -1 if limit is None else limit
            if offset:
                text += " OFFSET :offset"
                params["offset"] = offset
        return text, params

    def count_sql(self) -> tuple[str, dict[str, Any]]:
        """Return a statement counting the rows of the list."""
        return self.sql(columns=("count(*)",))


def day_start(text: str, now: datetime, tz: tzinfo | None = None) -> datetime:
    """Read a day as typed ('2026-11-01', 'today') and return its local midnight, in UTC."""
    from tinycrm.domain.dates import local_tz, parse_day

    tz = tz or local_tz()
    return datetime.combine(parse_day(text, now, tz), time(0), tz).astimezone(UTC)


def _ranges(table: str, flt: ListFilter, conditions: list[str], params: dict[str, Any]) -> None:
    """Conditions for the created/updated ranges: after is inclusive, before exclusive."""
    for key, column, op in (
        ("created_after", "created_at", ">="),
        ("created_before", "created_at", "<"),
        ("updated_after", "updated_at", ">="),
        ("updated_before", "updated_at", "<"),
    ):
        moment = getattr(flt, key)
        if moment is not None:
            conditions.append(f"{table}.{column} {op} :{key}")
            params[key] = to_stored(moment)


def _quiet_since(flt: ListFilter) -> datetime | None:
    """The moment since which a record must have had no interaction (None: no such filter)."""
    if flt.no_interaction_days is None:
        return None
    if flt.no_interaction_days < 0:
        raise ValidationError("--no-interaction-days takes a number of days, 0 or more")
    if flt.now is None:
        raise ValidationError("a no-interaction filter needs the current time")
    return flt.now - timedelta(days=flt.no_interaction_days)


def _no_interaction_with(owner_column: str, record: str) -> str:
    """NOT EXISTS an interaction on this record at or after :quiet_since (uses the
    (owner, at) indexes)."""
    return (
        f"NOT (EXISTS (SELECT 1 FROM interaction WHERE interaction.{owner_column} = {record}"
        " AND interaction.occurred_at >= :quiet_since AND interaction.deleted_at IS NULL))"
    )


def _tags(
    link: str,
    owner: str,
    record: str,
    flt: ListFilter,
    conditions: list[str],
    params: dict[str, Any],
) -> None:
    for n, name in enumerate(flt.tags):
        params[f"tag{n}"] = name.strip().lower()
        conditions.append(
            f"(EXISTS (SELECT 1 FROM {link} JOIN tag ON tag.id = {link}.tag_id"
            f" WHERE {link}.{owner} = {record} AND tag.name = :tag{n}))"
        )


def _like(text: str) -> str:
    return f"%{escape_like(fold(text))}%"


def _order(page: Page, sorts: dict[str, str], default: str, id_column: str) -> str:
    key = page.sort or default
    if key not in sorts:
        raise ValidationError(f"cannot sort by {key!r}", hint=f"sort by one of: {', '.join(sorts)}")
    return f"{sorts[key]} {'DESC' if page.descending else 'ASC'}, {id_column}"


CONTACT_COLUMNS = (
    "contact.id",
    "contact.name",
    "contact.title",
    "company.name",
    "(SELECT contact_email.email FROM contact_email"
    " WHERE contact_email.contact_id = contact.id"
    " ORDER BY contact_email.is_primary DESC, contact_email.id LIMIT 1)",
    "(SELECT contact_phone.phone FROM contact_phone"
    " WHERE contact_phone.contact_id = contact.id"
    " ORDER BY contact_phone.is_primary DESC, contact_phone.id LIMIT 1)",
    "contact.lifecycle",
    "contact.source",
    "(SELECT group_concat(tag.name, ',') FROM tag JOIN contact_tag ON contact_tag.tag_id = tag.id"
    " WHERE contact_tag.contact_id = contact.id)",
    "contact.created_at",
    "contact.updated_at",
)


def contacts_query(flt: ListFilter) -> Query:
    """Build the query behind `list contacts` (without sorting): the contact table is
    `contact` and its company `company`."""
    conditions = ["contact.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if flt.lifecycle:
        conditions.append("contact.lifecycle = :lifecycle")
        params["lifecycle"] = check_lifecycle(flt.lifecycle)
    if flt.source:
        conditions.append("contact.source = :source")
        params["source"] = fold(flt.source)
    if flt.company:
        conditions.append("company.name_key LIKE :company ESCAPE '\\'")
        params["company"] = _like(flt.company)
    if flt.text:
        conditions.append("contact.name_key LIKE :text ESCAPE '\\'")
        params["text"] = _like(flt.text)
    _tags("contact_tag", "contact_id", "contact.id", flt, conditions, params)
    _ranges("contact", flt, conditions, params)
    since = _quiet_since(flt)
    if since is not None:
        conditions.append(_no_interaction_with("contact_id", "contact.id"))
        params["quiet_since"] = to_stored(since)
    return Query(
        CONTACT_COLUMNS,
        "contact LEFT OUTER JOIN company ON company.id = contact.company_id",
        tuple(conditions),
        params,
    )


CONTACT_SORTS: dict[str, str] = {
    "id": "contact.id",
    "name": "contact.name_key",
    "created": "contact.created_at",
    "updated": "contact.updated_at",
    "lifecycle": "contact.lifecycle",
}


def list_contacts(
    reader: Reader,
    flt: ListFilter,
    page: Page,
    *,
    where: Condition | None = None,
    score: Condition | None = None,
) -> list[dict[str, Any]]:
    """Return contacts as rows for a table or JSON.

    `where` narrows the list further (a segment); `score` is a SQL expression for the lead
    score (see core.scoring): it adds a "score" field and the "score" sort key.
    """
    query = contacts_query(flt)
    if where is not None:
        query = query.where(where)
    sorts = CONTACT_SORTS
    columns = query.columns
    if score is not None:
        columns = (*columns, f"({score.sql}) AS score")
        query = replace(query, params={**query.params, **score.params})
        sorts = {**CONTACT_SORTS, "score": "score"}
    sql, params = query.sql(
        columns, _order(page, sorts, "name", "contact.id"), page.limit, page.offset
    )
    return [
        {
            "id": r[0],
            "name": r[1],
            "title": r[2],
            "company": r[3],
            "email": r[4],
            "phone": r[5],
            "lifecycle": r[6],
            "source": r[7],
            "tags": sorted(r[8].split(",")) if r[8] else [],
            "created_at": stored_iso(r[9]),
            "updated_at": stored_iso(r[10]),
            **({"score": r[11]} if score is not None else {}),
        }
        for r in fetch(reader, sql, params)
    ]


COMPANY_SORTS: dict[str, str] = {
    "id": "company.id",
    "name": "company.name_key",
    "created": "company.created_at",
    "updated": "company.updated_at",
}

COMPANY_COLUMNS = (
    "company.id",
    "company.name",
    "company.domain",
    "company.industry",
    "(SELECT count(*) FROM contact"
    " WHERE contact.company_id = company.id AND contact.deleted_at IS NULL)",
    "(SELECT count(*) FROM deal WHERE deal.company_id = company.id AND deal.status = 'open'"
    " AND deal.deleted_at IS NULL)",
    "company.created_at",
    "company.updated_at",
)


def list_companies(reader: Reader, flt: ListFilter, page: Page) -> list[dict[str, Any]]:
    """Return companies as rows, with how many contacts and open deals each has."""
    conditions = ["company.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if flt.text or flt.company:
        conditions.append("company.name_key LIKE :text ESCAPE '\\'")
        params["text"] = _like(flt.text or flt.company or "")
    _tags("company_tag", "company_id", "company.id", flt, conditions, params)
    _ranges("company", flt, conditions, params)
    query = Query(COMPANY_COLUMNS, "company", tuple(conditions), params)
    sql, params = query.sql(
        order=_order(page, COMPANY_SORTS, "name", "company.id"),
        limit=page.limit,
        offset=page.offset,
    )
    return [
        {
            "id": r[0],
            "name": r[1],
            "domain": r[2],
            "industry": r[3],
            "contacts": r[4],
            "open_deals": r[5],
            "created_at": stored_iso(r[6]),
            "updated_at": stored_iso(r[7]),
        }
        for r in fetch(reader, sql, params)
    ]


DEAL_SORTS: dict[str, str] = {
    "id": "deal.id",
    "title": "deal.title_key",
    "value": "deal.value",
    "stage": "stage.position",
    "close": "deal.expected_close",
    "created": "deal.created_at",
    "updated": "deal.updated_at",
}

DEAL_COLUMNS = (
    "deal.id",
    "deal.title",
    "deal.status",
    "deal.value",
    "deal.currency",
    "deal.expected_close",
    "coalesce(deal.probability, stage.probability)",
    "deal.stage_entered_at",
    "deal.created_at",
    "deal.updated_at",
    "stage.name",
    "contact.name",
    "company.name",
)


def deals_query(reader: Reader, flt: ListFilter) -> Query:
    """Build the query behind `list deals` (without sorting); a pipeline or stage named in
    the filter is looked up first, so an unknown one is an error."""
    conditions = ["deal.deleted_at IS NULL"]
    params: dict[str, Any] = {}
    if flt.pipeline or flt.stage:
        pipe = pipeline_id(reader, flt.pipeline)
        conditions.append("deal.pipeline_id = :pipeline")
        params["pipeline"] = pipe
        if flt.stage:
            conditions.append("deal.stage_id = :stage")
            params["stage"] = stage_id(reader, pipe, flt.stage)
    if flt.status:
        conditions.append("deal.status = :status")
        params["status"] = check_status(flt.status)
    if flt.company:
        conditions.append("company.name_key LIKE :company ESCAPE '\\'")
        params["company"] = _like(flt.company)
    if flt.text:
        conditions.append("deal.title_key LIKE :text ESCAPE '\\'")
        params["text"] = _like(flt.text)
    if flt.min_value is not None:
        conditions.append("deal.value >= :min_value")
        params["min_value"] = flt.min_value
    if flt.max_value is not None:
        conditions.append("deal.value <= :max_value")
        params["max_value"] = flt.max_value
    _tags("deal_tag", "deal_id", "deal.id", flt, conditions, params)
    _ranges("deal", flt, conditions, params)
    since = _quiet_since(flt)
    if since is not None:
        # a deal is touched by interactions logged on it or on its contact
        conditions.append(_no_interaction_with("deal_id", "deal.id"))
        conditions.append(_no_interaction_with("contact_id", "deal.contact_id"))
        params["quiet_since"] = to_stored(since)
    return Query(
        DEAL_COLUMNS,
        "deal JOIN stage ON stage.id = deal.stage_id"
        " LEFT OUTER JOIN contact ON contact.id = deal.contact_id"
        " LEFT OUTER JOIN company ON company.id = deal.company_id",
        tuple(conditions),
        params,
    )


def list_deals(
    reader: Reader,
    flt: ListFilter,
    page: Page,
    *,
    where: Condition | None = None,
) -> list[dict[str, Any]]:
    """Return deals as rows, with stage, contact and company names; `where` narrows further."""
    query = deals_query(reader, flt)
    if where is not None:
        query = query.where(where)
    sql, params = query.sql(
        order=_order(page, DEAL_SORTS, "id", "deal.id"), limit=page.limit, offset=page.offset
    )
    return [
        {
            "id": r[0],
            "title": r[1],
            "stage": r[10],
            "status": r[2],
            "value": to_decimal_text(r[3], r[4]),
            "value_minor": r[3],
            "currency": r[4],
            "probability": r[6],
            "contact": r[11],
            "company": r[12],
            "expected_close": r[5],
            "stage_entered_at": stored_iso(r[7]),
            "created_at": stored_iso(r[8]),
            "updated_at": stored_iso(r[9]),
        }
        for r in fetch(reader, sql, params)
    ]
