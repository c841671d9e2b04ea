"""A model of what closing deals does to a contact and their follow-ups: random wins, losses,
stage moves (reopening), follow-ups added and done, lifecycle edits, undo and redo through
the real `crm`, checked after every step against a small model.

The model: a win makes the contact a customer; nothing else but an edit changes the
lifecycle (a loss, a reopen leave it); a close cancels the deal's open follow-ups when
`deals.close_follow_ups` is `cancel` and leaves them open when it is `keep`; a follow-up
about the contact alone is linked to their one open deal, and to none when they have
several or none; undo steps back to the state before the newest command, redo forward.
A refused command (winning a won deal, moving a deal to the stage it is in) changes
nothing.

Set TINYCRM_MODEL_EXAMPLES for a longer run (the reliability step of CI does).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from typer.testing import CliRunner

EXAMPLES = int(os.environ.get("TINYCRM_MODEL_EXAMPLES", "10"))
STEPS = int(os.environ.get("TINYCRM_MODEL_STEPS", "25"))
STAGES = ("Prospecting", "Qualifying", "Presenting", "Closing")
LIFECYCLES = ("lead", "prospect", "customer", "former customer")
DEALS = (2, 3)  # the contact is #1, its two deals #2 and #3


@dataclass
class Model:
    """What the seller should see: the contact's lifecycle, each deal's status and stage,
    each follow-up's deal and status."""

    lifecycle: str
    deals: dict[int, tuple[str, str]] = field(default_factory=dict)
    follow_ups: dict[int, tuple[int | None, str]] = field(default_factory=dict)


def read(path: Path) -> Model:
    """The database as the model describes it."""
    conn = sqlite3.connect(path)
    try:
        q = conn.execute
        (lifecycle,) = q("SELECT lifecycle FROM contact WHERE id = 1").fetchone()
        deals = {
            i: (status, stage)
            for i, status, stage in q(
                "SELECT d.id, d.status, s.name FROM deal d JOIN stage s ON s.id = d.stage_id"
            )
        }
        follow_ups = {i: (d, s) for i, d, s in q("SELECT id, deal_id, status FROM follow_up")}
        return Model(lifecycle, deals, follow_ups)
    finally:
        conn.close()


