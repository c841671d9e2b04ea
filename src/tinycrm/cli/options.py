"""The options many commands share, declared once (a command's own options stay with it)."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print JSON.")
QUIET_NEW = typer.Option(False, "-q", "--quiet", help="Print only the new id.")
QUIET_IDS = typer.Option(False, "-q", "--quiet", help="Print only ids.")
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
