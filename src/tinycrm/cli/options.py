"""The options many commands share, declared once (a command's own options stay with it)."""

from __future__ import annotations

from typing import Any

import typer

JSON = typer.Option(False, "--json", help="Print JSON.")
QUIET_NEW = typer.Option(False, "-q", "--quiet", help="Print only the new id.")
QUIET_IDS = typer.Option(False, "-q", "--quiet", help="Print only ids.")
NO_NEXT = typer.Option(
    False, "--no-next", help="Don't ask for the next step (asked only on a terminal)."
)
RECORD_KIND = typer.Option(None, "--kind", "-k", help="contact, company or deal.")


def kinds_for(kind: str | None) -> tuple[str, ...]:
    """Return the record kinds a --kind option allows."""
    from tinycrm.core.refs import KINDS
    from tinycrm.errors import UsageError

    if kind is None:
        return KINDS
    key = kind.strip().lower()
    if key not in KINDS:
        raise UsageError(f"not a kind: {kind!r}", hint="use contact, company or deal")
    return (key,)


def value_bounds(min_value: str | None, max_value: str | None) -> dict[str, Any]:
    """Read --min-value and --max-value (`5k`, `1,200.50`) in the default currency, as the
    ListFilter fields of the same names."""
    from tinycrm.cli import state
    from tinycrm.domain.money import parse_money

    currency = state.settings().general.default_currency
    return {
        "min_value": parse_money(min_value, currency) if min_value else None,
        "max_value": parse_money(max_value, currency) if max_value else None,
    }


QUALIFIED = typer.Option(
    None,
    "--qualified",
    min=0,
    max=4,
    help="Deals with at least N of budget, authority, need, timing answered yes.",
)
BANT = typer.Option(None, "--bant", help="Deals with these answered yes: budget,need.")


def qualification(qualified: int | None, bant: str | None) -> dict[str, Any]:
    """Read --qualified and --bant into the ListFilter fields of the same names."""
    from tinycrm.domain.qualification import read_criteria

    return {"qualified": qualified, "bant": read_criteria(bant) if bant is not None else ()}
