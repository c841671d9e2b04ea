"""A model-based test of the reminders of contacts' kept dates: random clock steps (minutes to
months) and runs of `crm remind` whose channel works, fails or is killed, against a model of
when each date must be reminded.

The model: a date is reminded on each channel exactly once a year, never before `all_day_at`
(local time) on the day `date_days_before` its day, never after its day ends; a run that
works, and that no killed run's lease holds back, has reminded every date whose moment has
come and whose day has not ended. A 29 February is reminded on 28 February in a year without
one, the day before 1 March (the model counts it that way, not by the code's rule)."""

from __future__ import annotations

import calendar
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tests.test_reminders_model import Dying, Killed

TZ = ZoneInfo("Europe/Paris")
START = datetime(2026, 12, 29, 7, 0, tzinfo=UTC)
CHANNELS = ("stdout", "command")
# (name, how the date is kept: birthday/anniversary value, or "label: value")
DATES = [
    ("Leap Ling", "birthday", "2000-02-29"),
    ("Feb End", "birthday", "--02-28"),
    ("March First", "anniversary", "2010-03-01"),
    ("Year End", "birthday", "--12-31"),
    ("New Year", "met: 2020-01-01"),
    ("Soon Wed", "anniversary", "2027-03-05"),  # its first year is this one
]


def _day(value: str, year: int) -> date | None:
    """The day a kept date is reminded of in `year` (None: before its own year)."""
    if not value.startswith("--") and int(value[:4]) > year:
        return None
    month, day = int(value[-5:-3]), int(value[-2:])
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1) - timedelta(days=1)
    return date(year, month, day)


class DateRemindersMachine(RuleBasedStateMachine):
    """Kept dates of six contacts, reminded on two channels in Paris time."""

    @initialize(before=st.sampled_from([0, 0, 2]))
    def start(self, before: int) -> None:
        from tinycrm.core import contacts, details, open_db
        from tinycrm.domain.parts import read_partial_date

        self.folder = Path(tempfile.mkdtemp(prefix="tinycrm-dates-"))
        self.path = self.folder / "tinycrm.db"
        self.db = open_db(self.path)
        self.now = START
        self.before = before
        self.delivered: Counter[tuple[str, str, str]] = Counter()  # channel, uuid, key
        self.lease_pending = False
        # key -> (uuid, the day it is for); every occurrence of every date over three years
        self.occurrences: dict[tuple[str, str], date] = {}
        with self.db.transaction(summary="add contacts", now=self.now) as session:
            for name, kind, *value in DATES:
                contact = contacts.add_contact(session, name, now=self.now)
                assert contact.id is not None
                if value:
                    details.set_date(session, contact.id, kind, value[0])
                    label, kept = None, value[0]
                else:
                    label, kept = (part.strip() for part in kind.split(":", 1))
                    details.add_date(session, contact.id, label, read_partial_date(kept))
                shown_kind = "other" if label else kind
                for year in (2026, 2027, 2028, 2029):
                    day = _day(kept, year)
                    if day is not None:
                        key = f"{shown_kind}:{label or ''}:{day.isoformat()}"
                        self.occurrences[(contact.uuid, key)] = day

    def teardown(self) -> None:
        if hasattr(self, "db"):
            self.db.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _moment(self, day: date) -> datetime:
        return datetime.combine(day - timedelta(days=self.before), time(9), TZ)

    def _end(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time(0), TZ)

    @rule(step=st.sampled_from([1, 5, 60, 8 * 60, 24 * 60, 3 * 24 * 60, 40 * 24 * 60]))
    def advance(self, step: int) -> None:
        self.now += timedelta(minutes=step)
        if step >= 15:
            self.lease_pending = False

    @rule(late=st.sampled_from([0, 1, 14 * 60, 15 * 60 - 1, 15 * 60]))
    def to_next_moment(self, late: int) -> None:
        """Step to `late` minutes after the next moment a date is to be reminded (up to the
        end of its day, 15 hours after 09:00), or just before it (-1)."""
        ahead = sorted(m for m in map(self._moment, self.occurrences.values()) if m > self.now)
        if ahead:
            self.now = ahead[0] + timedelta(minutes=late)
            self.lease_pending = False

    @rule()
    def just_before_next_moment(self) -> None:
        ahead = sorted(m for m in map(self._moment, self.occurrences.values()) if m > self.now)
        if ahead:
            self.now = ahead[0] - timedelta(seconds=1)

    @rule(command=st.sampled_from(["works", "works", "works", "fails", "killed"]))
    def remind(self, command: str) -> None:
        from tinycrm.config import ReminderSettings
        from tinycrm.core import reminders
        from tinycrm.domain import notices

        run_db = Dying(self.path)

        def send(channel: str, items: list[Any], *args: Any, **kw: Any) -> notices.Outcome:
            dated = [r for r in items if r.kind == "date"]
            for r in dated:
                day = self.occurrences[(r.uuid, r.occurrence)]
                assert self._moment(day) <= self.now, f"{r.title} reminded early"
                assert self.now < self._end(day), f"{r.title} reminded after its day"
            if channel == "command" and command != "works":
                if command == "fails":
                    return notices.Outcome(channel, "failed", "exit 1")
                run_db.killed = True
                raise Killed
            for r in dated:
                self.delivered[(channel, r.uuid, r.occurrence)] += 1
            return notices.Outcome(channel, "delivered")

        config = ReminderSettings(channels=CHANNELS, date_days_before=self.before)
        try:
            reminders.run(run_db, self.now, config, lambda text: None, {}, tz=TZ, send=send)
        except Killed:
            self.lease_pending = True
        finally:
            run_db.dispose()
        if command == "works" and not self.lease_pending:
            for (uuid, key), day in self.occurrences.items():
                if self._moment(day) <= self.now < self._end(day):
                    for channel in CHANNELS:
                        times = self.delivered[(channel, uuid, key)]
                        assert times == 1, f"{channel} had {key} {times} times"

    @invariant()
    def once_a_year(self) -> None:
        if hasattr(self, "delivered"):
            twice = [key for key, n in self.delivered.items() if n > 1]
            assert not twice, f"delivered twice: {twice}"


DateRemindersMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
test_date_reminders_against_a_model = DateRemindersMachine.TestCase
