"""What the agenda does to a follow-up: mark it done, snooze it. Each says what it did once
it is saved; a recurring follow-up done says its next date (from the service's answer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from tinycrm.tui.actions import deal_name, open_form, records_of
from tinycrm.tui.dialogs.forms import Field, about
from tinycrm.tui.writer import Job

if TYPE_CHECKING:
    from tinycrm.tui.app import CrmApp


def complete_follow_up(
    app: CrmApp,
    fu_id: int,
    deal_id: int | None = None,
    done: Callable[[Any], None] | None = None,
    finished: Callable[[], None] | None = None,
) -> None:
    """Mark a follow-up done; say so, and for a recurring one its next date (from the
    service's answer). `deal_id` is its deal (only that deal's cards are read again);
    `done(said)` runs after, once it is saved, and `finished()` too when the follow-up is
    done for good (not moved to a next occurrence)."""
    from tinycrm.core import followups
    from tinycrm.domain import dates

    def change(session: Session, now: datetime) -> tuple[str, bool]:
        fu = followups.get_follow_up(session, fu_id)
        title = fu.title
        following = followups.complete(session, fu, now)
        if following is None:
            return f"Done: follow-up #{fu_id} {title}", True
        when = dates.describe(following.due_at, following.all_day, calendar=app.calendar)
        return f"Done: follow-up #{fu_id} {title}; next on {when}", False

    def said(result: tuple[str, bool]) -> None:
        text, for_good = result
        app.notify(text)
        if done is not None:
            done(text)
        if for_good and finished is not None:
            finished()

    app.write(change, deal_id, done=said)


def ask_snooze(
    app: CrmApp,
    fu_id: int,
    deal_id: int | None = None,
    done: Callable[[Any], None] | None = None,
) -> None:
    """Ask until when to snooze a follow-up (read as every date in tinycrm is), then snooze
    it; `deal_id` is its deal, `done(said)` runs after, once it is saved."""
    from tinycrm.core import followups
    from tinycrm.domain import dates
    from tinycrm.domain.due import whole_day

    with app.db.snapshot() as session:
        fu = followups.get_follow_up(session, fu_id)
        deal, contact = records_of(session, fu.deal_id, None if fu.deal_id else fu.contact_id)
        on = f" on {deal_name(deal)}" if deal else f" for {contact.name}" if contact else ""
        name = f"#{fu_id} {fu.title}{on}"

    def build(values: dict[str, str]) -> Job:
        with about("until"):
            when = dates.parse_when(values["until"], app.now(), calendar=app.calendar)

        def change(session: Session, now: datetime) -> str:
            the_fu = followups.get_follow_up(session, fu_id)
            until = followups.snooze_target(the_fu, when)
            with about("until"):
                followups.snooze(session, the_fu, until, now)
            all_day = whole_day(until, the_fu.all_day, dates.local_tz())
            shown = dates.describe(until, all_day, calendar=app.calendar)
            return f"Snoozed follow-up #{fu_id} {the_fu.title} until {shown}"

        def said(text: str) -> None:
            app.notify(text)
            if done is not None:
                done(text)

        return Job(change, deal_id, said)

    open_form(
        app,
        f"Snooze follow-up {name}",
        [Field("until", "Until", placeholder="tomorrow, 2026-12-01 09:00")],
        build,
        action="Snooze",
    )
