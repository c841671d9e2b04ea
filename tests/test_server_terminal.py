"""Terminal-owning work in a real terminal (tmux) with the command server running.

An interactive bash in a tmux pane runs `crm` as a person would; each test checks that the
editor, the pager, a confirmation prompt, Ctrl-C, Ctrl-Z and `fg`, and the board behave
through the server exactly as they do in the terminal's own process.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXED_NOW, table_rows
from tests.helpers import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

BIN = Path(sys.executable).parent
CRM = str(BIN / "crm")
WIDTH, HEIGHT = 100, 30


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, str]]:
    """A command server in a private runtime folder, for this module's tests; stopped at
    the end (and it exits by itself after two idle minutes should that fail)."""
    runtime = tempfile.mkdtemp(prefix="crm", dir="/tmp")
    os.chmod(runtime, 0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("TINYCRM_DB", "TINYCRM_NOW")}
    env.update(
        XDG_RUNTIME_DIR=runtime,
        TINYCRM_HOME=os.path.join(runtime, "home"),
        TINYCRM_SERVER="on",
        TINYCRM_SERVER_IDLE="120",
    )
    started = subprocess.run(
        [CRM, "server", "start", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    pid = int(json.loads(started.stdout)["pid"])
    try:
        yield env
    finally:
        stopped = subprocess.run(
            [CRM, "server", "stop"], env=env, capture_output=True, text=True, timeout=30
        )
        if stopped.returncode != 0:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(runtime, ignore_errors=True)


def served(server: dict[str, str]) -> int:
    """How many commands the server has run so far."""
    done = subprocess.run(
        [CRM, "server", "status", "--json"],
        env=server,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    return int(json.loads(done.stdout)["commands_served"])


class Shell:
    """An interactive bash (job control on) in a private tmux server's pane."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"tinycrm-srv-{uuid.uuid4().hex[:8]}"
        self.runs = 0
        argv = ["env", "-i", *(f"{k}={v}" for k, v in env.items())]
        argv += ["bash", "--norc", "--noprofile", "-i"]
        self.tmux("new-session", "-d", "-s", "t", "-x", str(WIDTH), "-y", str(HEIGHT))
        self.tmux("respawn-pane", "-k", "-t", "t", shlex.join(argv))
        assert wait_for(lambda: self.screen().rstrip().endswith("$")), self.screen()

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def screen(self) -> str:
        """The pane's whole text, its scrolled-off lines included."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t")

    def visible(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def type(self, line: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", line)
        self.tmux("send-keys", "-t", "t", "Enter")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def wait(self, text: str, seconds: float = 20) -> str:
        assert wait_for(lambda: text in self.screen(), seconds), self.screen()
        return self.screen()

    def start(self, command: str) -> str:
        """Type `command` followed by an echo of its exit status; return the status's tag."""
        self.runs += 1
        tag = f"EXIT{self.runs}"
        self.type(f"{command}; echo {tag}=$?")
        return tag

    def status(self, tag: str, seconds: float = 30) -> tuple[int, str]:
        """Wait for the exit status under `tag`; return it and what the command printed."""
        pattern = re.compile(rf"^{tag}=(\d+)$", re.M)
        assert wait_for(lambda: pattern.search(self.screen()) is not None, seconds), self.screen()
        text = self.screen()
        found = pattern.search(text)
        assert found is not None
        typed = text.rindex(f"echo {tag}=$?")
        output = text[text.index("\n", typed) + 1 : found.start()]
        return int(found.group(1)), output

    def run(self, command: str, seconds: float = 30) -> tuple[int, str]:
        return self.status(self.start(command), seconds)

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def shell(server: dict[str, str], hermetic: Path, tmp_path: Path) -> Iterator[Shell]:
    """A shell whose `crm` uses the server (TINYCRM_SERVER=on); records go to tmp_path/rec."""
    (tmp_path / "rec").mkdir()
    env = {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "LANG": os.environ.get("LANG") or "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
        "TINYCRM_HOME": str(hermetic),
        "TINYCRM_NOW": FIXED_NOW,
        "TINYCRM_SERVER": "on",
        "XDG_RUNTIME_DIR": server["XDG_RUNTIME_DIR"],
        "REC": str(tmp_path / "rec"),
        "PS1": "$ ",
        "HISTFILE": "",
    }
    opened = Shell(env)
    try:
        yield opened
    finally:
        opened.close()


