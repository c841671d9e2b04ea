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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinycrm.core.reminders import Outcome, Reminder

# More than this many reminders make one summary notification instead of one each.
DESKTOP_LIMIT = 5
TIMEOUT = 60


def _outcome(channel: str, status: str, detail: str = "") -> Outcome:
    from tinycrm.core.reminders import Outcome

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
        titles = "\n".join(r.title for r in reminders[:3])
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
    reminders: Sequence[Reminder], config: dict[str, Any], now: datetime, tz: tzinfo
) -> EmailMessage:
    """Build the reminder email (one message for the whole run)."""
    sender = str(config.get("email_from") or "")
    to = config.get("email_to") or sender
    recipients = [str(t) for t in to] if isinstance(to, list) else [str(to)]
    if not sender or not any(recipients):
        from tinycrm.errors import ValidationError

        raise ValidationError(
            "the email channel needs email_from and email_to in [reminders]",
            hint='add email_from = "crm@example.com" and email_to = "you@example.com"',
        )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    first = reminders[0].title if reminders else ""
    more = f" and {len(reminders) - 1} more" if len(reminders) > 1 else ""
    msg["Subject"] = f"tinycrm: {first}{more}"
    msg.set_content("\n\n".join(r.text(now, tz) for r in reminders) + "\n")
    return msg


def email(
    reminders: Sequence[Reminder], config: dict[str, Any], now: datetime, tz: tzinfo
) -> Outcome:
    """Send one email through a local sendmail program or an SMTP server."""
    from tinycrm.errors import TinyCrmError

    try:
        msg = message(reminders, config, now, tz)
    except TinyCrmError as exc:
        return _outcome("email", "failed", exc.message)
    sendmail = config.get("sendmail")
    if sendmail:
        done = subprocess.run(
            [str(sendmail), "-t", "-oi"], input=msg.as_bytes(), capture_output=True, timeout=TIMEOUT
        )
        if done.returncode != 0:
            detail = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            return _outcome("email", "failed", f"{sendmail}: {detail}")
        return _outcome("email", "delivered")
    host = config.get("smtp_host")
    if not host:
        return _outcome("email", "failed", "set smtp_host or sendmail in [reminders]")
    import smtplib

    port = int(config.get("smtp_port", 25))
    try:
        smtp_class = smtplib.SMTP_SSL if port == 465 else smtplib.SMTP
        with smtp_class(str(host), port, timeout=TIMEOUT) as smtp:
            if config.get("smtp_starttls") and port != 465:
                smtp.starttls()
            if config.get("smtp_user"):
                smtp.login(str(config["smtp_user"]), str(config.get("smtp_password", "")))
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return _outcome("email", "failed", f"{host}:{port}: {exc}")
    return _outcome("email", "delivered")


def command(reminders: Sequence[Reminder], config: dict[str, Any], env: dict[str, str]) -> Outcome:
    """Run the user's command (through /bin/sh) with the reminders as JSON on its stdin."""
    line = config.get("command")
    if not line:
        return _outcome("command", "failed", "set command in [reminders]")
    payload = json.dumps([r.to_dict() for r in reminders], ensure_ascii=False).encode()
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", str(line)],
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
