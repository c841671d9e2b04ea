"""The real `crm board` in a real terminal (tmux): keys in, screen and database checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, table_rows
from tests.helpers import wait_for
from tests.tui.test_board_workflows import LOVELACE

pytestmark = pytest.mark.slow


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    """Run tmux on a private server, killed afterwards."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    socket = f"tinycrm-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True)
        return done.stdout

    yield run
    run("kill-server")


def test_crm_board_in_a_terminal_moves_a_deal_and_shows_other_writers(
    tmux: Callable[..., str], demo_template: Path, db_path: Path, hermetic: Path
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, db_path)
    crm = Path(sys.executable).parent / "crm"
    command = (
        f"env TINYCRM_HOME={hermetic} TINYCRM_NOW={FIXED_NOW} TZ=UTC TERM=xterm-256color "
        f"{crm} --db {db_path} board"
    )
    tmux("new-session", "-d", "-s", "board", "-x", "120", "-y", "40", command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "board")

    assert wait_for(lambda: "#62 Lovelace" in screen()), screen()
    assert "Prospecting 10%" in screen() and "Won / lost" in screen()
    tmux("send-keys", "-t", "board", ">")
    # deal #62 is the demo's first deal (ids are shared: the people and companies come first)
    moved = "SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = 62"
    assert wait_for(lambda: table_rows(db_path, moved) == [("Qualifying",)]), screen()

    def counts() -> list[str]:
        rows = [line for line in screen().splitlines() if "│" in line and " deal" in line]
        return [cell.strip() for cell in rows[0].split("│")][:5] if rows else []

    assert wait_for(lambda: counts() == ["4 deals", "7 deals", "7 deals", "6 deals", "4 deals"])
    # another process writes; the open board shows it without a restart
    env = {**os.environ, "TINYCRM_HOME": str(hermetic), "TINYCRM_NOW": FIXED_NOW}
    subprocess.run([str(crm), "--db", str(db_path), "move", "85", "closing"], env=env, check=True)
    assert wait_for(
        lambda: counts() == ["3 deals", "7 deals", "7 deals", "7 deals", "4 deals"], 5
    ), screen()
    tmux("send-keys", "-t", "board", "q")
    assert wait_for(lambda: "board" not in tmux("list-sessions")), screen()
    origins = "SELECT origin FROM event WHERE entity = 'stage_change' ORDER BY id"
    assert [o for (o,) in table_rows(db_path, origins)][-2:] == ["tui", "cli"]


def test_keys_sent_in_one_burst_act_on_the_deal_they_were_pressed_on(
    tmux: Callable[..., str], demo_template: Path, db_path: Path, hermetic: Path
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, db_path)
    deals = "SELECT id, stage_id, status, title, value FROM deal ORDER BY id"
    before = table_rows(db_path, deals)
    crm = Path(sys.executable).parent / "crm"
    command = (
        f"env TINYCRM_HOME={hermetic} TINYCRM_NOW={FIXED_NOW} TZ=UTC TERM=xterm-256color "
        f"{crm} --db {db_path} board"
    )
    tmux("new-session", "-d", "-s", "burst", "-x", "120", "-y", "40", command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "burst")

    assert wait_for(lambda: f"#{LOVELACE} Lovelace" in screen()), screen()
    tmux("send-keys", "-t", "burst", ">>>")  # one write to the terminal: a burst
    stage = f"SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = {LOVELACE}"
    assert wait_for(lambda: table_rows(db_path, stage) == [("Closing",)]), screen()
    # a form typed in one go: each value in its own field
    tmux(
        "send-keys",
        "-t",
        "burst",
        "n",
        "Acme",
        "Enter",
        "ada",
        "Enter",
        "5k",
        "Enter",
        "Enter",
        "Enter",
    )
    added = "SELECT d.title, c.name, d.value FROM deal d JOIN contact c ON c.id = d.contact_id"
    added += " WHERE d.title LIKE 'Acme%'"
    assert wait_for(lambda: table_rows(db_path, added) == [("Acme", "Ada Lovelace", 500000)]), (
        screen()
    )
    tmux("send-keys", "-t", "burst", "q")
    assert wait_for(lambda: "burst" not in tmux("list-sessions")), screen()
    after = {row[0]: row for row in table_rows(db_path, deals)}
    changed = [row[0] for row in before if after[row[0]] != row]
    assert changed == [LOVELACE]
    moves = f"SELECT count(*) FROM stage_change WHERE deal_id = {LOVELACE}"
    assert table_rows(db_path, moves) == [(4,)]