def said(shell: Shell, text: str, times: int) -> bool:
    """Whether the pane shows `text` at least `times` times."""
    return shell.screen().count(text) >= times


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def in_foreground(record: Path) -> bool:
    """Whether a `ps -o pgid=,tpgid=` line says the process was in the terminal's
    foreground process group."""
    pgid, tpgid = record.read_text(encoding="utf-8").split()
    return int(pgid) == int(tpgid) > 0


@pytest.fixture
def demo_db(demo_template: Path, db_path: Path) -> Path:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_template, db_path)
    return db_path


MODES = ("on", "off")  # through the server, and in the terminal's own process


def test_the_editor_runs_in_the_terminals_foreground_and_its_change_is_saved(
    shell: Shell, server: dict[str, str], crm: Any, db_path: Path, tmp_path: Path
) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    editor = script(
        tmp_path / "editor.sh",
        'ps -o pgid=,tpgid= -p $$ > "$REC/editor.$MODE.fg"\n'
        'tty > "$REC/editor.$MODE.tty"\n'
        'sed "s/^title:.*/title: $MODE title/" "$1" > "$REC/form" && cat "$REC/form" > "$1"\n',
    )
    rec = tmp_path / "rec"
    for mode in MODES:
        before = served(server)
        code, output = shell.run(f"MODE={mode} TINYCRM_SERVER={mode} EDITOR={editor} crm edit 1")
        assert code == 0, output
        assert "Updated contact #1 Jane Doe: title" in output
        assert table_rows(db_path, "SELECT title FROM contact") == [(f"{mode} title",)]
        assert in_foreground(rec / f"editor.{mode}.fg"), mode
        assert (rec / f"editor.{mode}.tty").read_text().startswith("/dev/"), mode
        assert served(server) == before + (mode == "on")


def test_a_listing_taller_than_the_terminal_goes_whole_to_a_pager_in_the_foreground(
    shell: Shell, server: dict[str, str], demo_db: Path, tmp_path: Path
) -> None:
    pager = script(
        tmp_path / "pager.sh",
        'ps -o pgid=,tpgid= -p $$ > "$REC/pager.$MODE.fg"\n'
        '[ -t 1 ] && echo terminal > "$REC/pager.$MODE.out"\n'
        'cat > "$REC/pager.$MODE.text"\n',
    )
    names = [n for (n,) in table_rows(demo_db, "SELECT name FROM contact WHERE deleted_at IS NULL")]
    assert len(names) > HEIGHT
    rec = tmp_path / "rec"
    texts = []
    for mode in MODES:
        before = served(server)
        code, output = shell.run(
            f"MODE={mode} TINYCRM_SERVER={mode} PAGER={pager} crm list contacts"
        )
        assert code == 0, output
        assert in_foreground(rec / f"pager.{mode}.fg"), mode
        assert (rec / f"pager.{mode}.out").read_text() == "terminal\n"
        text = (rec / f"pager.{mode}.text").read_text(encoding="utf-8")
        assert text.count("\n") > HEIGHT
        assert [n for n in names if n not in text] == []
        texts.append(text)
        assert served(server) == before + (mode == "on")
    assert texts[0] == texts[1]


def test_ctrl_c_while_the_pager_shows_a_listing_ends_the_command_as_without_the_server(
    shell: Shell, server: dict[str, str], demo_db: Path, tmp_path: Path
) -> None:
    # a pager that, like less, lives through Ctrl-C, and waits for a key on the terminal
    pager = script(
        tmp_path / "pager.sh",
        "trap '' INT\n"
        'cat > "$REC/pager.$MODE.text"\n'
        'echo waiting > "$REC/pager.$MODE.waiting"\n'
        "read answer < /dev/tty\n",
    )
    rec = tmp_path / "rec"
    for mode in MODES:
        before = served(server)
        tag = shell.start(f"MODE={mode} TINYCRM_SERVER={mode} PAGER={pager} crm list contacts")
        waiting = rec / f"pager.{mode}.waiting"
        assert wait_for(waiting.exists), shell.screen()
        told = shell.screen().count("interrupted") + 1
        shell.keys("C-c")
        assert wait_for(functools.partial(said, shell, "interrupted", told)), shell.screen()
        shell.keys("Enter")  # ends the pager if it still runs
        code, output = shell.status(tag)
        assert (code, "interrupted" in output, "Traceback" in output) == (130, True, False), (
            mode,
            output,
        )
        assert served(server) == before + (mode == "on")


