"""What a person can do to a deal from any screen: move, close, follow up, log, edit, add."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from tinycrm.tui.dialogs.forms import Field, FormDialog

if TYPE_CHECKING:
    from tinycrm.core.models import Deal
    from tinycrm.tui.app import CrmApp


def _deal(session: Session, deal_id: int) -> Deal:
    from tinycrm.core import deals

    return deals.get_deal(session, deal_id)


def move(app: CrmApp, deal_id: int, step: int) -> bool:
    """Move a deal one stage left (-1) or right (+1)."""
    from tinycrm.core import board, deals
    from tinycrm.errors import ConflictError

    def change(session: Session, now: datetime) -> None:
        deal = _deal(session, deal_id)
        target = board.neighbour_stage(session, deal, step)
        if target is None:
            edge = "first" if step < 0 else "last"
            raise ConflictError(f"{deal.title} is in the {edge} stage")
        session.info["summary"] = f"move deal #{deal.id} {deal.title} to {target.name}"
        deals.move_deal(session, deal, target, now)

    return app.attempt(f"move deal #{deal_id}", change, deal_id)


def close(app: CrmApp, deal_id: int, status: str, reason: str | None = None) -> None:
    """Mark a deal won or lost (raises TinyCrmError when refused)."""
    from tinycrm.core import deals

    def change(session: Session, now: datetime) -> None:
        deal = _deal(session, deal_id)
        session.info["summary"] = f"move deal #{deal.id} {deal.title} to {status}"
        deals.close_deal(session, deal, status, now, reason)

    app.write(f"mark deal #{deal_id} {status}", change, deal_id)


def win(app: CrmApp, deal_id: int) -> None:
    """Mark a deal won, telling the person."""
    from tinycrm.errors import TinyCrmError

    try:
        close(app, deal_id, "won")
    except TinyCrmError as error:
        app.notify(error.message, severity="error")
        return
    app.notify(f"Deal #{deal_id} won")


def ask_lost(app: CrmApp, deal_id: int) -> None:
    """Ask why a deal was lost, then mark it lost."""
    app.push_screen(
        FormDialog(
            f"Deal #{deal_id} lost",
            [Field("reason", "Why was it lost?", placeholder="price, timing, competitor …")],
            lambda v: close(app, deal_id, "lost", v["reason"]),
            action="Mark lost",
        )
    )


def ask_follow_up(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask for a follow-up's title and due time, then add it."""
    from tinycrm.core import contacts, dates, followups

    def submit(values: dict[str, str]) -> None:
        due = dates.parse_when(values["due"], app.now())

        def change(session: Session, now: datetime) -> None:
            deal = _deal(session, deal_id) if deal_id else None
            contact = contacts.get_contact(session, contact_id) if contact_id else None
            followups.add_follow_up(
                session, values["title"], due, now=now, deal=deal, contact=contact
            )

        app.write(f"add follow-up {values['title']}", change, deal_id)
        app.notify(f"Follow-up due {dates.show(due.at) if not due.all_day else due.day()}")

    app.push_screen(
        FormDialog(
            "New follow-up",
            [
                Field("title", "What to do", placeholder="call back"),
                Field("due", "When", placeholder="tomorrow, 2026-12-01, 2026-12-01 15:00"),
            ],
            submit,
        )
    )


def ask_log(app: CrmApp, deal_id: int | None = None, contact_id: int | None = None) -> None:
    """Ask what happened (kind and summary), then log the interaction."""
    from tinycrm.core import contacts, interactions

    def submit(values: dict[str, str]) -> None:
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

        app.write(f"log {values['kind'] or 'note'}", change, deal_id)
        app.notify("Interaction logged")

    app.push_screen(
        FormDialog(
            "Log an interaction",
            [
                Field("kind", "Kind (call, email, meeting, message, note)", "call"),
                Field("summary", "What happened", placeholder="called, sent the quote"),
            ],
            submit,
        )
    )


def ask_edit(app: CrmApp, deal_id: int) -> None:
    """Ask for a deal's title, value and expected close date, then save the changes."""
    from tinycrm.core import dates, deals
    from tinycrm.core.money import parse_money, to_decimal_text

    with app.db.read() as session:
        deal = _deal(session, deal_id)
        currency = deal.currency
        title = deal.title
        value = to_decimal_text(deal.value, currency) or ""
        close_text = deal.expected_close.isoformat() if deal.expected_close else ""

    def submit(values: dict[str, str]) -> None:
        changes: dict[str, object] = {"title": values["title"]}
        raw_value = values["value"].strip()
        changes["value"] = parse_money(raw_value, currency) if raw_value else None
        raw_close = values["close"].strip()
        changes["expected_close"] = dates.parse_day(raw_close, app.now()) if raw_close else None

        def change(session: Session, now: datetime) -> None:
            the_deal = _deal(session, deal_id)
            deals.update_deal(session, the_deal, changes, now)

        app.write(f"edit deal #{deal_id} {values['title']}", change, deal_id)

    app.push_screen(
        FormDialog(
            f"Edit deal #{deal_id}",
            [
                Field("title", "Title", title),
                Field("value", f"Value ({currency})", value),
                Field("close", "Expected close", close_text, "2026-12-31"),
            ],
            submit,
        )
    )


def ask_new_deal(app: CrmApp, pipeline: str | None, stage: str | None) -> None:
    """Ask for a new deal's title, contact and value, then add it to a stage."""
    from tinycrm import config
    from tinycrm.core import deals, refs

    def submit(values: dict[str, str]) -> None:
        def change(session: Session, now: datetime) -> int:
            contact = (
                refs.resolve_contact(session, values["contact"]) if values["contact"] else None
            )
            deal = deals.add_deal(
                session,
                values["title"],
                now=now,
                currency=values["currency"] or config.load().default_currency,
                contact=contact,
                value=values["value"] or None,
                stage=stage,
                pipeline=pipeline,
            )
            assert deal.id is not None
            return deal.id

        new_id = app.write(f"add deal {values['title']}", change)
        app.notify(f"Added deal #{new_id}")

    app.push_screen(
        FormDialog(
            f"New deal{f' in {stage}' if stage else ''}",
            [
                Field("title", "Title", placeholder="Acme website"),
                Field("contact", "Contact (id, email or name; optional)"),
                Field("value", "Value (optional)", placeholder="5k"),
                Field("currency", "Currency (empty: your default)"),
            ],
            submit,
        )
    )


def ask_edit_contact(app: CrmApp, contact_id: int) -> None:
    """Ask for a contact's name, title and company, then save the changes."""
    from tinycrm.core import contacts, views

    with app.db.read() as session:
        data = views.contact_dict(session, contacts.get_contact(session, contact_id))

    def submit(values: dict[str, str]) -> None:
        def change(session: Session, now: datetime) -> None:
            contact = contacts.get_contact(session, contact_id)
            contacts.update_contact(session, contact, dict(values), now)

        app.write(f"edit contact #{contact_id} {values['name']}", change)

    app.push_screen(
        FormDialog(
            f"Edit contact #{contact_id}",
            [
                Field("name", "Name", data["name"]),
                Field("title", "Title", data["title"] or ""),
                Field("company", "Company", data["company"]["name"] if data["company"] else ""),
            ],
            submit,
        )
    )
