"""The data model as SQLModel tables; the schema itself is made by the SQL migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC text in SQLite."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must be aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _time(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


class Company(SQLModel, table=True):
    """An organisation that contacts and deals point to."""

    __tablename__ = "company"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    name: str
    name_key: str
    domain: str | None = None
    industry: str | None = None
    size: str | None = None
    notes: str | None = None
    custom: dict[str, Any] | None = _json()
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)


class Contact(SQLModel, table=True):
    """A person."""

    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    name: str
    name_key: str
    title: str | None = None
    company_id: int | None = Field(default=None, foreign_key="company.id")
    lifecycle: str = "lead"
    source: str | None = None
    notes: str | None = None
    custom: dict[str, Any] | None = _json()
    keep_in_touch_days: int | None = None
    touch_notified_for: datetime | None = _time(nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)
    given_name: str | None = None
    family_name: str | None = None
    middle_name: str | None = None
    name_prefix: str | None = None
    name_suffix: str | None = None
    nickname: str | None = None
    vcard_n: str | None = None  # the vCard N value exactly as a card gave it
    photo: str | None = None  # a data: URI, or the URI a card pointed to


class ContactEmail(SQLModel, table=True):
    """One email address of a contact."""

    __tablename__ = "contact_email"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    email: str
    email_key: str
    label: str | None = None
    is_primary: bool = False
    types: str | None = None  # every vCard TYPE, comma-separated
    vcard_group: str | None = None


class ContactPhone(SQLModel, table=True):
    """One phone number of a contact."""

    __tablename__ = "contact_phone"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    phone: str
    phone_key: str
    label: str | None = None
    is_primary: bool = False
    types: str | None = None  # every vCard TYPE, comma-separated
    vcard_group: str | None = None


class ContactUrl(SQLModel, table=True):
    """One web address of a contact."""

    __tablename__ = "contact_url"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    url: str
    label: str | None = None
    is_primary: bool = False
    types: str | None = None  # every vCard TYPE, comma-separated
    vcard_group: str | None = None


class ContactUid(SQLModel, table=True):
    """A vCard UID a contact was known by in another address book, kept as written."""

    __tablename__ = "contact_uid"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    uid: str
    is_primary: bool = False


class ContactAddress(SQLModel, table=True):
    """A postal address of a contact: vCard ADR's parts, a label, its types."""

    __tablename__ = "contact_address"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    label: str | None = None
    types: str | None = None
    po_box: str | None = None
    extended: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    is_primary: bool = False
    vcard_group: str | None = None


class CompanyAddress(SQLModel, table=True):
    """A postal address of a company: vCard ADR's parts, a label, its types."""

    __tablename__ = "company_address"
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id")
    label: str | None = None
    types: str | None = None
    po_box: str | None = None
    extended: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    is_primary: bool = False
    vcard_group: str | None = None


class ContactDate(SQLModel, table=True):
    """A birthday, anniversary or other date of a contact, with or without a year."""

    __tablename__ = "contact_date"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    kind: str
    label: str | None = None
    value: str  # ISO 8601: '1985-04-12', or '--04-12' with no year
    month: int
    day: int
    written: str | None = None  # the value as a vCard wrote it
    vcard_group: str | None = None


class ContactProperty(SQLModel, table=True):
    """A vCard property nothing maps, kept as the exact content line a card held."""

    __tablename__ = "contact_property"
    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id")
    position: int
    name: str
    line: str


class Tag(SQLModel, table=True):
    """A label that contacts, companies and deals can carry."""

    __tablename__ = "tag"
    id: int | None = Field(default=None, primary_key=True)
    name: str