def test_a_confirmation_prompt_takes_y_and_enter_as_it_does_without_the_server(
    shell: Shell, server: dict[str, str], crm: Any, db_path: Path
) -> None:
    for mode in MODES:
        for name in (f"Kept {mode}", f"Gone {mode}"):
            assert crm("add", "contact", name).exit_code == 0
    seen: dict[str, list[tuple[int, str]]] = {}
    for mode in MODES:
        before = served(server)
        runs = []
        for name, answer in ((f"Gone {mode}", "y"), (f"Kept {mode}", "")):
            tag = shell.start(f"TINYCRM_SERVER={mode} crm delete '{name}'")
            assert wait_for(lambda: shell.visible().rstrip().endswith("[y/N]:")), shell.screen()
            if answer:
                shell.keys(answer)
            shell.keys("Enter")
            code, output = shell.status(tag)
            runs.append((code, re.sub(r"#\d+ (Gone|Kept) (on|off)|\d+ --kind", "N", output)))
        seen[mode] = runs
        assert served(server) == before + 2 * (mode == "on")
    assert seen["on"] == seen["off"]
    (code, output), (code_no, output_no) = seen["on"]
    assert code == 0 and "Moved contact N to the trash" in output
    assert code_no == 1 and "cancelled; nothing was changed" in output_no
    alive = "SELECT name FROM contact WHERE deleted_at IS NULL ORDER BY name"
    assert table_rows(db_path, alive) == [("Kept off",), ("Kept on",)]


@pytest.mark.parametrize(
    "command, waiting",
    [
        ("crm delete 'jane doe'", "[y/N]:"),
        ("crm config set reminders.smtp_password", "reminders.smtp_password:"),  # no echo
    ],
    ids=["confirmation", "hidden-input"],
)
def test_ctrl_c_at_a_prompt_ends_the_command_as_it_does_without_the_server(
    shell: Shell,
    server: dict[str, str],
    crm: Any,
    db_path: Path,
    hermetic: Path,
    command: str,
    waiting: str,
) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    code, saved_tty = shell.run("stty -g")
    assert code == 0
    seen = {}
    for mode in MODES:
        before = served(server)
        tag = shell.start(f"TINYCRM_SERVER={mode} {command}")
        assert wait_for(lambda: shell.visible().rstrip().endswith(waiting)), shell.screen()
        shell.keys("C-c")
        seen[mode] = shell.status(tag)
        assert served(server) == before + (mode == "on")
        code, now_tty = shell.run("stty -g")  # the terminal's echo is back
        assert code == 0 and now_tty == saved_tty
    assert seen["on"] == seen["off"]
    code, output = seen["on"]
    assert code == 1 and "Aborted!" in output
    assert table_rows(db_path, "SELECT name FROM contact WHERE deleted_at IS NULL") == [
        ("Jane Doe",)
    ]
    config = hermetic / "config.toml"
    assert not config.exists() or "smtp_password" not in config.read_text(encoding="utf-8")


def test_ctrl_z_then_fg_stops_and_continues_a_command_run_by_the_server(
    shell: Shell, server: dict[str, str], crm: Any, db_path: Path
) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    before = served(server)
    shell.type("crm delete 'jane doe'")
    assert wait_for(lambda: shell.visible().rstrip().endswith("[y/N]:")), shell.screen()
    shell.keys("C-z")
    shell.wait("Stopped")
    # the shell has the terminal now: what is typed reaches it, not the stopped command
    code, output = shell.run("echo shell-got-$((6 * 7))")
    assert code == 0 and "shell-got-42" in output
    shell.type("fg")
    assert wait_for(lambda: shell.visible().rstrip().endswith("delete 'jane doe'")), shell.screen()
    shell.keys("y", "Enter")
    shell.wait("Moved contact #1 Jane Doe to the trash")
    code, _ = shell.run("(exit $?)")  # the status of the command that went on with fg
    assert code == 0
    assert table_rows(db_path, "SELECT count(*) FROM contact WHERE deleted_at IS NULL") == [(0,)]
    assert served(server) == before + 1


