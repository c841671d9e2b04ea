"""What a person can do to a deal from any screen: move, close, follow up, log, edit, add.

Each action names its target (the deal id the key was pressed on) and queues the change with
the app's writer; nothing here waits for the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from tinycrm.tui.dialogs.forms import Field, FormDialog
from tinycrm.tui.writer import Job

if TYPE_CHECKING:
    from tinycrm.errors import TinyCrmError
    from tinycrm.store.models import Deal
    from tinycrm.tui.app import CrmApp

Revert = Callable[[], None]


def _deal(session: Session, deal_id: int) -> Deal:
    from tinycrm.core import deals

    return deals.get_deal(session, deal_id)


def open_form(
    app: CrmApp,
    title: str,
    fields: Sequence[Field],
    build: Callable[[dict[str, str]], Job],
    *,
    action: str = "Save",
    error: str = "",
) -> None:
    """Ask for values; `build(values)` checks them (a TinyCrmError keeps the form open) and
    returns the change to queue. A change the core refuses when it runs opens the form again
    with what was typed and the reason."""

    def submit(values: dict[str, str]) -> None:
        job = build(values)

        def refused(problem: TinyCrmError) -> None:
            hint = f"\n{problem.hint}" if problem.hint else ""
            typed = [replace(f, value=values.get(f.name, f.value)) for f in fields]
            open_form(app, title, typed, build, action=action, error=problem.message + hint)

        job.refused = refused
        app.submit(job)

    app.push_screen(FormDialog(title, fields, submit, action=action, error=error))


def move(app: CrmApp, deal_id: int, step: int) -> None:
    """Move a deal one stage left (-1) or right (+1) of the stage it is in when saved."""
    from tinycrm.core import board, deals
    from tinycrm.errors import ConflictError

    def change(session: Session, now: datetime) -> None:
        deal = _deal(session, deal_id)
        target = board.neighbour_stage(session, deal, step)
        if target is None:
            edge = "first" if step < 0 else "last"
            raise ConflictError(f"{deal.title} is in the {edge} stage")
        deals.move_deal(session, deal, target, now)

    app.write(f"move deal #{deal_id}", change, deal_id)


def move_to(app: CrmApp, deal_id: int, stage_id: int, revert: Revert | None = None) -> None:
    """Move a deal to the stage the board showed it going to."""
    from tinycrm.core import deals
    from tinycrm.errors import NotFoundError
    from tinycrm.store.models import Stage

    def change(session: Session, now: datetime) -> None:
        deal = _deal(session, deal_id)
        stage = session.get(Stage, stage_id)
        if stage is None:
            raise NotFoundError(f"no stage #{stage_id}")
        deals.move_deal(session, deal, stage, now)

    app.submit(Job(f"move deal #{deal_id}", change, deal_id, revert=revert))


def close(
    app: CrmApp,
    deal_id: int,
    status: str,
    reason: str | None = None,
    *,
    done: Callable[[Any], None] | None = None,
    revert: Revert | None = None,
) -> None:
    """Mark a deal won or lost (a refusal becomes a notification); a win schedules the
    check-in the settings ask for, as `crm move … won` does. `done` gets that follow-up's
    description, or None."""
    from tinycrm.core import deals, followups
    from tinycrm.domain import dates

    def change(session: Session, now: datetime) -> str | None:
        deal = _deal(session, deal_id)
        deals.close_deal(session, deal, status, now, reason)
        if status != "won":
            return None
        fu = followups.after_win(session, deal, now)
        if fu is None:
            return None
        return f"follow-up #{fu.id} due {dates.describe(fu.due_at, True)}"

    job = Job(f"mark deal #{deal_id} {status}", change, deal_id, done, revert=revert)
    app.submit(job)


def win(app: CrmApp, deal_id: int, revert: Revert | None = None) -> None:
    """Mark a deal won, telling the person once it is saved."""

    def done(check_in: str | None) -> None:
        app.notify(f"Deal #{deal_id} won" + (f"; check-in {check_in}" if check_in else ""))

    close(app, deal_id, "won", done=done, revert=revert)


def ask_lost(
    app: CrmApp, deal_id: int, shown: Callable[[str], Revert | None] | None = None
) -> None:
    """Ask why a deal was lost, then mark it lost; `shown(reason)` lets the board show it
    lost at once (returning how to put it back)."""
    from tinycrm.core import deals

    def build(values: dict[str, str]) -> Job:
        reason = values["reason"]

        def change(session: Session, now: datetime) -> None:
            deal = _deal(session, deal_id)
            deals.close_deal(session, deal, "lost", now, reason)

        revert = shown(reason) if shown is not None else None
        return Job(f"mark deal #{deal_id} lost", change, deal_id, revert=revert)

    open_form(
        app,
        f"Deal #{deal_id} lost",
        [Field("reason", "Why was it lost?", placeholder="price, timing, competitor …")],
        build,
        action="Mark lost",
    )


def ask_follow_up(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask for a follow-up's title and due time, then add it."""
    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    def build(values: dict[str, str]) -> Job:
        due = dates.parse_when(values["due"], app.now())

        def change(session: Session, now: datetime) -> None:
            deal = _deal(session, deal_id) if deal_id else None
            contact = contacts.get_contact(session, contact_id) if contact_id else None
            followups.add_follow_up(
                session, values["title"], due, now=now, deal=deal, contact=contact
            )

        when = dates.show(due.at) if not due.all_day else due.day()
        return Job(
            f"add follow-up {values['title']}",
            change,
            deal_id,
            lambda _: app.notify(f"Follow-up due {when}"),
        )

    open_form(
        app,
        "New follow-up",
        [
            Field("title", "What to do", placeholder="call back"),
            Field("due", "When", placeholder="tomorrow, 2026-12-01, 2026-12-01 15:00"),
        ],
        build,
    )


