"""The screen every tinycrm screen is: the app typed once, and the answers to the app's
messages that a screen showing data overrides."""

from __future__ import annotations

from typing import TypeVar

from textual import getters
from textual.screen import Screen

from tinycrm.tui.app import CrmApp
from tinycrm.tui.messages import DataChanged, WaitingChanged

ResultType = TypeVar("ResultType")


class CrmScreen(Screen[ResultType]):
    """A screen of the board app, told by message when the data or the app's state changed."""

    app = getters.app(CrmApp)

    def reload(self) -> None:
        """Read and show fresh data (a screen that shows none keeps this)."""

    def patch(self, deal_id: int) -> None:
        """Show one deal's fresh data; a screen that cannot do that alone reloads."""
        self.reload()

    def show_status(self) -> None:
        """Show the app's state again (a screen with a status line overrides this)."""

    def on_data_changed(self, message: DataChanged) -> None:
        if message.deal_id is None:
            self.reload()
        else:
            self.patch(message.deal_id)

    def on_waiting_changed(self, message: WaitingChanged) -> None:
        self.show_status()
