"""How a figure or a record reads for people, written once for the command line and the board:
a report amount, a rate, a deal's stage and its status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


def deal_value(minor: int | None, currency: str, recurring: str | None) -> str:
    """A deal's value as money, with the period a recurring value is per: "€500.00/mo",
    "$6,000.00/yr", "$5,000.00"; blank for none."""
    if minor is None:
        return ""
    from tinycrm.domain.money import format_money
    from tinycrm.domain.values import PER_PERIOD, Recurring

    per = PER_PERIOD[Recurring(recurring)] if recurring in PER_PERIOD else ""
    return format_money(minor, currency) + per


def amount(value: Mapping[str, Any] | None) -> str:
    """Render a report amount ({currency, value_minor}) as money; blank for none."""
    if not value:
        return ""
    from tinycrm.domain.money import format_money  # decimal: not for `crm --help`

    return format_money(value["value_minor"], value["currency"])


def compact_money(minor: int, currency: str) -> str:
    """Render money without zero cents, where room is short: "$5,000", "$5,000.50"."""
    from tinycrm.domain.money import format_money

    text = format_money(minor, currency)
    return text[:-3] if text.endswith(".00") else text.replace(".00 ", " ")


def percent(rate: float | None) -> str:
    """Render a fraction as a percentage with one decimal; blank when there was nothing to
    divide by."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def stage(name: str, pipeline: str) -> str:
    """Name a deal's stage with its pipeline: "Proposal (Sales)"."""
    return f"{name} ({pipeline})"


def deal_status(status: str, lost_reason: str | None) -> str:
    """Name a deal's status, with the reason when it was lost: "lost (price)"."""
    return f"{status} ({lost_reason})" if status == "lost" and lost_reason else status
