"""Logging read email as interactions: each message from or to a known contact becomes one
`email` interaction per such contact (once: its Message-ID is kept), through the same service
as `crm log`, in one transaction and one undo step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import col

from tinycrm.domain.rows import MailImportView
from tinycrm.domain.text import is_email
from tinycrm.io.mail import Letter
from tinycrm.store.models import Contact, ContactEmail, Deal, Interaction

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.db import Database

# How many strangers' addresses the one-line summary names (--json lists them all).
STRANGERS_SHOWN = 10


@dataclass(slots=True)
class _Entry:
    """One interaction to log: a message about a contact (or a stranger who becomes one)."""

    letter: Letter
    direction: str | None
    contact_id: int | None = None
    stranger: str | None = None


@dataclass(slots=True)
class MailReport:
    """What an import of mail did (or, in a dry run, would do)."""

    messages: int = 0
    logged: list[int] = field(default_factory=list)  # interaction ids (empty in a dry run)
    to_log: int = 0
    contacts: set[int | str] = field(default_factory=set)
    already_logged: int = 0
    not_about_contacts: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)
    in_trash: list[str] = field(default_factory=list)
    new_leads: list[tuple[int | None, str, str]] = field(default_factory=list)
    derived_ids: int = 0
    dry_run: bool = False
    stopped: list[str] = field(default_factory=list)  # the sequence runs a reply stopped

    def view(self) -> MailImportView:
        """The report as `crm mail import --json` prints it."""
        return {
            "messages": self.messages,
            "logged": self.to_log,
            "interactions": list(self.logged),
            "contacts": len(self.contacts),
            "already_logged": self.already_logged,
            "not_about_contacts": self.not_about_contacts,
            "skipped": [{"message": where, "why": why} for where, why in self.skipped],
            "strangers": list(self.strangers),
            "in_trash": list(self.in_trash),
            "new_leads": [
                {"id": cid, "name": name, "email": email} for cid, name, email in self.new_leads
            ],
            "derived_message_ids": self.derived_ids,
            "stopped_sequences": list(self.stopped),
            "dry_run": self.dry_run,
        }

    def counted(self) -> str:
        """What is logged, counted: "12 emails for 5 contacts"."""
        emails = "email" if self.to_log == 1 else "emails"
        people = "contact" if len(self.contacts) == 1 else "contacts"
        return f"{self.to_log} {emails} for {len(self.contacts)} {people}"

    def line(self) -> str:
        """The one-line summary ("Logged 12 emails for 5 contacts; 3 already logged; …")."""
        parts = [f"{'Would log' if self.dry_run else 'Logged'} {self.counted()}"]
        if self.already_logged:
            parts.append(f"{self.already_logged} already logged")
        if self.new_leads:
            added = "would add" if self.dry_run else "added"
            n = len(self.new_leads)
            parts.append(f"{added} {n} new {'lead' if n == 1 else 'leads'}")
        if self.strangers:
            shown = ", ".join(self.strangers[:STRANGERS_SHOWN])
            more = ", …" if len(self.strangers) > STRANGERS_SHOWN else ""
            who = "stranger" if len(self.strangers) == 1 else "strangers"
            hint = "" if self.new_leads else " (--new-leads adds them)"
            parts.append(f"{len(self.strangers)} {who}: {shown}{more}{hint}")
        if self.in_trash:
            shown = ", ".join(self.in_trash[:STRANGERS_SHOWN])
            parts.append(f"addresses of contacts in the trash: {shown}")
        if self.not_about_contacts:
            n = self.not_about_contacts
            parts.append(f"{n} {'message' if n == 1 else 'messages'} about no contact")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return "; ".join(parts)


def _addresses(session: Session) -> tuple[dict[str, int], set[str]]:
    """Every contact's address (lower-cased, as `email_key`) with its contact; the addresses
    of contacts in the trash apart."""
    live: dict[str, int] = {}
    trashed: set[str] = set()
    rows = session.execute(
        select(ContactEmail.email_key, Contact.id, Contact.deleted_at).join(
            Contact, col(Contact.id) == col(ContactEmail.contact_id)
        )
    )
    for key, cid, deleted_at in rows:
        if deleted_at is None:
            live[key] = cid
        else:
            trashed.add(key)
    return live, trashed - set(live)


def _logged(session: Session) -> set[tuple[int, str]]:
    """The messages already logged, as (contact id, Message-ID): in the trash too, since the
    Message-ID is kept once per contact."""
    rows = session.execute(
        select(Interaction.contact_id, Interaction.message_id).where(
            col(Interaction.message_id).is_not(None), col(Interaction.contact_id).is_not(None)
        )
    )
    return {(cid, mid) for cid, mid in rows}


def _plan(
    session: Session, letters: Sequence[Letter], seller: set[str], new_leads: bool
) -> tuple[list[_Entry], MailReport]:
    """Decide, reading only, what each message logs."""
    report = MailReport(messages=len(letters))
    known, trashed = _addresses(session)
    logged = _logged(session)
    strangers: dict[str, None] = {}
    in_trash: dict[str, None] = {}
    seen: set[tuple[int | str, str]] = set()
    entries: list[_Entry] = []
    for letter in letters:
        if letter.problem is not None:
            report.skipped.append((letter.where, letter.problem))
            continue
        outbound = letter.sender in seller
        about: dict[int | str, str | None] = {}
        for address in letter.addresses:
            if address in seller:
                continue
            cid = known.get(address)
            if cid is not None:
                if about.get(cid) is None:
                    about[cid] = "out" if outbound else "in" if address == letter.sender else None
                continue
            if address in trashed:
                in_trash[address] = None
                continue
            if new_leads and is_email(address):
                about[address] = "out" if outbound else "in" if address == letter.sender else None
            else:
                strangers[address] = None
        if not about:
            report.not_about_contacts += 1
            continue
        report.derived_ids += letter.derived_id
        for who, direction in about.items():
            key = (who, letter.message_id)
            if key in seen or key in logged:
                report.already_logged += 1
                continue
            seen.add(key)
            report.contacts.add(who)
            if isinstance(who, int):
                entries.append(_Entry(letter, direction, contact_id=who))
            else:
                entries.append(_Entry(letter, direction, stranger=who))
    report.strangers = list(strangers)
    report.in_trash = list(in_trash)
    report.to_log = len(entries)
    return entries, report


def _lead_name(letters: Iterable[Letter], address: str) -> str:
    """A new lead's name: the display name a message gave the address, else the address."""
    for letter in letters:
        if address in letter.names:
            return letter.names[address]
    return address


