"""Writing to a contact: a draft (To, Subject, a blank line, the body and the signature) for
the seller's editor, read back into a message, sent the way reminders are sent (sendmail or
verified-TLS SMTP) and logged as an outbound email interaction with its Message-ID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sqlmodel import Session

from tinycrm.domain.mailtext import SIGNATURE_LINES, summary_of
from tinycrm.errors import TinyCrmError, ValidationError
from tinycrm.store.models import Deal, Interaction

if TYPE_CHECKING:
    from tinycrm.config import Settings

# The headers a draft may have; any other line before the blank line is refused.
DRAFT_HEADERS = ("to", "cc", "subject")


class SendError(TinyCrmError):
    """The message could not be sent (nothing was logged)."""


@dataclass(frozen=True)
class Draft:
    """A message as the seller saved it: its recipients, subject and body (with signature)."""

    to: str
    cc: str
    subject: str
    body: str


def own_addresses(settings: Settings) -> list[str]:
    """The seller's own addresses: mail.addresses, then reminders.email_from."""
    found = list(settings.mail.addresses)
    if settings.reminders.email_from:
        found.append(settings.reminders.email_from)
    return found


def sender_of(settings: Settings) -> str:
    """The seller's From address: the first of mail.addresses, else reminders.email_from."""
    own = own_addresses(settings)
    if own:
        return own[0]
    raise ValidationError(
        "crm mail needs your own address to send from",
        hint="crm config set mail.addresses you@example.com",
    )


def check_delivery(settings: Settings) -> None:
    """Refuse to write a message that could not be sent: no sendmail and no SMTP server."""
    if not (settings.reminders.sendmail or settings.reminders.smtp_host):
        raise ValidationError(
            "crm mail sends through reminders.sendmail or reminders.smtp_host; neither is set",
            hint="crm config set reminders.smtp_host smtp.example.com (see docs/mail.md)",
        )


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: the contact, the address, and the deal it will be logged on."""

    contact_id: int
    name: str
    address: str
    deal_id: int | None


def recipient(session: Session, ref: str, deal_ref: str | None = None) -> Recipient:
    """The contact `ref` names, at their primary email (else their first), with the deal the
    message is about: `deal_ref` (which must be theirs), else their one open deal."""
    from tinycrm.core import refs
    from tinycrm.core.contacts import emails_of
    from tinycrm.core.followups import deal_to_link
    from tinycrm.errors import UsageError

    contact = refs.resolve_contact(session, ref)
    assert contact.id is not None
    emails = sorted(emails_of(session, contact.id), key=lambda e: not e.is_primary)
    if not emails:
        raise ValidationError(
            f"{contact.name} has no email address",
            hint=f"crm edit #{contact.id} --email jane@example.com adds one",
        )
    deal = refs.resolve_deal(session, deal_ref) if deal_ref else deal_to_link(session, contact)[0]
    if deal is not None and deal.contact_id != contact.id:
        raise UsageError(f"deal #{deal.id} {deal.title} is not {contact.name}'s")
    return Recipient(contact.id, contact.name, emails[0].email, deal.id if deal else None)


def draft_text(name: str, address: str, subject: str, signature: str | None) -> str:
    """The draft the editor opens: headers, a blank line, an empty body, the signature."""
    from email.headerregistry import Address

    from tinycrm.system.channels import one_line

    to = str(Address(display_name=one_line(name), addr_spec=address))
    ending = f"\n\n-- \n{signature.strip()}\n" if signature and signature.strip() else "\n"
    return f"To: {to}\nSubject: {one_line(subject)}\n\n{ending}"


def _own_body(body: str) -> str:
    """The body without its signature: what tells whether anything was written."""
    kept: list[str] = []
    for line in body.splitlines():
        if line in SIGNATURE_LINES:
            break
        kept.append(line)
    return "\n".join(kept).strip()


def read_draft(text: str) -> Draft:
    """Read a saved draft back; a draft without a To: line or with an empty body (the
    signature alone is empty) raises ValidationError, so nothing is sent."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    values: dict[str, str] = {}
    for line in head.splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if not colon or key not in DRAFT_HEADERS:
            raise ValidationError(
                f"the draft has a line {line.strip()!r} before its body; nothing was sent",
                hint="keep To:, Cc: and Subject:, then a blank line, then the message",
            )
        values[key] = value.strip()
    if not values.get("to"):
        raise ValidationError("the draft has no To: address; nothing was sent")
    if not _own_body(body):
        raise ValidationError("the message is empty; nothing was sent")
    return Draft(values["to"], values.get("cc", ""), values.get("subject", ""), body.strip("\n"))


def _addresses(field_name: str, value: str) -> list[str]:
    """The addresses of a To: or Cc: value, each checked."""
    from email.utils import getaddresses

    from tinycrm.domain.text import is_email

    found = getaddresses([value])
    bad = [a or n for n, a in found if not is_email(a)]
    if bad or not found:
        raise ValidationError(f"not an email address in {field_name}: {(bad or [value])[0]!r}")
    return [a for _n, a in found]


def compose(draft: Draft, sender: str, now: datetime, tz: tzinfo) -> EmailMessage:
    """The message to send: From, To, Cc, Subject, Date, a new Message-ID and the body."""
    from email.utils import format_datetime, make_msgid

    from tinycrm.system.channels import one_line

    _addresses("To", draft.to)
    msg = EmailMessage()
    msg["From"] = one_line(sender)
    msg["To"] = one_line(draft.to)
    if draft.cc:
        _addresses("Cc", draft.cc)
        msg["Cc"] = one_line(draft.cc)
    msg["Subject"] = one_line(draft.subject)
    msg["Date"] = format_datetime(now.astimezone(tz))
    domain = sender.rpartition("@")[2].strip("<> ") or "tinycrm.invalid"
    msg["Message-ID"] = make_msgid("tinycrm", domain=domain)
    msg.set_content(draft.body + "\n")
    return msg


def send(msg: EmailMessage, settings: Settings) -> None:
    """Send through reminders' sendmail or SMTP server; a failure raises SendError."""
    import subprocess

    from tinycrm.system import channels

    try:
        outcome = channels.deliver(msg, settings.reminders)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SendError(f"the message was not sent: {exc}; nothing was logged") from None
    if outcome.status != "delivered":
        raise SendError(f"the message was not sent: {outcome.detail}; nothing was logged")


def log_sent(
    session: Session, to: Recipient, msg: EmailMessage, draft: Draft, now: datetime
) -> Interaction:
    """Log a sent message on its contact (and deal) as an outbound email interaction with
    its Message-ID."""
    from tinycrm.core.contacts import get_contact
    from tinycrm.core.interactions import log_interaction

    return log_interaction(
        session,
        "email",
        summary_of(draft.subject, draft.body),
        now=now,
        contact=get_contact(session, to.contact_id),
        deal=session.get(Deal, to.deal_id) if to.deal_id is not None else None,
        direction="out",
        message_id=str(msg["Message-ID"]),
    )
