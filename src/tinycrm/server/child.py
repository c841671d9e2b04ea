"""A command's process: a child forked by the server, which becomes the client's command (its
descriptors, folder, umask, environment and streams), runs it and says how it ended."""

from __future__ import annotations

import contextlib
import io
import locale
import os
import select
import signal
import socket
import sys
import time
from typing import Any

from tinycrm.server import wire
from tinycrm.system import foreground


def spare(line: socket.socket) -> int:
    """Wait for the server to hand over a request and the client's connection, then run it;
    end quietly when the server goes away first."""
    message, fds = wire.receive(line, want_fds=1)
    line.close()
    if message is None or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return 0
    return child(socket.socket(fileno=fds[0]), message)


def child(conn: socket.socket, message: dict[str, Any]) -> int:
    """Become the client's command: its descriptors (sent with "go"), folder, umask and
    environment; run `main()`; tell the client how it ended. Returns this process's own
    exit status."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGTSTP, signal.SIGCONT):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    wire.send(conn, {"pid": os.getpid()})
    conn.settimeout(wire.HANDOVER_SECONDS)
    go, fds = wire.receive(conn, want_fds=3)
    if not go or not go.get("go") or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return 0  # the client gave up before the hand-over: nothing ran
    conn.settimeout(None)
    began = time.perf_counter()

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    fds.clear()
    os.chdir(message.get("cwd") or "/")
    os.umask(int(message.get("umask", 0o022)))
    os.environ.clear()
    os.environ.update(message.get("env") or {})
    time.tzset()
    with contextlib.suppress(locale.Error):
        locale.setlocale(locale.LC_CTYPE, "")
    _streams(message.get("stdio") or {})
    sys.argv = ["crm", *message.get("argv", [])]
    foreground.channel = _Channel(conn)
    _watch(conn)

    code = _run()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    _finished.append(True)  # from here on, the client may go: the command has ended
    # A client killed meanwhile needs no answer; and stderr is the command's now, not the
    # server's log, so nothing of the server's may be written there.
    # `ran`: this child's own time, from the go to the end (TINYCRM_SERVER_TIMING shows it).
    with contextlib.suppress(OSError):
        wire.send(conn, {"exit": code, "ran": time.perf_counter() - began})
    # Let go of the client's terminal and pipes (a `$(crm …)` waits for them), then tidy up.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _close_database()
    return 0


_finished: list[bool] = []


def _watch(conn: socket.socket) -> None:
    """End this process as soon as the client is gone (killed with SIGKILL, which it could
    not pass on) while the command runs: without a server it would have died with it."""
    import threading

    rdhup = getattr(select, "POLLRDHUP", 0)

    def watch() -> None:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLHUP | select.POLLERR | rdhup)
        while not _finished:
            for _fd, events in poller.poll():
                if events & (select.POLLHUP | select.POLLERR | rdhup) and not _finished:
                    os.kill(os.getpid(), signal.SIGKILL)
            if _finished:
                return

    threading.Thread(target=watch, name="client-watch", daemon=True).start()


def _close_database() -> None:
    """Close the command's database after the client has its answer: the last connection's
    close folds the write-ahead log into the file and removes it, so the next command finds
    a file it can judge from its header alone (with a log waiting beside it, a read takes
    an extra connection to look inside)."""
    from tinycrm.cli import state

    with contextlib.suppress(Exception):
        state.configure(None)


def _streams(stdio: dict[str, Any]) -> None:
    """Make sys.stdin, stdout and stderr on descriptors 0-2 as the client's Python made them."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        spec = stdio.get(name) or {}
        raw = io.FileIO(fd, mode, closefd=False)
        # An unbuffered client (python -u, PYTHONUNBUFFERED) writes straight to the file.
        unbuffered = mode == "w" and bool(spec.get("write_through"))
        buffered: Any = raw
        if not unbuffered:
            buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(
            buffered,
            encoding=spec.get("encoding") or "utf-8",
            errors=spec.get("errors") or "strict",
            line_buffering=bool(spec.get("line_buffering")),
            write_through=name == "stderr" or unbuffered,
        )
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run() -> int:
    from tinycrm.cli import main

    try:
        main()
    except SystemExit as done:
        if done.code is None:
            return 0
        if isinstance(done.code, int):
            return done.code
        sys.stderr.write(f"{done.code}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


class _Channel:
    """The child's way to ask the client to run a program in the terminal."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        wire.send(self.conn, request)
        reply, _ = wire.receive(self.conn)
        if reply is None:
            raise OSError("the terminal's process went away")
        return reply
