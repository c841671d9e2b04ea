"""`crm mail CONTACT`: a draft written by $EDITOR (a small script here), sent to a local SMTP
server (aiosmtpd on 127.0.0.1) and logged as an outbound email with its Message-ID."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of, table_rows

ME = "me@seller.com"


@dataclass
class Received:
    """What the test server was given: each envelope's sender, recipients and message."""

    envelopes: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)


class _Handler:
    def __init__(self, box: Received) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[int, Received]]:
    from aiosmtpd.controller import Controller

    box = Received()
    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


def editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that writes `body` into the draft's empty body (after the blank line)."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read()\n"
        f"text = text.replace('\\n\\n', '\\n\\n' + {body!r}, 1)\n"
        "open(path, 'w', encoding='utf-8').write(text)\n"
    )
    return f"{sys.executable} {script}"


@pytest.fixture
def seller(crm: Crm, jane: Path, smtp: tuple[int, Received]) -> Path:
    """Jane Doe with deal #2; the seller's address, signature and SMTP server set."""
    port, _box = smtp
    for key, value in (
        ("mail.addresses", ME),
        ("mail.signature", "Sam Seller, Seller Inc"),
        ("reminders.smtp_host", "127.0.0.1"),
        ("reminders.smtp_port", str(port)),
    ):
        assert crm("config", "set", key, value).exit_code == 0
    return jane


def test_a_message_is_sent_and_logged(
    crm: Crm,
    seller: Path,
    smtp: tuple[int, Received],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Hello Jane,\nthe offer is attached.\n"))
    result = crm("mail", "jane", "--subject", "The offer")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Sent to Jane Doe <jane@acme.com>; logged email with Jane Doe about deal #2 Acme"
        " website (interaction #1)\n"
    )
    [(mail_from, rcpt, message)] = smtp[1].envelopes
    assert (mail_from, rcpt) == (ME, ["jane@acme.com"])
    assert message["From"] == ME
    assert message["To"] == "Jane Doe <jane@acme.com>"
    assert message["Subject"] == "The offer"
    assert message["Date"] == "Mon, 23 Nov 2026 10:00:00 +0000"
    body = message.get_body()
    assert body is not None
    assert body.get_content().replace("\r\n", "\n") == (
        "Hello Jane,\nthe offer is attached.\n\n\n-- \nSam Seller, Seller Inc\n"
    )
    assert table_rows(
        seller, "SELECT kind, direction, summary, deal_id, contact_id, message_id FROM interaction"
    ) == [
        (
            "email",
            "out",
            "The offer: Hello Jane, the offer is attached.",
            2,
            1,
            message["Message-ID"],
        )
    ]
    assert message["Message-ID"].endswith("@seller.com>")


