"""The days a contact's kept dates (birthdays, anniversaries, other dates) fall on in a range
of days: what the agenda, the board's agenda screen and `crm remind` show of them.

Read as Core rows from the index on the dates' month and day, so the cost follows the dates in
the range, not the contacts kept. The calendar rules are `domain.yearly`'s."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select
from sqlmodel import col

from tinycrm.domain.yearly import falls_on, month_day_spans, years_at
from tinycrm.store.models import Contact, ContactDate
from tinycrm.store.query import live

if TYPE_CHECKING:
    from sqlmodel import Session

KINDS = ("birthday", "anniversary", "other")


@dataclass(frozen=True)
class Occasion:
    """A kept date on the day it falls in a range: a birthday, an anniversary or another."""

    date_id: int
    contact_id: int
    contact_name: str
    contact_uuid: str
    kind: str  # birthday, anniversary, other
    label: str | None
    value: str  # as kept: '1985-04-12', or '--04-12' with no year
    on: date  # the local day it falls on
    years: int | None  # the age or the years it counts on that day; None: no year kept

    @property
    def name(self) -> str:
        """What the date is called: its kind, or an other date's label."""
        return (self.label or self.kind) if self.kind == "other" else self.kind

    @property
    def count(self) -> str:
        """What it counts that day: 'turns 41' (a birthday), '10 years' (another date); empty
        when no year is kept, and on the day of the date itself."""
        if not self.years:
            return ""
        if self.kind == "birthday":
            return f"turns {self.years}"
        return f"{self.years} year{'s' if self.years != 1 else ''}"

    @property
    def title(self) -> str:
        """The line that says it: 'birthday · Jan Smith turns 41', 'anniversary · Jan Smith,
        10 years', 'contract signed · Jan Smith, 3 years'."""
        count = self.count
        if count:
            count = f" {count}" if self.kind == "birthday" else f", {count}"
        return f"{self.name} · {self.contact_name}{count}"

    @property
    def key(self) -> str:
        """The occurrence as a reminder run records it (with the contact's uuid): the date's
        kind, label and the day it falls on, so it is reminded once a year even when the date
        is edited or taken away and brought back by an undo."""
        return f"{self.kind}:{self.label or ''}:{self.on.isoformat()}"


def occasions(
    session: Session, first: date, last: date, kinds: Collection[str] = KINDS
) -> list[Occasion]:
    """Return the kept dates of contacts not in the trash that fall from `first` to `last`
    (both included, local days), of these `kinds`, by day, then contact name.

    A date before the year it was kept with (an anniversary still to come) is not shown."""
    if last < first or not kinds:
        return []
    spans = month_day_spans(first, last)
    columns: list[Any] = [
        ContactDate.id,
        ContactDate.contact_id,
        Contact.name,
        Contact.uuid,
        ContactDate.kind,
        ContactDate.label,
        ContactDate.value,
        ContactDate.month,
        ContactDate.day,
    ]
    query = (
        select(*columns)
        .join(Contact, col(Contact.id) == ContactDate.contact_id)
        .where(
            or_(
                *(
                    and_(
                        col(ContactDate.month) == month,
                        col(ContactDate.day) >= lo,
                        col(ContactDate.day) <= hi,
                    )
                    for month, lo, hi in spans
                )
            ),
            col(ContactDate.kind).in_(sorted(kinds)),
            live(Contact),
        )
    )
    found = []
    for row in session.connection().execute(query):
        date_id, contact_id, name, uuid, kind, label, value, month, day = row
        for year in range(first.year, last.year + 1):
            on = falls_on(month, day, year)
            years = years_at(value, on)
            if not first <= on <= last or (years is not None and years < 0):
                continue
            found.append(Occasion(date_id, contact_id, name, uuid, kind, label, value, on, years))
    found.sort(key=lambda o: (o.on, o.contact_name.casefold(), o.contact_id, o.date_id))
    return found