def ask_log(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask what happened (kind and summary), then log the interaction."""
    from tinycrm.core import contacts, interactions

    def build(values: dict[str, str]) -> Job:
        def change(session: Session, now: datetime) -> None:
            deal = _deal(session, deal_id) if deal_id else None
            contact = contacts.get_contact(session, contact_id) if contact_id else None
            interactions.log_interaction(
                session,
                values["kind"] or "note",
                values["summary"],
                now=now,
                deal=deal,
                contact=contact,
            )

        return Job(
            f"log {values['kind'] or 'note'}",
            change,
            deal_id,
            lambda _: app.notify("Interaction logged"),
        )

    open_form(
        app,
        "Log an interaction",
        [
            Field("kind", "Kind (call, email, meeting, message, note)", "call"),
            Field("summary", "What happened", placeholder="called, sent the quote"),
        ],
        build,
    )


def ask_edit(app: CrmApp, deal_id: int) -> None:
    """Ask for a deal's title, value and expected close date, then save the changes."""
    from tinycrm.core import deals
    from tinycrm.domain import dates
    from tinycrm.domain.money import parse_money, to_decimal_text

    with app.db.snapshot() as session:
        deal = _deal(session, deal_id)
        currency = deal.currency
        title = deal.title
        value = to_decimal_text(deal.value, currency) or ""
        close_text = deal.expected_close.isoformat() if deal.expected_close else ""

    def build(values: dict[str, str]) -> Job:
        changes: dict[str, object] = {"title": values["title"]}
        raw_value = values["value"].strip()
        changes["value"] = parse_money(raw_value, currency) if raw_value else None
        raw_close = values["close"].strip()
        changes["expected_close"] = dates.parse_day(raw_close, app.now()) if raw_close else None

        def change(session: Session, now: datetime) -> None:
            the_deal = _deal(session, deal_id)
            deals.update_deal(session, the_deal, changes, now)

        return Job(f"edit deal #{deal_id} {values['title']}", change, deal_id)

    open_form(
        app,
        f"Edit deal #{deal_id}",
        [
            Field("title", "Title", title),
            Field("value", f"Value ({currency})", value),
            Field("close", "Expected close", close_text, "2026-12-31"),
        ],
        build,
    )


def ask_new_deal(
    app: CrmApp,
    pipeline: str | None,
    stage: str | None,
    added: Callable[[int], None] | None = None,
) -> None:
    """Ask for a new deal's title, contact and value, then add it to a stage; `added(id)`
    runs once it is saved."""
    from tinycrm import config
    from tinycrm.core import deals, refs

    def build(values: dict[str, str]) -> Job:
        def change(session: Session, now: datetime) -> int:
            contact = (
                refs.resolve_contact(session, values["contact"]) if values["contact"] else None
            )
            deal = deals.add_deal(
                session,
                values["title"],
                now=now,
                currency=values["currency"] or config.load().general.default_currency,
                contact=contact,
                value=values["value"] or None,
                stage=stage,
                pipeline=pipeline,
            )
            assert deal.id is not None
            return deal.id

        def done(new_id: int) -> None:
            app.notify(f"Added deal #{new_id}")
            if added is not None:
                added(new_id)

        return Job(f"add deal {values['title']}", change, None, done)

    open_form(
        app,
        f"New deal{f' in {stage}' if stage else ''}",
        [
            Field("title", "Title", placeholder="Acme website"),
            Field("contact", "Contact (id, email or name; optional)"),
            Field("value", "Value (optional)", placeholder="5k"),
            Field("currency", "Currency (empty: your default)"),
        ],
        build,
    )
