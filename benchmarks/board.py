"""Measure the board: seconds to first paint (columns and cards drawn) and to answer a key.

python -m benchmarks.board DB          # measure an existing database
python -m benchmarks.board --fill DB   # first fill DB with 100,000 contacts, 10,000 deals
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def fill(path: Path, contacts: int = 100_000, deals: int = 10_000, seed: int = 7) -> None:
    """Fill a new database with contacts, open deals across the default stages and
    follow-ups on a third of them, by bulk inserts."""
    from tinycrm.core import open_db

    db = open_db(path)
    conn = db.raw()
    rng = random.Random(seed)

    def text(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    stamp = text(NOW - timedelta(days=200))
    stages = [r[0] for r in conn.execute("SELECT id FROM stage ORDER BY position")]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
        " VALUES (?, ?, ?, 'lead', ?, ?)",
        (
            (str(uuid.uuid4()), f"Person {i:06d}", f"person {i:06d}", stamp, stamp)
            for i in range(contacts)
        ),
    )
    rows = []
    for i in range(deals):
        entered = text(NOW - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23)))
        rows.append(
            (
                str(uuid.uuid4()),
                f"Deal {i:05d}",
                f"deal {i:05d}",
                rng.randint(1, contacts),
                rng.choice(stages),
                rng.randint(5, 500) * 10_000,
                entered,
                entered,
                entered,
            )
        )
    conn.executemany(
        "INSERT INTO deal (uuid, title, title_key, contact_id, pipeline_id, stage_id, value,"
        " currency, status, stage_entered_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 1, ?, ?, 'USD', 'open', ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO follow_up (uuid, deal_id, title, due_at, created_at, updated_at)"
        " VALUES (?, ?, 'call back', ?, ?, ?)",
        (
            (
                str(uuid.uuid4()),
                d,
                text(NOW + timedelta(hours=rng.randint(-200, 400))),
                stamp,
                stamp,
            )
            for d in range(1, deals + 1, 3)
        ),
    )
    conn.execute("COMMIT")
    conn.close()
    db.dispose()


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
    """Fill (with --fill) and measure the database named on the command line."""
    args = [a for a in argv if a != "--fill"]
    if not args:
        raise SystemExit(__doc__)
    path = Path(args[0])
    if "--fill" in argv:
        started = time.perf_counter()
        fill(path)
        print(f"filled {path} in {time.perf_counter() - started:.1f} s")
    for name, seconds in measure(path).items():
        print(f"{name}: {seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
