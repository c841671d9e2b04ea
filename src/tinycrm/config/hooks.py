"""[hooks]: the commands tinycrm runs after a change is saved, one list per event, and how
long one may run. A separate table from the others: its keys are event names, and a key that
names no event is refused (a misspelt event would otherwise never run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinycrm.config import checks
from tinycrm.errors import ValidationError

# The events, in the order docs/hooks.md describes them.
EVENTS = (
    "contact_added",
    "deal_moved",
    "deal_won",
    "deal_lost",
    "follow_up_due",
    "follow_up_done",
    "interaction_logged",
)
_MEANINGS = {
    "contact_added": "a contact is added",
    "deal_moved": "a deal moves to another stage",
    "deal_won": "a deal is won",
    "deal_lost": "a deal is lost",
    "follow_up_due": "crm remind reminds of a follow-up",
    "follow_up_done": "a follow-up is done",
    "interaction_logged": "an interaction is logged",
}


def _commands(event: str) -> Any:
    return field(
        default=(),
        metadata={
            "kind": list,
            "help": f"shell commands run when {_MEANINGS[event]}",
            "check": checks.commands,
        },
    )


@dataclass(frozen=True)
class HookSettings:
    """[hooks]: shell commands per event (each run by /bin/sh with the events as JSON on its
    standard input), and the seconds one may take before it is stopped."""

    contact_added: tuple[str, ...] = _commands("contact_added")
    deal_moved: tuple[str, ...] = _commands("deal_moved")
    deal_won: tuple[str, ...] = _commands("deal_won")
    deal_lost: tuple[str, ...] = _commands("deal_lost")
    follow_up_due: tuple[str, ...] = _commands("follow_up_due")
    follow_up_done: tuple[str, ...] = _commands("follow_up_done")
    interaction_logged: tuple[str, ...] = _commands("interaction_logged")
    timeout: int = field(
        default=10,
        metadata={
            "kind": int,
            "help": "seconds a hook may run before it is stopped",
            "check": checks.seconds,
        },
    )

    def commands(self, event: str) -> tuple[str, ...]:
        """The commands configured for `event`."""
        found: tuple[str, ...] = getattr(self, event)
        return found

    @property
    def configured(self) -> bool:
        """Whether any event has a command."""
        return any(self.commands(event) for event in EVENTS)


def check_table(table: Any) -> None:
    """Refuse a [hooks] table with a key that is neither an event nor `timeout`, naming it."""
    if table is None:
        return
    if not isinstance(table, dict):
        raise ValidationError("[hooks] must be a table", hint="write it as [hooks] with events")
    for key in table:
        if key not in EVENTS and key != "timeout":
            raise ValidationError(
                f"[hooks] has no event called {key!r}", hint=f"events: {', '.join(EVENTS)}"
            )
