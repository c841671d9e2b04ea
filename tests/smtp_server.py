"""A tiny SMTP server for tests (standard library only): plain, STARTTLS or implicit TLS, with
AUTH PLAIN, recording what each client sent."""

from __future__ import annotations

import base64
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mailbox:
    """What the server saw: commands, logins and whole messages."""

    commands: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    messages: list[bytes] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        box, tls = self.server.box, self.server.tls
        if self.server.mode == "ssl" and not self._wrap(tls):
            return
        self._send("220 test ESMTP")
        secure = self.server.mode == "ssl"
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            box.commands.append(verb)
            if verb in ("EHLO", "HELO"):
                extra = ["STARTTLS"] if self.server.mode == "starttls" and not secure else []
                for item in ["test", *extra]:
                    self._send(f"250-{item}")
                self._send("250 AUTH PLAIN")
            elif verb == "STARTTLS":
                self._send("220 go ahead")
                if not self._wrap(tls):
                    return
                secure = True
            elif verb == "AUTH":
                parts = line.split()
                decoded = base64.b64decode(parts[2]).split(b"\0") if len(parts) > 2 else []
                user, password = ([*decoded, b"", b"", b""])[1:3]
                box.logins.append((user.decode(), password.decode()))
                self._send("235 ok")
            elif verb == "DATA":
                self._send("354 end with .")
                body = []
                while True:
                    got = self.rfile.readline()
                    if got in (b".\r\n", b""):
                        break
                    body.append(got[1:] if got.startswith(b"..") else got)
                box.messages.append(b"".join(body))
                self._send("250 queued")
            elif verb == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("250 ok")

    def _wrap(self, tls: ssl.SSLContext | None) -> bool:
        assert tls is not None
        try:
            wrapped = tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.server.box.errors.append(str(exc))
            return False
        self.connection = wrapped
        self.rfile = wrapped.makefile("rb")
        self.wfile = wrapped.makefile("wb")
        return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode, self.tls, self.box = mode, tls, Mailbox()


@contextmanager
def smtp_server(
    mode: str = "plain", cert: Any = None, key: Any = None
) -> Iterator[tuple[int, Mailbox]]:
    """Serve SMTP on 127.0.0.1 (mode plain, starttls or ssl); yield (port, mailbox)."""
    tls = None
    if mode != "plain":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(cert), str(key))
    server = _Server(mode, tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.box
    finally:
        server.shutdown()
        server.server_close()
