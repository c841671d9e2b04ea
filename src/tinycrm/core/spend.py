"""Spend: the money a seller puts into finding customers, per lead source and month.

A spend's source is compared with contacts' sources folded (any case, any accents), as
contacts store theirs, so `crm spend add Ads …` counts for the contacts whose source is "ads".
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from sqlmodel import col, select

from tinycrm.domain.dates import iso, local_tz
from tinycrm.domain.money import check_currency, format_money, parse_money, to_decimal_text
from tinycrm.domain.text import clean, fold
from tinycrm.errors import ValidationError
from tinycrm.store import history, query
from tinycrm.store.models import Spend

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.domain.rows import SpendRow

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> str:
    """Read a calendar month written as YYYY-MM ('2026-11'), exactly; anything else is an
    error, never a guess."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 9000:
        raise ValidationError(f"not a month: {text!r}", hint="write it like 2026-11")
    return f"{match[1]}-{match[2]}"


def this_month(now: datetime, tz: tzinfo | None = None) -> str:
    """The seller's current month ('2026-11'), in their time zone."""
    return f"{now.astimezone(tz or local_tz()):%Y-%m}"


def add_spend(
    session: Session,
    source: str,
    amount: str,
    *,
    now: datetime,
    currency: str,
    month: str | None = None,
    note: str | None = None,
    tz: tzinfo | None = None,
) -> Spend:
    """Record money spent on one lead source in one month (this month by default)."""
    name = clean(source) or ""
    if not name:
        raise ValidationError("a spend needs a source", hint="e.g. crm spend add ads 1200")
    code = check_currency(currency)
    minor = parse_money(amount, code)
    period = parse_month(month) if month is not None else this_month(now, tz)
    history.describe(session, f"add spend {format_money(minor, code)} on {name} in {period}")
    spend = Spend(
        uuid=str(uuid.uuid4()),
        source=name,
        source_key=fold(name),
        month=period,
        amount=minor,
        currency=code,
        note=clean(note),
        created_at=now,
        updated_at=now,
    )
    session.add(spend)
    session.flush()
    return spend


def get_spend(session: Session, spend_id: int) -> Spend:
    """Return a live spend by id, or raise NotFoundError."""
    return query.get(session, Spend, spend_id, "spend", hint="crm spend list shows them")


def delete_spend(session: Session, spend_id: int, now: datetime) -> Spend:
    """Delete a spend (`crm undo` brings it back)."""
    spend = get_spend(session, spend_id)
    shown = format_money(spend.amount, spend.currency)
    history.describe(
        session, f"delete spend #{spend_id} {shown} on {spend.source} in {spend.month}"
    )
    spend.deleted_at = now
    spend.updated_at = now
    session.add(spend)
    session.flush()
    return spend


def spend_dict(spend: Spend) -> SpendRow:
    """Describe a spend as `crm spend list --json` shows it."""
    return {
        "id": spend.id or 0,
        "source": spend.source,
        "month": spend.month,
        "currency": spend.currency,
        "amount": to_decimal_text(spend.amount, spend.currency) or "0",
        "amount_minor": spend.amount,
        "note": spend.note,
        "created_at": iso(spend.created_at),
    }


def list_spend(
    session: Session, source: str | None = None, since: str | None = None
) -> list[SpendRow]:
    """The live spends, newest month first; of one source (folded) and from a month on."""
    statement = select(Spend).where(query.live(Spend))
    if source is not None:
        statement = statement.where(col(Spend.source_key) == fold(source))
    if since is not None:
        statement = statement.where(col(Spend.month) >= parse_month(since))
    ordered = statement.order_by(col(Spend.month).desc(), col(Spend.source_key), col(Spend.id))
    return [spend_dict(s) for s in session.exec(ordered)]
