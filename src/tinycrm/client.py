"""The `crm` entry point: hand the command to this user's command server, or run it here.

Only the standard library is imported, so a command that the server runs costs a Python
start-up and a few system calls. The server (tinycrm.server) has imported everything once;
it forks a child per command, which takes this process's stdin, stdout and stderr (passed as
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
import marshal
import os
import stat
import sys
import time
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from typing import Any
else:
    import _signal as signal

PROTOCOL = 1
MODES = ("auto", "on", "off")
# Commands that draw on the whole terminal run in the process the terminal started.
TERMINAL_COMMANDS = frozenset({"board", "demo"})
# The time a server has to take a command before this process runs it itself.
HANDOVER_SECONDS = 3.0
START_SECONDS = 10.0
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
# Longest path an AF_UNIX socket address can hold (Linux 108, BSD 104), with a margin.
SOCKET_PATH_MAX = 100
CUT_OFF = 1  # the exit status when the command's process died before it said how it ended


class NoServer(Exception):
    """The server could not take the command; nothing of it ran."""


# --- where the server lives -------------------------------------------------------------------


def package_dir() -> str:
    """Return the folder of the tinycrm package this process runs."""
    import tinycrm

    return os.path.dirname(os.path.abspath(tinycrm.__file__))


def runtime_dir() -> str | None:
    """Return this user's private folder for the server's socket, log and lock (created
    0700), or None when no safe one exists (then no server is used)."""
    uid = os.getuid()
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and _private(base, uid, exact=False):
        folder = os.path.join(base, "tinycrm")
    else:
        folder = os.path.join("/tmp", f"tinycrm-{uid}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return folder if _private(folder, uid, exact=True) else None


def _private(folder: str, uid: int, *, exact: bool) -> bool:
    """Return True when `folder` is a real folder of this user that nobody else can enter."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
        return False
    return not exact or stat.S_IMODE(st.st_mode) & 0o077 == 0


def install_id() -> str:
    """Name this installation (its package folder and environment): one server for each."""
    key = f"{package_dir()}\0{sys.prefix}\0{sys.version}"
    return _digest(key.encode("utf-8", "surrogateescape"))


def paths() -> dict[str, str] | None:
    """Return the socket, log and lock paths of this installation's server, or None."""
    folder = runtime_dir()
    if folder is None:
        return None
    base = os.path.join(folder, install_id())
    found = {"socket": base + ".sock", "log": base + ".log", "lock": base + ".lock"}
    if len(found["socket"].encode("utf-8", "surrogateescape")) > SOCKET_PATH_MAX:
        return None
    return found


def _digest(data: bytes) -> str:
    """Return a 64-bit fingerprint of `data` (a change detector, not a secret)."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def code_hash() -> str:
    """Return a fingerprint of the code this process would run: every file of the package
    (path, size, modification time), the interpreter, and the folders packages are installed
    in (an install or upgrade of a dependency changes them). A server of another is stale."""
    lines = [f"{PROTOCOL}\0{sys.version}\0{os.path.realpath(sys.executable)}"]
    root = package_dir()
    for folder, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            lines.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}")
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                lines.append(f"{entry}\0{os.stat(entry).st_mtime_ns}")
            except OSError:
                continue
    return _digest("\n".join(lines).encode("utf-8", "surrogateescape"))


# --- the mode -------------------------------------------------------------------------------


def _config_file() -> str:
    """Return config.toml's path, as tinycrm.paths finds it (without importing platformdirs)."""
    home = os.environ.get("TINYCRM_HOME")
    if home:
        return os.path.join(os.path.expanduser(home), "config.toml")
    if sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Application Support")
    else:
        base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
    return os.path.join(base, "tinycrm", "config.toml")


