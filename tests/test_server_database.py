"""A command run by the command server leaves the database as a command run without it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import crm_program


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of commands that go through a server in a private runtime folder;
    the server is stopped at the end."""
    runtime = tempfile.mkdtemp(prefix="crm", dir="/tmp")
    os.chmod(runtime, 0o700)
    env = {
        **os.environ,
        "TINYCRM_SERVER": "on",
        "TINYCRM_SERVER_TIMING": "1",
        "XDG_RUNTIME_DIR": runtime,
        "TINYCRM_DB": str(tmp_path / "served.db"),
    }
    try:
        yield env
    finally:
        status = subprocess.run(
            [crm_program(), "server", "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        subprocess.run([crm_program(), "server", "stop"], env=env, capture_output=True, timeout=60)
        try:
            pid = json.loads(status.stdout).get("pid")
        except ValueError:
            pid = None
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(runtime, ignore_errors=True)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [crm_program(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_a_write_through_the_server_leaves_no_write_ahead_log(served: dict[str, str]) -> None:
    db = Path(served["TINYCRM_DB"])
    first = run(served, "add", "contact", "Jane Doe", "--email", "jane@acme.com", "-q")
    assert (first.returncode, first.stdout) == (0, "1\n"), first.stderr
    assert "the server's child ran" in first.stderr  # it went through the server
    second = run(served, "log", "jane", "call", "talked budget", "-q")
    assert second.returncode == 0 and "the server's child ran" in second.stderr, second.stderr
    # as after a command without a server: the log is folded into the file and removed (by
    # the child, right after it has given the client its answer)
    import time

    deadline = time.monotonic() + 10
    while Path(f"{db}-wal").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not Path(f"{db}-wal").exists()
    assert not Path(f"{db}-shm").exists()
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM interaction").fetchone() == (1,)
    finally:
        conn.close()
