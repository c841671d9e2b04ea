"""Measure the board headless with Textual's pilot: first paint, keys until drawn, idle CPU.

python -m benchmarks.board DB               # measure an existing database (it is written to)
python -m benchmarks.board --scale large    # a scratch copy of the generator's database
python -m benchmarks run --only board       # the same cases beside the rest of the suite

One pass opens the board on the database and times, each until the screen is drawn again:
the first paint, a cursor key (the 95th percentile of CURSOR_KEYS presses), a stage move
(undone after), a filter keystroke, a sort keystroke, the idle CPU over IDLE_SECONDS, opening
the agenda and marking its first follow-up done (undone after). The suite's cases (`bench_…`)
each report one figure of the pass made for their run, so a run opens the board once.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.timing import Timed

CURSOR_KEYS = 30
IDLE_SECONDS = 3.0
SIZE = (120, 40)
WAIT_S = 30.0  # longest wait for one step before the pass gives up
CHARACTERS = {"slash": "/", "greater_than_sign": ">"}


def p95(times: list[float]) -> float:
    """Return the 95th percentile of `times` (nearest rank)."""
    ordered = sorted(times)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))]


def measure(
    db_path: Path | str, *, idle_seconds: float | None = None, cursor_keys: int | None = None
) -> dict[str, float]:
    """Open the board on `db_path` headlessly and time it; return the figures in seconds
    (idle CPU in seconds of CPU per second). Each key also has its CPU seconds (`…_cpu_s`,
    the process's, every thread): on a busy machine the wall times grow, these much less.
    The database is left as it was found: the stage move and the follow-up done are undone.
    `idle_seconds` and `cursor_keys` default to IDLE_SECONDS and CURSOR_KEYS."""
    from tinycrm.core import open_db
    from tinycrm.tui.app import CrmApp
    from tinycrm.tui.screens.agenda import AgendaScreen
    from tinycrm.tui.screens.board import BoardScreen

    idle_seconds = IDLE_SECONDS if idle_seconds is None else idle_seconds
    cursor_keys = CURSOR_KEYS if cursor_keys is None else cursor_keys
    result: dict[str, float] = {}
    cpu_of: list[float] = []  # the CPU seconds (all threads) of each timed key, in order
    started, started_cpu = time.perf_counter(), time.process_time()
    db = open_db(Path(db_path))
    app = CrmApp(db)

    async def until(pilot: Any, done: Callable[[], bool]) -> None:
        """Wait until `done()`, nothing is loading or being saved, and the screen is drawn.
        (A plain sleep between looks: the pilot's pause sends a message to every widget.)"""
        deadline = time.perf_counter() + WAIT_S
        while not (
            done()
            and not app.writing
            and not any(w.is_running for w in app.workers)
            and app.screen.is_mounted
            and drawn()
        ):
            if time.perf_counter() > deadline:
                raise TimeoutError("the board did not settle")
            await asyncio.sleep(0.001)

    def reloaded(board: Any) -> Callable[[], bool]:
        """Tell when the board has shown data read after now."""
        shown = board.board
        return lambda: board.loaded and board.board is not shown

    def drawn() -> bool:
        screen: Any = app.screen
        return not (
            screen._layout_required
            or screen._scroll_required
            or screen._repaint_required
            or screen._dirty_widgets
        )

    async def timed(pilot: Any, key: str, done: Callable[[], bool], *, saved: bool = True) -> float:
        """Send `key` as a terminal would (not through the pilot, whose waits for idle
        would be counted) and return the seconds until `done()` and the screen drawn (and,
        with `saved`, the change saved)."""
        from textual import events

        char = CHARACTERS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        driver = app._driver
        assert driver is not None
        pressed, cpu = time.perf_counter(), time.process_time()
        driver.send_message(event)
        deadline = pressed + WAIT_S
        while not (done() and not (saved and app.writing) and drawn()):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the board did not answer {key}")
            await asyncio.sleep(0.0005)
        took = time.perf_counter() - pressed
        cpu_of.append(time.process_time() - cpu)
        await until(pilot, done)
        await pilot.pause()  # the app idle before the next key
        return took

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, BoardScreen))
            board: Any = app.screen
            await until(pilot, lambda: board.loaded)
            result["first_paint_s"] = time.perf_counter() - started
            result["first_paint_cpu_s"] = time.process_time() - started_cpu

            # the longest column of those a deal can move on from (not the last stage)
            lists = board.lists
            movable = lists[:-2] or lists
            target = max(range(len(movable)), key=lambda i: len(movable[i].cards))
            for _ in range(target - lists.index(board.current)):
                await pilot.press("right")
            await until(pilot, lambda: board.current is movable[target])
            keys: list[float] = []
            step = 1
            for _ in range(cursor_keys if len(board.current.cards) > 1 else 0):
                before = board.current.cursor
                if not 0 <= before + step < len(board.current.cards):
                    step = -step
                key = "down" if step > 0 else "up"

                def moved(at: int = before) -> bool:
                    return bool(board.current.cursor != at)

                keys.append(await timed(pilot, key, moved))
            if keys:
                result["cursor_key_p95_s"] = p95(keys)
                result["cursor_key_median_s"] = statistics.median(keys)
                result["cursor_key_cpu_p95_s"] = p95(cpu_of[-len(keys) :])

            deal, column = board.selected_id, board.current.key_of()
            if deal is not None:
                result["stage_move_s"] = await timed(
                    pilot,
                    "greater_than_sign",
                    lambda: board.current.key_of() != column and board.selected_id == deal,
                    saved=False,  # drawn at once; saved in the background
                )
                result["stage_move_cpu_s"] = cpu_of[-1]
                await pilot.press("u")
                await until(pilot, lambda: board.loaded)

            await pilot.press("slash")
            await until(pilot, lambda: board.focused is not None and board.focused.id == "filter")
            result["filter_key_s"] = await timed(pilot, "a", reloaded(board))
            result["filter_key_cpu_s"] = cpu_of[-1]
            await pilot.press("escape")
            await until(pilot, lambda: board.loaded)
            result["sort_key_s"] = await timed(pilot, "s", reloaded(board))
            result["sort_key_cpu_s"] = cpu_of[-1]

            await pilot.pause(0.5)  # what the keys left to do is done
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.sleep(idle_seconds)
            result["idle_cpu_s_per_s"] = (time.process_time() - cpu) / (time.perf_counter() - wall)

            result["agenda_open_s"] = await timed(
                pilot, "a", lambda: isinstance(app.screen, AgendaScreen) and app.screen.loaded
            )
            result["agenda_open_cpu_s"] = cpu_of[-1]
            agenda: Any = app.screen
            lines = agenda.query_one("#agenda")
            first = next((r for r in agenda.rows if r["kind"] == "follow-up"), None)
            if first is not None:
                at = lines.cursor = agenda.rows.index(first)
                await until(pilot, lambda: True)
                result["agenda_done_s"] = await timed(
                    pilot, "d", lambda: at >= len(agenda.rows) or agenda.rows[at] is not first
                )
                result["agenda_done_cpu_s"] = cpu_of[-1]
                await pilot.press("u")
                await until(pilot, lambda: agenda.loaded)

    try:
        asyncio.run(run())
    finally:
        db.dispose()
    return result


