"""What a person can do to a deal from any screen: move, reopen, close, follow up, log, edit,
add.

Each action names its target (the deal id the key was pressed on) and queues the change with
the app's writer; nothing here waits for the database. Every form and question names the
record it is about, and every change says what it did once it is saved. What is done to a
follow-up itself (done, snooze) is in `follow_ups`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from tinycrm.tui.dialogs.forms import Field, FieldError, FormDialog, about
from tinycrm.tui.writer import Job

if TYPE_CHECKING:
    from tinycrm.errors import TinyCrmError
    from tinycrm.store.models import Contact, Deal
    from tinycrm.tui.app import CrmApp

Revert = Callable[[], None]


def _deal(session: Session, deal_id: int) -> Deal:
    from tinycrm.core import deals

    return deals.get_deal(session, deal_id)


def deal_name(deal: Deal) -> str:
    """Return how the board names a deal: '#12 Acme renewal'."""
    return f"#{deal.id} {deal.title}"


def name_of_deal(app: CrmApp, deal_id: int) -> str:
    """Return a deal's name as it is now ('#12' alone if it is gone)."""
    from tinycrm.errors import NotFoundError

    try:
        with app.db.snapshot() as session:
            return deal_name(_deal(session, deal_id))
    except NotFoundError:
        return f"#{deal_id}"


def open_form(
    app: CrmApp,
    title: str,
    fields: Sequence[Field],
    build: Callable[[dict[str, str]], Job],
    *,
    action: str = "Save",
    error: str | TinyCrmError = "",
) -> None:
    """Ask for values; `build(values)` checks them (a TinyCrmError keeps the form open, a
    FieldError also names its field) and returns the change to queue. A change the core
    refuses when it runs opens the form again with what was typed and the reason."""

    def submit(values: dict[str, str]) -> None:
        job = build(values)

        def refused(problem: TinyCrmError) -> None:
            typed = [replace(f, value=values.get(f.name, f.value)) for f in fields]
            open_form(app, title, typed, build, action=action, error=problem)

        job.refused = refused
        app.submit(job)

    app.push_screen(FormDialog(title, fields, submit, action=action, error=error))


def move(app: CrmApp, deal_id: int, step: int) -> None:
    """Move a deal one stage left (-1) or right (+1) of the stage it is in when saved; a won
    or lost deal is not moved but asked about (see `ask_reopen`)."""
    from tinycrm.core import board, deals
    from tinycrm.domain.values import CLOSED
    from tinycrm.errors import ConflictError

    with app.db.snapshot() as session:
        closed = _deal(session, deal_id).status in CLOSED
    if closed:
        ask_reopen(app, deal_id)
        return

    def change(session: Session, now: datetime) -> str:
        deal = _deal(session, deal_id)
        target = board.neighbour_stage(session, deal, step)
        if target is None:
            edge = "first" if step < 0 else "last"
            raise ConflictError(f"{deal.title} is in the {edge} stage")
        deals.move_deal(session, deal, target, now)
        return f"Moved {deal_name(deal)} to {target.name}"

    app.write(change, deal_id, app.notify)


def move_to(app: CrmApp, deal_id: int, stage_id: int, revert: Revert | None = None) -> None:
    """Move a deal to the stage the board showed it going to."""
    from tinycrm.core import deals
    from tinycrm.errors import NotFoundError
    from tinycrm.store.models import Stage

    def change(session: Session, now: datetime) -> str:
        deal = _deal(session, deal_id)
        stage = session.get(Stage, stage_id)
        if stage is None:
            raise NotFoundError(f"no stage #{stage_id}")
        deals.move_deal(session, deal, stage, now)
        return f"Moved {deal_name(deal)} to {stage.name}"

    app.submit(Job(change, deal_id, app.notify, revert=revert))


