"""Tables the history does not record: which reminder occurrences a run claimed or gave, and
which channels delivered them. An undo never brings a reminder back, so they stay outside it.

Times here are stored text (as `domain.dates.to_stored` writes them), compared as text."""

from __future__ import annotations

from sqlalchemy import column, table

# one row per occurrence of a follow-up or keep-in-touch contact (by its uuid and due time):
# claimed by a run until a time, or reminded for good
OCCURRENCE = table(
    "reminder_occurrence",
    column("record_uuid"),
    column("due"),
    column("kind"),
    column("record_id"),
    column("claimed_until"),
    column("claimed_by"),
    column("reminded_at"),
)
# one row per occurrence and channel that had it, until every channel had it
DELIVERY = table(
    "reminder_delivery",
    column("kind"),
    column("record_id"),
    column("due"),
    column("channel"),
    column("delivered_at"),
    column("record_uuid"),
)
