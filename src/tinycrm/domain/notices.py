"""What `crm remind` tells the seller, and what each channel made of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from tinycrm.domain.dates import describe, iso
from tinycrm.domain.due import bucket_of


@dataclass
class Reminder:
    """One thing to tell the seller: a due follow-up, a contact due for a touch, or a
    contact's kept date (its title says which: 'birthday · Jan Smith turns 41')."""

    kind: str  # "follow-up", "keep-in-touch" or "date" (a contact's birthday, anniversary…)
    id: int
    title: str
    due: datetime
    all_day: bool
    priority: bool = False
    recurring: bool = False
    contact_id: int | None = None
    deal_id: int | None = None
    contact: dict[str, Any] | None = None
    deal: dict[str, Any] | None = None
    last_interaction: dict[str, Any] | None = None
    # the record's uuid and the occurrence as stored: the key of its claim
    uuid: str = ""
    occurrence: str = ""
    claimed_by: str = ""
    commands: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Describe it for JSON (the command channel's stdin and `--json`)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "due": iso(self.due),
            "all_day": self.all_day,
            "priority": self.priority,
            "recurring": self.recurring,
            "contact": self.contact,
            "deal": self.deal,
            "last_interaction": self.last_interaction,
            "commands": self.commands,
        }

    def text(self, now: datetime, tz: tzinfo) -> str:
        """Render it as a few plain lines (stdout, email)."""
        when = describe(self.due, self.all_day, tz)
        late = " (overdue)" if bucket_of(self.due, self.all_day, now, tz) == "overdue" else ""
        flag = " [priority]" if self.priority else ""
        if self.kind == "follow-up":
            head = f"Follow-up #{self.id} due {when}{late}: {self.title}{flag}"
        elif self.kind == "date":
            head = f"{self.title[:1].upper()}{self.title[1:]} (contact #{self.id}): {when}"
        else:
            head = f"Keep in touch with {self.title} (contact #{self.id}): due {when}{late}"
        lines = [head]
        if self.contact and self.kind == "follow-up":
            email = f" <{self.contact['email']}>" if self.contact.get("email") else ""
            lines.append(f"  contact: {self.contact['name']}{email} (#{self.contact['id']})")
        elif self.contact and self.contact.get("email"):
            lines.append(f"  email: {self.contact['email']}")
        if self.deal:
            lines.append(
                f"  deal: {self.deal['title']} (#{self.deal['id']}), "
                f"{self.deal['stage']}, {self.deal['status']}"
            )
        last = self.last_interaction
        if last:
            at = describe(datetime.fromisoformat(last["occurred_at"]), False, tz)
            lines.append(f"  last interaction: {last['kind']} {at}: {last['summary']}")
        else:
            lines.append("  last interaction: none yet")
        lines.extend(f"  {command}" for command in self.commands)
        return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    """What one channel did: delivered, skipped (with why), or failed (with why)."""

    channel: str
    status: str  # delivered, skipped, failed
    detail: str = ""
