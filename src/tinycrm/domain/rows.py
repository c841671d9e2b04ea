"""The shapes of the rows that lists and descriptions return: the documented `--json`.

Each is a TypedDict, so the JSON is the dict itself, keys in the order written here; times are
ISO 8601 text in UTC with a Z, amounts both as decimal text (`value`) and integer minor units
(`value_minor`) with their currency.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class ContactRow(TypedDict):
    """One line of `list contacts`."""

    id: int
    name: str
    title: str | None
    company: str | None
    email: str | None  # the primary one
    phone: str | None  # the primary one
    lifecycle: str
    source: str | None
    tags: list[str]
    created_at: str | None
    updated_at: str | None
    score: NotRequired[int]  # when sorted by the lead score


class CompanyRow(TypedDict):
    """One line of `list companies`: with how many live contacts and open deals it has."""

    id: int
    name: str
    domain: str | None
    industry: str | None
    contacts: int
    open_deals: int
    created_at: str | None
    updated_at: str | None


class Qualification(TypedDict):
    """A deal's qualification (BANT): each criterion 'yes', 'no' or None (not known)."""

    budget: str | None
    authority: str | None
    need: str | None
    timing: str | None


class DealRow(TypedDict):
    """One line of `list deals`."""

    id: int
    title: str
    stage: str
    status: str
    value: str | None
    value_minor: int | None
    currency: str
    recurring: str | None  # "monthly" or "yearly": the value is per period; None: one-off
    probability: int | None  # the deal's own, else its stage's
    contact: str | None
    company: str | None
    expected_close: str | None
    qualification: Qualification
    stage_entered_at: str | None
    created_at: str | None
    updated_at: str | None


class Ref(TypedDict):
    """Another record a description points to."""

    id: int
    name: str


class EmailEntry(TypedDict):
    """One email address of a contact."""

    email: str
    label: str | None
    types: list[str]
    primary: bool


class PhoneEntry(TypedDict):
    """One phone number of a contact."""

    phone: str
    label: str | None
    types: list[str]
    primary: bool


class UrlEntry(TypedDict):
    """One web address of a contact."""

    url: str
    label: str | None
    types: list[str]
    primary: bool


class AddressEntry(TypedDict):
    """One postal address of a contact or a company (vCard ADR's parts)."""

    label: str | None
    types: list[str]
    po_box: str | None
    extended: str | None
    street: str | None
    locality: str | None
    region: str | None
    postcode: str | None
    country: str | None
    primary: bool


class DateEntry(TypedDict):
    """A birthday, anniversary or other date: '1985-04-12', or '--04-12' with no year."""

    kind: str
    label: str | None
    date: str
    month: int
    day: int


class NameParts(TypedDict):
    """The parts of a contact's name."""

    given: str | None
    family: str | None
    middle: str | None
    prefix: str | None
    suffix: str | None


class ContactView(TypedDict):
    """A contact described fully (`show`)."""

    kind: Literal["contact"]
    id: int
    uuid: str
    name: str
    name_parts: NameParts
    nickname: str | None
    title: str | None
    company: Ref | None
    lifecycle: str
    source: str | None
    emails: list[EmailEntry]
    phones: list[PhoneEntry]
    urls: list[UrlEntry]
    addresses: list[AddressEntry]
    dates: list[DateEntry]
    photo: str | None
    vcard_properties: list[str]
    tags: list[str]
    notes: str | None
    custom: dict[str, Any]
    keep_in_touch_days: int | None
    created_at: str | None
    updated_at: str | None


class CompanyView(TypedDict):
    """A company described fully, with its live contacts by name (`show`)."""

    kind: Literal["company"]
    id: int
    uuid: str
    name: str
    domain: str | None
    industry: str | None
    size: str | None
    notes: str | None
    addresses: list[AddressEntry]
    tags: list[str]
    custom: dict[str, Any]
    contacts: list[Ref]
    created_at: str | None
    updated_at: str | None


# "from" is a keyword, so this shape is written the functional way
StageStep = TypedDict("StageStep", {"from": str | None, "to": str | None, "at": str | None})
StageStep.__doc__ = """A deal entered a stage: from which (None when it was created), when."""


class DealView(TypedDict):
    """A deal described fully, with its stage history unless asked not to (`show`)."""

    kind: Literal["deal"]
    id: int
    uuid: str
    title: str
    contact: Ref | None
    company: Ref | None
    pipeline: str | None
    stage: str | None
    status: str
    value: str | None
    value_minor: int | None
    currency: str
    recurring: str | None  # "monthly" or "yearly": the value is per period; None: one-off
    probability: int | None
    expected_close: str | None
    lost_reason: str | None
    qualification: Qualification
    closed_at: str | None
    stage_entered_at: str | None
    tags: list[str]
    notes: str | None
    custom: dict[str, Any]
    created_at: str | None
    updated_at: str | None
    stage_history: NotRequired[list[StageStep]]


