"""The command server, measured: whole `crm` processes warm (through a running server of this
code) and cold (no server; and the first command after none, in auto mode), each run beside
the floors `python -c pass` and `python -c "import sqlite3"` measured right after it.

Every server this module starts uses its own private runtime folder (a short one under /tmp,
mode 0700), so it never meets the user's server; all of them are stopped when the part ends,
however it ends (asked to stop, then killed by pid).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.process import (
    FLOORS,
    PYTHON,
    CliCase,
    Context,
    measured_env,
    run_process,
    timed,
)
from benchmarks.timing import CommandFailed, one_line

SQLITE = "python -c 'import sqlite3'"
TARGET = 2.5  # times `python -c "import sqlite3"`, the aim for a warm command
IDLE_SECONDS = "120"  # a server left by a harness killed with SIGKILL exits by itself
UP_SECONDS = 30.0  # how long a starting server may take to preload on a busy machine
CHILD_LINE = re.compile(r"^crm: the server's child ran ([0-9.]+) ms$", re.MULTILINE)
VERSION = "crm --version (client + hand-over)"


@dataclass
class ServerCase:
    """A command timed warm and cold. `queries` names the in-process service whose own time
    the target adds (a command that reads thousands of rows); `first` also times it as the
    first command after no server."""

    case: CliCase
    queries: str | None = None
    first: bool = False

    @property
    def name(self) -> str:
        return self.case.name


@dataclass
class ServerMeasure:
    """One case's runs: whole-process seconds warm, cold and first, the child's own time
    (as the server reported it), and the floors run beside them."""

    name: str
    warm: list[float] = field(default_factory=list)
    child: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    paired: dict[str, list[float]] = field(default_factory=dict)
    served: int | None = None  # commands the server counted during the case
    error: str | None = None
    queries: str | None = None
    queries_ms: float | None = None

    def as_json(self) -> dict[str, Any]:
        """Describe the case for the JSON results (milliseconds, medians and every run)."""

        def med(times: list[float]) -> float | None:
            return _ms(_median(times))

        splits = [w - c for w, c in zip(self.warm, self.child, strict=False)]
        sqlite = _median(self.paired.get(SQLITE, []))
        target = None
        if sqlite is not None and (self.queries is None or self.queries_ms is not None):
            target = TARGET * sqlite * 1000 + (self.queries_ms or 0.0)
        warm = med(self.warm)
        return {
            "name": self.name,
            "warm_ms": warm,
            "cold_ms": med(self.cold),
            "first_ms": med(self.first),
            "child_ms": med(self.child),
            "client_ms": med(splits),
            "warm_runs_ms": [_ms(t) for t in self.warm],
            "cold_runs_ms": [_ms(t) for t in self.cold],
            "first_runs_ms": [_ms(t) for t in self.first],
            "child_runs_ms": [_ms(t) for t in self.child],
            "paired_floors_ms": {n: med(t) for n, t in self.paired.items() if t},
            "served": self.served,
            "queries": self.queries,
            "queries_ms": self.queries_ms,
            "target_ms": None if target is None else round(target, 3),
            "met": None if target is None or warm is None else warm <= target,
            "error": self.error,
        }


def _median(times: list[float]) -> float | None:
    import statistics

    return statistics.median(times) if times else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def _log(ctx: Context, i: int) -> list[str]:
    who = str(ctx.meta["planted"]["contact_ref"])
    return ["log", who, "call", f"Benchmark call {os.getpid()}-{i}", "-q"]


def server_cases(ctx: Context) -> list[ServerCase]:
    """Return the cases of the server part, in the order they are reported."""
    from benchmarks.process import _add_contact, _move

    planted = ctx.meta["planted"]
    completion = {"_CRM_COMPLETE": "complete_bash", "COMP_WORDS": "crm li", "COMP_CWORD": "1"}
    return [
        ServerCase(CliCase(VERSION, ["--version"])),
        ServerCase(CliCase("crm --help", ["--help"]), first=True),
        ServerCase(CliCase("completion (crm li<TAB>)", [], env=completion)),
        ServerCase(CliCase("crm add contact", _add_contact), first=True),
        ServerCase(CliCase("crm move", _move), first=True),
        ServerCase(CliCase("crm log", _log)),
        ServerCase(CliCase("crm list contacts -n 20", ["list", "contacts", "-n", "20"]),
                   first=True),
        ServerCase(CliCase("crm list deals -n 20", ["list", "deals", "-n", "20"])),
        ServerCase(CliCase("crm list deals (all)", ["list", "deals"])),
        ServerCase(CliCase("crm show CONTACT", ["show", planted["contact_ref"]]), first=True),
        ServerCase(CliCase("crm show DEAL", ["show", planted["deal"].lower()])),
        ServerCase(CliCase(f"crm search (rare: {planted['rare_word']})",
                           ["search", planted["rare_word"]])),
        ServerCase(CliCase(f"crm search (common: {planted['common_word']})",
                           ["search", planted["common_word"]])),
        ServerCase(CliCase("crm agenda", ["agenda"]), queries="agenda", first=True),
        ServerCase(CliCase("crm report pipeline", ["report", "pipeline"]),
                   queries="report pipeline"),
    ]  # fmt: skip


# --- servers of the benchmark's own ------------------------------------------------------------


def private_runtime() -> Path:
    """Make a short, owner-only folder for a server's socket (a Unix socket path is short)."""
    folder = Path(tempfile.mkdtemp(prefix="crmb", dir="/tmp"))
    folder.chmod(0o700)
    return folder


