"""A sequence's steps as the seller types them ("3d email: case study"), the day each step
falls on from a start day (counting calendar days or business days, Monday to Friday), and the
typed shapes of `crm sequence … --json`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, TypedDict

from tinycrm.errors import ValidationError

# "<N>d <kind>: <title>": days after the start, the kind of touch, what to do.
_STEP = re.compile(r"\s*(\d{1,4})\s*d\s+([^\s:]+)\s*:\s*(.*?)\s*", re.IGNORECASE)
STEP_HINT = 'write a step as "<N>d <kind>: <title>", e.g. "0d call: intro"'
SATURDAY = 5


@dataclass(frozen=True)
class Step:
    """One step as typed: its offset in days from the start, its kind and its title."""

    offset_days: int
    kind: str
    title: str


def parse_step(text: str) -> Step:
    """Read one step ("3d email: case study"), or raise a ValidationError naming it. The kind
    is returned as typed: the service checks it against the interaction kinds."""
    match = _STEP.fullmatch(text)
    if match is None or not match.group(3):
        raise ValidationError(f"not a sequence step: {text!r}", hint=STEP_HINT)
    return Step(int(match.group(1)), match.group(2), match.group(3))


def check_order(steps: list[Step], typed: list[str]) -> None:
    """Refuse steps whose offsets go backwards (two steps on one day are allowed), naming the
    first step that comes before the one typed ahead of it."""
    for before, after, text in zip(steps, steps[1:], typed[1:], strict=False):
        if after.offset_days < before.offset_days:
            raise ValidationError(
                f"step {text!r} comes before the step ahead of it "
                f"(day {after.offset_days} after day {before.offset_days})",
                hint="give the steps in the order they happen",
            )


def first_day(start: date, business_days: bool) -> date:
    """The day a sequence's day 0 falls on: the start day, or with business days the next
    Monday when the start is a Saturday or a Sunday."""
    if business_days and start.weekday() >= SATURDAY:
        return start + timedelta(days=7 - start.weekday())
    return start


def step_day(start: date, offset_days: int, business_days: bool) -> date:
    """The day a step `offset_days` after `start` falls on. With business days only Monday
    to Friday are counted: day 0 is `first_day`, and each day after it is the next weekday
    (day 1 of a Friday start is the Monday after)."""
    day = first_day(start, business_days)
    if not business_days:
        return day + timedelta(days=offset_days)
    weeks, rest = divmod(offset_days, 5)
    day += timedelta(weeks=weeks)
    for _ in range(rest):
        day += timedelta(days=3 if day.weekday() == 4 else 1)
    return day


def step_label(sequence: str, position: int, steps: int) -> str:
    """How a follow-up names the step it comes from: "Onboarding 2/4"."""
    return f"{sequence} {position}/{steps}"


# ---- the typed shapes of `crm sequence … --json` --------------------------------------------


class StepRef(TypedDict):
    """The sequence step a follow-up was scheduled for (null on other follow-ups)."""

    run: int
    sequence: str
    step: int  # its place, from 1
    steps: int  # how many steps the sequence has
    label: str  # "Onboarding 2/4"


class StepView(TypedDict):
    """One step of a sequence."""

    position: int
    day: int  # days after the start (business days when the sequence counts them)
    kind: str
    title: str


class NextStep(TypedDict):
    """The next open follow-up of a run."""

    follow_up: int | None
    step: int | None
    title: str
    due: str | None


class Named(TypedDict):
    """A contact or a deal named in a run: its id and its name or title."""

    id: int | None
    name: str


class RunView(TypedDict):
    """A sequence started on a contact (and a deal)."""

    id: int | None
    sequence: str
    status: str  # active, stopped, finished
    stop_reason: str | None  # "by hand", "reply", "deal closed", "sequence deleted"
    keep_on_reply: bool
    started: str  # the start day
    stopped_at: str | None
    contact: Named | None
    deal: Named | None
    next_step: NextStep | None


class SequenceRow(TypedDict):
    """One line of `crm sequence list`."""

    kind: Literal["sequence"]
    id: int | None
    name: str
    business_days: bool
    steps: int
    active_runs: int


class SequenceView(TypedDict):
    """A sequence with its steps and its runs (`crm sequence show --json`)."""

    kind: Literal["sequence"]
    id: int | None
    name: str
    business_days: bool
    steps: list[StepView]
    runs: list[RunView]
    created_at: str | None
