"""Reminders for cron: find what fell due (`core.remindable`), claim it once, deliver it on
each channel.

A run claims what is due in one write transaction (BEGIN IMMEDIATE on SQLite), so two runs at
once never remind twice. The claim is a lease (reminder_occurrence.claimed_until): a run that is
killed before it finished leaves it to expire, and a later run takes the occurrence again.
Each channel's deliveries are written as soon as it has them (reminder_delivery), so a retry
goes only where the reminder has not been; the occurrence counts as reminded
(reminder_occurrence.reminded_at, and follow_up.notified_for) once every channel has it. A
channel that fails, or a run stopped by SIGTERM or Ctrl-C, gives the claim back at once.

reminder_occurrence is keyed by the record's uuid and is never recorded in the history (these
writes are Core statements, which the history does not watch), so an undo and a redo that take
a follow-up away and bring it back do not remind of it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    select,
    type_coerce,
    update,
)
from sqlmodel import col

from tinycrm.config import ReminderSettings
from tinycrm.core.occasions import KINDS
from tinycrm.core.remindable import add_context, find_due
from tinycrm.domain.dates import local_tz, to_stored
from tinycrm.domain.notices import Outcome, Reminder
from tinycrm.errors import ValidationError
from tinycrm.store import dialect
from tinycrm.store.bookkeeping import DELIVERY, OCCURRENCE
from tinycrm.store.models import Contact, FollowUp
from tinycrm.store.query import due_time

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.db import Database

STALE_DELIVERY_DAYS = 90  # a delivery note this old belongs to an occurrence long gone
# How long a run holds what it claimed. Longer than any run takes (each channel gives up after
# a minute), so a run still delivering is never overtaken; a killed run's claim expires then.
LEASE = timedelta(minutes=15)
ORIGIN = "remind"  # the history's name for what a run writes (its bookkeeping is not recorded)


class Interrupted(BaseException):
    """A signal (SIGTERM, SIGINT, SIGHUP) stopped the run; it gave its claim back."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def all_day_time(config: dict[str, Any]) -> time:
    """Return the local time from which all-day items are reminded ([reminders] all_day_at)."""
    raw = str(config.get("all_day_at", "09:00"))
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"[reminders] all_day_at is not a time: {raw!r}", hint='write it like "09:00"'
        ) from None


def claim(
    session: Session,
    now: datetime,
    tz: tzinfo,
    start: time,
    token: str | None = None,
    *,
    kinds: Collection[str] = KINDS,
    days_before: int = 0,
) -> list[Reminder]:
    """Find what is due and claim it for this run until now + LEASE, inside the session's
    write transaction: a second run waiting on the lock then finds nothing left to claim.
    `kinds` and `days_before` say which contact dates are reminded, and when."""
    token = token or uuid.uuid4().hex
    due = find_due(session, now, tz, start, kinds=kinds, days_before=days_before)
    if due:
        until = to_stored(now + LEASE)
        session.connection().execute(
            dialect.upsert(
                OCCURRENCE,
                ("record_uuid", "due"),
                ("kind", "record_id", "claimed_until", "claimed_by"),
            ),
            [
                {
                    "record_uuid": r.uuid,
                    "due": r.occurrence,
                    "kind": r.kind,
                    "record_id": r.id,
                    "claimed_until": until,
                    "claimed_by": token,
                }
                for r in due
            ],
        )
    for r in due:
        r.claimed_by = token
    return due


def _key(reminder: Reminder) -> tuple[str, int, str]:
    return reminder.kind, reminder.id, reminder.occurrence


def delivered_before(
    session: Session, reminders: Sequence[Reminder]
) -> set[tuple[str, int, str, str]]:
    """Return (kind, id, due, channel) for the channels that already delivered these
    reminders in an earlier run (one that failed on another channel, or was killed)."""
    wanted = {(*_key(r), r.uuid) for r in reminders}
    unnamed = {key[:3] for key in wanted}  # notes from before they named the record's uuid
    rows = session.connection().execute(
        select(
            DELIVERY.c.kind,
            DELIVERY.c.record_id,
            DELIVERY.c.due,
            DELIVERY.c.channel,
            DELIVERY.c.record_uuid,
        )
    )
    return {
        (k, i, d, c)
        for k, i, d, c, u in rows
        if (k, i, d, u) in wanted or (u is None and (k, i, d) in unnamed)
    }


