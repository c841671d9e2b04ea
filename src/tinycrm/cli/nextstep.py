"""Asking for the next step once a step is closed (a follow-up done, a stage move, a win), as
Pipedrive does: only when a person is at a terminal, never in a pipe, a script or cron.

The question comes after the command's own change is saved, so nothing waits on the
database while the person types; the follow-up it adds is a change of its own (one undo
step), made by the same service as `crm follow-up`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tinycrm.cli import render, state

if TYPE_CHECKING:
    from tinycrm.domain.dates import When


def interactive() -> bool:
    """Whether a person can be asked: both stdin and stdout are a terminal. The one place
    that decides it (tests replace it)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str, default: str = "") -> str | None:
    """Ask one line; None when the person ends the input (ctrl-d, ctrl-c)."""
    import typer

    try:
        answer: str = typer.prompt(question, default=default, show_default=bool(default))
    except typer.Abort:
        sys.stdout.write("\n")
        return None
    return answer.strip()


def offer(name: str, *, deal_id: int | None, contact_id: int | None) -> None:
    """Ask "Next step for NAME? (blank for none)" and when it is due, then add that
    follow-up about the deal (or the contact: linked to their one open deal, as
    `crm follow-up` links it). A due time that cannot be read is asked again."""
    from tinycrm.domain import dates
    from tinycrm.errors import TinyCrmError

    title = _ask(f"Next step for {name}? (blank for none)")
    if not title:
        return
    while True:
        due = _ask("Due", default="tomorrow")
        if due is None:
            return
        try:
            when = dates.parse_when(due, state.now())
        except TinyCrmError as error:
            render.warn(error.message + (f" ({error.hint})" if error.hint else ""))
            continue
        break
    _add(title, when, deal_id, contact_id)


def _add(title: str, when: When, deal_id: int | None, contact_id: int | None) -> None:
    from tinycrm.core import contacts, deals, followups
    from tinycrm.domain import dates

    db = state.database()
    with db.transaction() as session:
        deal = deals.get_deal(session, deal_id) if deal_id is not None else None
        contact = contacts.get_contact(session, contact_id) if contact_id is not None else None
        if deal is None and contact is not None:
            deal, _ = followups.deal_to_link(session, contact)
        fu = followups.add_follow_up(
            session, title, when, now=state.now(), deal=deal, contact=contact
        )
        about = f"#{deal.id} {deal.title}" if deal is not None else contact.name if contact else ""
        line = (
            f"Follow-up #{fu.id} {fu.title} ({about}) due {dates.describe(fu.due_at, fu.all_day)}"
        )
    render.say(line)
