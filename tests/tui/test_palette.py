"""The command palette: every action by name, once each, and no crash at its edges."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.tui.conftest import burst, settle
from tests.tui.test_board_workflows import drive as run


def palette_drawn(app: Any) -> bool:
    """Tell whether the command palette is open with its list of commands laid out."""
    from textual.command import CommandList, CommandPalette

    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return False
    found = screen.query(CommandList)
    return bool(found) and bool(found.first().scrollable_content_region)


def test_page_keys_held_while_the_palette_opens_do_not_fail(board_db: Any) -> None:
    """ctrl+p, then pgup/pgdn repeating as the palette lists its first commands (before they
    are laid out, where Textual's option list used to fail with KeyError)."""
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        for key in ("pageup", "pagedown"):
            await burst(pilot, "ctrl+p")
            for _ in range(3000):
                await burst(pilot, key)
                await asyncio.sleep(0)
                if palette_drawn(app):
                    break
            await settle(pilot)
            seen.append(app.screen.id)
            await burst(pilot, "escape")
            await settle(pilot)
        seen.append(app.screen.id)
        seen.extend(n.message for n in app._notifications)

    app = run(board_db, steps)
    assert repr(app.crash) == "None"
    assert seen == ["--command-palette", "--command-palette", "board-screen"]


async def listed(pilot: Any, app: Any, query: str = "") -> list[str]:
    """Open the palette, type `query`, and return the commands it lists (first lines)."""
    from textual.command import CommandList

    await pilot.press("ctrl+p")
    await pilot.press(*list(query))
    for _ in range(100):
        await pilot.pause(0.05)
        found = app.screen.query(CommandList)
        if found and found.first().option_count and palette_drawn(app):
            break
    await pilot.pause(0.3)
    options = app.screen.query_one(CommandList).options
    return [str(o.prompt).split("\n")[0] for o in options]


def test_the_palette_offers_every_action_by_name_once(board_db: Any) -> None:
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.append(await listed(pilot, app))

    run(board_db, steps)
    names = seen[0]
    assert len(names) == len(set(names)), names
    for name in (
        "Move the deal left (stage back)",
        "Move the deal right (stage on)",
        "Mark the deal won",
        "Mark the deal lost",
        "New deal",
        "New follow-up",
        "Log an interaction",
        "Edit",
        "Undo",
        "Redo",
        "Sort the board by value",
        "Filter the board",
        "Pipeline: Sales",
        "Contacts",
        "Agenda",
        "Reports",
        "Help: every key",
        "Quit",
    ):
        assert name in names, name
    assert "Keys" not in names


def test_won_in_the_palette_marks_the_selected_deal_won(board_db: Any, db_path: Any) -> None:
    from tests.conftest import table_rows
    from tests.tui.test_board_workflows import LOVELACE

    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.append(await listed(pilot, app, "won"))
        await pilot.press("enter")
        await settle(pilot)

    run(board_db, steps)
    assert seen[0][0] == "Mark the deal won"
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]


def test_on_a_deal_the_palette_offers_its_actions_and_the_board(board_db: Any) -> None:
    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("enter")
        await settle(pilot)
        seen.append(await listed(pilot, app))
        await pilot.press("escape")
        await settle(pilot)
        seen.append(await listed(pilot, app, "board"))
        await pilot.press("enter")
        await settle(pilot)
        seen.append(app.screen.id)

    run(board_db, steps)
    for name in ("Mark the deal won", "Log an interaction", "Open the deal's contact", "Board"):
        assert name in seen[0], name
    assert "New deal" not in seen[0]
    assert seen[1][0] == "Board"
    assert seen[2] == "board-screen"


def test_the_palette_offers_to_clear_the_filter_while_there_is_one(board_db: Any) -> None:
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.append(await listed(pilot, app, "clear"))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash", *list("acme"), "enter")
        await settle(pilot)
        seen.append(await listed(pilot, app, "clear"))

    run(board_db, steps)
    assert "Clear the filter" not in seen[0]
    assert "Clear the filter" in seen[1]
