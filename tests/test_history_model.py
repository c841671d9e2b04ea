"""A model of the history: random changes, undo (also `undo N`) and redo through the real
`crm`, checked after every step against a stack of the states the seller has seen.

The model is the list of states: a change pushes the state it made and ends the redo list,
undo steps back, redo steps forward again, `undo N` / `redo N` with too few steps change
nothing. Forget is not undoable: it erases the person (and anyone merged into them) from
every state of the list. Ids are checked on the side: an id names one record, of any kind,
for the whole session.

Set TINYCRM_MODEL_EXAMPLES for a longer run (the reliability step of CI does).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
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
STEPS = int(os.environ.get("TINYCRM_MODEL_STEPS", "20"))
STAGES = ("Prospecting", "Qualifying", "Presenting", "Closing")
TITLES = ("Website", "Retainer", "Audit", "Workshop")
RECORDS = ("contact", "company", "deal", "follow_up")

State = dict[str, Any]
# a state the seller saw, the command (group of events) that made it, and, for a merge,
# (kept contact's uuid, removed contact's uuid)
Entry = tuple[State, str | None, tuple[str, str] | None]


def read_state(path: Path) -> State:
    """What the seller sees, keyed by uuid (ids and times left out)."""
    conn = sqlite3.connect(path)
    try:
        q = conn.execute
        uuid_of = {i: u for i, u in q("SELECT id, uuid FROM contact")}
        tags = {i: n for i, n in q("SELECT id, name FROM tag")}

        def details(table: str, column: str, cid: int) -> tuple[str, ...]:
            rows = q(f"SELECT {column} FROM {table} WHERE contact_id = ?", (cid,))
            return tuple(sorted(r[0] for r in rows))

        contacts = {
            u: (
                name,
                title,
                deleted is not None,
                details("contact_email", "email", cid),
                details("contact_phone", "phone", cid),
                tuple(
                    sorted(
                        tags[t]
                        for (t,) in q("SELECT tag_id FROM contact_tag WHERE contact_id = ?", (cid,))
                    )
                ),
            )
            for cid, u, name, title, deleted in q(
                "SELECT id, uuid, name, title, deleted_at FROM contact"
            )
        }
        stage = {i: n for i, n in q("SELECT id, name FROM stage")}
        return {
            "contacts": contacts,
            "companies": {
                u: (n, d is not None) for u, n, d in q("SELECT uuid, name, deleted_at FROM company")
            },
            "deals": {
                u: (t, stage[s], uuid_of.get(c), d is not None)
                for u, t, s, c, d in q(
                    "SELECT uuid, title, stage_id, contact_id, deleted_at FROM deal"
                )
            },
            "follow_ups": {
                u: (t, uuid_of.get(c))
                for u, t, c in q("SELECT uuid, title, contact_id FROM follow_up")
            },
            "interactions": {
                u: (s, uuid_of.get(c))
                for u, s, c in q("SELECT uuid, summary, contact_id FROM interaction")
            },
            "tags": tuple(sorted(tags.values())),
        }
    finally:
        conn.close()


def erase(state: State, people: set[str]) -> State:
    """The state with these contacts forgotten: their details go, their deals stay unlinked."""
    return {
        "contacts": {u: c for u, c in state["contacts"].items() if u not in people},
        "companies": state["companies"],
        "deals": {
            u: (t, s, None if c in people else c, d) for u, (t, s, c, d) in state["deals"].items()
        },
        "follow_ups": {u: f for u, f in state["follow_ups"].items() if f[1] not in people},
        "interactions": {u: i for u, i in state["interactions"].items() if i[1] not in people},
        "tags": state["tags"],
    }


class HistoryModel(RuleBasedStateMachine):
    """Random commands against the stack-of-states model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="tinycrm-model-"))
        self.path = self.folder / "crm.db"
        self.runner = CliRunner()
        self.serial = 0
        self.stack: list[Entry] = []
        self.redo: list[Entry] = []
        self.owner: dict[int, tuple[str, str]] = {}  # id -> (kind, uuid), for ever

    def crm(self, *args: str) -> Any:
        from tinycrm.cli import app

        return self.runner.invoke(app, ["--db", str(self.path), *args])

    def ok(self, *args: str) -> Any:
        r = self.crm(*args)
        assert r.exit_code == 0, (args, r.stdout, r.stderr)
        return r

    def next(self) -> int:
        self.serial += 1
        return self.serial

    def ids(self, table: str, alive: bool | None = None) -> list[int]:
        where = {
            None: "",
            True: " WHERE deleted_at IS NULL",
            False: " WHERE deleted_at IS NOT NULL",
        }
        conn = sqlite3.connect(self.path)
        try:
            return [i for (i,) in conn.execute(f"SELECT id FROM {table}{where[alive]} ORDER BY id")]
        finally:
            conn.close()

    def newest_group(self) -> str | None:
        conn = sqlite3.connect(self.path)
        try:
            row = conn.execute(
                "SELECT group_id FROM event WHERE origin != 'system' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
        return row[0] if row else None

    def changed(self, merge: tuple[str, str] | None = None) -> None:
        """A command changed something: its state is pushed and the redo list ends."""
        self.stack.append((read_state(self.path), self.newest_group(), merge))
        self.redo.clear()

    @initialize()
    def start(self) -> None:
        from tinycrm.core import open_db

        open_db(self.path).dispose()  # creates the database and its default pipeline
        self.stack = [(read_state(self.path), None, None)]

    # --- changes ----------------------------------------------------------------------------

    @rule()
    def add_contact(self) -> None:
        n = self.next()
        self.ok("add", "contact", f"Ann Person{n}", "--email", f"p{n}@x.test",
                "--phone", f"+1 555 {n:04d}")  # fmt: skip
        self.changed()

    @rule()
    def add_company(self) -> None:
        self.ok("add", "company", f"Firm{self.next()}")
        self.changed()

    @rule(title=st.sampled_from(TITLES), data=st.data())
    def add_deal(self, title: str, data: st.DataObject) -> None:
        people = self.ids("contact", alive=True)
        args = ["add", "deal", f"{title} {self.next()}"]
        linked: bool = data.draw(st.booleans())
        if people and linked:
            args += ["--contact", f"#{data.draw(st.sampled_from(people))}"]
        self.ok(*args)
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data())
    def add_follow_up(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.ids("contact", alive=True)))
        self.ok("follow-up", f"#{who}", f"Call back {self.next()}", "--due", "tomorrow")
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.ids("contact", alive=True)))
        self.ok("edit", f"#{who}", "--kind", "contact", "--title", f"Role{self.next()}")
        self.changed()

    @precondition(lambda self: self.ids("deal", alive=True))
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        deal = data.draw(st.sampled_from(self.ids("deal", alive=True)))
        now = read_state(self.path)["deals"][self.uuids("deal")[deal]][1]
        stage = data.draw(st.sampled_from([s for s in STAGES if s != now]))
        self.ok("move", f"#{deal}", stage)
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data())
    def tag(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.ids("contact", alive=True)))
        has = read_state(self.path)["contacts"][self.uuids("contact")[who]][5]
        free = [t for t in ("vip", "warm", "expo") if t not in has]
        if not free:
            return
        self.ok("tag", f"#{who}", "--kind", "contact", f"+{data.draw(st.sampled_from(free))}")
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data())
    def log(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.ids("contact", alive=True)))
        self.ok("log", f"#{who}", "call", f"talked {self.next()}")
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True) or self.ids("deal", alive=True))
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        kind = data.draw(
            st.sampled_from([k for k in ("contact", "deal") if self.ids(k, alive=True)])
        )
        target = data.draw(st.sampled_from(self.ids(kind, alive=True)))
        self.ok("delete", f"#{target}", "--kind", kind, "--yes")
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=False) or self.ids("deal", alive=False))
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        kind = data.draw(
            st.sampled_from([k for k in ("contact", "deal") if self.ids(k, alive=False)])
        )
        target = data.draw(st.sampled_from(self.ids(kind, alive=False)))
        self.ok("restore", f"#{target}", "--kind", kind)
        self.changed()

    @precondition(lambda self: len(self.ids("contact", alive=True)) >= 2)
    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        keep, drop = data.draw(
            st.lists(
                st.sampled_from(self.ids("contact", alive=True)),
                min_size=2,
                max_size=2,
                unique=True,
            )
        )
        before = read_state(self.path)["contacts"]
        uuids = self.uuids("contact")
        self.ok("merge", f"#{keep}", f"#{drop}", "--kind", "contact", "--yes")
        assert uuids[drop] not in read_state(self.path)["contacts"]
        assert before[uuids[keep]][0] == read_state(self.path)["contacts"][uuids[keep]][0]
        self.changed((uuids[keep], uuids[drop]))

    @precondition(lambda self: self.ids("contact"))
    @rule(data=st.data())
    def forget(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(self.ids("contact")))
        person = self.uuids("contact")[who]
        people = {person}
        grew = True
        while grew:  # and everyone merged into them by a command that was kept
            grew = False
            for _state, _group, merge in self.stack:
                if merge and merge[0] in people and merge[1] not in people:
                    people.add(merge[1])
                    grew = True
        self.ok("forget", f"#{who}", "--yes")
        expected = erase(self.stack[-1][0], people)
        assert read_state(self.path) == expected
        # Forget is not undoable: it leaves every earlier state without the person, and a
        # command whose every change was about them is gone from the history.
        groups = self.groups()
        kept: list[Entry] = [(erase(self.stack[0][0], people), None, None)]
        for state, group, merge in self.stack[1:]:
            state = erase(state, people)
            if group in groups:
                kept.append((state, group, merge))
            else:
                assert state == kept[-1][0], "a command that stayed in the history was erased"
        self.stack = kept
        self.redo.clear()

    @rule(rows=st.integers(min_value=1, max_value=3))
    def import_csv(self, rows: int) -> None:
        source = self.folder / "people.csv"
        lines = ["name,email"]
        for _ in range(rows):
            n = self.next()
            lines.append(f"Imp Person{n},i{n}@x.test")
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.ok("import", "csv", str(source))
        self.changed()

    # --- undo and redo ----------------------------------------------------------------------

    @rule(steps=st.integers(min_value=1, max_value=4))
    def undo(self, steps: int) -> None:
        before = read_state(self.path)
        r = self.crm("undo", str(steps))
        if steps > len(self.stack) - 1:
            assert r.exit_code == 1, (steps, len(self.stack), r.stdout)
            assert "Traceback" not in r.stdout + r.stderr
            assert read_state(self.path) == before, "a refused undo changed the data"
            return
        assert r.exit_code == 0, r.stderr
        for _ in range(steps):
            self.redo.append(self.stack.pop())
        assert read_state(self.path) == self.stack[-1][0]

    @rule(steps=st.integers(min_value=1, max_value=3))
    def redo_(self, steps: int) -> None:
        before = read_state(self.path)
        r = self.crm("redo", str(steps))
        if steps > len(self.redo):
            assert r.exit_code == 1, (steps, len(self.redo), r.stdout)
            assert "Traceback" not in r.stdout + r.stderr
            assert read_state(self.path) == before, "a refused redo changed the data"
            return
        assert r.exit_code == 0, r.stderr
        for _ in range(steps):
            self.stack.append(self.redo.pop())
        assert read_state(self.path) == self.stack[-1][0]

    # --- checks -----------------------------------------------------------------------------

    def uuids(self, table: str) -> dict[int, str]:
        conn = sqlite3.connect(self.path)
        try:
            return dict(conn.execute(f"SELECT id, uuid FROM {table}"))
        finally:
            conn.close()

    def groups(self) -> set[str]:
        conn = sqlite3.connect(self.path)
        try:
            return {g for (g,) in conn.execute("SELECT DISTINCT group_id FROM event")}
        finally:
            conn.close()

    @invariant()
    def matches_the_model(self) -> None:
        if self.stack:
            assert read_state(self.path) == self.stack[-1][0]

    @invariant()
    def an_id_names_one_record_for_ever(self) -> None:
        if not self.stack:
            return
        for kind in RECORDS:
            for record_id, uuid in self.uuids(kind).items():
                known = self.owner.setdefault(record_id, (kind, uuid))
                assert known == (kind, uuid), f"#{record_id} named {known}, now {kind} {uuid}"

    def teardown(self) -> None:
        from tinycrm.cli import state

        state.configure(None)
        for name in os.listdir(self.folder):
            os.unlink(self.folder / name)
        os.rmdir(self.folder)


def test_history_follows_the_model() -> None:
    run_state_machine_as_test(
        HistoryModel,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
