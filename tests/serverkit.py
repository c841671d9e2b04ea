"""A private command server for tests that run the real `crm` program through it.

    with ServerKit(home) as kit:        # a short private XDG_RUNTIME_DIR, TINYCRM_SERVER=on
        kit.start()                     # `crm server start`
        done = kit.run("list", "contacts", env={"TZ": "Europe/Paris"})
        kit.status()                    # `crm server status --json` (None when not running)

Leaving the block (or `close()`) always stops the server and removes the folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tests.helpers import crm_program

FIXED_NOW = "2026-11-23T10:00:00+00:00"
TIMEOUT = 60.0


def private_dir() -> Path:
    """A new short folder only this user can enter (a socket path must stay short)."""
    folder = Path(tempfile.mkdtemp(prefix="crm", dir="/tmp"))
    folder.chmod(0o700)
    return folder


def alive(pid: int) -> bool:
    """Tell whether a process runs (a zombie nobody reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in (b"Z", b"X")


def parent_of(pid: int) -> int:
    """The parent process id of `pid`, from /proc."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        return int(fh.read().rsplit(b")", 1)[1].split()[1])


def wait_for(test: Any, timeout: float, what: str, step: float = 0.02) -> Any:
    """Poll `test()` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = test()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def hermetic_env(home: Path, **extra: str | None) -> dict[str, str]:
    """The suite's fixed world (home, clock, zone, no colour, width) for a real process."""
    env = {**os.environ}
    for name in ("TINYCRM_DB", "TINYCRM_SERVER_IDLE", "PAGER", "EDITOR", "VISUAL"):
        env.pop(name, None)
    env.update(
        TINYCRM_HOME=str(home),
        TINYCRM_NOW=FIXED_NOW,
        TZ="UTC",
        NO_COLOR="1",
        COLUMNS="120",
        TINYCRM_SERVER="off",
    )
    return merged(env, extra)


def merged(env: Mapping[str, str], changes: Mapping[str, str | None] | None) -> dict[str, str]:
    """`env` with `changes` applied (a None value removes the variable)."""
    out = dict(env)
    for name, value in (changes or {}).items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


class ServerKit:
    """A private runtime folder, the `crm` runs that use it, and the server they start."""

    def __init__(self, home: Path, **env: str | None) -> None:
        self.runtime = private_dir()
        home.mkdir(parents=True, exist_ok=True)
        self.env = hermetic_env(home, XDG_RUNTIME_DIR=str(self.runtime), TINYCRM_SERVER="on", **env)
        self.pids: set[int] = set()
        self._where: dict[str, str] | None = None

    def __enter__(self) -> ServerKit:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # --- running crm ----------------------------------------------------------------------

    def command(self, *args: str) -> list[str]:
        return [crm_program(), *args]

    def run(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        cwd: str | Path | None = None,
        stdin: str | bytes | int | IO[Any] | None = None,
        stdout: int | IO[Any] | None = None,
        umask: int = -1,
        timeout: float = TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run `crm ARGS` in a real process and return it finished (text). Text `stdin` is
        fed to it, an fd or file is its stdin; stdout defaults to a pipe; `umask` is the
        process's (-1: this one's)."""
        feed: str | None = None
        given: Any = subprocess.DEVNULL
        if isinstance(stdin, bytes):
            feed = stdin.decode()
            given = subprocess.PIPE
        elif isinstance(stdin, str):
            feed = stdin
            given = subprocess.PIPE
        elif stdin is not None:
            given = stdin
        with subprocess.Popen(
            self.command(*args),
            env=merged(self.env, env),
            cwd=cwd,
            stdin=given,
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=subprocess.PIPE,
            text=True,
            umask=umask,
        ) as proc:
            try:
                out, err = proc.communicate(feed, timeout=timeout)
            except BaseException:
                proc.kill()
                proc.wait()
                raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out or "", err or "")

    def popen(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        cwd: str | Path | None = None,
        **options: Any,
    ) -> subprocess.Popen[str]:
        """Start `crm ARGS` without waiting (pipes for stdout and stderr by default)."""
        options.setdefault("stdin", subprocess.DEVNULL)
        options.setdefault("stdout", subprocess.PIPE)
        options.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(
            self.command(*args), env=merged(self.env, env), cwd=cwd, text=True, **options
        )

    # --- the server ------------------------------------------------------------------------

    def start(self, **env: str | None) -> dict[str, Any]:
        """`crm server start --json`; returns its status."""
        done = self.run("server", "start", "--json", env=env)
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
        self.pids.add(int(found["pid"]))
        return dict(found)

    def ensure(self) -> dict[str, Any]:
        """Start the server unless one answers; return its status (it has "pid")."""
        return self.ask() or self.start()

    def status(self) -> dict[str, Any] | None:
        """`crm server status --json`: the status when a server runs, else None."""
        done = self.run("server", "status", "--json")
        data = json.loads(done.stdout)
        if self._where is None:
            self._where = {"socket": data["socket"], "log": data["log"]}
        if done.returncode != 0:
            assert data["running"] is False, done.stdout
            return None
        self.pids.add(int(data["pid"]))
        return dict(data)

    @property
    def where(self) -> dict[str, str]:
        """The socket and log paths of this kit's server."""
        if self._where is None:
            self.status()
        assert self._where is not None
        return self._where

    @property
    def socket(self) -> Path:
        return Path(self.where["socket"])

    @property
    def log(self) -> Path:
        return Path(self.where["log"])

    def ask(self) -> dict[str, Any] | None:
        """The server's own status answer, straight from its socket (fast: no `crm`)."""
        from tinycrm.server import wire

        found = wire.request(self.where, {"op": "status"})
        if found is not None:
            self.pids.add(int(found["pid"]))
        return found

    def served(self) -> int:
        """How many commands the running server has taken (commands_served)."""
        found = self.ask()
        assert found is not None, "the command server is not running"
        return int(found["served"])

    def stop(self) -> None:
        """Stop the server (`crm server stop`) and end every server this kit saw."""
        with contextlib.suppress(Exception):
            self.ask()
        with contextlib.suppress(Exception):
            self.run("server", "stop", timeout=20)
        for pid in sorted(self.pids):
            self.end(pid)
        self.pids.clear()
        for pid in self.processes():  # a server started by an auto-mode command, a child
            self.end(pid, timeout=1.0)

    def processes(self) -> list[int]:
        """Every process started with this kit's runtime folder in its environment: its
        servers, their commands and what those started (this test process excluded)."""
        mark = f"XDG_RUNTIME_DIR={self.runtime}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    env = fh.read().split(b"\0")
            except OSError:
                continue
            if mark in env and alive(int(entry)):
                found.append(int(entry))
        return sorted(found)

    @staticmethod
    def end(pid: int, timeout: float = 5.0) -> None:
        """SIGTERM `pid`, then SIGKILL it if it has not gone within `timeout` seconds."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
            if not alive(pid):
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

    def close(self) -> None:
        """Stop the server and remove the runtime folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.runtime, ignore_errors=True)
