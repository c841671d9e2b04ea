"""The command server: tinycrm imported once, a forked child for every command.

Started in the background by the first `crm` that finds none (`python -m tinycrm.server`),
it listens on a socket in the user's private runtime folder (see tinycrm.client). When it
forks it holds no database connection and runs no thread, so each child starts as a clean
copy of an idle, fully imported `crm`. It exits after a quiet spell, when asked
(`crm server stop`), when the code it was started from changes, or when another server
takes its socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import locale
import os
import select
import signal
import socket
import struct
import sys
import time
from typing import Any

from tinycrm import __version__, client
from tinycrm.system import foreground

IDLE_SECONDS = 300.0
TICK_SECONDS = 1.0


def log(text: str) -> None:
    """Write one line to the server's log (its stderr)."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    sys.stderr.write(f"{stamp} [{os.getpid()}] {text}\n")
    sys.stderr.flush()


def preload() -> None:
    """Import what commands use and build the whole command tree, once."""
    import importlib
    import pkgutil

    import tinycrm
    from tinycrm import cli

    for info in pkgutil.walk_packages(tinycrm.__path__, "tinycrm."):
        if info.name.startswith(("tinycrm.tui", "tinycrm.server", "tinycrm.__main__")):
            continue  # the board runs in the terminal's own process
        importlib.import_module(info.name)
    for name in (
        "sqlalchemy.dialects.sqlite.pysqlite",
        "sqlalchemy.orm",
        "rich.console",
        "rich.table",
        "rich.text",
        "rich.markup",
        "rich.progress",
        "dateutil.parser",
        "dateutil.relativedelta",
        "dateutil.rrule",
        "zoneinfo",
        "platformdirs",
        "csv",
        "sqlite3",
        "uuid",
        "tempfile",
        "subprocess",
        "shlex",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    cli.prepare()
    warm_up()


# Commands run once on a throwaway database before serving: SQLAlchemy compiles and caches
# what a statement needs the first time it runs (in a cold process that is most of a small
# command's time), and rich loads its tables on first use. None of them has an effect
# outside that database (no reminders, no editor, no crontab).
WARM_UP = (
    ("add", "contact", "Warm Up", "--email", "warm@up.invalid", "--phone", "+1 555 0100"),
    ("add", "company", "Warm Co"),
    ("add", "deal", "Warm deal", "--contact", "warm up", "--value", "1000"),
    ("move", "warm deal", "qualifying"),
    ("move", "warm deal", "won"),
    ("log", "warm up", "call", "A first call"),
    ("follow-up", "warm up", "Call back", "--due", "tomorrow"),
    ("edit", "warm up", "--title", "Buyer"),
    ("tag", "warm up", "hot"),
    ("add", "contact", "Warm Two"),
    ("list", "contacts"),
    ("list", "contacts", "-n", "20"),
    ("list", "deals"),
    ("list", "deals", "-n", "20"),
    ("list", "deals", "--status", "open"),
    ("list", "companies"),
    ("show", "warm up"),
    ("show", "#1"),
    ("show", "warm deal"),
    ("search", "first"),
    ("agenda",),
    ("report", "pipeline"),
    ("pipeline", "show"),
    ("history",),
    ("timeline", "warm up"),
    ("undo",),
    ("redo",),
    ("--help",),
    ("add", "--help"),
)


def warm_up() -> None:
    """Run WARM_UP in this process on a database in a temporary folder, then close it and
    remove the folder, leaving the process as idle as before (no connection, no thread)."""
    import gc
    import tempfile
    import threading

    from tinycrm import cli
    from tinycrm.cli import state

    saved_env = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv = sys.argv
    with tempfile.TemporaryDirectory(prefix="tinycrm-warm-") as folder:
        os.environ.pop("TINYCRM_DB", None)
        os.environ.pop("TINYCRM_NOW", None)
        os.environ["TINYCRM_HOME"] = folder
        os.environ["TINYCRM_SERVER"] = "off"
        try:
            for args in WARM_UP:
                sys.stdin = io.StringIO("")
                sys.stdout = sys.stderr = io.StringIO()
                sys.argv = ["crm", *args]
                with contextlib.suppress(SystemExit):
                    cli.main()
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved_streams
            sys.argv = saved_argv
            state.configure(None)  # closes the database
            os.environ.clear()
            os.environ.update(saved_env)
    gc.collect()
    if threading.active_count() != 1:
        raise RuntimeError("a thread outlived the warm-up; the server cannot fork safely")
    # What is loaded now lives as long as the server: keep the collector away from it, so
    # a child's collections neither walk it nor copy its pages.
    gc.freeze()


def idle_seconds() -> float:
    """The quiet time after which the server exits: TINYCRM_SERVER_IDLE (seconds), else the
    `server.idle_minutes` setting, else five minutes."""
    text = os.environ.get("TINYCRM_SERVER_IDLE")
    if text:
        with contextlib.suppress(ValueError):
            return max(float(text), 0.1)
    try:
        from tinycrm import config

        minutes = config.load().get("server.idle_minutes")
    except Exception:  # a broken config.toml is the command's to report, not the server's
        return IDLE_SECONDS
    return float(minutes) * 60 if isinstance(minutes, int) and minutes > 0 else IDLE_SECONDS


class Server:
    """One listening socket, the children it forked, and the reasons to stop."""

    def __init__(self, where: dict[str, str]) -> None:
        self.where = where
        self.hash = client.code_hash()
        self.started = time.time()
        self.last = time.monotonic()
        self.children: set[int] = set()
        self.clients: dict[int, int] = {}  # a child's pid: its client's pid (0: not known)
        self.stopped: set[int] = set()  # children stopped by their client's Ctrl-Z
        self.served = 0
        self.spare: tuple[int, socket.socket] | None = None
        self.stopping: str | None = None
        self.idle = idle_seconds()
        self.lock_fd = -1
        self.listener: socket.socket | None = None
        self.inode: tuple[int, int] | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def lock(self) -> bool:
        """Take the installation's lock, waiting briefly for a server on its way out; False
        when another server holds it (several first commands at once each start one)."""
        self.lock_fd = os.open(self.where["lock"], os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + 2.0
        while True:
            try:
                fcntl.flock(self.lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)

    def bind(self) -> None:
        """Bind the socket under a temporary name and move it into place in one step."""
        path = self.where["socket"]
        temporary = f"{path}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(temporary)
        finally:
            os.umask(old)
        listener.listen(64)
        os.rename(temporary, path)
        st = os.stat(path)
        self.inode = (st.st_dev, st.st_ino)
        self.listener = listener

    def ours(self) -> bool:
        """Return True while the socket path is still this server's."""
        try:
            st = os.stat(self.where["socket"])
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.inode

    def release(self) -> None:
        if self.ours():
            with contextlib.suppress(OSError):
                os.unlink(self.where["socket"])
        if self.listener is not None:
            self.listener.close()
        if self.spare is not None:
            self.spare[1].close()  # the spare child sees the end of its line and exits
        if self.lock_fd >= 0:
            os.close(self.lock_fd)

    def reap(self) -> None:
        if self.spare is not None:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(self.spare[0], os.WNOHANG)[0]:
                    self.spare[1].close()
                    self.spare = None  # killed while waiting; the loop makes another
        for pid in list(self.children):
            try:
                done, status = os.waitpid(pid, os.WNOHANG | os.WUNTRACED | os.WCONTINUED)
            except ChildProcessError:
                done, status = pid, 0
            if not done:
                continue
            if os.WIFSTOPPED(status):
                self.stopped.add(pid)
            elif os.WIFCONTINUED(status):
                self.stopped.discard(pid)
            else:
                self.children.discard(pid)
                self.stopped.discard(pid)
                self.clients.pop(pid, None)
                self.last = time.monotonic()
        for pid in list(self.stopped):
            if not _alive(self.clients.get(pid, 0)):
                # Nobody is left to continue it (its `crm` was killed while stopped): end it
                # as the kernel ends a stopped job that nobody can continue.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)
                    os.kill(pid, signal.SIGCONT)
                self.stopped.discard(pid)

    def why_stop(self) -> str | None:
        if self.stopping:
            return self.stopping
        if not self.ours():
            return "another server took the socket"
        if client.code_hash() != self.hash:
            return "the installed code changed"
        if not self.children and time.monotonic() - self.last > self.idle:
            return f"idle for {self.idle:g} s"
        return None

    def serve(self) -> None:
        assert self.listener is not None
        log(f"serving tinycrm {__version__} on {self.where['socket']} (idle exit {self.idle:g} s)")
        while True:
            self.reap()
            reason = self.why_stop()
            if reason:
                log(f"exiting: {reason}")
                return
            self.make_spare()
            try:
                readable, _, _ = select.select([self.listener], [], [], TICK_SECONDS)
            except InterruptedError:
                continue
            if not readable:
                continue
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            self.last = time.monotonic()
            try:
                self.take(conn)
            except Exception as exc:  # one bad request never ends the server
                log(f"request failed: {type(exc).__name__}: {exc}")
            finally:
                conn.close()

    # --- one request ---------------------------------------------------------------------------

    def take(self, conn: socket.socket) -> None:
        conn.settimeout(client.HANDOVER_SECONDS)
        uid = peer_uid(conn)
        if uid != os.getuid():
            log(f"refused a connection from uid {uid}")
            return
        message, fds = client.receive(conn, want_fds=3)
        try:
            if message is None:
                return
            op = message.get("op")
            if op == "status":
                client.send(conn, self.status())
            elif op == "stop":
                self.stopping = "asked to stop"
                client.send(conn, {"stopping": True, "pid": os.getpid()})
            elif op == "run":
                if message.get("hash") != self.hash:
                    self.stopping = "a client runs other code"
                    client.send(conn, {"stale": True})
                    return
                self.fork(conn, message)
        finally:
            for fd in fds:
                os.close(fd)

    def status(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "version": __version__,
            "socket": self.where["socket"],
            "log": self.where["log"],
            "started": self.started,
            "uptime": round(time.time() - self.started, 3),
            "idle_exit": self.idle,
            "running": len(self.children),
            "served": self.served,
            "hash": self.hash,
        }

    def fork(self, conn: socket.socket, message: dict[str, Any]) -> None:
        """Give the request to the spare child, or fork one for it."""
        spare, self.spare = self.spare, None
        if spare is not None:
            pid, line = spare
            self.children.add(pid)  # reaped like any child, whether it takes the request or not
            try:
                client.send(line, message, [conn.fileno()])
            except OSError:
                pass  # it died waiting; fork another
            else:
                self.clients[pid] = peer_pid(conn)
                self.served += 1
                return
            finally:
                line.close()
        pid = os.fork()
        if pid == 0:
            self._in_child(lambda: child(conn, message))
        self.children.add(pid)
        self.clients[pid] = peer_pid(conn)
        self.served += 1

    def make_spare(self) -> None:
        """Fork the next command's process ahead of time, so a command does not wait for a
        fork: it waits on a private line for a request and its descriptors."""
        if self.spare is not None or self.stopping:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            ours.close()
            self._in_child(lambda: _spare(theirs))
        theirs.close()
        self.spare = (pid, ours)

    def _in_child(self, work: Any) -> None:
        """In a forked process: let go of the server's own descriptors, do `work`, exit."""
        code = 1
        try:
            if self.listener is not None:
                self.listener.close()
            os.close(self.lock_fd)
            if self.spare is not None:
                self.spare[1].close()
            code = work()
        except BaseException as exc:  # nothing may escape into the server's loop
            with contextlib.suppress(Exception):
                log(f"child failed: {type(exc).__name__}: {exc}")
        finally:
            os._exit(code)


def _spare(line: socket.socket) -> int:
    """Wait for the server to hand over a request and the client's connection, then run it;
    end quietly when the server goes away first."""
    message, fds = client.receive(line, want_fds=1)
    line.close()
    if message is None or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return 0
    return child(socket.socket(fileno=fds[0]), message)


def _peer(conn: socket.socket) -> tuple[int, int]:
    """Return the process id (0 where the system does not tell it) and the user id of the
    process at the other end of a Unix socket."""
    if hasattr(socket, "SO_PEERCRED"):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", creds)
        return int(pid), int(uid)
    uid, _gid = os.getpeereid(conn.fileno())  # type: ignore[attr-defined]  # BSD, macOS
    return 0, int(uid)


def peer_pid(conn: socket.socket) -> int:
    """Return the process id at the other end of a Unix socket, or 0 where it is not told."""
    return _peer(conn)[0]


def peer_uid(conn: socket.socket) -> int:
    """Return the user id of the process at the other end of a Unix socket."""
    return _peer(conn)[1]


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (an unknown one, 0, counts as alive)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the child --------------------------------------------------------------------------------


def child(conn: socket.socket, message: dict[str, Any]) -> int:
    """Become the client's command: its descriptors (sent with "go"), folder, umask and
    environment; run `main()`; tell the client how it ended. Returns this process's own
    exit status."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGTSTP, signal.SIGCONT):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    client.send(conn, {"pid": os.getpid()})
    conn.settimeout(client.HANDOVER_SECONDS)
    go, fds = client.receive(conn, want_fds=3)
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
        client.send(conn, {"exit": code, "ran": time.perf_counter() - began})
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
        client.send(self.conn, request)
        reply, _ = client.receive(self.conn)
        if reply is None:
            raise OSError("the terminal's process went away")
        return reply


def main() -> None:
    where = client.paths()
    if where is None:
        sys.stderr.write("error: no private runtime folder for the command server\n")
        sys.exit(1)
    server = Server(where)
    if not server.lock():
        log("another server is running; exiting")
        return
    preload()
    server.bind()
    server.last = time.monotonic()  # the idle time counts from when it can take commands
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "stopping", "SIGTERM"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        server.serve()
    finally:
        server.release()


if __name__ == "__main__":
    main()