def ask_reopen(app: CrmApp, deal_id: int) -> None:
    """Ask before reopening a won or lost deal (a stage key on it would otherwise reopen it
    unseen); yes puts it back, open, in the stage it was closed in, as `crm move` does when
    that stage is named."""
    from tinycrm.core import deals
    from tinycrm.store.models import Stage
    from tinycrm.tui.dialogs.confirm import ConfirmDialog

    with app.db.snapshot() as session:
        deal = _deal(session, deal_id)
        name, status = deal_name(deal), deal.status
        stage = session.get(Stage, deal.stage_id)
        where = stage.name if stage is not None else "its stage"

    def change(session: Session, now: datetime) -> str:
        the_deal = _deal(session, deal_id)
        back_in = deals.reopen(session, the_deal, now)
        return f"Reopened {deal_name(the_deal)} in {back_in.name}"

    def confirmed() -> None:
        app.write(change, deal_id, app.notify)

    text = (
        f"{name} is {status}. Reopen it? It goes back to {where} as an open deal.\n"
        f"(From the shell, crm move {deal_id} STAGE reopens it in the stage you name.)"
    )
    app.push_screen(ConfirmDialog(f"Reopen {name}", text, "Reopen", confirmed))


def close(
    app: CrmApp,
    deal_id: int,
    status: str,
    reason: str | None = None,
    *,
    done: Callable[[Any], None] | None = None,
    revert: Revert | None = None,
) -> None:
    """Mark a deal won or lost, telling the person once it is saved (see `close_job`)."""
    app.submit(close_job(app, deal_id, status, reason, done=done, revert=revert))


def close_job(
    app: CrmApp,
    deal_id: int,
    status: str,
    reason: str | None = None,
    *,
    done: Callable[[Any], None] | None = None,
    revert: Revert | None = None,
) -> Job:
    """Mark a deal won or lost (a refusal becomes a notification) through the service
    `crm move` uses: a win makes its contact a customer and schedules the check-in the
    settings ask for, the deal's open follow-ups are cancelled or kept. `done` gets what was
    done, in words (the deal, the customer, the follow-ups, the check-in or the reason)."""
    from tinycrm.core import closing
    from tinycrm.domain import dates

    def change(session: Session, now: datetime) -> str:
        deal = _deal(session, deal_id)
        closed = closing.close(session, deal, status, now, reason)
        said = [closing.closed_said(closed)]
        fu = closed.check_in
        if fu is not None:
            due = dates.describe(fu.due_at, True, calendar=app.calendar)
            said.append(f"check-in follow-up #{fu.id} due {due}")
        follow_ups = closing.follow_ups_said(closed)
        if follow_ups:
            said.append(follow_ups[0].lower() + follow_ups[1:])
        return "; ".join(said)

    return Job(change, deal_id, done or app.notify, revert=revert)


def win(app: CrmApp, deal_id: int, revert: Revert | None = None) -> None:
    """Mark a deal won, telling the person once it is saved."""
    close(app, deal_id, "won", revert=revert)


def ask_lost(
    app: CrmApp, deal_id: int, shown: Callable[[str], Revert | None] | None = None
) -> None:
    """Ask why a deal was lost, then mark it lost; `shown(reason)` lets the board show it
    lost at once (returning how to put it back)."""

    def build(values: dict[str, str]) -> Job:
        reason = values["reason"]
        revert = shown(reason) if shown is not None else None
        return close_job(app, deal_id, "lost", reason, revert=revert)

    reasons = app.settings.deals.lost_reasons
    example = ", ".join(reasons) if reasons else "price, timing, competitor …"
    open_form(
        app,
        f"Mark {name_of_deal(app, deal_id)} lost",
        [Field("reason", "Why lost?", placeholder=example, suggestions=reasons)],
        build,
        action="Mark lost",
    )


def records_of(
    session: Session, deal_id: int | None, contact_id: int | None
) -> tuple[Deal | None, Contact | None]:
    """Return the deal and the contact an activity is about (a deal alone: its contact)."""
    from tinycrm.core import contacts, deals

    deal = deals.get_deal(session, deal_id) if deal_id else None
    if contact_id:
        return deal, contacts.get_contact(session, contact_id)
    if deal is not None and deal.contact_id:
        return deal, contacts.find_contact(session, deal.contact_id)
    return deal, None


def _names(app: CrmApp, deal_id: int | None, contact_id: int | None) -> tuple[str, str]:
    """Return (' on #12 Acme renewal' or '', ' with Ada Lovelace' or '') as they are now."""
    with app.db.snapshot() as session:
        deal, contact = records_of(session, deal_id, contact_id)
        return (
            f" on {deal_name(deal)}" if deal is not None else "",
            f" with {contact.name}" if contact is not None else "",
        )


