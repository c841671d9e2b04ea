"""The `crm` entry point: hand the command to this user's command server, or run it here.

Only the standard library is imported, so a command that the server runs costs a Python
start-up and a few system calls. The server (tinycrm.server.daemon) has imported everything
once; it forks a child per command, which takes this process's stdin, stdout and stderr (passed as
file descriptors), its arguments, environment, working directory and umask, runs the same
`main()` and reports the exit status. Signals that reach this process (Ctrl-C, SIGTERM,
a window resize, Ctrl-Z and `fg`) are passed on to that child.

With no server, or one of other code, the command runs in this process exactly as without
a server. Commands that own the terminal (the board) always run here; a program a command
starts on the terminal (an editor, a pager) is started by this process, in the terminal's
foreground, at the child's request.
"""

from __future__ import annotations

# Low-level modules on purpose: `socket`, `signal`, `json`, `hashlib` and `typing` would
# double this module's start-up (they pull in enum and re).
import _socket as socket
import errno
import os
import sys
import time

from tinycrm.server.wire import code_hash, connect, mode, paths, receive, send, spawn, wait_until_up

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from typing import Any
else:
    import _signal as signal

# Commands that draw on the whole terminal run in the process the terminal started.
TERMINAL_COMMANDS = frozenset({"board", "demo"})
# Signals passed on to the command's process.
FORWARDED = tuple(
    getattr(signal, name)
    for name in (
        "SIGINT",
        "SIGTERM",
        "SIGHUP",
        "SIGQUIT",
        "SIGWINCH",
        "SIGUSR1",
        "SIGUSR2",
        "SIGCONT",
        "SIGTSTP",
    )
    if hasattr(signal, name)
)
CUT_OFF = 1  # the exit status when the command's process died before it said how it ended


class NoServer(Exception):
    """The server could not take the command; nothing of it ran."""


def _command_word(args: list[str]) -> str | None:
    """Return the command's first word, past the root's options."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


def _stdio() -> dict[str, Any]:
    """Describe this process's text streams, so the command's process makes the same ones."""
    found: dict[str, Any] = {}
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        found[name] = {
            "encoding": getattr(stream, "encoding", None) or "utf-8",
            "errors": getattr(stream, "errors", None) or "strict",
            "line_buffering": bool(getattr(stream, "line_buffering", False)),
            "write_through": bool(getattr(stream, "write_through", False)),
        }
    return found


def _environment() -> dict[str, str]:
    return {
        os.fsdecode(k): os.fsdecode(v)
        for k, v in os.environb.items()  # the bytes, so no variable is lost to decoding
    }


def _cwd() -> str | None:
    try:
        return os.getcwd()
    except OSError:
        return None  # the folder was removed


class _Forwarder:
    """Pass the signals this process gets on to the command's process."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.last: int | None = None
        self.saved: dict[int, Any] = {}

    def install(self) -> None:
        for sig in FORWARDED:
            self.saved[sig] = signal.signal(sig, self.handle)

    def restore(self) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)

    def handle(self, sig: int, _frame: Any) -> None:
        self.last = sig
        # The command's process is in the server's session, where the kernel ignores
        # SIGTSTP (an orphaned process group): stop it for sure, or it would go on reading
        # the terminal that the shell has taken back.
        try:
            os.kill(self.pid, signal.SIGSTOP if sig == signal.SIGTSTP else sig)
        except OSError:
            return
        if sig == signal.SIGTSTP:
            # Stop this process too, as Ctrl-Z would have; `fg` continues both.
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)
            signal.signal(signal.SIGTSTP, self.handle)


def _run_here(message: dict[str, Any]) -> dict[str, Any]:
    """Run a program the command asked for (an editor, a pager) in this process's terminal."""
    import subprocess

    given = message.get("input")
    try:
        done = subprocess.run(
            message["argv"],
            input=given,
            text=given is not None,
            env=message.get("env"),
            cwd=message.get("cwd"),
            check=False,
        )
    except OSError as exc:
        return {"errno": exc.errno or 0, "error": exc.strerror or str(exc)}
    return {"rc": done.returncode}


