"""What closing a deal does beyond its status: a win makes its contact a customer, and the
deal's open follow-ups are cancelled or kept (`deals.close_follow_ups`).

Every face closes a deal through `close` (or `move_to`, which also moves between stages), so
`crm move DEAL won`, the board's `w` and a deal's details screen end alike; an import of won
deals applies the same lifecycle rule to the rows it writes (`io/dealimports.py`). All of it is
one transaction, so one undo takes the close back with everything it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from tinycrm.config import DealSettings
from tinycrm.core import deals, followups, runs
from tinycrm.domain.text import fold
from tinycrm.domain.values import CLOSED, DealStatus, FollowUpStatus, Lifecycle
from tinycrm.store import query
from tinycrm.store.models import Contact, Deal, FollowUp

CANCEL = "cancel"


@dataclass
class Closed:
    """What closing a deal did: the contact it made a customer (None when none changed),
    the deal's follow-ups that were open (cancelled, or kept open), and the check-in a win
    scheduled."""

    deal: Deal
    status: str
    customer: Contact | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)
    cancelled: bool = False
    check_in: FollowUp | None = None


@dataclass
class Moved:
    """What `move_to` did: the deal's stage name or 'won'/'lost' (`where`), what it was
    before, the close when it was closed, and the customer a reopened won deal leaves a
    customer (reopening never changes a lifecycle)."""

    where: str
    was: str
    closed: Closed | None = None
    still_customer: Contact | None = None


def make_customer(session: Session, deal: Deal, now: datetime) -> Contact | None:
    """Make a won deal's contact a customer; return the contact when its lifecycle changed.

    The change is an update of the contact like `crm edit --lifecycle`, so the history
    records it as every lifecycle change is recorded (the churn report reads those)."""
    if deal.contact_id is None:
        return None
    contact = session.get(Contact, deal.contact_id)
    if contact is None or contact.lifecycle == Lifecycle.CUSTOMER:
        return None
    contact.lifecycle = Lifecycle.CUSTOMER
    contact.updated_at = now
    session.add(contact)
    session.flush()
    return contact


def open_follow_ups(session: Session, deal_id: int) -> list[FollowUp]:
    """Return a deal's open follow-ups (not in the trash), oldest first."""
    return list(
        session.exec(
            select(FollowUp)
            .where(
                FollowUp.deal_id == deal_id,
                FollowUp.status == FollowUpStatus.OPEN,
                query.live(FollowUp),
            )
            .order_by(col(FollowUp.id))
        )
    )


def close(
    session: Session,
    deal: Deal,
    status: str,
    now: datetime,
    reason: str | None = None,
    settings: DealSettings | None = None,
) -> Closed:
    """Mark a deal won or lost, and do what that means: a win makes its contact a customer
    (a loss leaves a customer a customer), the deal's open follow-ups are cancelled or kept
    as `settings.close_follow_ups` says (cancelled, the deal's sequence runs stop with them),
    and a win schedules the check-in the settings ask for (after the cancelling, so it stays
    open). `settings` defaults to config.toml's."""
    if settings is None:
        from tinycrm import config

        settings = config.load().deals
    deals.close_deal(session, deal, status, now, reason)
    assert deal.id is not None
    done = Closed(deal, status)
    if status == DealStatus.WON:
        done.customer = make_customer(session, deal, now)
    done.follow_ups = open_follow_ups(session, deal.id)
    done.cancelled = settings.close_follow_ups == CANCEL
    if done.cancelled:
        for fu in done.follow_ups:
            fu.status = FollowUpStatus.CANCELLED
            fu.updated_at = now
            session.add(fu)
        session.flush()
        runs.stop_on_close(session, deal.id, now)
    if status == DealStatus.WON:
        done.check_in = followups.after_win(session, deal, now, settings)
    return done


def move_to(
    session: Session,
    deal: Deal,
    target: str,
    now: datetime,
    reason: str | None = None,
    settings: DealSettings | None = None,
) -> Moved:
    """Move a deal to a stage (an unambiguous prefix, any case) or close it as 'won' or
    'lost' (see `close`); a stage move of a closed deal reopens it."""
    was = deal.status
    key = fold(target)
    if key in CLOSED:
        return Moved(key, was, closed=close(session, deal, key, now, reason, settings))
    moved = Moved(deals.move_to(session, deal, target, now, reason), was)
    if was == DealStatus.WON and deal.contact_id is not None:
        contact = session.get(Contact, deal.contact_id)
        if contact is not None and contact.lifecycle == Lifecycle.CUSTOMER:
            moved.still_customer = contact
    return moved


def follow_ups_said(done: Closed) -> str | None:
    """Say what became of a closed deal's open follow-ups ("Cancelled 2 open follow-ups of
    #12: #31 send proposal, #32 call back"); None when it had none."""
    if not done.follow_ups:
        return None
    count = len(done.follow_ups)
    what = "open follow-up" if count == 1 else "open follow-ups"
    names = ", ".join(f"#{fu.id} {fu.title}" for fu in done.follow_ups)
    if done.cancelled:
        return f"Cancelled {count} {what} of #{done.deal.id}: {names}"
    return f"Kept {count} {what} of #{done.deal.id}: {names}"


def closed_said(done: Closed) -> str:
    """Say a close in one line: "Won #12 Website; Jan Smith is now a customer", "Lost #12
    Website (price)"."""
    deal = done.deal
    name = f"#{deal.id} {deal.title}"
    if done.status == DealStatus.WON:
        became = f"; {done.customer.name} is now a customer" if done.customer else ""
        return f"Won {name}{became}"
    return f"Lost {name}" + (f" ({deal.lost_reason})" if deal.lost_reason else "")
