"""Reminders for cron: find what fell due, claim it once, deliver it on each channel.

Only the standard library and raw sqlite3 are used here, so a `crm remind` run every few
minutes stays light. A run claims what is due in one BEGIN IMMEDIATE transaction, so two runs
at once never remind twice. The claim is a lease (reminder_occurrence.claimed_until): a run that
is killed before it finished leaves it to expire, and a later run takes the occurrence again.
Each channel's deliveries are written as soon as it has them (reminder_delivery), so a retry
goes only where the reminder has not been; the occurrence counts as reminded
(reminder_occurrence.reminded_at, and follow_up.notified_for) once every channel has it. A
channel that fails, or a run stopped by SIGTERM or Ctrl-C, gives the claim back at once.

reminder_occurrence is keyed by the record's uuid and is never recorded in the history, so an
undo and a redo that take a follow-up away and bring it back do not remind of it again.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from tinycrm.config import ReminderSettings
from tinycrm.core.touches import LIVE_PARENTS, TOUCH_SQL, touches_from_rows
from tinycrm.domain.dates import at_local, iso, local_tz, stored_time, to_stored
from tinycrm.domain.due import whole_day
from tinycrm.domain.notices import Outcome, Reminder

STALE_DELIVERY_DAYS = 90  # a delivery note this old belongs to an occurrence long gone
# How long a run holds what it claimed. Longer than any run takes (each channel gives up after
# a minute), so a run still delivering is never overtaken; a killed run's claim expires then.
LEASE = timedelta(minutes=15)


class Interrupted(BaseException):
    """A signal (SIGTERM, SIGINT, SIGHUP) stopped the run; it gave its claim back."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


# An occurrence is taken when it was reminded, or a run holds an unexpired claim on it.
_TAKEN = """
SELECT 1 FROM reminder_occurrence AS r
 WHERE r.record_uuid = follow_up.uuid AND r.due = {occurrence}
   AND (r.reminded_at IS NOT NULL OR r.claimed_until > :now)
"""

# Follow-ups that are due now and not yet reminded for this occurrence: the first branch reads
# the partial index on open follow-ups' due time, the second the one on snoozed ones.
DUE_SQL = f"""
SELECT id, uuid, contact_id, deal_id, title, due_at, all_day, priority, rrule,
       due_at AS occurrence
  FROM follow_up
 WHERE status = 'open' AND due_at <= :now AND snoozed_until IS NULL
   AND deleted_at IS NULL AND (notified_for IS NULL OR notified_for <> due_at)
   AND NOT EXISTS ({_TAKEN.format(occurrence="follow_up.due_at")})
   AND {LIVE_PARENTS}
UNION ALL
SELECT id, uuid, contact_id, deal_id, title, due_at, all_day, priority, rrule,
       snoozed_until AS occurrence
  FROM follow_up
 WHERE status = 'open' AND snoozed_until IS NOT NULL AND snoozed_until <= :now
   AND deleted_at IS NULL AND (notified_for IS NULL OR notified_for <> snoozed_until)
   AND NOT EXISTS ({_TAKEN.format(occurrence="follow_up.snoozed_until")})
   AND {LIVE_PARENTS}
"""
_TOUCH_TAKEN = (
    "SELECT 1 FROM reminder_occurrence WHERE record_uuid = ? AND due = ?"
    " AND (reminded_at IS NOT NULL OR claimed_until > ?)"
)


def _remindable(due: datetime, all_day: bool, now: datetime, tz: tzinfo, start: time) -> bool:
    if not all_day:
        return due <= now
    return at_local(due.astimezone(tz).date(), start, tz) <= now


def find_due(
    conn: sqlite3.Connection, now: datetime, tz: tzinfo, start: time = time(9)
) -> list[Reminder]:
    """Return the follow-ups and keep-in-touch contacts to remind now (nothing is claimed)."""
    found: list[Reminder] = []
    stamp = to_stored(now)
    for row in conn.execute(DUE_SQL, {"now": stamp}):
        fid, fuuid, contact_id, deal_id, title, _due, all_day, priority, rrule, occ = row
        due = stored_time(occ)
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
                occurrence=str(occ),
            )
        )
    found.sort(key=lambda r: (r.due, not r.priority, r.id))
    touches = []
    for touch in touches_from_rows(conn.execute(TOUCH_SQL).fetchall(), tz):
        if touch.notified_for == touch.due or not _remindable(touch.due, True, now, tz, start):
            continue
        occurrence = to_stored(touch.due)
        if conn.execute(_TOUCH_TAKEN, (touch.uuid, occurrence, stamp)).fetchone():
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


def _ids_json(ids: Iterable[int | None]) -> str:
    return json.dumps(sorted({i for i in ids if i is not None}))


