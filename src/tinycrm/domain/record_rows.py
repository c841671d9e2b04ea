"""The shapes of a whole record as `crm show --json` prints it and the board's details pages
draw it (core/records.py builds them, domain/record_lines.py writes their lines): a contact
or company with its deals, next steps, last interactions and keep-in-touch state."""

from __future__ import annotations

from typing import TypedDict

from tinycrm.domain.rows import CompanyView, ContactView, DealRef, DealView, Ref
from tinycrm.domain.sequences import StepRef


class DealLine(TypedDict):
    """A deal as a contact's or a company's record lists it."""

    id: int
    title: str
    pipeline: str | None
    stage: str | None
    status: str
    value: str | None
    value_minor: int | None
    currency: str
    recurring: str | None  # "monthly" or "yearly": the value is per period; None: one-off
    probability: int | None  # the deal's own, else its stage's
    expected_close: str | None
    closed_at: str | None
    contact: Ref | None


class DealCounts(TypedDict):
    """How many live deals a record has, by status."""

    open: int
    won: int
    lost: int


class RecordDeals(TypedDict):
    """A record's deals: the open ones (the furthest along first, at most 20), how many
    there are by status, and the last few closed."""

    open: list[DealLine]
    counts: DealCounts
    recently_closed: list[DealLine]


class FollowUpLine(TypedDict):
    """An open follow-up as a record lists it: `due` is when it is next due (its snooze
    time, else its due time); `all_day` whether that is a whole day."""

    id: int
    title: str
    due: str | None
    all_day: bool
    overdue: bool
    snoozed: bool
    priority: bool
    rrule: str | None
    contact: Ref | None
    deal: DealRef | None
    sequence: StepRef | None  # the sequence step it was scheduled for


class InteractionLine(TypedDict):
    """An interaction as a record lists it."""

    id: int
    occurred_at: str | None
    kind: str
    direction: str | None
    summary: str
    contact: Ref | None
    deal: DealRef | None


class KeepInTouch(TypedDict):
    """A contact's keep-in-touch cadence: when it was last touched (None: never, so it
    counts from when it was added) and when the next touch is due (a day)."""

    every_days: int
    last_interaction_at: str | None
    due: str | None
    is_due: bool


class ContactRecord(ContactView):
    """A contact's whole record (`show`): its fields, then its deals, its next step (the
    earliest open follow-up), its open follow-ups (at most 10, the earliest first, of
    `open_follow_ups`), its last interactions (at most 5) and its keep-in-touch state."""

    deals: RecordDeals
    next_step: FollowUpLine | None
    follow_ups: list[FollowUpLine]
    open_follow_ups: int
    interactions: list[InteractionLine]
    keep_in_touch: KeepInTouch | None


class CompanyRecord(CompanyView):
    """A company's whole record (`show`): its fields and people, then its deals, its next
    step, its open follow-ups and the last interactions of its people and deals."""

    deals: RecordDeals
    next_step: FollowUpLine | None
    follow_ups: list[FollowUpLine]
    open_follow_ups: int
    interactions: list[InteractionLine]


Record = ContactRecord | CompanyRecord | DealView
