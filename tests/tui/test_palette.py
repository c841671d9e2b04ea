"""The command palette: every action by name, once each, and no crash at its edges."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.tui.conftest import burst, settle


def run(db: Any, steps: Any, size: tuple[int, int] = (120, 40)) -> Any:
    """Run the board on `db`, let `steps(pilot, app)` act, and return the app afterwards."""
    from tinycrm.tui.app import CrmApp

    app = CrmApp(db, watch=False)

    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot, app)
            await settle(pilot)

    asyncio.run(go())
    return app


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
