"""The next step the board offers once a step is closed (a stage move, a win, a follow-up
done on the agenda), as `crm` asks for it on a terminal.

The offer never blocks: it is a line on the screen's status line ("Next step for #12
Website? f: follow-up, esc: skip", first on the line), and every key goes on doing what it does. `f`
takes it (the follow-up form for that deal or contact), `esc` skips it, and it goes by
itself after OFFER_SECONDS; the next closed step replaces it. Drawing it is a change of the
status line's text only: nothing is laid out again, so a stage move is drawn as fast with it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycrm.tui.app import CrmApp

OFFER_SECONDS = 30.0


@dataclass(frozen=True)
class Offer:
    """The next step offered: about whom (`name`, as the form names it) and until when."""

    name: str
    deal_id: int | None = None
    contact_id: int | None = None
    until: float = field(default_factory=lambda: time.monotonic() + OFFER_SECONDS)

    @property
    def line(self) -> str:
        """The offer as the status line shows it."""
        return f"Next step for {self.name}? f: follow-up, esc: skip"

    def expired(self) -> bool:
        """Whether the offer has stood long enough to go by itself."""
        return time.monotonic() >= self.until

    def take(self, app: CrmApp) -> None:
        """Open the follow-up form for the deal (or contact) the offer names."""
        from tinycrm.tui import actions

        actions.ask_follow_up(app, deal_id=self.deal_id, contact_id=self.contact_id)
