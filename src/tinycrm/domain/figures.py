"""The typed shapes of what the reads return: search results, agenda lines and the reports'
figures. They are the documented `--json` output, key for key and in this order."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class SearchResult(TypedDict):
    """One match of `crm search`: an interaction or follow-up also has its time and contact."""

    kind: str
    id: int
    label: str
    snippet: str
    score: float
    at: NotRequired[str | None]
    contact_id: NotRequired[int | None]


class Person(TypedDict):
    """A contact named in a line: its id and name."""

    id: int | None
    name: str | None


class DealRef(TypedDict):
    """A deal named in an agenda line: its id, title and stage."""

    id: int | None
    title: str | None
    stage: str | None


class AgendaFollowUpLine(TypedDict):
    """One follow-up of `crm agenda --json`."""

    kind: str
    bucket: str
    id: int
    title: str
    due: str | None
    all_day: bool
    snoozed: bool
    priority: bool
    rrule: str | None
    contact: Person | None
    deal: DealRef | None


class AgendaTouchLine(TypedDict):
    """One contact due for a touch in `crm agenda --json`."""

    kind: str
    bucket: str
    id: int
    title: str
    due: str | None
    all_day: bool
    cadence_days: int
    last_interaction_at: str | None
    contact: Person
    deal: None


AgendaLine = AgendaFollowUpLine | AgendaTouchLine