def test_send_is_the_same_command_named(
    crm: Crm, seller: Path, smtp: tuple[int, Received], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Hi"))
    assert crm("mail", "send", "jane").exit_code == 0
    assert len(smtp[1].envelopes) == 1
    shown = crm("mail", "--help").stdout
    assert "send" in shown and "import" in shown


def test_dry_run_prints_and_sends_nothing(
    crm: Crm, seller: Path, smtp: tuple[int, Received], tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Just a draft"))
    before = snapshot_of(seller)
    result = crm("mail", "jane", "--subject", "Draft", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "To: Jane Doe <jane@acme.com>\n" in result.stdout
    assert "Subject: Draft\n" in result.stdout
    assert "Just a draft" in result.stdout
    assert smtp[1].envelopes == []
    assert snapshot_of(seller) == before


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("", "error: the message is empty; nothing was sent"),
        ("   \n", "error: the message is empty; nothing was sent"),
    ],
)
def test_an_empty_message_is_not_sent(
    crm: Crm,
    seller: Path,
    smtp: tuple[int, Received],
    tmp_path: Path,
    monkeypatch: Any,
    written: str,
    said: str,
) -> None:
    monkeypatch.setenv("EDITOR", editor(tmp_path, written))
    before = snapshot_of(seller)
    result = crm("mail", "jane")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == said
    assert smtp[1].envelopes == []
    assert snapshot_of(seller) == before


def test_a_draft_without_to_is_not_sent(
    crm: Crm, seller: Path, smtp: tuple[int, Received], tmp_path: Path, monkeypatch: Any
) -> None:
    script = tmp_path / "drop_to.py"
    script.write_text(
        "import sys\np = sys.argv[1]\nt = open(p).read().split('\\n', 1)[1]\n"
        "open(p, 'w').write(t.replace('\\n\\n', '\\n\\nHello', 1))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    result = crm("mail", "jane")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error: the draft has no To: address; nothing was sent"
    assert smtp[1].envelopes == []


def test_a_send_that_fails_logs_nothing(
    crm: Crm, seller: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    assert crm("config", "set", "reminders.smtp_port", str(free_port())).exit_code == 0
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Hello"))
    before = snapshot_of(seller)
    result = crm("mail", "jane")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the message was not sent: 127.0.0.1:")
    assert lines[0].endswith("; nothing was logged")
    assert snapshot_of(seller) == before


def test_without_a_way_to_send_no_editor_opens(crm: Crm, jane: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("EDITOR", "false")
    assert crm("config", "set", "mail.addresses", ME).exit_code == 0
    result = crm("mail", "jane")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: crm mail sends through reminders.sendmail or")


def test_another_contacts_deal_is_refused(
    crm: Crm, seller: Path, smtp: tuple[int, Received], monkeypatch: Any
) -> None:
    monkeypatch.setenv("EDITOR", "false")
    assert crm("add", "contact", "Bob", "--email", "bob@beta.org").exit_code == 0
    result = crm("mail", "bob", "--deal", "acme website")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: deal #2 Acme website is not Bob's")


def test_a_message_goes_through_sendmail_when_it_is_set(
    crm: Crm, jane: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    got = tmp_path / "sent.eml"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f'#!/bin/sh\necho "$@" > {got}.args\ncat > {got}\n')
    sendmail.chmod(0o755)
    assert crm("config", "set", "mail.addresses", ME).exit_code == 0
    assert crm("config", "set", "reminders.sendmail", str(sendmail)).exit_code == 0
    monkeypatch.setenv("EDITOR", editor(tmp_path, "Hello via sendmail"))
    result = crm("mail", "jane", "--subject", "Local")
    assert result.exit_code == 0, result.output
    assert Path(f"{got}.args").read_text() == "-t -oi\n"
    sent = message_from_bytes(got.read_bytes(), policy=policy.default)
    assert (sent["To"], sent["Subject"]) == ("Jane Doe <jane@acme.com>", "Local")
    assert table_rows(jane, "SELECT message_id FROM interaction") == [(sent["Message-ID"],)]


def test_a_cc_line_in_the_draft_copies_the_message(
    crm: Crm, seller: Path, smtp: tuple[int, Received], tmp_path: Path, monkeypatch: Any
) -> None:
    script = tmp_path / "cc.py"
    script.write_text(
        "import sys\np = sys.argv[1]\nt = open(p).read()\n"
        "t = t.replace('Subject:', 'Cc: Bo <bo@beta.org>\\nSubject:', 1)\n"
        "open(p, 'w').write(t.replace('\\n\\n', '\\n\\nHello both', 1))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    assert crm("mail", "jane").exit_code == 0
    [(_from, rcpt, message)] = smtp[1].envelopes
    assert rcpt == ["jane@acme.com", "bo@beta.org"]
    assert message["Cc"] == "Bo <bo@beta.org>"


def test_without_an_address_of_your_own_nothing_is_written(
    crm: Crm, jane: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("EDITOR", "false")
    result = crm("mail", "jane", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: crm mail needs your own address to send from",
        "hint: crm config set mail.addresses you@example.com",
    ]
