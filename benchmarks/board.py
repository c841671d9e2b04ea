"""Measure the board: seconds to first paint (columns and cards drawn) and to answer a key.

python -m benchmarks.board DB              # measure an existing database
python -m benchmarks.board --scale large   # a copy of the generator's database at a scale
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import generate


def measure(db_path: Path | str, size: tuple[int, int] = (120, 40)) -> dict[str, float]:
    """Open the board on `db_path` headlessly; return seconds to first paint and to show
    the selected deal moved one stage right (the move is undone afterwards)."""
    from tinycrm.core import open_db
    from tinycrm.tui.app import CrmApp
    from tinycrm.tui.screens.board import BoardScreen

    result: dict[str, float] = {}
    started = time.perf_counter()
    db = open_db(Path(db_path))
    app = CrmApp(db, watch=False)

    async def wait_loaded(pilot: Any, board: Any) -> None:
        while not board.loaded:
            await pilot.pause(0.005)
        await app.workers.wait_for_complete()
        await pilot.pause()

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            while not isinstance(app.screen, BoardScreen):
                await pilot.pause(0.005)
            board: Any = app.screen
            await wait_loaded(pilot, board)
            result["first_paint_s"] = time.perf_counter() - started
            deal = board.selected_id
            column = board.current.key_of()
            pressed = time.perf_counter()
            await pilot.press("greater_than_sign")
            for _ in range(2000):
                if board.current.key_of() != column and board.selected_id == deal:
                    break
                await pilot.pause(0.002)
            await pilot.pause()
            result["key_response_s"] = time.perf_counter() - pressed
            moved = board.selected_id == deal
            down = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            result["cursor_key_s"] = time.perf_counter() - down
            if moved:
                await pilot.press("u")
                await wait_loaded(pilot, board)

    asyncio.run(run())
    return result


def main(argv: list[str]) -> None:
    """Measure the database named on the command line, or a scratch copy of the
    generator's cached database at `--scale NAME` (the measure moves a deal and undoes it)."""
    if argv[:1] == ["--scale"] and len(argv) == 2:
        source, _meta = generate.cached(argv[1])
        path = generate.working_copy(source, generate.results_dir() / "scratch" / "board.db")
    elif len(argv) == 1:
        path = Path(argv[0])
    else:
        raise SystemExit(__doc__)
    for name, seconds in measure(path).items():
        print(f"{name}: {seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