def run_through(where: dict[str, str], args: list[str]) -> int:
    """Run the command in a child of the server; return its exit status.

    NoServer means the command did not start there (run it here). Once the server's child
    is told to go, the command may have run, so it is never run again here.
    """
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        # A closed stdin, stdout or stderr: the socket would take its number and be handed
        # over in its place. Python runs with it closed (sys.stdout is None); so does this.
        raise NoServer("no stdio") from None
    folder = _cwd()
    if folder is None:
        # The working folder was removed: the command's relative paths fail here as they
        # would without a server, instead of landing in / beside the server.
        raise NoServer("no folder")
    try:
        sock = connect(where)
    except OSError as exc:
        raise NoServer(exc.errno) from None
    try:
        try:
            send(
                sock,
                {
                    "op": "run",
                    "hash": code_hash(),
                    "argv": args,
                    "env": _environment(),
                    "cwd": folder,
                    "umask": _umask(),
                    "stdio": _stdio(),
                },
            )
            ready, _ = receive(sock)
        except (OSError, ValueError, EOFError, TypeError):
            raise NoServer("hand-over") from None
        if ready is None or "pid" not in ready:
            raise NoServer("stale" if ready and ready.get("stale") else "refused")
        forwarder = _Forwarder(int(ready["pid"]))
        forwarder.install()
        try:
            # The descriptors go only to a child that has answered: sent before, they would
            # sit in a hung server's queue and keep this command's pipes open after it ends.
            try:
                send(sock, {"go": True}, [0, 1, 2])
            except OSError:
                raise NoServer("hand-over") from None
            sock.settimeout(None)
            while True:
                try:
                    message, _ = receive(sock)
                except InterruptedError:
                    continue
                except (OSError, ValueError, EOFError, TypeError):
                    message = None
                if message is None:
                    return _cut_off(forwarder.last)
                if "exit" in message:
                    _timing(message)
                    return int(message["exit"])
                if message.get("op") == "system":
                    reply = _run_here(message)
                    try:  # noqa: SIM105  # contextlib is one import more at each start
                        send(sock, reply)
                    except OSError:
                        pass  # the command ended meanwhile (Ctrl-C): its exit status is next
        finally:
            forwarder.restore()
    finally:
        sock.close()


def _timing(message: dict[str, Any]) -> None:
    """With TINYCRM_SERVER_TIMING=1, say on stderr how long the server's child took."""
    ran = message.get("ran")
    if os.environ.get("TINYCRM_SERVER_TIMING") == "1" and isinstance(ran, float):
        sys.stderr.write(f"crm: the server's child ran {ran * 1000:.3f} ms\n")


def _umask() -> int:
    old = os.umask(0o077)
    os.umask(old)
    return old


def _cut_off(last_signal: int | None) -> int:
    """The command's process ended without saying how. After a signal that ends a process
    (SIGTERM, SIGHUP), end this one the same way, as it would have ended without a server."""
    if last_signal is not None and last_signal not in (
        signal.SIGINT,
        signal.SIGWINCH,
        signal.SIGCONT,
        signal.SIGTSTP,
    ):
        signal.signal(last_signal, signal.SIG_DFL)
        os.kill(os.getpid(), last_signal)
    sys.stderr.write(
        "error: the command server stopped while running this command; it may or may not"
        " have finished\n"
        "hint: `crm history` shows what was saved; a change is always saved whole or not"
        " at all\n"
    )
    return CUT_OFF


def _usable() -> bool:
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "SCM_RIGHTS") and hasattr(os, "fork")


def _in_process() -> None:
    from tinycrm.cli import main as run

    run()


def main() -> None:
    """Run `crm`: through this user's command server when one of this code runs (starting
    one in the background when none does), else right here."""
    args = sys.argv[1:]
    chosen = mode()
    if (
        chosen not in ("auto", "on")
        or not _usable()
        or _command_word(args) in TERMINAL_COMMANDS | {"server"}
    ):
        _in_process()
        return
    where = paths()
    if where is None:
        _in_process()
        return
    try:
        code = run_through(where, args)
    except KeyboardInterrupt:
        # Ctrl-C before the hand-over: the server's child never started the command.
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except NoServer as why:
        reason = why.args[0] if why.args else None
        if reason in (errno.ENOENT, errno.ECONNREFUSED, "stale"):
            if reason == "stale":
                time.sleep(0.05)  # the old server is on its way out
            spawn(where)
            if chosen == "on" and wait_until_up(where) is not None:
                try:
                    code = run_through(where, args)
                except NoServer:
                    pass
                else:
                    sys.exit(code)
        _in_process()
        return
    sys.exit(code)