def import_mail(
    db: Database,
    letters: Sequence[Letter],
    *,
    seller: Iterable[str],
    now: datetime,
    new_leads: bool = False,
    dry_run: bool = False,
) -> MailReport:
    """Log the messages about known contacts (and, with `new_leads`, strangers added as lead
    contacts) as email interactions, each attached to the contact's one open deal if there
    is exactly one; all in one transaction named for the whole import. A dry run only reads."""
    from tinycrm.core import contacts, followups, interactions, runs
    from tinycrm.store import history

    own = {address.strip().lower() for address in seller}
    door = db.snapshot() if dry_run else db.transaction(origin="mail", now=now)
    with door as session:
        entries, report = _plan(session, letters, own, new_leads)
        report.dry_run = dry_run
        added = {e.stranger: None for e in entries if e.stranger is not None}
        if dry_run:
            report.new_leads = [(None, _lead_name(letters, a), a) for a in added]
            return report
        if not entries:
            return report
        history.describe(session, f"import mail: {report.counted()}")
        people: dict[int | str, Contact] = {}
        linked: dict[int | str, Deal | None] = {}
        for address in added:
            name = _lead_name(letters, address)
            lead = contacts.add_contact(session, name, now=now, emails=[address], source="email")
            assert lead.id is not None
            people[address] = lead
            report.new_leads.append((lead.id, name, address))
        for entry in entries:
            who: int | str = (
                entry.contact_id if entry.contact_id is not None else entry.stranger or ""
            )
            person = people.get(who)
            if person is None:
                assert entry.contact_id is not None
                person = contacts.get_contact(session, entry.contact_id)
                people[who] = person
            if who not in linked:
                linked[who] = followups.deal_to_link(session, person)[0]
            item = interactions.log_interaction(
                session,
                "email",
                entry.letter.summary,
                now=now,
                at=entry.letter.sent_at,
                contact=person,
                deal=linked[who],
                direction=entry.direction,
                message_id=entry.letter.message_id,
            )
            assert item.id is not None
            report.logged.append(item.id)
        report.stopped = runs.stopped_by_reply(session)
    return report