class ClosingModel(RuleBasedStateMachine):
    """Random closes, reopens, follow-ups, undo and redo against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tinycrm-closing-"))
        self.path = self.folder / "crm.db"
        self.runner = CliRunner()
        self.model = Model("lead")
        self.cancel = True
        self.undone: list[Model] = []
        self.done_before: list[Model] = []  # the states before each command, newest last
        self.serial = 0

    def crm(self, *args: str) -> Any:
        from tinycrm.cli import app

        return self.runner.invoke(app, ["--db", str(self.path), *args])

    def ok(self, *args: str) -> Any:
        r = self.crm(*args)
        assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    def refused(self, *args: str) -> None:
        r = self.crm(*args)
        assert r.exit_code == 1, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr

    def changed(self, new: Model) -> None:
        """A command made `new`: the state before it can be undone back to, redo ends."""
        self.done_before.append(self.model)
        self.model = new
        self.undone.clear()

    @initialize(lifecycle=st.sampled_from(LIFECYCLES), cancel=st.booleans())
    def start(self, lifecycle: str, cancel: bool) -> None:
        self.cancel = cancel
        home = Path(os.environ["TINYCRM_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        choice = "cancel" if cancel else "keep"
        (home / "config.toml").write_text(f'[deals]\nclose_follow_ups = "{choice}"\n')
        self.ok("add", "contact", "Jane Doe", "--lifecycle", lifecycle)
        self.ok("add", "deal", "Website", "--contact", "#1")
        self.ok("add", "deal", "Hosting", "--contact", "#1")
        self.model = read(self.path)
        assert self.model.deals == {2: ("open", "Prospecting"), 3: ("open", "Prospecting")}

    # --- changes ----------------------------------------------------------------------------

    def _closed(self, deal: int, status: str) -> Model:
        new = deepcopy(self.model)
        new.deals[deal] = (status, new.deals[deal][1])
        if status == "won":
            new.lifecycle = "customer"
        if self.cancel:
            for fu, (on, fu_status) in new.follow_ups.items():
                if on == deal and fu_status == "open":
                    new.follow_ups[fu] = (on, "cancelled")
        return new

    @rule(deal=st.sampled_from(DEALS), status=st.sampled_from(("won", "lost")))
    def close(self, deal: int, status: str) -> None:
        if self.model.deals[deal][0] == status:
            self.refused("move", f"#{deal}", status)
            return
        self.ok("move", f"#{deal}", status)
        self.changed(self._closed(deal, status))

    @rule(deal=st.sampled_from(DEALS), stage=st.sampled_from(STAGES))
    def move(self, deal: int, stage: str) -> None:
        status, now_in = self.model.deals[deal]
        if status == "open" and stage == now_in:
            self.refused("move", f"#{deal}", stage)
            return
        self.ok("move", f"#{deal}", stage)
        new = deepcopy(self.model)
        new.deals[deal] = ("open", stage)  # a reopen changes no lifecycle, no follow-up
        self.changed(new)

    def _added(self, on: int | None) -> None:
        new = deepcopy(self.model)
        new.follow_ups[max(read(self.path).follow_ups)] = (on, "open")
        self.changed(new)

    @rule(deal=st.sampled_from(DEALS))
    def follow_up_on_a_deal(self, deal: int) -> None:
        self.serial += 1
        self.ok("follow-up", "#1", f"step {self.serial}", "--due", "tomorrow", "--deal", f"#{deal}")
        self._added(deal)

    @rule()
    def follow_up_on_the_contact(self) -> None:
        self.serial += 1
        self.ok("follow-up", "#1", f"call {self.serial}", "--due", "tomorrow")
        open_deals = [d for d, (status, _) in self.model.deals.items() if status == "open"]
        self._added(open_deals[0] if len(open_deals) == 1 else None)

    @precondition(lambda self: self.model.follow_ups)
    @rule(data=st.data())
    def done(self, data: st.DataObject) -> None:
        fu = data.draw(st.sampled_from(sorted(self.model.follow_ups)))
        on, status = self.model.follow_ups[fu]
        if status != "open":
            self.refused("done", str(fu))
            return
        self.ok("done", str(fu), "--no-next")
        new = deepcopy(self.model)
        new.follow_ups[fu] = (on, "done")
        self.changed(new)

    @rule(lifecycle=st.sampled_from(LIFECYCLES))
    def edit_lifecycle(self, lifecycle: str) -> None:
        if lifecycle == self.model.lifecycle:
            return  # an edit to the same value records nothing
        self.ok("edit", "#1", "--kind", "contact", "--lifecycle", lifecycle)
        new = deepcopy(self.model)
        new.lifecycle = lifecycle
        self.changed(new)

    @precondition(lambda self: self.done_before)
    @rule()
    def undo(self) -> None:
        self.ok("undo")
        self.undone.append(self.model)
        self.model = self.done_before.pop()

    @precondition(lambda self: self.undone)
    @rule()
    def redo(self) -> None:
        self.ok("redo")
        self.done_before.append(self.model)
        self.model = self.undone.pop()

    # --- the check ----------------------------------------------------------------------------

    @invariant()
    def the_database_is_the_model(self) -> None:
        if self.path.exists() and self.model.deals:
            assert read(self.path) == self.model

    def teardown(self) -> None:
        from tinycrm.cli import state

        state.configure(None)
        for item in self.folder.iterdir():
            item.unlink()
        self.folder.rmdir()


def test_closing_deals_against_the_model() -> None:
    run_state_machine_as_test(
        ClosingModel,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
