"""A model of sequence runs: random starts (kept on a reply or not), stops of one sequence or
of all of a contact's, replies, steps done, undo and redo through the real `crm`, checked
after every step against a small model.

The model: a start makes an active run and one open follow-up per step, and is refused
while the contact is in an active run of that sequence; a stop by hand stops the active
run(s) named and cancels their open follow-ups (done ones stay), and is refused when there
is none; a reply (an inbound email) stops every active run not kept on a reply, the same
way; doing a run's last open follow-up finishes it; undo steps back to the state before the
newest command, redo forward. A refused command changes nothing.

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
# Two sequences: their names and their steps.
SEQUENCES = {
    "Intro": ("0d call: hello", "2d email: follow up"),
    "Nurture": ("0d email: welcome", "1d call: check in", "3d note: review"),
}


@dataclass
class Model:
    """What the seller should see: each run's sequence, status, stop reason and whether it
    is kept on a reply; each follow-up's run and status; how many interactions."""

    runs: dict[int, tuple[str, str, str | None, bool]] = field(default_factory=dict)
    follow_ups: dict[int, tuple[int, str]] = field(default_factory=dict)
    interactions: int = 0

    def active(self, sequence: str | None = None) -> list[int]:
        """The active runs (of one sequence, given it)."""
        return [
            run
            for run, (name, status, _why, _keep) in self.runs.items()
            if status == "active" and sequence in (None, name)
        ]

    def stopped(self, runs: list[int], reason: str) -> Model:
        """This model with these runs stopped for `reason`, their open follow-ups cancelled."""
        new = deepcopy(self)
        for run in runs:
            name, _status, _why, keep = new.runs[run]
            new.runs[run] = (name, "stopped", reason, keep)
            for fu, (of, status) in new.follow_ups.items():
                if of == run and status == "open":
                    new.follow_ups[fu] = (of, "cancelled")
        return new


def read(path: Path) -> Model:
    """The database as the model describes it."""
    conn = sqlite3.connect(path)
    try:
        q = conn.execute
        names = dict(q("SELECT id, name FROM sequence").fetchall())
        runs = {
            i: (names[s], status, why, bool(keep))
            for i, s, status, why, keep in q(
                "SELECT id, sequence_id, status, stop_reason, keep_on_reply FROM sequence_run"
            )
        }
        follow_ups = {
            i: (run, status)
            for i, run, status in q("SELECT id, sequence_run_id, status FROM follow_up")
        }
        (interactions,) = q("SELECT count(*) FROM interaction").fetchone()
        return Model(runs, follow_ups, interactions)
    finally:
        conn.close()


class SequenceModel(RuleBasedStateMachine):
    """Random starts, stops, replies, steps done, undo and redo against the model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tinycrm-sequences-"))
        self.path = self.folder / "crm.db"
        self.runner = CliRunner()
        self.model = Model()
        self.undone: list[Model] = []
        self.done_before: list[Model] = []  # the states before each command, newest last
        self.ready = False

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

    @initialize()
    def start_up(self) -> None:
        self.ok("add", "contact", "Jane Doe", "--email", "jane@acme.com")
        self.ok("add", "deal", "Website", "--contact", "#1")
        for name, steps in SEQUENCES.items():
            self.ok("sequence", "add", name, *(part for s in steps for part in ("--step", s)))
        self.ready = True

    # --- changes ----------------------------------------------------------------------------

    @rule(sequence=st.sampled_from(sorted(SEQUENCES)), keep=st.booleans())
    def start(self, sequence: str, keep: bool) -> None:
        args = ("sequence", "start", sequence, "jane", *(("--keep-on-reply",) if keep else ()))
        if self.model.active(sequence):
            self.refused(*args)
            return
        self.ok(*args)
        found = read(self.path)
        new = deepcopy(self.model)
        (run,) = set(found.runs) - set(new.runs)
        new.runs[run] = (sequence, "active", None, keep)
        made = sorted(set(found.follow_ups) - set(new.follow_ups))
        assert len(made) == len(SEQUENCES[sequence])
        new.follow_ups.update({fu: (run, "open") for fu in made})
        self.changed(new)

    @rule(sequence=st.sampled_from(sorted(SEQUENCES)))
    def stop(self, sequence: str) -> None:
        running = self.model.active(sequence)
        if not running:
            self.refused("sequence", "stop", sequence, "jane")
            return
        r = self.ok("sequence", "stop", sequence, "jane")
        assert r.stdout == f"Stopped sequence {sequence} for Jane Doe: by hand\n"
        self.changed(self.model.stopped(running, "by hand"))

    @rule()
    def stop_all(self) -> None:
        running = self.model.active()
        if not running:
            self.refused("sequence", "stop", "#1")
            return
        self.ok("sequence", "stop", "#1")
        self.changed(self.model.stopped(running, "by hand"))

    @rule()
    def reply(self) -> None:
        r = self.ok("log", "jane", "email", "thanks, tell me more", "--in")
        ending = [run for run in self.model.active() if not self.model.runs[run][3]]
        said = sorted(f"Stopped sequence {self.model.runs[run][0]} for Jane Doe: they replied"
                      for run in ending)  # fmt: skip
        assert sorted(r.stdout.splitlines()[1:]) == said
        new = self.model.stopped(ending, "reply")
        new.interactions += 1
        self.changed(new)

    @precondition(lambda self: self.model.follow_ups)
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        fu = data.draw(st.sampled_from(sorted(self.model.follow_ups)))
        run, status = self.model.follow_ups[fu]
        if status != "open":
            self.refused("done", str(fu))
            return
        self.ok("done", str(fu), "--no-next")
        new = deepcopy(self.model)
        new.follow_ups[fu] = (run, "done")
        left = [f for f, (of, s) in new.follow_ups.items() if of == run and s == "open"]
        name, run_status, why, keep = new.runs[run]
        if not left and run_status == "active":
            new.runs[run] = (name, "finished", why, keep)
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
        if self.ready:
            assert read(self.path) == self.model

    def teardown(self) -> None:
        from tinycrm.cli import state

        state.configure(None)
        for item in self.folder.iterdir():
            item.unlink()
        self.folder.rmdir()


def test_sequence_runs_against_the_model() -> None:
    run_state_machine_as_test(
        SequenceModel,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