def add_context(conn: sqlite3.Connection, reminders: Sequence[Reminder], prefix: str) -> None:
    """Fill in each reminder's contact, deal and last interaction (three queries in all) and
    the commands to act on it."""
    deal_ids = _ids_json(r.deal_id for r in reminders)
    deals: dict[int, dict[str, Any]] = {}
    deal_contacts: dict[int, int | None] = {}
    for did, title, status, stage, contact_id in conn.execute(
        "SELECT d.id, d.title, d.status, s.name, d.contact_id FROM deal AS d"
        " LEFT JOIN stage AS s ON s.id = d.stage_id"
        " WHERE d.id IN (SELECT value FROM json_each(?))",
        (deal_ids,),
    ):
        deals[did] = {"id": did, "title": title, "stage": stage, "status": status}
        deal_contacts[did] = contact_id
    for r in reminders:
        if r.contact_id is None and r.deal_id is not None:
            r.contact_id = deal_contacts.get(r.deal_id)
    contact_ids = _ids_json(r.contact_id for r in reminders)
    people: dict[int, dict[str, Any]] = {}
    for cid, name, email in conn.execute(
        "SELECT c.id, c.name, (SELECT e.email FROM contact_email AS e WHERE e.contact_id = c.id"
        " ORDER BY e.is_primary DESC, e.id LIMIT 1) FROM contact AS c"
        " WHERE c.id IN (SELECT value FROM json_each(?))",
        (contact_ids,),
    ):
        people[cid] = {"id": cid, "name": name, "email": email}
    last: dict[int, dict[str, Any]] = {}
    for cid, kind, summary, occurred in conn.execute(
        # one index probe per contact on (contact_id, occurred_at), whatever the history holds
        "SELECT i.contact_id, i.kind, i.summary, i.occurred_at FROM json_each(?) AS j"
        " JOIN interaction AS i ON i.id = (SELECT i2.id FROM interaction AS i2"
        "  WHERE i2.contact_id = j.value AND i2.deleted_at IS NULL"
        "  ORDER BY i2.occurred_at DESC, i2.id DESC LIMIT 1)",
        (contact_ids,),
    ):
        moment = stored_time(occurred)
        last[cid] = {"kind": kind, "summary": summary, "occurred_at": iso(moment)}
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
    conn: sqlite3.Connection, now: datetime, tz: tzinfo, start: time, token: str | None = None
) -> list[Reminder]:
    """Find what is due and claim it for this run until now + LEASE, in one BEGIN IMMEDIATE
    transaction. A second run waiting on the lock then finds nothing left to claim."""
    token = token or uuid.uuid4().hex
    conn.execute("BEGIN IMMEDIATE")
    try:
        due = find_due(conn, now, tz, start)
        until = to_stored(now + LEASE)
        conn.executemany(
            "INSERT INTO reminder_occurrence (record_uuid, due, kind, record_id,"
            " claimed_until, claimed_by) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (record_uuid, due) DO UPDATE SET kind = excluded.kind,"
            " record_id = excluded.record_id, claimed_until = excluded.claimed_until,"
            " claimed_by = excluded.claimed_by",
            [(r.uuid, r.occurrence, r.kind, r.id, until, token) for r in due],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    for r in due:
        r.claimed_by = token
    return due


def _key(reminder: Reminder) -> tuple[str, int, str]:
    return reminder.kind, reminder.id, reminder.occurrence


def delivered_before(
    conn: sqlite3.Connection, reminders: Sequence[Reminder]
) -> set[tuple[str, int, str, str]]:
    """Return (kind, id, due, channel) for the channels that already delivered these
    reminders in an earlier run (one that failed on another channel, or was killed)."""
    wanted = {(*_key(r), r.uuid) for r in reminders}
    unnamed = {key[:3] for key in wanted}  # notes from before they named the record's uuid
    rows = conn.execute(
        "SELECT kind, record_id, due, channel, record_uuid FROM reminder_delivery"
    ).fetchall()
    return {
        (k, i, d, c)
        for k, i, d, c, u in rows
        if (k, i, d, u) in wanted or (u is None and (k, i, d) in unnamed)
    }


def record_delivery(
    conn: sqlite3.Connection, reminders: Sequence[Reminder], channel: str, now: datetime
) -> None:
    """Note at once that `channel` delivered these reminders, so that a run that stops before
    the others had them does not send them there again."""
    at = to_stored(now)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT OR REPLACE INTO reminder_delivery"
            " (kind, record_id, due, channel, delivered_at, record_uuid) VALUES (?, ?, ?, ?, ?, ?)",
            [(*_key(r), channel, at, r.uuid) for r in reminders],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def unclaim(conn: sqlite3.Connection, reminders: Sequence[Reminder], now: datetime) -> None:
    """Give claimed reminders back (a channel failed, or the run was stopped), so the next run
    tries them again; the deliveries already noted stay, so it sends them only where they have
    not gone. Only the claims this run still holds are given back."""
    stale = to_stored(now - timedelta(days=STALE_DELIVERY_DAYS))
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "DELETE FROM reminder_occurrence WHERE record_uuid = ? AND due = ?"
            " AND claimed_by = ? AND reminded_at IS NULL",
            [(r.uuid, r.occurrence, r.claimed_by) for r in reminders],
        )
        # notes of occurrences that changed before every channel had them (done, snoozed),
        # and the lapsed claims of killed runs on them
        conn.execute("DELETE FROM reminder_delivery WHERE delivered_at < ?", (stale,))
        conn.execute(
            "DELETE FROM reminder_occurrence WHERE reminded_at IS NULL AND claimed_until < ?",
            (stale,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def finish(conn: sqlite3.Connection, reminders: Sequence[Reminder], now: datetime) -> None:
    """Mark reminders reminded: every channel has them. The occurrence is noted for good (and
    on the follow-up or contact, for people reading the row), and its delivery notes go."""
    at = to_stored(now)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO reminder_occurrence (record_uuid, due, kind, record_id, reminded_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (record_uuid, due) DO UPDATE SET"
            " reminded_at = excluded.reminded_at, claimed_until = NULL, claimed_by = NULL",
            [(r.uuid, r.occurrence, r.kind, r.id, at) for r in reminders],
        )
        # only if the follow-up still waits on this occurrence (not snoozed meanwhile)
        conn.executemany(
            "UPDATE follow_up SET notified_for = coalesce(snoozed_until, due_at), notified_at = ?"
            " WHERE id = ? AND uuid = ? AND coalesce(snoozed_until, due_at) = ?",
            [(at, r.id, r.uuid, r.occurrence) for r in reminders if r.kind == "follow-up"],
        )
        conn.executemany(
            "UPDATE contact SET touch_notified_for = ? WHERE id = ? AND uuid = ?",
            [(r.occurrence, r.id, r.uuid) for r in reminders if r.kind == "keep-in-touch"],
        )
        conn.executemany(
            "DELETE FROM reminder_delivery WHERE kind = ? AND record_id = ? AND due = ?",
            [_key(r) for r in reminders],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


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
    conn: sqlite3.Connection,
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

    `send` delivers on one channel (`deliver` unless a test gives another)."""
    send = send or deliver
    tz = tz or local_tz()
    start = config.all_day_time
    names = config.channels
    if dry_run:
        due = find_due(conn, now, tz, start)
        add_context(conn, due, prefix)
        write(as_json(due) if as_json else plain_text(due, now, tz))
        return RunResult(due, [])
    due = claim(conn, now, tz, start)
    if not due:
        return RunResult([], [])
    outcomes: list[Outcome] = []
    try:
        add_context(conn, due, prefix)
        sent = delivered_before(conn, due)
        for name in names:
            todo = [r for r in due if (*_key(r), name) not in sent]
            if not todo:
                continue  # an earlier run delivered all of these here
            outcome = send(
                name, todo, config, now, tz, write, env, as_json, on_stdout="stdout" in names
            )
            outcomes.append(outcome)
            if outcome.status == "delivered":
                record_delivery(conn, todo, name, now)
    except BaseException:
        unclaim(conn, due, now)
        raise
    result = RunResult(due, outcomes)
    if result.failed:
        unclaim(conn, due, now)
        result.retried_later = True
    else:
        finish(conn, due, now)
    return result


def digest(
    conn: sqlite3.Connection, now: datetime, tz: tzinfo | None = None, prefix: str = "crm"
) -> list[Reminder]:
    """Return the day's agenda (overdue and due today, follow-ups and touches); not recorded."""
    tz = tz or local_tz()
    today = now.astimezone(tz).date()
    end = at_local(today + timedelta(days=1), time(0), tz)
    rows = conn.execute(
        "SELECT id, contact_id, deal_id, title, coalesce(snoozed_until, due_at), all_day,"
        " priority, rrule FROM follow_up WHERE status = 'open' AND deleted_at IS NULL"
        f" AND (due_at < :end OR snoozed_until < :end) AND {LIVE_PARENTS}",
        {"end": to_stored(end)},
    ).fetchall()
    items = []
    for fid, contact_id, deal_id, title, occ, all_day, priority, rrule in rows:
        due = stored_time(occ)
        assert due is not None
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
    for touch in touches_from_rows(conn.execute(TOUCH_SQL).fetchall(), tz):
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
    add_context(conn, items, prefix)
    return items
