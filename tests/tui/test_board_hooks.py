"""Hooks on the board: a change saved by the board's writer runs the same hooks as `crm`,
off the UI thread; a hook's failure is a notification, and the change stays saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import table_rows
from tests.test_hooks import FIXED_AT, ran, recording_hooks, view
from tests.tui.test_board_workflows import LOVELACE, drive


def test_a_win_on_the_board_runs_deal_won(board_db: Any, db_path: Path, hermetic: Path) -> None:
    out = recording_hooks(hermetic, "deal_won", "deal_moved")

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("w")

    app = drive(board_db, steps)
    [won] = ran(out, "deal_won")
    assert won == {"event": "deal_won", "at": FIXED_AT, "deal": view(db_path, "deal", LOVELACE)}
    assert ran(out, "deal_moved") == []
    assert not [n for n in app._notifications if n.title == "Hook failed"]


def test_a_failing_hook_on_the_board_is_a_notification(
    board_db: Any, db_path: Path, hermetic: Path
) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text('[hooks]\ndeal_won = "exit 4"\n')

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("w")

    app = drive(board_db, steps)
    assert [n.message for n in app._notifications if n.title == "Hook failed"] == [
        "hook deal_won (exit) failed: exit 4; the change is saved"
    ]
    assert table_rows(db_path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]


def test_the_demo_board_runs_no_hooks(board_db: Any, hermetic: Path) -> None:
    import asyncio

    from tests.tui.conftest import settle
    from tinycrm.tui.app import CrmApp

    out = recording_hooks(hermetic, "deal_won")
    app = CrmApp(board_db, watch=False, hooks=False)  # as `crm demo` opens it

    async def run() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("w")
            await settle(pilot)

    asyncio.run(run())
    assert table_rows(board_db.path, "SELECT status FROM deal WHERE id=?", LOVELACE) == [("won",)]
    assert ran(out, "deal_won") == []