_PASSES: dict[tuple[str, int], dict[str, float]] = {}


def _figure(db_path: Path, run: int, name: str) -> Timed:
    """Return one figure of the pass made for this run (made by the first case that asks;
    the suite times each case's runs in turn, so the passes of one database are kept)."""
    key = (str(db_path), run)
    if key not in _PASSES:
        if any(path != key[0] for path, _run in _PASSES):
            _PASSES.clear()
        _PASSES[key] = measure(db_path)
    figures = _PASSES[key]
    if name not in figures:
        raise LookupError(f"the pass measured no {name} (an empty agenda?)")
    return Timed(figures[name])


def bench_first_paint(db_path: Path, run: int) -> Timed:
    """Seconds from opening the database to the board drawn with its cards."""
    return _figure(db_path, run, "first_paint_s")


def bench_cursor_key_p95(db_path: Path, run: int) -> Timed:
    """The 95th percentile of a cursor key (up or down a column) until drawn."""
    return _figure(db_path, run, "cursor_key_p95_s")


def bench_stage_move(db_path: Path, run: int) -> Timed:
    """A deal moved one stage on (`>`) until drawn in its new column."""
    return _figure(db_path, run, "stage_move_s")


def bench_filter_key(db_path: Path, run: int) -> Timed:
    """One character typed into the filter until the filtered board is drawn."""
    return _figure(db_path, run, "filter_key_s")


def bench_sort_key(db_path: Path, run: int) -> Timed:
    """`s` until the board is drawn in the next order."""
    return _figure(db_path, run, "sort_key_s")


def bench_idle_cpu_ms_per_s(db_path: Path, run: int) -> Timed:
    """CPU the idle board uses, in ms per second (10 ms is 1 % of a core)."""
    return _figure(db_path, run, "idle_cpu_s_per_s")


def bench_agenda_open(db_path: Path, run: int) -> Timed:
    """`a` until the agenda is drawn with its lines."""
    return _figure(db_path, run, "agenda_open_s")


def bench_agenda_done(db_path: Path, run: int) -> Timed:
    """`d` on the agenda's first follow-up until its line is gone."""
    return _figure(db_path, run, "agenda_done_s")


def main(argv: list[str]) -> None:
    """Measure the database named on the command line, or a scratch copy of the
    generator's cached database at `--scale NAME`; `--runs N` passes (default 1)."""
    runs = 1
    if len(argv) >= 2 and argv[-2] == "--runs":
        runs, argv = int(argv[-1]), argv[:-2]
    if argv[:1] == ["--scale"] and len(argv) == 2:
        source, _meta = generate.cached(argv[1])
        path = generate.working_copy(source, generate.results_dir() / "scratch" / "board.db")
    elif len(argv) == 1:
        path = Path(argv[0])
    else:
        raise SystemExit(__doc__)
    passes = [measure(path) for _ in range(runs)]
    for name in passes[0]:
        values = " ".join(f"{p[name] * 1000:.1f}" for p in passes if name in p)
        unit = "ms of CPU per s" if name.endswith("_per_s") else "ms"
        print(f"{name.removesuffix('_s_per_s').removesuffix('_s')}: {values} {unit}")


if __name__ == "__main__":
    main(sys.argv[1:])
