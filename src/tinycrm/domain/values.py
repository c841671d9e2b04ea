"""The closed sets of values a record's fields take, and their checks (no database here).

Each set is a `StrEnum`: its members are the strings stored and shown in `--json`, so they
compare equal to what the database gives back.
"""

from __future__ import annotations

from enum import StrEnum

from tinycrm.domain.text import fold
from tinycrm.errors import ValidationError


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    """Where a sequence started on a contact is: its steps still coming, stopped (by hand, by
    a reply, with its deal closed or its sequence deleted), or finished (its last follow-up
    done)."""

    ACTIVE = "active"
    STOPPED = "stopped"
    FINISHED = "finished"


class InteractionKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    MESSAGE = "message"
    NOTE = "note"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Lifecycle(StrEnum):
    LEAD = "lead"
    PROSPECT = "prospect"
    CUSTOMER = "customer"
    FORMER_CUSTOMER = "former customer"


class Recurring(StrEnum):
    """How often a recurring deal's value comes in: its value is per month or per year."""

    MONTHLY = "monthly"
    YEARLY = "yearly"


# A closed deal is won or lost; `won` and `lost` are also the names a stage may not take.
CLOSED: tuple[DealStatus, ...] = (DealStatus.WON, DealStatus.LOST)
DEAL_STATUSES = tuple(DealStatus)
FOLLOW_UP_STATUSES = tuple(FollowUpStatus)
INTERACTION_KINDS = tuple(InteractionKind)
DIRECTIONS = tuple(Direction)
LIFECYCLES = tuple(Lifecycle)
RECURRINGS = tuple(Recurring)
# What a period's value is shown with, beside the amount: "€500/mo".
PER_PERIOD = {Recurring.MONTHLY: "/mo", Recurring.YEARLY: "/yr"}


def check_lifecycle(value: str) -> str:
    """Return a known lifecycle value, or raise ValidationError."""
    key = fold(value).replace("-", " ").replace("_", " ")
    if key not in LIFECYCLES:
        raise ValidationError(
            f"not a lifecycle: {value!r}", hint=f"use one of: {', '.join(LIFECYCLES)}"
        )
    return key


def check_status(value: str) -> str:
    """Return a deal status as stored (open, won or lost), or raise ValidationError."""
    status = fold(value)
    if status not in DEAL_STATUSES:
        raise ValidationError(f"not a deal status: {value!r}", hint="open, won or lost")
    return status


PROBABILITY_HINT = "a whole percentage from 0 to 100"


def check_probability(value: int) -> int:
    """Return a probability (a whole percentage from 0 to 100), or raise ValidationError."""
    if not 0 <= value <= 100:
        raise ValidationError(f"not a probability: {value}", hint=PROBABILITY_HINT)
    return value


def read_probability(text: str) -> int | None:
    """Read a probability as typed or imported ('40' or '40%'); empty means none given."""
    raw = text.strip().removesuffix("%").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 3 or not 0 <= int(raw) <= 100:
        raise ValidationError(f"not a probability: {text!r}", hint=PROBABILITY_HINT)
    return int(raw)


RECURRING_HINT = "monthly, yearly, or none for a one-off value"


def read_recurring(text: str) -> str | None:
    """Read how a deal's value recurs as typed or imported: 'monthly' or 'yearly' (any case),
    None for 'none' or nothing (a one-off value); anything else is an error."""
    key = fold(text)
    if key in ("", "none"):
        return None
    if key not in RECURRINGS:
        raise ValidationError(f"not a recurrence: {text!r}", hint=RECURRING_HINT)
    return key


def first_year_factor(recurring: str | None) -> int:
    """How many times a deal's value comes in its first year: 12 for a monthly value, once
    for a yearly or one-off value."""
    return 12 if recurring == Recurring.MONTHLY else 1