def server_env(
    ctx: Context, runtime: Path, mode: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a command that may use a server in `runtime`."""
    env = ctx.env(
        TINYCRM_SERVER=mode,
        XDG_RUNTIME_DIR=str(runtime),
        TINYCRM_SERVER_IDLE=IDLE_SECONDS,
        TINYCRM_SERVER_TIMING="1",
    )
    env.update(extra or {})
    return env


def status(ctx: Context, runtime: Path) -> dict[str, Any] | None:
    """Return `crm server status --json` for the server in `runtime`, or None (none runs)."""
    import subprocess

    done = subprocess.run(
        [*ctx.crm, "server", "status", "--json"],
        env=server_env(ctx, runtime, "on"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    try:
        found = json.loads(done.stdout)
    except ValueError:
        return None
    return found if isinstance(found, dict) and found.get("running") else None


def wait_up(ctx: Context, runtime: Path, seconds: float = UP_SECONDS) -> dict[str, Any] | None:
    """Wait for the server in `runtime` to answer; return its status, or None at the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = status(ctx, runtime)
        if found is not None:
            return found
        time.sleep(0.05)
    return None


def _servers_in(runtime: Path) -> list[int]:
    """Return the pids of command servers whose environment names `runtime` (Linux's /proc):
    a server still preloading does not answer yet, but it is found here."""
    wanted = f"XDG_RUNTIME_DIR={runtime}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"tinycrm.server" in cmdline and wanted in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def stop(ctx: Context, runtime: Path, known: int | None = None) -> None:
    """Stop every server of `runtime`: ask the one that answers, then kill by pid whatever
    is left (also one that never came up), and wait until they are gone."""
    with contextlib.suppress(Exception):
        import subprocess

        subprocess.run(
            [*ctx.crm, "server", "stop"],
            env=server_env(ctx, runtime, "on"),
            capture_output=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    pids = set(_servers_in(runtime))
    if known:
        pids.add(known)
    for pid in pids:
        _kill(pid)


def _kill(pid: int) -> None:
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"  # a zombie is gone for us (its parent, not us, reaps it)


@contextlib.contextmanager
def running_server(ctx: Context) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Start a server of this code in a private runtime folder; always stop it after."""
    runtime = private_runtime()
    pid: int | None = None
    try:
        run_process([*ctx.crm, "server", "start"], server_env(ctx, runtime, "on"))
        found = wait_up(ctx, runtime)
        if found is None:
            raise CommandFailed("the command server did not start")
        pid = int(found["pid"])
        yield runtime, found
    finally:
        stop(ctx, runtime, pid)
        shutil.rmtree(runtime, ignore_errors=True)


# --- the measurements ---------------------------------------------------------------------------


def _warm(ctx: Context, case: ServerCase, runtime: Path, n: int) -> tuple[float, float]:
    """One run through the server: (whole process, the child's own time), in seconds."""
    env = server_env(ctx, runtime, "on", case.case.env)
    began = time.perf_counter()
    done = run_process(case.case.argv(ctx, n), env)
    took = time.perf_counter() - began
    found = CHILD_LINE.findall(done.stderr)
    if not found:
        raise CommandFailed("command failed: it did not run through the server")
    if "_CRM_COMPLETE" in env and not done.stdout.strip():
        raise CommandFailed("command failed: completion printed nothing")
    return took, float(found[-1]) / 1000


def _cold(ctx: Context, case: ServerCase, n: int) -> float:
    env = ctx.env(TINYCRM_SERVER="off")
    env.update(case.case.env)
    return timed(run_process, case.case.argv(ctx, n), env)


def _first(ctx: Context, case: ServerCase, n: int) -> float:
    """The first command after no server (auto mode): it starts one in the background and
    runs itself. The server it started is stopped before the next run."""
    runtime = private_runtime()
    try:
        env = server_env(ctx, runtime, "auto", case.case.env)
        took = timed(run_process, case.case.argv(ctx, n), env)
        wait_up(ctx, runtime)  # let its preload finish so it disturbs no later run
        return took
    finally:
        stop(ctx, runtime)
        shutil.rmtree(runtime, ignore_errors=True)


def time_case(
    ctx: Context, case: ServerCase, runtime: Path, with_first: bool = True
) -> ServerMeasure:
    """Time one case: warm runs one after the other, as a user's commands reach a running
    server; then cold runs; then (for some cases) first runs. Each phase has a warm-up run,
    and each counted warm and cold run is followed by a run of each floor. The server's count
    of commands says whether every warm run really went through it."""
    result = ServerMeasure(case.name, queries=case.queries)
    floors = {n: [sys.executable, *FLOORS[n]] for n in (PYTHON, SQLITE)}
    result.paired = {n: [] for n in floors}

    def beside() -> None:
        for name, argv in floors.items():
            result.paired[name].append(timed(run_process, argv, measured_env()))

    before = status(ctx, runtime)
    if before is None:
        result.error = "the command server is not running"
        return result
    counter = iter(range(10_000))  # each run its own number: a write never repeats itself
    try:
        for i in range(ctx.runs + 1):
            warm, child = _warm(ctx, case, runtime, next(counter))
            if i:
                result.warm.append(warm)
                result.child.append(child)
                beside()
        after = status(ctx, runtime)
        if after is None or after.get("pid") != before.get("pid"):
            result.error = "the command server stopped during the case"
            return result
        result.served = int(after["commands_served"]) - int(before["commands_served"])
        for i in range(ctx.runs + 1):
            cold = _cold(ctx, case, next(counter))
            if i:
                result.cold.append(cold)
                beside()
        for i in range(ctx.runs + 1 if with_first and case.first else 0):
            first = _first(ctx, case, next(counter))
            if i:
                result.first.append(first)
    except Exception as exc:
        result.error = one_line(exc)
        return result
    if result.served != ctx.runs + 1:
        result.error = f"{result.served} of {ctx.runs + 1} warm runs went through the server"
    return result


def run_part(
    ctx: Context,
    selected: Callable[[str], bool],
    query_times: Callable[[str], float | None],
    log: Callable[[str], None],
    with_first: bool = True,
) -> list[dict[str, Any]]:
    """Time every selected case through one server of this code; return their figures."""
    cases = [c for c in server_cases(ctx) if selected(c.name)]
    if not cases:
        return []
    out = []
    try:
        with running_server(ctx) as (runtime, _found):
            for case in cases:
                result = time_case(ctx, case, runtime, with_first)
                if case.queries:
                    result.queries_ms = query_times(case.queries)
                row = result.as_json()
                log(f"[{ctx.scale}] server: {_line(row)}")
                out.append(row)
    except Exception as exc:
        out.append({"name": "(the command server)", "error": one_line(exc)})
    return out


def _line(row: dict[str, Any]) -> str:
    if row.get("error"):
        return f"{row['name']}: n/a ({row['error']})"
    return (
        f"{row['name']}: warm {row['warm_ms']:.1f} ms (child {row['child_ms']:.1f}),"
        f" cold {row['cold_ms']:.1f} ms"
        + (f", first {row['first_ms']:.1f} ms" if row.get("first_ms") is not None else "")
    )
