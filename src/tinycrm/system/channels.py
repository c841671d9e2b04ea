"""Reminder channels other than stdout: desktop notifications, email, and a user command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, tzinfo
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycrm.config import ReminderSettings
    from tinycrm.domain.notices import Outcome, Reminder

# More than this many reminders make one summary notification instead of one each.
DESKTOP_LIMIT = 5
TIMEOUT = 60
SMTPS_PORTS = (465,)  # ports spoken over TLS from the first byte (SMTPS); others may STARTTLS


def one_line(value: str) -> str:
    """Fold CR, LF and every other control or line-separator character to a space, so a value
    from the data can never end a mail header or start a new one."""
    import unicodedata

    folded = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in str(value)
    )
    return " ".join(folded.split())


def _outcome(channel: str, status: str, detail: str = "") -> Outcome:
    from tinycrm.domain.notices import Outcome

    return Outcome(channel, status, detail)


def session_bus(env: dict[str, str]) -> str | None:
    """Return the address of the user's session bus, or None when none is reachable."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    socket = Path(f"/run/user/{os.getuid()}/bus") if hasattr(os, "getuid") else None
    if socket is not None and socket.exists():
        return f"unix:path={socket}"
    return None


def _desktop_lines(
    reminders: Sequence[Reminder], now: datetime, tz: tzinfo
) -> list[tuple[str, str]]:
    if len(reminders) > DESKTOP_LIMIT:
        titles = "\n".join(one_line(r.title) for r in reminders[:3])
        return [(f"tinycrm: {len(reminders)} reminders", f"{titles}\n...")]
    out = []
    for r in reminders:
        head, _, rest = r.text(now, tz).partition("\n")
        out.append((head, rest.replace("  ", "")))
    return out


def desktop(
    reminders: Sequence[Reminder], now: datetime, tz: tzinfo, env: dict[str, str]
) -> Outcome:
    """Show desktop notifications (notify-send on Linux, osascript on macOS); skipped, not
    failed, when there is no desktop session to show them in."""
    if sys.platform == "darwin":
        osascript = shutil.which("osascript", path=env.get("PATH")) or "/usr/bin/osascript"
        for head, body in _desktop_lines(reminders, now, tz):
            script = f"display notification {json.dumps(body)} with title {json.dumps(head)}"
            done = subprocess.run([osascript, "-e", script], capture_output=True, timeout=TIMEOUT)
            if done.returncode != 0:
                return _outcome("desktop", "failed", done.stderr.decode(errors="replace").strip())
        return _outcome("desktop", "delivered")
    notify = shutil.which("notify-send", path=env.get("PATH") or "/usr/bin:/bin")
    if notify is None:
        return _outcome("desktop", "skipped", "notify-send is not installed")
    bus = session_bus(env)
    if bus is None:
        return _outcome("desktop", "skipped", "no desktop session bus is reachable")
    child_env = {**env, "DBUS_SESSION_BUS_ADDRESS": bus}
    for head, body in _desktop_lines(reminders, now, tz):
        done = subprocess.run(
            [notify, "--app-name=tinycrm", head, body],
            env=child_env,
            capture_output=True,
            timeout=TIMEOUT,
        )
        if done.returncode != 0:
            return _outcome("desktop", "failed", done.stderr.decode(errors="replace").strip())
    return _outcome("desktop", "delivered")


def message(
    reminders: Sequence[Reminder], config: ReminderSettings, now: datetime, tz: tzinfo
) -> EmailMessage:
    """Build the reminder email (one message for the whole run)."""
    sender = config.email_from or ""
    recipients = list(config.email_to or [sender])
    if not sender or not any(recipients):
        from tinycrm.errors import ValidationError

        raise ValidationError(
            "the email channel needs email_from and email_to in [reminders]",
            hint='add email_from = "crm@example.com" and email_to = "you@example.com"',
        )
    from email.utils import format_datetime, make_msgid

    msg = EmailMessage()
    msg["From"] = one_line(sender)
    msg["To"] = one_line(", ".join(recipients))
    first = reminders[0].title if reminders else ""
    more = f" and {len(reminders) - 1} more" if len(reminders) > 1 else ""
    msg["Subject"] = one_line(f"tinycrm: {first}{more}")
    msg["Date"] = format_datetime(now.astimezone(tz))
    domain = one_line(sender).rpartition("@")[2].strip("<> ") or "tinycrm.invalid"
    msg["Message-ID"] = make_msgid("tinycrm", domain=domain)
    msg.set_content("\n\n".join(r.text(now, tz) for r in reminders) + "\n")
    return msg


