"""Keep-in-touch cadences: which contacts are due for a touch, computed from their last
interaction (no stored state), plus the agenda buckets shared with follow-ups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from tinycrm.domain.dates import at_local, stored_time

# A follow-up whose contact or deal is in the trash leaves the agenda, the board and reminders
# until the record is restored (two primary-key probes per follow-up; the follow-up's own
# partial indexes still choose the rows).
LIVE_PARENTS = """NOT EXISTS (SELECT 1 FROM contact AS parent_contact
 WHERE parent_contact.id = follow_up.contact_id AND parent_contact.deleted_at IS NOT NULL)
 AND NOT EXISTS (SELECT 1 FROM deal AS parent_deal
 WHERE parent_deal.id = follow_up.deal_id AND parent_deal.deleted_at IS NOT NULL)"""

# One row per contact with a cadence; its last interaction comes from the
# (contact_id, occurred_at) index, so this stays cheap however long the timeline is.
TOUCH_SQL = """
SELECT c.id, c.name, c.keep_in_touch_days, c.created_at, c.touch_notified_for,
       (SELECT max(i.occurred_at) FROM interaction AS i
         WHERE i.contact_id = c.id AND i.deleted_at IS NULL) AS last_at, c.uuid
  FROM contact AS c
 WHERE c.keep_in_touch_days IS NOT NULL AND c.deleted_at IS NULL
"""


@dataclass(frozen=True)
class TouchDue:
    """A contact whose keep-in-touch cadence says it is time for a touch (on `due`'s day)."""

    contact_id: int
    contact_name: str
    cadence_days: int
    last_at: datetime
    had_interaction: bool
    due: datetime
    notified_for: datetime | None
    uuid: str = ""


def touches_from_rows(rows: Iterable[Sequence[object]], tz: tzinfo) -> list[TouchDue]:
    """Turn TOUCH_SQL rows into keep-in-touch items: due on the local day that is `cadence`
    days after the last interaction (or after the contact was added)."""
    found = []
    for contact_id, name, days, created_at, notified_for, last_at, *more in rows:
        last = stored_time(last_at) or stored_time(created_at)
        assert last is not None
        day = last.astimezone(tz).date() + timedelta(days=int(str(days)))
        found.append(
            TouchDue(
                contact_id=int(str(contact_id)),
                contact_name=str(name),
                cadence_days=int(str(days)),
                last_at=last,
                had_interaction=last_at is not None,
                due=at_local(day, time(0), tz),
                notified_for=stored_time(notified_for),
                uuid=str(more[0]) if more else "",
            )
        )
    return found
