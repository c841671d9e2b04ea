"""What the client, the server and `crm server` share: where this installation's server lives,
the code fingerprint that tells a stale server, the messages on its socket, the mode setting,
and how a server is started.

Only low-level standard library modules are imported: this module is loaded by every `crm`.
"""

from __future__ import annotations

# Low-level modules on purpose: `socket`, `json`, `hashlib` and `typing` would double the
# client's start-up (they pull in enum and re).
import _socket as socket
import marshal
import os
import stat
import sys
import time
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROTOCOL = 1
MODES = ("auto", "on", "off")
START_SECONDS = 10.0
# The time a server has to take a command before the client runs it itself.
HANDOVER_SECONDS = 3.0
# Longest path an AF_UNIX socket address can hold (Linux 108, BSD 104), with a margin.
SOCKET_PATH_MAX = 100


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


# --- the mode, and starting a server ---------------------------------------------------------


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