def email(
    reminders: Sequence[Reminder], config: ReminderSettings, now: datetime, tz: tzinfo
) -> Outcome:
    """Send one email through a local sendmail program or an SMTP server."""
    from tinycrm.errors import TinyCrmError

    try:
        msg = message(reminders, config, now, tz)
    except TinyCrmError as exc:
        return _outcome("email", "failed", exc.message)
    return deliver(msg, config)


def deliver(msg: EmailMessage, config: ReminderSettings) -> Outcome:
    """Send one message as [reminders] says: through its sendmail program (which reads the
    recipients from the headers), else its SMTP server (TLS verified, see `send_smtp`). Both
    reminders and `crm mail` send this way."""
    sendmail = config.sendmail
    if sendmail:
        done = subprocess.run(
            [sendmail, "-t", "-oi"], input=msg.as_bytes(), capture_output=True, timeout=TIMEOUT
        )
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            return _outcome("email", "failed", f"{sendmail}: {detail}")
        return _outcome("email", "delivered")
    host = config.smtp_host
    if not host:
        return _outcome("email", "failed", "set smtp_host or sendmail in [reminders]")
    port = config.smtp_port
    try:
        password = smtp_password(config)
    except PasswordCommandError as exc:
        return _outcome("email", "failed", str(exc))
    return send_smtp(
        msg,
        host,
        port,
        tls="ssl" if port in SMTPS_PORTS else "starttls" if config.smtp_starttls else "",
        user=config.smtp_user or None,
        password=password,
    )


class PasswordCommandError(Exception):
    """smtp_password_command failed or printed nothing."""


def smtp_password(config: ReminderSettings) -> str:
    """Return the SMTP password: the first line printed by smtp_password_command (run through
    /bin/sh, like msmtp's passwordeval), else smtp_password, else ''."""
    line = config.smtp_password_command
    if not line:
        return config.smtp_password or ""
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", line],
            capture_output=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise PasswordCommandError(f"smtp_password_command took longer than {TIMEOUT}s") from None
    if done.returncode != 0:
        detail = one_line(done.stderr.decode(errors="replace"))
        raise PasswordCommandError(
            f"smtp_password_command failed: exit {done.returncode} {detail}".strip()
        )
    lines = done.stdout.decode(errors="replace").splitlines()
    if not lines or not lines[0]:
        raise PasswordCommandError("smtp_password_command printed no password")
    return lines[0]


def send_smtp(
    msg: EmailMessage,
    host: str,
    port: int,
    *,
    tls: str = "",
    user: str | None = None,
    password: str = "",
) -> Outcome:
    """Send one message over SMTP; `tls` is "ssl" (TLS from the start), "starttls" or "" (none).

    TLS checks the server's certificate and host name against the system's trusted
    authorities (ssl.create_default_context), before anything, a password least of all, is sent.
    """
    import smtplib
    import ssl

    context = ssl.create_default_context()
    where = f"{host}:{port}"
    try:
        if tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with smtp:
            if tls == "starttls":
                smtp.starttls(context=context)
            if user:
                smtp.login(user, password)
            smtp.send_message(msg)
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or "not trusted"
        return _outcome(
            "email", "failed", f"{where}: the server's certificate was refused: {reason}"
        )
    except (OSError, smtplib.SMTPException) as exc:
        return _outcome("email", "failed", f"{where}: {one_line(str(exc))}")
    return _outcome("email", "delivered")


def command(
    reminders: Sequence[Reminder], config: ReminderSettings, env: dict[str, str]
) -> Outcome:
    """Run the user's command (through /bin/sh) with the reminders as JSON on its stdin."""
    line = config.command
    if not line:
        return _outcome("command", "failed", "set command in [reminders]")
    payload = json.dumps([r.to_dict() for r in reminders], ensure_ascii=False).encode()
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", line],
            input=payload,
            env=env,
            capture_output=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return _outcome("command", "failed", f"{line}: took longer than {TIMEOUT}s")
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip()
        return _outcome("command", "failed", f"{line}: exit {done.returncode} {detail}".strip())
    return _outcome("command", "delivered")
