"""Reminders for cron: find what fell due, claim it once, deliver it on each channel.

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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    String,
    bindparam,
    delete,
    exists,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlmodel import col

from tinycrm.core.touches import touches_due
from tinycrm.domain.dates import at_local, iso, local_tz, stored_time, to_stored
from tinycrm.domain.due import whole_day
from tinycrm.domain.notices import Outcome, Reminder
from tinycrm.domain.values import FollowUpStatus
from tinycrm.errors import ValidationError
from tinycrm.store import dialect
from tinycrm.store.bookkeeping import DELIVERY, OCCURRENCE
from tinycrm.store.models import Contact, ContactEmail, Deal, FollowUp, Interaction, Stage
from tinycrm.store.query import due_time, live, live_parents

if TYPE_CHECKING:
    from sqlalchemy.sql import CompoundSelect
    from sqlmodel import Session

    from tinycrm.store.db import Database

CHANNELS = ("stdout", "desktop", "email", "command")
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


def _taken(record_uuid: Any, occurrence: Any) -> Any:
    """An occurrence is taken when it was reminded, or a run holds an unexpired claim on it
    (:stamp is now, as stored)."""
    return exists().where(
        OCCURRENCE.c.record_uuid == record_uuid,
        OCCURRENCE.c.due == occurrence,
        or_(OCCURRENCE.c.reminded_at.is_not(None), OCCURRENCE.c.claimed_until > bindparam("stamp")),
    )


@cache
def due_query() -> CompoundSelect[Any]:
    """Follow-ups that are due by :now and not yet reminded for this occurrence: the first
    branch reads the partial index on open follow-ups' due time, the second the one on
    snoozed ones. The occurrence is read as stored (the key of its claim)."""
    branches = []
    for snoozed in (False, True):
        moment = col(FollowUp.snoozed_until) if snoozed else col(FollowUp.due_at)
        waiting = (
            col(FollowUp.snoozed_until).is_not(None)
            if snoozed
            else col(FollowUp.snoozed_until).is_(None)
        )
        branches.append(
            select(
                FollowUp.id,
                FollowUp.uuid,
                FollowUp.contact_id,
                FollowUp.deal_id,
                FollowUp.title,
                FollowUp.all_day,
                FollowUp.priority,
                FollowUp.rrule,
                type_coerce(moment, String).label("occurrence"),
            ).where(
                col(FollowUp.status) == FollowUpStatus.OPEN,
                waiting,
                moment <= bindparam("now"),
                live(FollowUp),
                or_(col(FollowUp.notified_for).is_(None), col(FollowUp.notified_for) != moment),
                ~_taken(FollowUp.uuid, moment),
                live_parents(),
            )
        )
    return union_all(*branches)


def all_day_time(config: dict[str, Any]) -> time:
    """Return the local time from which all-day items are reminded ([reminders] all_day_at)."""
    raw = str(config.get("all_day_at", "09:00"))
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"[reminders] all_day_at is not a time: {raw!r}", hint='write it like "09:00"'
        ) from None


def _remindable(due: datetime, all_day: bool, now: datetime, tz: tzinfo, start: time) -> bool:
    if not all_day:
        return due <= now
    return at_local(due.astimezone(tz).date(), start, tz) <= now


def find_due(session: Session, now: datetime, tz: tzinfo, start: time = time(9)) -> list[Reminder]:
    """Return the follow-ups and keep-in-touch contacts to remind now (nothing is claimed)."""
    conn = session.connection()
    found: list[Reminder] = []
    stamp = to_stored(now)
    for row in conn.execute(due_query(), {"now": now, "stamp": stamp}):
        fid, fuuid, contact_id, deal_id, title, all_day, priority, rrule, occurrence = row
        due = stored_time(occurrence)
        assert due is not None
        all_day = whole_day(due, bool(all_day), tz)
        if not _remindable(due, all_day, now, tz, start):
            continue
        found.append(
            Reminder(
                kind="follow-up",
                id=fid,
                title=title,
                due=due,
                all_day=bool(all_day),
                priority=bool(priority),
                recurring=bool(rrule),
                contact_id=contact_id,
                deal_id=deal_id,
                uuid=fuuid,
                occurrence=occurrence,
            )
        )
    found.sort(key=lambda r: (r.due, not r.priority, r.id))
    waiting = [
        touch
        for touch in touches_due(session, tz)
        if touch.notified_for != touch.due and _remindable(touch.due, True, now, tz, start)
    ]
    taken = _taken_touches(session, [t.uuid for t in waiting], stamp)
    touches = []
    for touch in waiting:
        occurrence = to_stored(touch.due)
        if (touch.uuid, occurrence) in taken:
            continue
        touches.append(
            Reminder(
                kind="keep-in-touch",
                id=touch.contact_id,
                title=touch.contact_name,
                due=touch.due,
                all_day=True,
                contact_id=touch.contact_id,
                uuid=touch.uuid,
                occurrence=occurrence,
            )
        )
    touches.sort(key=lambda r: (r.due, r.id))
    return found + touches


def _taken_touches(session: Session, uuids: list[str], stamp: str) -> set[tuple[str, str]]:
    """Return (uuid, occurrence) of the occurrences of these records that are taken: reminded,
    or claimed until after `stamp` (a query per thousand records, on the occurrences' key)."""
    found: set[tuple[str, str]] = set()
    for first in range(0, len(uuids), 1000):
        rows = session.connection().execute(
            select(OCCURRENCE.c.record_uuid, OCCURRENCE.c.due).where(
                OCCURRENCE.c.record_uuid.in_(uuids[first : first + 1000]),
                or_(OCCURRENCE.c.reminded_at.is_not(None), OCCURRENCE.c.claimed_until > stamp),
            )
        )
        found.update((row[0], row[1]) for row in rows)
    return found


def _ids(ids: Iterable[int | None]) -> list[int]:
    return sorted({i for i in ids if i is not None})


def add_context(session: Session, reminders: Sequence[Reminder], prefix: str) -> None:
    """Fill in each reminder's contact, deal and last interaction (three queries in all) and
    the commands to act on it."""
    conn = session.connection()
    deals: dict[int, dict[str, Any]] = {}
    deal_contacts: dict[int, int | None] = {}
    deal_rows = conn.execute(
        select(Deal.id, Deal.title, Deal.status, Stage.name, Deal.contact_id)
        .outerjoin(Stage, col(Stage.id) == Deal.stage_id)
        .where(col(Deal.id).in_(_ids(r.deal_id for r in reminders)))
    )
    for did, title, status, stage, contact_id in deal_rows:
        deals[did] = {"id": did, "title": title, "stage": stage, "status": status}
        deal_contacts[did] = contact_id
    for r in reminders:
        if r.contact_id is None and r.deal_id is not None:
            r.contact_id = deal_contacts.get(r.deal_id)
    contact_ids = _ids(r.contact_id for r in reminders)
    email = (
        select(ContactEmail.email)
        .where(col(ContactEmail.contact_id) == Contact.id)
        .order_by(col(ContactEmail.is_primary).desc(), col(ContactEmail.id))
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
    people: dict[int, dict[str, Any]] = {}
    for cid, name, address in conn.execute(
        select(Contact.id, Contact.name, email).where(col(Contact.id).in_(contact_ids))
    ):
        people[cid] = {"id": cid, "name": name, "email": address}
    # one index probe per contact on (contact_id, occurred_at), whatever the history holds
    newest = (
        select(Interaction.id)
        .where(col(Interaction.contact_id) == Contact.id, live(Interaction))
        .order_by(col(Interaction.occurred_at).desc(), col(Interaction.id).desc())
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
    last: dict[int, dict[str, Any]] = {}
    for cid, kind, summary, occurred in conn.execute(
        select(Contact.id, Interaction.kind, Interaction.summary, Interaction.occurred_at)
        .join(Interaction, col(Interaction.id) == newest)
        .where(col(Contact.id).in_(contact_ids))
    ):
        last[cid] = {"kind": kind, "summary": summary, "occurred_at": iso(occurred)}
    for r in reminders:
        r.contact = people.get(r.contact_id) if r.contact_id is not None else None
        r.deal = deals.get(r.deal_id) if r.deal_id is not None else None
        r.last_interaction = last.get(r.contact_id) if r.contact_id is not None else None
        if r.kind == "follow-up":
            r.commands = [f"{prefix} done {r.id}", f"{prefix} snooze {r.id} tomorrow"]
        else:
            r.commands = [
                f"{prefix} show {r.id} --kind contact",
                f"{prefix} keep-in-touch {r.id} off",
            ]


def claim(
    session: Session, now: datetime, tz: tzinfo, start: time, token: str | None = None
) -> list[Reminder]:
    """Find what is due and claim it for this run until now + LEASE, inside the session's
    write transaction: a second run waiting on the lock then finds nothing left to claim."""
    token = token or uuid.uuid4().hex
    due = find_due(session, now, tz, start)
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


def channels_of(config: dict[str, Any]) -> list[str]:
    """Return the configured channels ([reminders] channels; stdout by default)."""
    raw = config.get("channels", ["stdout"])
    names = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else []
    unknown = [n for n in names if n not in CHANNELS]
    if unknown:
        raise ValidationError(
            f"unknown reminder channel {unknown[0]!r} in config.toml",
            hint=f"[reminders] channels takes some of: {', '.join(CHANNELS)}",
        )
    return [str(n) for n in names] or ["stdout"]


def reminders_config(raw: dict[str, Any]) -> dict[str, Any]:
    """Return the [reminders] table of a parsed config.toml ({} when absent or not a table)."""
    table = raw.get("reminders") if isinstance(raw, dict) else None
    return table if isinstance(table, dict) else {}


def deliver(
    channel: str,
    reminders: Sequence[Reminder],
    config: dict[str, Any],
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
    config: dict[str, Any],
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
    start = all_day_time(config)
    names = channels_of(config)
    if dry_run:
        with db.snapshot() as session:
            due = find_due(session, now, tz, start)
            add_context(session, due, prefix)
        write(as_json(due) if as_json else plain_text(due, now, tz))
        return RunResult(due, [])
    with db.transaction(origin=ORIGIN) as session:
        due = claim(session, now, tz, start)
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


def digest(
    session: Session, now: datetime, tz: tzinfo | None = None, prefix: str = "crm"
) -> list[Reminder]:
    """Return the day's agenda (overdue and due today, follow-ups and touches); not recorded."""
    tz = tz or local_tz()
    today = now.astimezone(tz).date()
    end = at_local(today + timedelta(days=1), time(0), tz)
    rows = session.connection().execute(
        select(
            FollowUp.id,
            FollowUp.contact_id,
            FollowUp.deal_id,
            FollowUp.title,
            due_time(),
            FollowUp.all_day,
            FollowUp.priority,
            FollowUp.rrule,
        ).where(
            col(FollowUp.status) == FollowUpStatus.OPEN,
            live(FollowUp),
            or_(col(FollowUp.due_at) < end, col(FollowUp.snoozed_until) < end),
            live_parents(),
        )
    )
    items = []
    for fid, contact_id, deal_id, title, due, all_day, priority, rrule in rows:
        if due >= end:
            continue
        all_day = whole_day(due, bool(all_day), tz)
        items.append(
            Reminder(
                "follow-up",
                fid,
                title,
                due,
                bool(all_day),
                bool(priority),
                bool(rrule),
                contact_id,
                deal_id,
            )
        )
    items.sort(key=lambda r: (r.due, not r.priority, r.id))
    for touch in touches_due(session, tz):
        if touch.due < end:
            items.append(
                Reminder(
                    "keep-in-touch",
                    touch.contact_id,
                    touch.contact_name,
                    touch.due,
                    True,
                    contact_id=touch.contact_id,
                )
            )
    add_context(session, items, prefix)
    return items
