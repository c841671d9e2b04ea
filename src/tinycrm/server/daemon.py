"""The command server: tinycrm imported once, a forked child for every command.

Started in the background by the first `crm` that finds none (`python -m tinycrm.server`),
it listens on a socket in the user's private runtime folder (see tinycrm.server.wire). When it
forks it holds no database connection and runs no thread, so each child starts as a clean
copy of an idle, fully imported `crm`. It exits after a quiet spell, when asked
(`crm server stop`), when the code it was started from changes, or when another server
takes its socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time
from typing import Any

from tinycrm import __version__
from tinycrm.server import wire
from tinycrm.server.child import child, spare
from tinycrm.server.preload import idle_seconds, log, preload

TICK_SECONDS = 1.0


class Server:
    """One listening socket, the children it forked, and the reasons to stop."""

    def __init__(self, where: dict[str, str]) -> None:
        self.where = where
        self.hash = wire.code_hash()
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
        if wire.code_hash() != self.hash:
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
            self.makespare()
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
        conn.settimeout(wire.HANDOVER_SECONDS)
        uid = peer_uid(conn)
        if uid != os.getuid():
            log(f"refused a connection from uid {uid}")
            return
        message, fds = wire.receive(conn, want_fds=3)
        try:
            if message is None:
                return
            op = message.get("op")
            if op == "status":
                wire.send(conn, self.status())
            elif op == "stop":
                self.stopping = "asked to stop"
                wire.send(conn, {"stopping": True, "pid": os.getpid()})
            elif op == "run":
                if message.get("hash") != self.hash:
                    self.stopping = "a client runs other code"
                    wire.send(conn, {"stale": True})
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
                wire.send(line, message, [conn.fileno()])
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

    def makespare(self) -> None:
        """Fork the next command's process ahead of time, so a command does not wait for a
        fork: it waits on a private line for a request and its descriptors."""
        if self.spare is not None or self.stopping:
            return
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            ours.close()
            self._in_child(lambda: spare(theirs))
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


def main() -> None:
    where = wire.paths()
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