class ContactTag(SQLModel, table=True):
    """A tag on a contact."""

    __tablename__ = "contact_tag"
    contact_id: int = Field(foreign_key="contact.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class CompanyTag(SQLModel, table=True):
    """A tag on a company."""

    __tablename__ = "company_tag"
    company_id: int = Field(foreign_key="company.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class Pipeline(SQLModel, table=True):
    """An ordered set of stages that deals move through."""

    __tablename__ = "pipeline"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    name: str
    is_default: bool = False
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Stage(SQLModel, table=True):
    """A step of a pipeline, with a default probability and a stale threshold."""

    __tablename__ = "stage"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    pipeline_id: int = Field(foreign_key="pipeline.id")
    name: str
    position: int
    probability: int
    stale_days: int | None = None
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Deal(SQLModel, table=True):
    """An opportunity: a value in minor units and a currency, a stage, and a status."""

    __tablename__ = "deal"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    title: str
    title_key: str
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    company_id: int | None = Field(default=None, foreign_key="company.id")
    pipeline_id: int = Field(foreign_key="pipeline.id")
    stage_id: int = Field(foreign_key="stage.id")
    value: int | None = None
    currency: str
    expected_close: date | None = None
    probability: int | None = None
    status: str = "open"
    lost_reason: str | None = None
    closed_at: datetime | None = _time(nullable=True)
    stage_entered_at: datetime = _time()
    notes: str | None = None
    custom: dict[str, Any] | None = _json()
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)
    # Qualification (BANT): "yes" or "no" each, None while not known.
    budget: str | None = None
    authority: str | None = None
    need: str | None = None
    timing: str | None = None
    recurring: str | None = None  # "monthly" or "yearly": the value is per period


class DealTag(SQLModel, table=True):
    """A tag on a deal."""

    __tablename__ = "deal_tag"
    deal_id: int = Field(foreign_key="deal.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True)


class StageChange(SQLModel, table=True):
    """A deal entered a stage (from_stage_id is None when the deal was created)."""

    __tablename__ = "stage_change"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id")
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    at: datetime = _time()


class FollowUp(SQLModel, table=True):
    """Something to do about a contact or a deal, at a time or on a day."""

    __tablename__ = "follow_up"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    title: str
    due_at: datetime = _time()
    all_day: bool = False
    rrule: str | None = None
    priority: bool = False
    status: str = "open"
    snoozed_until: datetime | None = _time(nullable=True)
    notified_at: datetime | None = _time(nullable=True)
    notified_for: datetime | None = _time(nullable=True)
    completed_at: datetime | None = _time(nullable=True)
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)
    # The sequence run and step that scheduled it, if one did.
    sequence_run_id: int | None = Field(default=None, foreign_key="sequence_run.id")
    sequence_step_id: int | None = Field(default=None, foreign_key="sequence_step.id")


class Interaction(SQLModel, table=True):
    """Something that happened with a contact: a call, email, meeting, message or note."""

    __tablename__ = "interaction"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    kind: str
    direction: str | None = None
    occurred_at: datetime = _time()
    summary: str
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)
    message_id: str | None = None  # an email's Message-ID, when it was logged from mail


class Sequence(SQLModel, table=True):
    """Named steps that a start turns into follow-ups, some days apart."""

    __tablename__ = "sequence"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    name: str
    name_key: str
    business_days: bool = False
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)


class SequenceStep(SQLModel, table=True):
    """One step of a sequence: its place, its offset in days, its kind of touch, its title."""

    __tablename__ = "sequence_step"
    id: int | None = Field(default=None, primary_key=True)
    sequence_id: int = Field(foreign_key="sequence.id")
    position: int
    offset_days: int
    kind: str
    title: str


class SequenceRun(SQLModel, table=True):
    """A sequence started on a contact or a deal: active, stopped (and why) or finished."""

    __tablename__ = "sequence_run"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    sequence_id: int = Field(foreign_key="sequence.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    status: str = "active"
    keep_on_reply: bool = False
    started_at: datetime = _time()
    stopped_at: datetime | None = _time(nullable=True)
    stop_reason: str | None = None
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Spend(SQLModel, table=True):
    """Money spent on finding customers through one lead source in one month."""

    __tablename__ = "spend"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str
    source: str
    source_key: str
    month: str  # "2026-11"
    amount: int  # minor units of the currency
    currency: str
    note: str | None = None
    created_at: datetime = _time()
    updated_at: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)


class Segment(SQLModel, table=True):
    """A saved set of list filters."""

    __tablename__ = "segment"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _time()
    updated_at: datetime = _time()


class Event(SQLModel, table=True):
    """One change to one row, with before/after values; a group is one command."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    group_id: str
    origin: str
    at: datetime = _time()
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None = _json()
    after: dict[str, Any] | None = _json()
    summary: str | None = None
    undone_at: datetime | None = _time(nullable=True)
