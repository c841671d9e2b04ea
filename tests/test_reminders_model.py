"""A model-based test of reminders: random follow-ups, clock steps, runs of `crm remind` whose
channel works, fails, is stopped or is killed, snoozes, dones, trash and restore, undo and redo.

The model is what the seller must see: each due occurrence of a live follow-up is delivered
exactly once on each channel, and nothing of a trashed contact ever is. The database decides
what is live and due (undo and redo change it as the history says); the test keeps the
deliveries and checks them after every step."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlmodel import Session

from tinycrm.store.db import Database

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CHANNELS = ["stdout", "command"]


class Killed(Exception):
    """The run's process died (kill -9): nothing after this point runs."""


class Dying(Database):
    """The database as a run's process sees it: once the process is killed, nothing more it
    writes reaches the file."""

    killed = False

    @contextmanager
    def transaction(
        self, origin: str = "cli", summary: str | None = None, now: datetime | None = None
    ) -> Iterator[Session]:
        if self.killed:
            raise Killed
        with super().transaction(origin, summary, now) as session:
            yield session


class RemindersMachine(RuleBasedStateMachine):
    """Follow-ups of two contacts, reminded on two channels."""

    @initialize()
    def start(self) -> None:
        from tinycrm.core import contacts, open_db

        self.folder = Path(tempfile.mkdtemp(prefix="tinycrm-model-"))
        self.path = self.folder / "tinycrm.db"
        self.db = open_db(self.path)
        self.now = NOW
        self.delivered: Counter[tuple[str, str, str]] = Counter()  # channel, uuid, occurrence
        self.contacts: list[int] = []
        for name in ("Ann One", "Bob Two"):
            # made as the system's, so that undo never takes the contacts themselves away
            with self.db.transaction(
                origin="system", summary=f"add {name}", now=self.now
            ) as session:
                contact = contacts.add_contact(session, name, now=self.now)
                assert contact.id is not None
                self.contacts.append(contact.id)
        self.lease_pending = False  # a killed run holds a claim that has not expired yet
        self.add_follow_up(0, -10)  # one due from the start: the last command, for undo

    def teardown(self) -> None:
        if hasattr(self, "db"):
            self.db.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    # ---- what the database says ----------------------------------------------------------

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        from tinycrm.store.files import connect

        conn = connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def _due_now(self) -> set[tuple[str, str]]:
        """(uuid, occurrence) of every open follow-up of a live contact due by now."""
        from tinycrm.domain.dates import to_stored

        rows = self._rows(
            "SELECT f.uuid, coalesce(f.snoozed_until, f.due_at) FROM follow_up AS f"
            " JOIN contact AS c ON c.id = f.contact_id"
            " WHERE f.status = 'open' AND f.deleted_at IS NULL AND c.deleted_at IS NULL"
            " AND coalesce(f.snoozed_until, f.due_at) <= ?",
            to_stored(self.now),
        )
        return {(u, o) for u, o in rows}

    def _open_follow_ups(self) -> list[int]:
        return [r[0] for r in self._rows("SELECT id FROM follow_up WHERE status = 'open'")]

    # ---- rules -----------------------------------------------------------------------------

    @rule(who=st.integers(0, 1), minutes=st.integers(-90, 60))
    def add_follow_up(self, who: int, minutes: int) -> None:
        from tinycrm.core import followups
        from tinycrm.domain.dates import When
        from tinycrm.store.models import Contact

        due = (self.now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
        with self.db.transaction(summary="add follow-up", now=self.now) as session:
            contact = session.get(Contact, self.contacts[who])
            followups.add_follow_up(
                session, "call", When(due, False), now=self.now, contact=contact
            )

    @rule(minutes=st.sampled_from([1, 5, 30, 120, 20 * 60]))
    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        if minutes >= 15:
            self.lease_pending = False

    @rule(pick=st.integers(0, 50), minutes=st.integers(1, 180))
    def snooze(self, pick: int, minutes: int) -> None:
        from tinycrm.core import followups

        ids = self._open_follow_ups()
        if not ids:
            return
        with self.db.transaction(summary="snooze", now=self.now) as session:
            fu = followups.get_follow_up(session, ids[pick % len(ids)])
            followups.snooze(session, fu, self.now + timedelta(minutes=minutes), self.now)

    @rule(pick=st.integers(0, 50))
    def done(self, pick: int) -> None:
        from tinycrm.core import followups

        ids = self._open_follow_ups()
        if not ids:
            return
        with self.db.transaction(summary="done", now=self.now) as session:
            followups.complete(
                session, followups.get_follow_up(session, ids[pick % len(ids)]), self.now, UTC
            )

    @rule(who=st.integers(0, 1))
    def trash_or_restore(self, who: int) -> None:
        from tinycrm.core import trash

        cid = self.contacts[who]
        trashed = self._rows("SELECT deleted_at FROM contact WHERE id = ?", cid)[0][0]
        with self.db.transaction(summary="trash", now=self.now) as session:
            if trashed is None:
                trash.delete(session, str(cid), self.now, ("contact",))
            else:
                trash.restore(session, str(cid), self.now, ("contact",))

    # cron runs `crm remind` between the seller's commands, undo and redo included
    @rule(
        steps=st.sampled_from(
            ["undo", "redo", "undo redo", "remind undo redo remind", "undo remind redo remind"]
        )
    )
    def undo_or_redo(self, steps: str) -> None:
        from tinycrm.errors import NotFoundError
        from tinycrm.store import history

        for step in steps.split():
            if step == "remind":
                self.remind("works")
                continue
            try:
                with self.db.transaction(summary=step, now=self.now) as session:
                    (history.redo if step == "redo" else history.undo)(session, self.now)
            except NotFoundError:
                pass

    @rule()
    def remind_working(self) -> None:
        self.remind("works")

    @rule(command=st.sampled_from(["works", "fails", "stopped", "killed"]))
    def remind(self, command: str) -> None:
        from tinycrm.config import ReminderSettings
        from tinycrm.core import reminders
        from tinycrm.domain import notices

        run_db = Dying(self.path)
        due_before = self._due_now()

        def send(channel: str, items: list[Any], *args: Any, **kw: Any) -> notices.Outcome:
            for r in items:
                trashed = self._rows("SELECT deleted_at FROM contact WHERE id = ?", r.contact_id)
                assert trashed[0][0] is None, f"reminded of a trashed contact's follow-up {r.id}"
                assert (r.uuid, r.occurrence) in due_before, "reminded of something not due"
            if channel == "command" and command != "works":
                if command == "fails":
                    return notices.Outcome(channel, "failed", "exit 1")
                if command == "stopped":
                    raise reminders.Interrupted(15)
                run_db.killed = True  # no give-back reaches the database
                raise Killed
            for r in items:
                self.delivered[(channel, r.uuid, r.occurrence)] += 1
            return notices.Outcome(channel, "delivered")

        config = ReminderSettings(channels=tuple(CHANNELS))
        try:
            reminders.run(run_db, self.now, config, lambda text: None, {}, tz=UTC, send=send)
        except reminders.Interrupted:
            pass
        except Killed:
            self.lease_pending = True
        finally:
            run_db.dispose()
        if command == "works" and not self.lease_pending:
            for uuid, occurrence in self._due_now():
                for channel in CHANNELS:
                    times = self.delivered[(channel, uuid, occurrence)]
                    assert times == 1, f"{channel} had {uuid} due {occurrence} {times} times"

    @invariant()
    def never_twice(self) -> None:
        if hasattr(self, "delivered"):
            twice = [key for key, n in self.delivered.items() if n > 1]
            assert not twice, f"delivered twice: {twice}"


RemindersMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=25, deadline=None
)
test_reminders_against_a_model = RemindersMachine.TestCase
