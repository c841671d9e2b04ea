"""Messages the board's widgets send up: named for what happened."""

from __future__ import annotations

from textual.message import Message


class DealChosen(Message):
    """A deal card was opened (enter, or a click on the selected card)."""

    def __init__(self, deal_id: int) -> None:
        self.deal_id = deal_id
        super().__init__()


class RowChosen(Message):
    """A row of a virtual list was opened."""

    def __init__(self, row: dict[str, object]) -> None:
        self.row = row
        super().__init__()
