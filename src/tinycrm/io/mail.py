"""Reading email: a Maildir, an mbox file, `.eml` files (or a folder of them) or one message on
stdin, each message decoded into what logging it needs (who, when, its Message-ID and a
one-line summary), with the standard library's `mailbox` and `email` (default policy)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from tinycrm.domain.mailtext import html_text, is_message_id, summary_of
from tinycrm.errors import ValidationError


@dataclass(slots=True)
class Letter:
    """One message read from a mailbox: its addresses (lower-cased for matching, with the
    display names given), when it was sent, its Message-ID and a one-line summary; `problem`
    says why it cannot be logged (then the rest may be empty)."""

    where: str
    message_id: str = ""
    derived_id: bool = False
    sender: str = ""
    names: dict[str, str] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    summary: str = ""
    problem: str | None = None

    @property
    def addresses(self) -> list[str]:
        """Every address the message is from or to, the sender first, each once."""
        return list(dict.fromkeys([self.sender, *self.recipients]))


def _body(message: EmailMessage) -> str:
    """The message's text: its text/plain part, else the text of its HTML part."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    return html_text(content) if part.get_content_subtype() == "html" else content


def _addresses(message: EmailMessage, names: dict[str, str], *headers: str) -> list[str]:
    from email.utils import getaddresses

    found: list[str] = []
    for header in headers:
        values = [str(v) for v in message.get_all(header, [])]
        for name, address in getaddresses(values):
            key = address.strip().lower()
            if "@" not in key:
                continue
            found.append(key)
            if name.strip() and key not in names:
                names[key] = " ".join(name.split())
    return found


def _has_zone(value: str) -> bool:
    """Whether a Date ends with a time zone (`+0100`, `-0000`, `GMT`, `EST`…), comments left
    out: a date and time without one could be any moment of a day."""
    words = re.sub(r"\([^)]*\)", " ", value).split()
    return bool(words) and bool(re.fullmatch(r"[+-]\d{4}|[A-Za-z]{1,5}", words[-1]))


def sent_at(value: str | None) -> tuple[datetime | None, str | None]:
    """Read a Date header exactly (RFC 5322): the moment in UTC, or None and why not. A zone
    of -0000 says the time is in UTC with the sender's zone unknown, and RFC 5322 reads a
    zone name it does not know the same way, so both are read as UTC; a Date without a zone
    is not read."""
    from email.utils import parsedate_to_datetime

    if value is None or not value.strip():
        return None, "it has no Date header"
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None, f"cannot read its Date {value.strip()!r}"
    if when.tzinfo is None:
        if not _has_zone(value):
            return None, f"its Date {value.strip()!r} has no time zone"
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC), None


def _as_written(message: EmailMessage, name: str) -> str | None:
    """A header's value as the message wrote it (the parsed Date header would be rewritten
    with a zone it never had)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return " ".join(str(value).split())
    return None


def derived_id(message: EmailMessage) -> str:
    """A stable Message-ID for a message that has none: a hash of its Date, From and Subject
    headers as written, so the same message gets the same id on every import."""
    seen = "\n".join(str(message.get(h, "")).strip() for h in ("Date", "From", "Subject"))
    return f"<{hashlib.sha256(seen.encode('utf-8', 'surrogateescape')).hexdigest()[:32]}@derived>"


def letter(message: EmailMessage, where: str) -> Letter:
    """Decode one message into a Letter (with its problem, if it cannot be logged)."""
    found = Letter(where)
    try:
        names: dict[str, str] = {}
        senders = _addresses(message, names, "From")
        found.names = names
        found.recipients = [
            a for a in _addresses(message, names, "To", "Cc") if a not in senders[:1]
        ]
        # A Message-ID that is not one (`<id@domain>`, as RFC 5322 writes it) is taken for
        # none: the derived one is as stable, and every kept id has the one form a CSV of
        # interactions carries back exactly.
        raw_id = str(message.get("Message-ID", "")).strip()
        found.derived_id = not is_message_id(raw_id)
        found.message_id = derived_id(message) if found.derived_id else raw_id
        found.sent_at, problem = sent_at(_as_written(message, "Date"))
        subject = str(message.get("Subject", ""))
        found.summary = summary_of(subject, _body(message))
    except (LookupError, ValueError, TypeError) as exc:
        found.problem = f"cannot decode it ({exc})"
        return found
    if not senders:
        found.problem = "it has no From address"
    else:
        found.sender = senders[0]
        found.problem = problem
    return found


def _parse(data: bytes) -> EmailMessage:
    from email import message_from_bytes, policy

    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _is_mail(message: EmailMessage) -> bool:
    """Whether a file read as one message is mail: it has a From header among its headers."""
    return bool(message.get("From")) and not any(
        type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in message.defects
    )


def _one_file(data: bytes, name: str) -> Letter:
    message = _parse(data)
    if not _is_mail(message):
        raise ValidationError(
            f"{name} is not an email message (no From header)",
            hint="give a Maildir, an mbox file, .eml files, or - for one message on stdin",
        )
    return letter(message, name)


def _mbox(path: Path) -> Iterator[Letter]:
    import mailbox

    box = mailbox.mbox(path, factory=None, create=False)
    try:
        for n, key in enumerate(box.iterkeys(), start=1):
            yield letter(_parse(box.get_bytes(key)), f"{path}:{n}")
    finally:
        box.close()


def _maildir(path: Path) -> Iterator[Letter]:
    import mailbox

    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield letter(_parse(box.get_bytes(key)), f"{path}/{key}")


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def read_path(path: Path) -> list[Letter]:
    """Every message of a Maildir, an mbox file, an `.eml` file or a folder of `.eml` files;
    a path that is none of these, or that cannot be read, raises ValidationError."""
    try:
        return _read_path(path)
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_path(path: Path) -> list[Letter]:
    hint = "give a Maildir (with cur, new, tmp), an mbox file, .eml files, or - for stdin"
    if path.is_dir():
        if _is_maildir(path):
            return list(_maildir(path))
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
        if not files:
            raise ValidationError(
                f"{path} is not a mailbox: no cur/new/tmp folders and no .eml files", hint=hint
            )
        return [_one_file(p.read_bytes(), str(p)) for p in files]
    if not path.is_file():
        raise ValidationError(f"no such file or folder: {path}", hint=hint)
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        return list(_mbox(path))
    return [_one_file(path.read_bytes(), str(path))]


def read_stdin(data: bytes) -> list[Letter]:
    """The one message piped on stdin (as mutt's pipe-message or a procmail rule send it); an
    mbox 'From ' line before it is left out."""
    if data.startswith(b"From "):
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    message = _parse(data)
    if not _is_mail(message):
        raise ValidationError(
            "stdin is not an email message (no From header)",
            hint="pipe one message, e.g. mutt's | (pipe-message) to crm mail import -",
        )
    return [letter(message, "stdin")]
