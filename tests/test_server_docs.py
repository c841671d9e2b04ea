"""The examples of docs/server.md run as written, through a real shell and a real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXED_NOW, table_rows
from tests.helpers import console_steps, fenced_blocks

DOC = Path(__file__).resolve().parent.parent / "docs" / "server.md"
BIN = Path(sys.executable).parent


def blocks(language: str) -> list[list[str]]:
    """The lines of each fenced block of `language` in the page ('' for a bare fence)."""
    return fenced_blocks(DOC.read_text(encoding="utf-8"), language)


def matches(want: str, line: str) -> bool:
    """`…` in the page stands for any text."""
    return re.fullmatch(".*".join(re.escape(part) for part in want.split("…")), line) is not None


@pytest.mark.slow
def test_the_console_examples_of_the_server_page_run(tmp_path: Path) -> None:
    """Each `$ ` line runs in bash and prints the lines that follow it; it exits 0 unless a
    comment says `# exit status N`. Each block starts afresh: a new home, a new runtime
    folder, no server, and TINYCRM_SERVER unset (the `auto` mode)."""
    examples = blocks("console")
    assert len(examples) >= 3
    for n, block in enumerate(examples):
        runtime = tempfile.mkdtemp(prefix="crm", dir="/tmp")
        os.chmod(runtime, 0o700)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TINYCRM_")}
        env.update(
            PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            TINYCRM_HOME=str(tmp_path / f"home{n}"),
            TINYCRM_NOW=FIXED_NOW,
            XDG_RUNTIME_DIR=runtime,
            TZ="UTC",
            NO_COLOR="1",
        )
        try:
            for command, expected in console_steps(block):
                wanted = re.search(r"# exit status (\d+)", command)
                done = subprocess.run(
                    ["bash", "-c", command],
                    env=env,
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                assert done.returncode == (int(wanted.group(1)) if wanted else 0), (
                    command,
                    done.stdout,
                    done.stderr,
                )
                got = done.stdout.splitlines()
                assert len(got) == len(expected), (command, got)
                for want, line in zip(expected, got, strict=True):
                    assert matches(want, line), (command, want, line)
        finally:
            status = subprocess.run(
                [str(BIN / "crm"), "server", "status", "--json"],
                env={**env, "TINYCRM_SERVER": "on"},
                capture_output=True,
                text=True,
                timeout=30,
            )
            if status.returncode == 0:
                with suppress(ProcessLookupError):
                    os.kill(int(json.loads(status.stdout)["pid"]), signal.SIGTERM)
            shutil.rmtree(runtime, ignore_errors=True)


def test_the_page_quotes_the_message_of_a_command_cut_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tinycrm.server import client

    assert client._cut_off(None) == 1
    bare = [[line.strip() for line in b] for b in blocks("")]
    quoted = [b for b in bare if b and b[0].startswith("error: the command server")]
    assert quoted == [capsys.readouterr().err.splitlines()]


@pytest.mark.slow
def test_remind_from_crons_bare_environment_starts_a_server_then_uses_it(
    crm: Any, tmp_path: Path, db_path: Path
) -> None:
    """What the page says of cron: in `auto` mode the first run reminds by itself and starts
    a server; the next runs go through it and remind the same, each follow-up once."""
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    assert crm("follow-up", "jane", "call back", "--due", "2026-11-23 09:00").exit_code == 0
    runtime = tempfile.mkdtemp(prefix="crm", dir="/tmp")
    os.chmod(runtime, 0o700)
    bare = [
        "env",
        "-i",
        "PATH=/usr/bin:/bin",
        f"HOME={tmp_path}",
        f"TINYCRM_HOME={db_path.parent}",
        f"TINYCRM_NOW={FIXED_NOW}",
        f"XDG_RUNTIME_DIR={runtime}",  # cron has none; a private one stands for /tmp/tinycrm-UID
    ]
    remind = [*bare, str(BIN / "crm"), "--db", str(db_path), "remind"]
    status = [*bare, "TINYCRM_SERVER=on", str(BIN / "crm"), "server", "status", "--json"]

    def served() -> int | None:
        done = subprocess.run(status, capture_output=True, text=True, timeout=30)
        return int(json.loads(done.stdout)["commands_served"]) if done.returncode == 0 else None

    try:
        first = subprocess.run(remind, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("Follow-up #2 due Mon 2026-11-23 09:00 (overdue): call back")
        deadline = time.monotonic() + 20
        while served() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served() == 0  # the first run did not use it: it started it
        assert (
            crm("follow-up", "jane", "send the quote", "--due", "2026-11-23 09:30").exit_code == 0
        )
        second = subprocess.run(remind, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert second.stdout.startswith("Follow-up #3 due Mon 2026-11-23 09:30 (overdue)")
        assert "call back" not in second.stdout
        assert served() == 1
    finally:
        done = subprocess.run(status, capture_output=True, text=True, timeout=30)
        if done.returncode == 0:
            with suppress(ProcessLookupError):
                os.kill(int(json.loads(done.stdout)["pid"]), signal.SIGTERM)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.mark.slow
def test_kill_9_of_crm_ends_its_command_in_the_servers_child_too(
    tmp_path: Path, db_path: Path, hermetic: Path
) -> None:
    """What the page says of `kill -9` of `crm`: the command ends with it, as it would
    without the server (its open change is not saved), and nothing of the server's (a log
    line, a traceback) is written to the command's stderr."""
    import fcntl
    import termios

    runtime = tempfile.mkdtemp(prefix="crm", dir="/tmp")
    os.chmod(runtime, 0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": runtime, "TINYCRM_SERVER": "on"}
    status = [str(BIN / "crm"), "server", "status", "--json"]

    def state() -> dict[str, Any]:
        done = subprocess.run(status, env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout
        return dict(json.loads(done.stdout))

    def unread(fd: int) -> int:
        return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)

    read_end, write_end = os.pipe()
    out, err = tmp_path / "out", tmp_path / "err"
    try:
        started = subprocess.run(
            [str(BIN / "crm"), "server", "start"], env=env, capture_output=True, timeout=60
        )
        assert started.returncode == 0, started.stderr
        served = state()["commands_served"]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            run = subprocess.Popen(
                [str(BIN / "crm"), "import", "csv", "/dev/stdin"],
                stdin=read_end,
                stdout=stdout,
                stderr=stderr,
                env=env,
            )
        os.close(read_end)
        os.write(write_end, b"name,email\nAda Lovelace,ada@example.org\n")
        # the command reads its stdin: it runs, in the server's child
        deadline = time.monotonic() + 20
        while unread(write_end) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert unread(write_end) == 0
        assert state()["commands_served"] == served + 1
        run.kill()
        assert run.wait(timeout=10) == -signal.SIGKILL
        # its stdin is still open, so only the client's death can have ended it
        deadline = time.monotonic() + 20
        while state()["commands_running"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state()["commands_running"] == 0
        assert table_rows(db_path, "SELECT name FROM contact") == []
        assert out.read_text() == ""
        assert err.read_text() == ""
    finally:
        if write_end >= 0:
            os.close(write_end)
        subprocess.run([str(BIN / "crm"), "server", "stop"], env=env, timeout=30)
        shutil.rmtree(runtime, ignore_errors=True)
