"""What the board asks of the database while it stands still, and how much it redraws after
a change: counted, not timed (the times are in the board's benchmark)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from tests.tui.conftest import NOW, burst, settle
from tests.tui.test_board_workflows import LOVELACE, drive, stage_of


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    """Collect the SQL statements run on `db` meanwhile."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen.append(sql)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def add_follow_up(db: Any, title: str, due: Any) -> None:
    from tinycrm.core import deals, followups
    from tinycrm.domain import dates

    with db.transaction(summary=f"add {title}") as s:
        followups.add_follow_up(
            s, title, dates.When(due, all_day=False), now=NOW, deal=deals.get_deal(s, LOVELACE)
        )


def test_an_idle_board_asks_the_database_nothing_about_due_follow_ups(board_db: Any) -> None:
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        with statements(board_db) as run:
            for _ in range(5):
                app.poll()
        seen.append(run)

    drive(board_db, steps, watch=True)
    assert seen == [[]]


def test_a_follow_up_is_announced_when_its_time_passes(board_db: Any) -> None:
    add_follow_up(board_db, "ring Ada at ten past", NOW + timedelta(minutes=10))
    add_follow_up(board_db, "ring Ada tomorrow", NOW + timedelta(days=1))
    seen: list[Any] = []

    def told(app: Any) -> list[str]:
        return [n.message for n in app._notifications if n.message.startswith("Follow-up due")]

    async def steps(pilot: Any, app: Any) -> None:
        app.now = lambda: NOW + timedelta(minutes=5)
        app.poll()
        await pilot.pause()
        seen.append(told(app))
        app.now = lambda: NOW + timedelta(minutes=11)
        with statements(board_db) as run:
            app.poll()
            app.poll()
        await pilot.pause()
        seen.append(told(app))
        seen.append(len([sql for sql in run if "follow_up" in sql]))

    drive(board_db, steps, watch=True)
    assert seen[0] == []
    assert seen[1] == ["Follow-up due: ring Ada at ten past"]
    assert seen[2] <= 4  # the ones falling due (two index ranges), the next due time (two)


def test_sort_and_filter_keys_typed_on_read_nothing_and_show_what_a_read_would(
    board_db: Any,
) -> None:
    from tests.tui.test_board_workflows import press, type_text
    from tinycrm.core import board

    def shown(screen: Any) -> list[list[int]]:
        return [[c.id for c in column.cards] for column in [*screen.board.columns]]

    def read(text: str, sort: str) -> list[list[int]]:
        with board_db.snapshot() as session:
            data = board.load_board(session, NOW, text=text, sort=sort)
        return [[c.id for c in column.cards] for column in data.columns]

    seen: list[Any] = []

    async def steps(pilot: Any, app: Any) -> None:
        screen = app.screen
        with statements(board_db) as run:
            await press(pilot, "s")
            seen.append((screen.sort, shown(screen)))
            await press(pilot, "slash")
            await type_text(pilot, "lo")
            seen.append((screen.text, shown(screen)))
        seen.append(run)

    drive(board_db, steps)
    (sort, sorted_cards), (text, filtered), run = seen
    assert sort == "follow-up" and text == "lo"
    assert sorted_cards == read("", "follow-up")
    assert filtered == read("lo", "follow-up")
    assert sum(len(ids) for ids in filtered) < sum(len(ids) for ids in sorted_cards)
    assert run == []


def test_a_stage_move_is_drawn_without_a_layout_or_a_full_repaint_and_saved_as_shown(
    board_db: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shown at once: the two columns repainted (no screen-wide layout, no full repaint),
    the new column's weighted total already at the new stage's probability; once saved,
    nothing is drawn again, since it was saved as it was shown."""
    from textual._compositor import Compositor
    from textual.screen import Screen

    from tinycrm.core import board
    from tinycrm.tui.widgets.columns import ColumnHeader, StageColumn, header_lines
    from tinycrm.tui.writer import Writer

    counted = {"full repaints": 0, "layouts": 0, "columns shown": 0}

    def counting(name: str, method: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return method(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        Compositor,
        "render_full_update",
        counting("full repaints", Compositor.render_full_update),
    )
    monkeypatch.setattr(Screen, "_refresh_layout", counting("layouts", Screen._refresh_layout))
    monkeypatch.setattr(StageColumn, "show", counting("columns shown", StageColumn.show))
    gate = threading.Event()  # the save waits behind it: what is drawn is the move as shown
    do = Writer._do

    def held(writer: Writer, job: Any) -> bool:
        gate.wait(10)
        return do(writer, job)

    monkeypatch.setattr(Writer, "_do", held)
    seen: dict[str, Any] = {}

    def header(screen: Any, key: str) -> str:
        return str(screen.query_one(f"#col-{key} ColumnHeader", ColumnHeader).render())

    async def steps(pilot: Any, app: Any) -> None:
        screen = app.screen
        target = next(c for c in screen.board.columns if c.name == "Qualifying").key
        for name in counted:
            counted[name] = 0
        await burst(pilot, ">")
        for _ in range(20):
            await pilot.pause()
        seen["drawn"] = dict(counted)
        seen["selected"] = (screen.current.key_of(), screen.selected_id)
        seen["shown header"] = header(screen, target)
        seen["saved before"] = stage_of(db_path, LOVELACE)
        counted["columns shown"] = 0
        gate.set()
        await settle(pilot)
        seen["shown after the save"] = counted["columns shown"]
        with board_db.snapshot() as session:
            saved = board.load_board(session, NOW)
        column = next(c for c in saved.columns if c.key == target)
        width = screen.query_one(f"#col-{target} ColumnHeader", ColumnHeader).content_size.width
        seen["saved header"] = "\n".join(header_lines(column, width))
        seen["target"] = target

    drive(board_db, steps)
    assert seen["selected"] == (seen["target"], LOVELACE)
    assert seen["drawn"]["layouts"] == 0, seen["drawn"]
    assert seen["drawn"]["full repaints"] == 0, seen["drawn"]
    assert seen["drawn"]["columns shown"] == 2, seen["drawn"]
    assert seen["shown header"] == seen["saved header"]
    assert seen["shown after the save"] == 0
    assert seen["saved before"] == "Prospecting"
    assert stage_of(db_path, LOVELACE) == "Qualifying"
