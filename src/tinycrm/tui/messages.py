"""Messages named for what happened: the widgets send theirs up (to their screen or the
app), the app sends its own down to every open screen."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class DealChosen(Message):
    """A deal card was opened (enter, or a click on the selected card)."""

    def __init__(self, deal_id: int) -> None:
        self.deal_id = deal_id
        super().__init__()


class RowChosen(Message):
    """A row of a virtual list was opened."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        super().__init__()


class DataChanged(Message, bubble=False):
    """What the screens show may have changed: one deal (and what hangs from it) when
    `deal_id` is given, else anything (another crm wrote, the file was replaced)."""

    def __init__(self, deal_id: int | None = None) -> None:
        self.deal_id = deal_id
        super().__init__()


class WaitingChanged(Message, bubble=False):
    """The board began or stopped waiting for another crm's write lock."""
