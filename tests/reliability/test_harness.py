"""The reliability suite's own parsing, checked without starting anything (default suite)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.harness import delivered
from tests.reliability.test_concurrency import selected_card

COLUMN = "\x1b[48;5;233m"
HIGHLIGHT = "\x1b[48;5;58m"


def board_screen(selected: int | None) -> str:
    """Two columns of two cards each, drawn as the board draws them (one highlighted)."""

    def card(deal: int) -> str:
        colour = HIGHLIGHT if deal == selected else COLUMN
        return f"{colour} #{deal} Deal {deal}      {COLUMN}│"

    status = "\x1b[48;5;17m Board pipeline  ·  4 open deals\x1b[39m"
    head = f"{COLUMN} One 20%          │ Two 40%          │"
    rows = [
        f"{card(1)}{card(2)}",
        f"{COLUMN} no contact      │ no contact      │",
        f"{card(3)}{card(4)}",
    ]
    return "\n".join([status, head, *rows]) + "\x1b[0m\n"


def test_the_highlighted_card_is_the_selected_deal() -> None:
    assert selected_card(board_screen(3)) == 3
    assert selected_card(board_screen(2)) == 2
    assert selected_card(board_screen(None)) is None  # the focus is on an empty column


def test_the_command_channel_log_is_read_back(tmp_path: Path) -> None:
    log = tmp_path / "delivered.log"
    log.write_text("follow-up 12 2026-11-23T09:00:00Z\nkeep-in-touch 3 2026-11-23T09:00:00Z\n")
    assert delivered(log) == [("follow-up", 12), ("keep-in-touch", 3)]
    assert delivered(tmp_path / "none.log") == []
