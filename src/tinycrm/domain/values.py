"""Checks of field values that the ORM and the plain-SQL paths share (no database here)."""

from __future__ import annotations

from tinycrm.domain.text import fold
from tinycrm.errors import ValidationError

LIFECYCLES = ("lead", "prospect", "customer", "former customer")
DEAL_STATUSES = ("open", "won", "lost")


def check_lifecycle(value: str) -> str:
    """Return a known lifecycle value, or raise ValidationError."""
    key = fold(value).replace("-", " ").replace("_", " ")
    if key not in LIFECYCLES:
        raise ValidationError(
            f"not a lifecycle: {value!r}", hint=f"use one of: {', '.join(LIFECYCLES)}"
        )
    return key


def check_status(value: str) -> str:
    """Return a deal status as stored (open, won or lost), or raise ValidationError."""
    status = fold(value)
    if status not in DEAL_STATUSES:
        raise ValidationError(f"not a deal status: {value!r}", hint="open, won or lost")
    return status
