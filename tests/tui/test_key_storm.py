"""Random key storms (seeded, so a failure can be replayed): the board never crashes, and
keys that ask for no change change nothing in the database.

The keys are those of every screen, the command palette's among them (ctrl+p, pgup, pgdn,
escape, enter, tab, letters), sent in bursts as a terminal delivers them."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.tui.conftest import burst, settle

MOVES = ["left", "right", "up", "down", "h", "j", "k", "l", "home", "end"]
PAGES = ["pageup", "pagedown"]
# keys that open, close or look, and never change a record on any screen (typed into an
# input they are text): screens, sorts, pipeline, filter, help, the palette, details
LOOKS = ["c", "a", "r", "s", "p", "o", "g", "m", "t", "question_mark", "slash", "space"]
OTHERS = ["tab", "shift+tab", "escape", "enter", "ctrl+p", "backspace"]
# keys that change data on some screen: stage moves, won, lost, new, follow-up, log, edit,
# done, snooze, undo, a yes in a question
CHANGES = ["<", ">", "w", "x", "n", "f", "i", "e", "d", "z", "u", "y"]


def storm(seed: int, count: int, changes: bool) -> list[list[str]]:
    """Return `count` keys in bursts of 1 to 12. Without `changes`, no key that asks for a
    change: no change key, and no enter while the palette is open (it would run a command)."""
    rng = random.Random(seed)
    keys = MOVES + PAGES + LOOKS + OTHERS + (CHANGES if changes else [])
    bursts: list[list[str]] = []
    # whether the palette may be open, and how many help screens may be over it (? opens
    # one when the palette's input has lost the focus); counted so as never to guess closed
    palette, over = False, 0
    left = count
    while left > 0:
        size = min(left, rng.randint(1, 12))
        chosen: list[str] = []
        while len(chosen) < size:
            key = rng.choice(keys)
            if not changes and palette and key == "enter":
                continue
            if key == "ctrl+p":
                palette = True
                if rng.random() < 0.5:
                    chosen.append("ctrl+p")
                    key = rng.choice(PAGES)  # a page key at once: an edge Textual left open
            elif key == "question_mark" and palette:
                over += 1
            elif key == "escape" and over:
                over -= 1
            elif key == "escape":
                palette = False
            chosen.append(key)
        bursts.append(chosen)
        left -= len(chosen)
    return bursts


def dump(path: Path) -> list[str]:
    """Return the whole database as SQL statements, to compare before and after."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def run_storm(db: Any, bursts: list[list[str]], size: tuple[int, int]) -> Any:
    """Run the board, send the bursts (waiting for it between bursts), then go back to the
    board; return the app and what it said."""
    from tinycrm.tui.app import CrmApp

    app = CrmApp(db, watch=False)
    said: list[str] = []

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for keys in bursts:
                await burst(pilot, *keys)
                await pilot.pause()
                said.extend(str(n.message) for n in app._notifications)
            await settle(pilot)
            for _ in range(10):  # whatever is open, escape closes it
                await burst(pilot, "escape")
                await settle(pilot)
            said.append((app.screen.id or "") if app.is_running else "quit")

    asyncio.run(go())
    return app, said


@pytest.mark.parametrize(
    ("seed", "count", "size"),
    [
        (1, 120, (120, 40)),
        pytest.param(2, 400, (80, 24), marks=pytest.mark.slow),
        pytest.param(3, 400, (100, 30), marks=pytest.mark.slow),
    ],
)
def test_a_storm_of_keys_that_ask_for_no_change_changes_nothing(
    board_db: Any, db_path: Path, seed: int, count: int, size: tuple[int, int]
) -> None:
    before = dump(db_path)
    app, said = run_storm(board_db, storm(seed, count, changes=False), size)
    assert repr(app.crash) == "None"
    assert not [m for m in said if "went wrong" in m]
    assert said[-1] == "board-screen"
    assert dump(db_path) == before


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "size"), [(4, (120, 40)), (5, (80, 24))])
def test_a_storm_of_any_keys_never_crashes(
    board_db: Any, db_path: Path, seed: int, size: tuple[int, int]
) -> None:
    app, said = run_storm(board_db, storm(seed, 250, changes=True), size)
    assert repr(app.crash) == "None"
    assert not [m for m in said if "went wrong" in m]
    assert said[-1] in ("board-screen", "quit")  # the palette may have been asked to quit
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