def mode() -> str:
    """Return how to use the server: TINYCRM_SERVER, else the `server.mode` setting, else
    'auto'. An unknown value is refused by the in-process command line (see cli.state)."""
    value = os.environ.get("TINYCRM_SERVER")
    if value is not None:
        return value.strip().lower()
    try:
        with open(_config_file(), "rb") as fh:
            data = fh.read(1 << 20)
    except OSError:
        return "auto"
    if b"server" not in data:
        return "auto"
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8")).get("server")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return "off"  # the command itself will name what is wrong with the file
    chosen = table.get("mode") if isinstance(table, dict) else None
    return chosen.strip().lower() if isinstance(chosen, str) else "auto"


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


# --- messages ---------------------------------------------------------------------------------


# Messages are marshal data (dicts of strings, numbers, lists): both ends run the same
# Python (the code hash says so), and only this user can reach the socket.
_FD_BYTES = 4


def send(sock: Any, message: dict[str, Any], fds: list[int] | None = None) -> None:
    """Send one message: a 4-byte length, then the data; `fds` travel with it (SCM_RIGHTS)."""
    body = marshal.dumps(message)
    data = len(body).to_bytes(4, "big") + body
    if fds:
        ancillary = b"".join(fd.to_bytes(_FD_BYTES, sys.byteorder) for fd in fds)
        sent = sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, ancillary)])
        data = data[sent:]
    if data:
        sock.sendall(data)


def _exactly(sock: Any, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def receive(sock: Any, want_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """Receive one message and the descriptors sent with it; None at the end of the stream."""
    fds: list[int] = []
    head = b""
    if want_fds:
        head, ancillary, _flags, _addr = sock.recvmsg(4, socket.CMSG_SPACE(want_fds * _FD_BYTES))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(data) - len(data) % _FD_BYTES
                fds.extend(
                    int.from_bytes(data[i : i + _FD_BYTES], sys.byteorder)
                    for i in range(0, usable, _FD_BYTES)
                )
    rest = _exactly(sock, 4 - len(head))
    body = None if rest is None else _exactly(sock, int.from_bytes(head + rest, "big"))
    if body is None:
        for fd in fds:
            os.close(fd)
        return None, []
    message = marshal.loads(body)
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message, fds


def connect(where: dict[str, str], timeout: float = HANDOVER_SECONDS) -> Any:
    """Connect to the server's socket (OSError when there is none, or it does not answer)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(where["socket"])
    except BaseException:
        sock.close()
        raise
    return sock


def request(where: dict[str, str], message: dict[str, Any]) -> dict[str, Any] | None:
    """Ask the server one question (status, stop); None when no server answers."""
    try:
        sock = connect(where)
    except OSError:
        return None
    try:
        send(sock, message)
        reply, _ = receive(sock)
        return reply
    except (OSError, ValueError, EOFError, TypeError):
        return None
    finally:
        sock.close()


# --- starting one -----------------------------------------------------------------------------


def spawn(where: dict[str, str]) -> None:
    """Start a server in the background, detached (its own session, its log file); return
    at once. A server that finds another one running exits by itself."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked side ends in exec or _exit
        try:
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            null = os.open(os.devnull, os.O_RDWR)
            log = os.open(where["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            # Nothing else of this process's (a caller's pipe) may stay open in the server.
            os.closerange(3, 65536)
            os.chdir("/")
            # -P: the folder it starts in (/) is not searched for modules.
            os.execv(sys.executable, [sys.executable, "-P", "-m", "tinycrm.server"])
        finally:
            os._exit(127)
    os.waitpid(pid, 0)


def wait_until_up(where: dict[str, str], seconds: float = START_SECONDS) -> dict[str, Any] | None:
    """Wait for a server of this code to answer; return its status, or None."""
    deadline = time.monotonic() + seconds
    want = code_hash()
    while time.monotonic() < deadline:
        status = request(where, {"op": "status"})
        if status is not None and status.get("hash") == want:
            return status
        time.sleep(0.02)
    return None


# --- running a command through it -------------------------------------------------------------


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


if __name__ == "__main__":
    main()