def test_wide_names_keep_the_columns_aligned_in_a_small_terminal(
    tmux: Callable[..., str], db_path: Path, hermetic: Path
) -> None:
    from datetime import datetime

    from rich.cells import cell_len

    from tinycrm.core import contacts, deals, open_db

    now = datetime.fromisoformat(FIXED_NOW)
    db = open_db(db_path)
    for name in ["山田太郎株式会社", "ＦＵＬＬＷＩＤＴＨ", "🚀 Rocket Co"]:  # noqa: RUF001
        with db.transaction() as s:
            person = contacts.add_contact(s, name, now=now, company=name)
            deals.add_deal(s, f"{name} {name}", now=now, currency="USD", value="5000",
                           contact=person)  # fmt: skip
    db.dispose()
    crm = Path(sys.executable).parent / "crm"
    command = (
        f"env TINYCRM_HOME={hermetic} TINYCRM_NOW={FIXED_NOW} TZ=UTC TERM=xterm-256color "
        f"{crm} --db {db_path} board"
    )
    tmux("new-session", "-d", "-s", "wide", "-x", "80", "-y", "24", command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "wide")

    assert wait_for(lambda: "Rocket" in screen() and "Quit" in screen()), screen()
    lines = [line for line in screen().splitlines() if "│" in line]
    # where each column ends, in terminal cells, is the same on every line
    ends = {tuple(cell_len(line[:i]) for i, ch in enumerate(line) if ch == "│") for line in lines}
    assert len(ends) == 1, screen()
    for key in ("c Contacts", "a Agenda", "r Reports", "? Keys", "q Quit"):
        assert key in screen()
    tmux("send-keys", "-t", "wide", "q")
    assert wait_for(lambda: "wide" not in tmux("list-sessions")), screen()


def test_at_80x24_the_palette_survives_page_keys_and_forms_name_their_deal(
    tmux: Callable[..., str], demo_template: Path, db_path: Path, hermetic: Path
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, db_path)
    crm = Path(sys.executable).parent / "crm"
    command = (
        f"env TINYCRM_HOME={hermetic} TINYCRM_NOW={FIXED_NOW} TZ=UTC TERM=xterm-256color "
        f"{crm} --db {db_path} board"
    )
    tmux("new-session", "-d", "-s", "small", "-x", "80", "-y", "24", command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "small")

    assert wait_for(lambda: f"#{LOVELACE} Lovelace" in screen()), screen()
    # ctrl+p and page keys in one write, as a held PgUp after ctrl+p sends them
    tmux("send-keys", "-t", "small", "C-p", "PPage", "PPage", "NPage", "PPage")
    assert wait_for(lambda: "Search for commands" in screen()), screen()
    tmux("send-keys", "-t", "small", "Escape")
    assert wait_for(lambda: "Search for commands" not in screen()), screen()
    assert "went wrong" not in screen()
    # the new-deal form, whole, buttons included
    tmux("send-keys", "-t", "small", "n")
    assert wait_for(lambda: "New deal in Prospecting" in screen()), screen()
    assert "Save" in screen() and "Cancel" in screen() and "Currency" in screen()
    tmux("send-keys", "-t", "small", "Escape")  # (alone: escape then a key reads as alt+key)
    assert wait_for(lambda: "New deal in" not in screen()), screen()
    # a stage key on a closed card asks before reopening it
    tmux("send-keys", "-t", "small", "w")
    status = f"SELECT status FROM deal WHERE id = {LOVELACE}"
    assert wait_for(lambda: table_rows(db_path, status) == [("won",)]), screen()
    tmux("send-keys", "-t", "small", "<")
    assert wait_for(lambda: f"Reopen #{LOVELACE} Lovelace" in screen()), screen()
    tmux("send-keys", "-t", "small", "Escape")
    assert wait_for(lambda: "Reopen #" not in screen()), screen()
    tmux("send-keys", "-t", "small", "q")
    assert wait_for(lambda: "small" not in tmux("list-sessions")), screen()
    assert table_rows(db_path, status) == [("won",)]
