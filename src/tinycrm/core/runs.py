"""Sequence runs coming to an end: stopped by hand, by the contact's reply, or with their
sequence deleted, their still-open follow-ups cancelled (the done ones stay done).

Apart from `core.sequences` so that logging an interaction (`core.interactions`) can stop a
contact's runs without importing the sequences' commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select

from tinycrm.core import followups
from tinycrm.domain.values import FollowUpStatus, RunStatus
from tinycrm.store import query
from tinycrm.store.models import Contact, FollowUp, Sequence, SequenceRun

if TYPE_CHECKING:
    from sqlmodel import Session

BY_HAND = "by hand"
REPLY = "reply"
DELETED = "sequence deleted"
DEAL_CLOSED = "deal closed"
# Where a write session keeps the runs a reply stopped, for the command to say so.
_STOPPED = "tinycrm_runs_stopped"


@dataclass(frozen=True)
class Stopped:
    """A run that was stopped: its id, its sequence's name, its contact's name and why."""

    run_id: int
    sequence: str
    contact: str
    reason: str

    def said(self) -> str:
        """The line a command prints ("Stopped sequence Onboarding for Jan Smith: they
        replied")."""
        why = "they replied" if self.reason == REPLY else self.reason
        return f"Stopped sequence {self.sequence} for {self.contact}: {why}"


def open_follow_ups(session: Session, run_id: int) -> list[FollowUp]:
    """Return a run's open follow-ups (not in the trash), earliest first."""
    return list(
        session.exec(
            select(FollowUp)
            .where(
                FollowUp.sequence_run_id == run_id,
                FollowUp.status == FollowUpStatus.OPEN,
                query.live(FollowUp),
            )
            .order_by(col(FollowUp.due_at), col(FollowUp.id))
        )
    )


def stop_run(session: Session, run: SequenceRun, reason: str, now: datetime) -> Stopped:
    """Stop an active run for `reason` and cancel its open follow-ups."""
    assert run.id is not None
    sequence = session.get(Sequence, run.sequence_id)
    contact = session.get(Contact, run.contact_id) if run.contact_id else None
    stopped = Stopped(
        run.id, sequence.name if sequence else "", contact.name if contact else "", reason
    )
    run.status = RunStatus.STOPPED
    run.stopped_at = now
    run.stop_reason = reason
    run.updated_at = now
    session.add(run)
    session.flush()
    for fu in open_follow_ups(session, run.id):
        followups.cancel(session, fu, now)
    return stopped


def active_runs(
    session: Session, contact_id: int, sequence_id: int | None = None
) -> list[SequenceRun]:
    """Return a contact's active runs (of one sequence, given its id), oldest first."""
    statement = select(SequenceRun).where(
        SequenceRun.contact_id == contact_id, SequenceRun.status == RunStatus.ACTIVE
    )
    if sequence_id is not None:
        statement = statement.where(SequenceRun.sequence_id == sequence_id)
    return list(session.exec(statement.order_by(col(SequenceRun.id))))


def stop_on_close(session: Session, deal_id: int, now: datetime) -> list[Stopped]:
    """Stop the active runs started on a deal that was won or lost and whose open follow-ups
    the close cancelled: nothing is left for them to do."""
    found = session.exec(
        select(SequenceRun)
        .where(SequenceRun.deal_id == deal_id, SequenceRun.status == RunStatus.ACTIVE)
        .order_by(col(SequenceRun.id))
    )
    return [stop_run(session, run, DEAL_CLOSED, now) for run in list(found)]


def stop_on_reply(
    session: Session, contact_id: int, occurred_at: datetime, now: datetime
) -> list[Stopped]:
    """Stop the contact's active runs that a reply ends: those not kept on a reply, started
    before the reply happened (an old message imported late does not stop a run begun since).
    The runs stopped are also kept on the session, for `stopped_by_reply`."""
    stopped = [
        stop_run(session, run, REPLY, now)
        for run in active_runs(session, contact_id)
        if not run.keep_on_reply and run.created_at <= occurred_at
    ]
    session.info.setdefault(_STOPPED, []).extend(stopped)
    return stopped


def stopped_by_reply(session: Session) -> list[str]:
    """The lines saying which runs the replies logged in this session stopped."""
    found: list[Stopped] = session.info.get(_STOPPED, [])
    return [run.said() for run in found]