def test_a_stopped_command_whose_crm_is_killed_ends_and_leaves_the_server_idle(
    shell: Shell, server: dict[str, str], crm: Any, db_path: Path
) -> None:
    """kill -9 of a `crm` stopped with Ctrl-Z: its command, stopped in the server's child,
    is ended as the kernel ends a stopped job nobody can continue (SIGHUP, SIGCONT)."""
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    shell.type("crm delete 'jane doe'")
    assert wait_for(lambda: shell.visible().rstrip().endswith("[y/N]:")), shell.screen()
    shell.keys("C-z")
    shell.wait("Stopped")
    code, _ = shell.run("kill -9 %1")
    assert code == 0

    def running() -> int:
        done = subprocess.run(
            [CRM, "server", "status", "--json"],
            env=server,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return int(json.loads(done.stdout)["commands_running"])

    assert wait_for(lambda: running() == 0, 10)
    code, output = shell.run("echo shell-got-$((6 * 7))")  # the terminal is the shell's
    assert code == 0 and "shell-got-42" in output
    assert table_rows(db_path, "SELECT count(*) FROM contact WHERE deleted_at IS NULL") == [(1,)]


def test_ctrl_z_then_fg_in_the_editor_that_the_client_started_saves_the_edit(
    shell: Shell, server: dict[str, str], crm: Any, db_path: Path, tmp_path: Path
) -> None:
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    editor = script(
        tmp_path / "editor.sh",
        "echo editor waiting\n"
        "read answer < /dev/tty\n"
        'sed "s/^title:.*/title: $answer/" "$1" > "$REC/form" && cat "$REC/form" > "$1"\n',
    )
    before = served(server)
    # a short command line, so that `fg` echoes it on one line however long the temp path
    code, _ = shell.run(f"ED={editor}")
    assert code == 0
    shell.type('EDITOR="$ED" crm edit 1')
    shell.wait("editor waiting")
    shell.keys("C-z")
    shell.wait("Stopped")
    code, output = shell.run("echo shell-got-$((6 * 7))")
    assert code == 0 and "shell-got-42" in output
    shell.type("fg")
    assert wait_for(lambda: shell.visible().rstrip().endswith("crm edit 1")), shell.screen()
    shell.type("Buyer")
    shell.wait("Updated contact #1 Jane Doe: title")
    code, _ = shell.run("(exit $?)")
    assert code == 0
    assert table_rows(db_path, "SELECT title FROM contact") == [("Buyer",)]
    assert served(server) == before + 1


def board_is_drawn(screen: str, width: int) -> bool:
    """The board fills `width` columns: five stage columns and the key bars at the bottom."""
    lines = screen.rstrip("\n").split("\n")
    rules = [line for line in lines if line.startswith("───") and line.count("│") == 5]
    return (
        bool(rules)
        and len(rules[0].rstrip()) == width
        and any("^p Palette" in line for line in lines[-2:])
        and "Prospecting" in screen
    )


def test_the_board_opens_moves_a_deal_and_quits_cleanly_with_a_server_running(
    shell: Shell, server: dict[str, str], demo_db: Path
) -> None:
    code, saved_tty = shell.run("stty -g")
    assert code == 0
    tag = shell.start("crm board")
    assert wait_for(lambda: "#62 Lovelace" in shell.visible()), shell.visible()
    assert board_is_drawn(shell.visible(), WIDTH), shell.visible()
    shell.keys(">")
    moved = "SELECT s.name FROM deal d JOIN stage s ON s.id = d.stage_id WHERE d.id = 62"
    assert wait_for(lambda: table_rows(demo_db, moved) == [("Qualifying",)]), shell.visible()
    shell.keys("q")
    code, _ = shell.status(tag)
    assert code == 0
    # the terminal is as it was: same modes, a prompt that takes a command
    code, after = shell.run("stty -g")
    assert code == 0 and after.strip() == saved_tty.strip()
    before = served(server)
    code, output = shell.run("crm show 62")
    assert code == 0 and "Qualifying" in output
    assert served(server) == before + 1


def test_the_board_redraws_at_the_new_size_when_the_window_is_resized(
    shell: Shell, server: dict[str, str], demo_db: Path
) -> None:
    tag = shell.start("crm board")
    assert wait_for(lambda: board_is_drawn(shell.visible(), WIDTH)), shell.visible()
    shell.tmux("resize-window", "-t", "t", "-x", "80", "-y", "24")
    assert wait_for(lambda: board_is_drawn(shell.visible(), 80), 10), shell.visible()
    assert len(shell.visible().rstrip("\n").split("\n")) == 24
    shell.tmux("resize-window", "-t", "t", "-x", str(WIDTH), "-y", str(HEIGHT))
    assert wait_for(lambda: board_is_drawn(shell.visible(), WIDTH), 10), shell.visible()
    shell.keys("q")
    code, _ = shell.status(tag)
    assert code == 0