class SegmentView(TypedDict):
    """A saved segment: its name and the filters it keeps."""

    name: str
    filters: dict[str, Any]
    created_at: str | None
    updated_at: str | None


class SegmentCount(TypedDict):
    """How many live contacts and deals a segment keeps."""

    contacts: int
    deals: int


class ScoreLine(TypedDict):
    """One reason for a contact's lead score: the rule, what the contact has, the points."""

    rule: str
    detail: str
    points: int


class ScoreExplanation(TypedDict):
    """A contact's lead score and the lines that make it up (`score`)."""

    id: int
    name: str
    score: int
    lines: list[ScoreLine]


class TrashedRow(TypedDict):
    """A record in the trash (`trash`)."""

    kind: str
    id: int
    name: str
    deleted_at: str | None


class PipelineRow(TypedDict):
    """A pipeline with its stage count and open deals (`pipeline list`)."""

    id: int | None
    name: str
    default: bool
    stages: int
    open_deals: int


class HistoryGroup(TypedDict):
    """One command in the history (`history`): its events were written together."""

    group_id: str
    summary: str | None
    origin: str
    at: str | None
    changes: int
    undone: bool
    undone_at: str | None


class HistoryEvent(TypedDict):
    """One change to one row (`history REF`); a tag link also names its tag."""

    id: int | None
    group_id: str
    at: str | None
    origin: str
    summary: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    undone: bool
    tag: NotRequired[str | None]


class ContactRef(TypedDict):
    """The contact a follow-up or an interaction is about."""

    id: int | None
    name: str


class DealAt(TypedDict):
    """The deal a follow-up is about, with the stage it is in."""

    id: int | None
    title: str
    stage: str | None


class DealRef(TypedDict):
    """The deal an interaction was logged on."""

    id: int | None
    title: str


class FollowUpView(TypedDict):
    """A follow-up (`crm follow-up --json`, `crm done --json`, ...)."""

    kind: Literal["follow-up"]
    id: int | None
    uuid: str
    title: str
    status: str
    due: str | None
    all_day: bool
    snoozed_until: str | None
    effective_due: str | None
    rrule: str | None
    priority: bool
    contact: ContactRef | None
    deal: DealAt | None
    notified_at: str | None
    completed_at: str | None
    created_at: str | None
    updated_at: str | None


class InteractionView(TypedDict):
    """An interaction (`crm log --json`)."""

    kind: Literal["interaction"]
    id: int | None
    uuid: str
    type: str
    direction: str | None
    occurred_at: str | None
    summary: str
    contact: ContactRef | None
    deal: DealRef | None
    created_at: str | None


# One entry of a record's timeline (`timeline`): `at`, `type` and `summary` always, then what
# its type carries. Written as a call because one of its keys, `from`, is a Python keyword.
TimelineEntry = TypedDict(
    "TimelineEntry",
    {
        "at": str | None,
        "type": Literal["interaction", "stage", "follow-up", "created", "edit"],
        "summary": str | None,
        # an interaction, a follow-up
        "id": NotRequired[int | None],
        # an interaction
        "kind": NotRequired[str],
        "direction": NotRequired[str | None],
        "contact": NotRequired[ContactRef | None],
        # a stage change
        "from": NotRequired[str | None],
        "to": NotRequired[str | None],
        # a follow-up
        "status": NotRequired[str],
        "due_at": NotRequired[str | None],
        # the deal of an interaction, a stage change or a follow-up
        "deal": NotRequired[DealRef | None],
        # an edit, a creation
        "fields": NotRequired[list[str]],
        "changes": NotRequired[list[str]],
        "origin": NotRequired[str],
    },
)


class DuplicatePair(TypedDict):
    """Two contacts (or companies) that may be one (`duplicates`): the older one, which the
    merge line keeps, the other, the reasons ("same email jane@acme.com", "same name", …) and
    the command that merges them."""

    kind: Literal["contact", "company"]
    keep: Ref
    duplicate: Ref
    reasons: list[str]
    merge: str


class MailSkipped(TypedDict):
    """A message a mail import could not log, and why."""

    message: str
    why: str


class NewLead(TypedDict):
    """A stranger a mail import added as a lead (`id` is None in a dry run)."""

    id: int | None
    name: str
    email: str


class MailImportView(TypedDict):
    """What `crm mail import --json` prints: the counts, then the lists."""

    messages: int
    logged: int
    interactions: list[int]
    contacts: int
    already_logged: int
    not_about_contacts: int
    skipped: list[MailSkipped]
    strangers: list[str]
    in_trash: list[str]
    new_leads: list[NewLead]
    derived_message_ids: int
    stopped_sequences: list[str]
    dry_run: bool


class SpendRow(TypedDict):
    """Money spent on finding customers through one source in one month (`spend list`)."""

    id: int
    source: str
    month: str
    currency: str
    amount: str
    amount_minor: int
    note: str | None
    created_at: str | None