def record_delivery(
    session: Session, reminders: Sequence[Reminder], channel: str, now: datetime
) -> None:
    """Note that `channel` delivered these reminders (the caller commits at once), so that a
    run that stops before the others had them does not send them there again."""
    if not reminders:
        return
    at = to_stored(now)
    session.connection().execute(
        dialect.upsert(
            DELIVERY, ("kind", "record_id", "due", "channel"), ("delivered_at", "record_uuid")
        ),
        [
            {
                "kind": r.kind,
                "record_id": r.id,
                "due": r.occurrence,
                "channel": channel,
                "delivered_at": at,
                "record_uuid": r.uuid,
            }
            for r in reminders
        ],
    )


def unclaim(session: Session, reminders: Sequence[Reminder], now: datetime) -> None:
    """Give claimed reminders back (a channel failed, or the run was stopped), so the next run
    tries them again; the deliveries already noted stay, so it sends them only where they have
    not gone. Only the claims this run still holds are given back."""
    conn = session.connection()
    stale = to_stored(now - timedelta(days=STALE_DELIVERY_DAYS))
    if reminders:
        conn.execute(
            delete(OCCURRENCE).where(
                OCCURRENCE.c.record_uuid == bindparam("u"),
                OCCURRENCE.c.due == bindparam("d"),
                OCCURRENCE.c.claimed_by == bindparam("by"),
                OCCURRENCE.c.reminded_at.is_(None),
            ),
            [{"u": r.uuid, "d": r.occurrence, "by": r.claimed_by} for r in reminders],
        )
    # notes of occurrences that changed before every channel had them (done, snoozed),
    # and the lapsed claims of killed runs on them
    conn.execute(delete(DELIVERY).where(DELIVERY.c.delivered_at < stale))
    conn.execute(
        delete(OCCURRENCE).where(
            OCCURRENCE.c.reminded_at.is_(None), OCCURRENCE.c.claimed_until < stale
        )
    )


def finish(session: Session, reminders: Sequence[Reminder], now: datetime) -> None:
    """Mark reminders reminded: every channel has them. The occurrence is noted for good (and
    on the follow-up or contact, for people reading the row), and its delivery notes go."""
    if not reminders:
        return
    conn = session.connection()
    at = to_stored(now)
    conn.execute(
        dialect.upsert(
            OCCURRENCE, ("record_uuid", "due"), ("reminded_at", "claimed_until", "claimed_by")
        ),
        [
            {
                "record_uuid": r.uuid,
                "due": r.occurrence,
                "kind": r.kind,
                "record_id": r.id,
                "reminded_at": at,
                "claimed_until": None,
                "claimed_by": None,
            }
            for r in reminders
        ],
    )
    follow_ups = [r for r in reminders if r.kind == "follow-up"]
    if follow_ups:  # only if the follow-up still waits on this occurrence (not snoozed since)
        conn.execute(
            update(FollowUp)
            .where(
                col(FollowUp.id) == bindparam("fid"),
                col(FollowUp.uuid) == bindparam("fuuid"),
                type_coerce(due_time(), String) == bindparam("occurrence"),
            )
            .values(notified_for=due_time(), notified_at=bindparam("at")),
            [
                {"fid": r.id, "fuuid": r.uuid, "occurrence": r.occurrence, "at": now}
                for r in follow_ups
            ],
        )
    touched = [r for r in reminders if r.kind == "keep-in-touch"]
    if touched:
        conn.execute(
            update(Contact)
            .where(col(Contact.id) == bindparam("cid"), col(Contact.uuid) == bindparam("cuuid"))
            .values(touch_notified_for=bindparam("due")),
            [{"cid": r.id, "cuuid": r.uuid, "due": r.due} for r in touched],
        )
    conn.execute(
        delete(DELIVERY).where(
            DELIVERY.c.kind == bindparam("k"),
            DELIVERY.c.record_id == bindparam("i"),
            DELIVERY.c.due == bindparam("d"),
        ),
        [{"k": r.kind, "i": r.id, "d": r.occurrence} for r in reminders],
    )