def ask_follow_up(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask for a follow-up's title and due time, then add it to the deal (or contact)."""
    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    on_deal, with_contact = _names(app, deal_id, contact_id)

    def build(values: dict[str, str]) -> Job:
        if not values["title"].strip():
            raise FieldError("title", "a follow-up needs a title, e.g. 'call back'")
        with about("due"):
            due = dates.parse_when(values["due"], app.now(), calendar=app.calendar)

        def change(session: Session, now: datetime) -> str:
            deal = records_of(session, deal_id, None)[0]
            contact = contacts.get_contact(session, contact_id) if contact_id else None
            several = 0
            if deal is None and contact is not None:  # linked as `crm follow-up` links it
                deal, open_deals = followups.deal_to_link(session, contact)
                several = len(open_deals) if deal is None else 0
            fu = followups.add_follow_up(
                session, values["title"], due, now=now, deal=deal, contact=contact
            )
            on = f" on {deal_name(deal)}" if deal is not None else ""
            if deal is None and contact is not None:
                on = f" for {contact.name}"
            when = dates.describe(fu.due_at, fu.all_day, calendar=app.calendar)
            said = f"Follow-up #{fu.id} {fu.title}{on}, due {when}"
            if several:
                said += f"; not linked to a deal: {several} are open (f on a deal adds one to it)"
            return said

        return Job(change, deal_id, app.notify)

    about_whom = on_deal or with_contact.replace(" with ", " for ", 1)
    open_form(
        app,
        f"New follow-up{about_whom}",
        [
            Field("title", "What to do", placeholder="call back"),
            Field("due", "When", placeholder="tomorrow, fri 3pm, 2026-12-01 15:00"),
        ],
        build,
    )


def ask_log(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask what happened (kind, direction, when, summary), then log the interaction through
    the service `crm log` uses: the same kinds, directions and reading of when (and a reply
    stops the contact's sequences alike, which the notice says)."""
    from tinycrm.core import interactions, runs
    from tinycrm.domain import dates

    on_deal, with_contact = _names(app, deal_id, contact_id)

    def build(values: dict[str, str]) -> Job:
        with about("kind"):
            kind = interactions.check_kind(values["kind"].strip() or "note")
        with about("direction"):
            direction = interactions.check_direction(values["direction"].strip() or None)
        with about("when"):
            at = interactions.when_it_happened(values["when"], app.now(), calendar=app.calendar)
        if not values["summary"].strip():
            raise FieldError("summary", "say what happened, e.g. 'called about the proposal'")

        def change(session: Session, now: datetime) -> str:
            deal, contact = records_of(session, deal_id, contact_id)
            item = interactions.log_interaction(
                session,
                kind,
                values["summary"],
                now=now,
                at=at,
                deal=deal,
                contact=contact if contact_id else None,
                direction=direction,
            )
            way = {"in": " (they reached out)", "out": " (you reached out)"}.get(
                item.direction or "", ""
            )
            who = f" with {contact.name}" if contact is not None else ""
            on = f" on {deal_name(deal)}" if deal is not None else ""
            said = (
                f"Logged {item.kind}{way}{who}{on} at {dates.describe(at, calendar=app.calendar)}"
            )
            return "; ".join([said, *runs.stopped_by_reply(session)])

        return Job(change, deal_id, app.notify)

    open_form(
        app,
        f"Log an interaction{with_contact}{on_deal}",
        [
            Field("kind", "Kind", "call", "call, email, meeting, message, note"),
            Field("direction", "Direction", placeholder="out: you reached out; in: they did"),
            Field("when", "When", "now", "now, yesterday 3pm, 2026-11-20 14:00"),
            Field("summary", "What happened", placeholder="called, sent the quote"),
        ],
        build,
    )


def ask_edit(app: CrmApp, deal_id: int) -> None:
    """Ask for a deal's title, value, what the value is per (a month, a year, or once) and
    expected close date, then save the changes."""
    from tinycrm.core import deals
    from tinycrm.domain import dates
    from tinycrm.domain.money import parse_money, to_decimal_text
    from tinycrm.domain.values import read_recurring

    with app.db.snapshot() as session:
        deal = _deal(session, deal_id)
        name = deal_name(deal)
        currency = deal.currency
        title = deal.title
        value = to_decimal_text(deal.value, currency) or ""
        recurring = deal.recurring or ""
        close_text = deal.expected_close.isoformat() if deal.expected_close else ""

    def build(values: dict[str, str]) -> Job:
        if not values["title"].strip():
            raise FieldError("title", "a deal needs a title")
        changes: dict[str, object] = {"title": values["title"].strip()}
        raw_value = values["value"].strip()
        with about("value"):
            changes["value"] = parse_money(raw_value, currency) if raw_value else None
        with about("recurring"):
            changes["recurring"] = read_recurring(values["recurring"])
        raw_close = values["close"].strip()
        with about("close"):
            changes["expected_close"] = (
                dates.parse_day(raw_close, app.now(), calendar=app.calendar) if raw_close else None
            )

        def change(session: Session, now: datetime) -> str:
            the_deal = _deal(session, deal_id)
            close = changes["expected_close"]
            names = {
                "title": "title",
                "value": "value",
                "recurring": "recurring",
                # the day the close date was read as, as every date typed is echoed
                "expected_close": f"expected close {app.calendar.describe_day(close)}"
                if isinstance(close, date)
                else "expected close cleared",
            }
            changed = [names[k] for k, v in changes.items() if getattr(the_deal, k) != v]
            if not changed:
                return f"Nothing to change on {deal_name(the_deal)}"
            deals.update_deal(session, the_deal, changes, now)
            return f"Saved {deal_name(the_deal)}: {', '.join(changed)}"

        return Job(change, deal_id, app.notify)

    open_form(
        app,
        f"Edit {name}",
        [
            Field("title", "Title", title),
            Field("value", f"Value ({currency})", value, "5k, 1200.50"),
            Field("recurring", "Value per", recurring, "monthly, yearly; empty: once"),
            Field("close", "Expected close", close_text, "2026-12-31, end of a month"),
        ],
        build,
    )


def ask_new_deal(
    app: CrmApp,
    pipeline: str | None,
    stage: str | None,
    added: Callable[[int], None] | None = None,
) -> None:
    """Ask for a new deal's title, contact, value and what the value is per, then add it to a
    stage; `added(id)` runs once it is saved."""
    from tinycrm import config
    from tinycrm.core import deals, refs
    from tinycrm.domain.money import check_currency, parse_money
    from tinycrm.domain.values import read_recurring

    def build(values: dict[str, str]) -> Job:
        if not values["title"].strip():
            raise FieldError("title", "a deal needs a title")
        with about("currency"):
            currency = check_currency(
                values["currency"].strip() or config.load().general.default_currency
            )
        with about("value"):
            minor = parse_money(values["value"], currency) if values["value"].strip() else None
        with about("recurring"):
            recurring = read_recurring(values["recurring"])

        def change(session: Session, now: datetime) -> tuple[int, str]:
            with about("contact"):
                contact = (
                    refs.resolve_contact(session, values["contact"])
                    if values["contact"].strip()
                    else None
                )
            deal = deals.add_deal(
                session,
                values["title"],
                now=now,
                currency=currency,
                contact=contact,
                value=minor,
                stage=stage,
                pipeline=pipeline,
                recurring=recurring,
            )
            assert deal.id is not None
            who = f" for {contact.name}" if contact is not None else ""
            return deal.id, f"Added deal {deal_name(deal)}{who}"

        def done(result: tuple[int, str]) -> None:
            new_id, said = result
            app.notify(said)
            if added is not None:
                added(new_id)

        return Job(change, None, done)

    where = f" in {stage}" if stage else ""
    in_pipeline = f" ({pipeline} pipeline)" if pipeline else ""
    open_form(
        app,
        f"New deal{where}{in_pipeline}",
        [
            Field("title", "Title", placeholder="Acme website"),
            Field("contact", "Contact", placeholder="optional: id, email or name"),
            Field("value", "Value", placeholder="optional: 5k, 1200.50"),
            Field("currency", "Currency", placeholder="empty: your default"),
            Field("recurring", "Value per", placeholder="optional: monthly, yearly"),
        ],
        build,
    )
