"""The current time, injectable for tests and reproducible runs through TINYCRM_NOW."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time as an aware UTC datetime.

    TINYCRM_NOW (an ISO 8601 time; naive means UTC) fixes it, so tests and demos can run at a
    known moment.
    """
    fixed = os.environ.get("TINYCRM_NOW")
    if fixed:
        from tinycrm.errors import ValidationError

        try:
            value = datetime.fromisoformat(fixed)
        except ValueError:
            raise ValidationError(f"TINYCRM_NOW is not an ISO 8601 time: {fixed!r}") from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return datetime.now(UTC)
