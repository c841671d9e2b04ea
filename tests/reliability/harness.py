"""What the process-level reliability tests share: the real `crm` program in a hermetic
environment, a reminder channel that logs each delivery, tmux, and the figures of a run."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import crm_program

NOW = "2026-11-23T10:00:00+00:00"  # the suite's fixed now (a Monday)
USER_FACING_TROUBLE = ("locked", "busy", "Traceback", "OperationalError")


def hermetic_env(home: Path, db: Path, now: str | None = NOW) -> dict[str, str]:
    """The environment of a crm process: its own home and database, UTC, a fixed clock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TINYCRM_")}
    env.update(
        TINYCRM_HOME=str(home),
        TINYCRM_DB=str(db),
        TZ="UTC",
        NO_COLOR="1",
        COLUMNS="120",
        PYTHONUNBUFFERED="1",
        TINYCRM_SERVER="off",  # each process runs its command itself, and starts no server
    )
    if now is not None:
        env["TINYCRM_NOW"] = now
    return env


@dataclass
class Call:
    """One finished crm process."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float

    def found(self, pattern: str) -> int | None:
        """The first number the pattern's group captures in stdout, if exit was 0."""
        if self.code != 0:
            return None
        match = re.search(pattern, self.out)
        return int(match.group(1)) if match else None

    def trouble(self) -> bool:
        """True when stderr shows the user a lock error or a traceback."""
        return any(word in self.err for word in USER_FACING_TROUBLE)


@dataclass
class Crm:
    """Runs the real crm program; keeps every call (thread-safe) for the checks at the end."""

    env: dict[str, str]
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, *args: str, timeout: float = 120, **extra_env: str) -> Call:
        env = {**self.env, **extra_env}
        started = time.monotonic()
        done = subprocess.run(
            [crm_program(), *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        call = Call(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        with self._lock:
            self.calls.append(call)
        return call


DELIVER = '''\
"""A reminder channel for tests: append one line per reminder delivered to a log."""
import json, os, sys, time

log, pause = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
items = json.load(sys.stdin)
if pause:
    open(log + ".started", "a").close()
    time.sleep(pause)
text = "".join(f"{i['kind']} {i['id']} {i['due']}\\n" for i in items)
fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
try:
    os.write(fd, text.encode())  # one write with O_APPEND: runs at once never interleave
finally:
    os.close(fd)
'''


def command_channel(home: Path, log: Path, pause: float = 0.0) -> None:
    """Configure `crm remind` to deliver only through a command that logs each reminder."""
    home.mkdir(parents=True, exist_ok=True)
    script = home / "deliver.py"
    script.write_text(DELIVER)
    command = f"{sys.executable} {script} {log}" + (f" {pause}" if pause else "")
    (home / "config.toml").write_text(
        f'[reminders]\nchannels = ["command"]\ncommand = "{command}"\n'
    )


def delivered(log: Path) -> list[tuple[str, int]]:
    """(kind, id) of every reminder the command channel logged, in order."""
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    return [(kind, int(rid)) for kind, rid, _due in (line.split(" ", 2) for line in lines)]


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read rows from the file as another program would (its own connection)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    """PRAGMA integrity_check of the file ('ok' when sound)."""
    return "; ".join(str(r[0]) for r in rows(db, "PRAGMA integrity_check"))


def checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the file, so a copy of the file alone is complete."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_db(src: Path, dst: Path) -> None:
    """Copy a checkpointed database file (and nothing else) to dst."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copy(src, dst)


def report(name: str, figures: dict[str, Any]) -> None:
    """Print a test's figures, and append them to $TINYCRM_TORTURE_REPORT when set (the
    figures docs/reliability.md quotes)."""
    line = json.dumps({"test": name, **figures}, sort_keys=True)
    print(f"figures: {line}")
    target = os.environ.get("TINYCRM_TORTURE_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class Tmux:
    """A private tmux server (its own socket), killed at the end."""

    def __init__(self) -> None:
        self.socket = f"tinycrm-rel-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def screen(self, target: str, escapes: bool = False) -> str:
        """The pane's text (with escapes: its colours too)."""
        return self("capture-pane", "-p", *(["-e"] if escapes else []), "-t", target)

    def close(self) -> None:
        self("kill-server")


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


def seed_text(seed: int) -> str:
    return f"seed {seed} (rerun with TINYCRM_TORTURE_SEED={seed})"


def torture_seed() -> int:
    """The run's random seed: TINYCRM_TORTURE_SEED, or a fresh one (always printed)."""
    raw = os.environ.get("TINYCRM_TORTURE_SEED")
    return int(raw) if raw else int.from_bytes(os.urandom(4), "big")


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start a crm process in its own process group (so a kill reaches its children too)."""
    return subprocess.Popen(
        [crm_program(), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 the process and everything it started; reap it."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


@dataclass
class Stopwatch:
    """A deadline shared by the threads of a run."""

    seconds: float
    started: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    # a thread that must reach a minimum of work first keeps everyone running until it has
    holds: list[threading.Event] = field(default_factory=list)

    def hold(self) -> threading.Event:
        """Keep the run going (up to three times its length) until the returned event is set."""
        done = threading.Event()
        self.holds.append(done)
        return done

    def running(self) -> bool:
        spent = time.monotonic() - self.started
        held = any(not h.is_set() for h in self.holds) and spent < 3 * self.seconds
        if spent >= self.seconds and not held:
            self.stop.set()
        return not self.stop.is_set()


def run_threads(targets: list[Callable[[], None]]) -> list[BaseException]:
    """Run each target in a thread; return the exceptions they raised (harness errors)."""
    errors: list[BaseException] = []

    def wrap(target: Callable[[], None]) -> Callable[[], None]:
        def body() -> None:
            try:
                target()
            except BaseException as exc:
                errors.append(exc)

        return body

    threads = [threading.Thread(target=wrap(t), daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return errors


def lines(items: Iterator[Any] | list[Any], limit: int = 20) -> str:
    """A few items, one a line, for an assertion message."""
    shown = list(items)
    more = f"\n… and {len(shown) - limit} more" if len(shown) > limit else ""
    return "\n".join(str(x) for x in shown[:limit]) + more


def uncommitted_frames(db: Path) -> int:
    """Pages in the write-ahead log after its last commit: a transaction that was being
    written when its process died (SQLite ignores them when it next opens the file). Read
    before anything opens the file; frames are taken while their salt matches the header."""
    import struct

    wal = Path(f"{db}-wal")
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    frames = tail = 0
    at = 32
    while at + 24 + page_size <= len(data) and data[at + 8 : at + 16] == salts:
        frames += 1
        tail = 0 if struct.unpack(">I", data[at + 4 : at + 8])[0] else tail + 1
        at += 24 + page_size
    return tail