def deliver(
    channel: str,
    reminders: Sequence[Reminder],
    config: ReminderSettings,
    now: datetime,
    tz: tzinfo,
    write: Callable[[str], None],
    env: dict[str, str],
    as_json: Callable[[list[Reminder]], str] | None = None,
    on_stdout: bool = False,
) -> Outcome:
    """Send reminders on one channel; never raises for a delivery problem.

    A desktop notice that cannot be shown goes to standard output instead (said in the
    outcome's detail), unless `on_stdout`: the stdout channel has them already."""
    import subprocess

    from tinycrm.system import channels

    try:
        if channel == "stdout":
            write(as_json(list(reminders)) if as_json else plain_text(reminders, now, tz))
            return Outcome(channel, "delivered")
        if channel == "desktop":
            shown = channels.desktop(reminders, now, tz, env)
            if shown.status == "delivered":
                return shown
            # nobody would see it (cron, ssh): standard output is mailed or shown instead
            if not on_stdout:
                write(as_json(list(reminders)) if as_json else plain_text(reminders, now, tz))
            return Outcome(
                channel,
                "delivered",
                f"the notice cannot be shown ({shown.detail}); it went to standard output",
            )
        if channel == "email":
            return channels.email(reminders, config, now, tz)
        if channel == "command":
            return channels.command(reminders, config, env)
    except (OSError, subprocess.SubprocessError) as exc:
        return Outcome(channel, "failed", str(exc))
    return Outcome(channel, "failed", f"unknown channel {channel!r}")


def plain_text(reminders: Sequence[Reminder], now: datetime, tz: tzinfo) -> str:
    """Render reminders as plain text blocks separated by blank lines."""
    return "".join(r.text(now, tz) + "\n\n" for r in reminders)


@dataclass
class RunResult:
    """What a `crm remind` run did."""

    reminders: list[Reminder]
    outcomes: list[Outcome]
    retried_later: bool = False

    @property
    def failed(self) -> list[Outcome]:
        """The channels that failed."""
        return [o for o in self.outcomes if o.status == "failed"]


def run(
    db: Database,
    now: datetime,
    config: ReminderSettings,
    write: Callable[[str], None],
    env: dict[str, str],
    *,
    tz: tzinfo | None = None,
    dry_run: bool = False,
    prefix: str = "crm",
    as_json: Callable[[list[Reminder]], str] | None = None,
    send: Callable[..., Outcome] | None = None,
) -> RunResult:
    """Remind of everything due exactly once: claim, deliver on each channel (noting each
    channel's deliveries as they happen), then mark it reminded; give the claim back if a
    channel failed or the run is stopped, so that the next run tries again.

    Each of those steps is a transaction of its own, committed before the next one starts.
    `send` delivers on one channel (`deliver` unless a test gives another)."""
    send = send or deliver
    tz = tz or local_tz()
    start = config.all_day_time
    names = config.channels
    kinds, before = config.date_kinds, config.date_days_before
    if dry_run:
        with db.snapshot() as session:
            due = find_due(session, now, tz, start, kinds=kinds, days_before=before)
            add_context(session, due, prefix)
        write(as_json(due) if as_json else plain_text(due, now, tz))
        return RunResult(due, [])
    with db.transaction(origin=ORIGIN) as session:
        due = claim(session, now, tz, start, kinds=kinds, days_before=before)
    if not due:
        return RunResult([], [])
    outcomes: list[Outcome] = []
    try:
        with db.snapshot() as session:
            add_context(session, due, prefix)
            sent = delivered_before(session, due)
        for name in names:
            todo = [r for r in due if (*_key(r), name) not in sent]
            if not todo:
                continue  # an earlier run delivered all of these here
            outcome = send(
                name, todo, config, now, tz, write, env, as_json, on_stdout="stdout" in names
            )
            outcomes.append(outcome)
            if outcome.status == "delivered":
                with db.transaction(origin=ORIGIN) as session:
                    record_delivery(session, todo, name, now)
    except BaseException:
        with db.transaction(origin=ORIGIN) as session:
            unclaim(session, due, now)
        raise
    result = RunResult(due, outcomes)
    with db.transaction(origin=ORIGIN) as session:
        if result.failed:
            unclaim(session, due, now)
            result.retried_later = True
        else:
            finish(session, due, now)
    return result
