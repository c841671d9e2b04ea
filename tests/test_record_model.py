"""A model of the whole record: postal addresses and dates (with or without a year) added,
removed and replaced at random beside every other change of the history model (merges,
forget, trash, undo, redo), each step checked against what the seller has seen.

The history model's state is extended with each contact's addresses and dates and each
company's addresses, so its undo, redo and forget checks cover them; the rules here check
what each change itself must do.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test

from tests import test_history_model as history_model

LABELS = ("home", "work", "hq")
STREETS = ("1 Main St", "2 Side Rd", "3 High St")
DAYS = ("1985-04-12", "--04-12", "2000-02-29", "--02-29", "1970-01-01")
_plain_state = history_model.read_state
_plain_erase = history_model.erase


def read_state(path: Path) -> history_model.State:
    """The history model's state, with every contact's and company's addresses and dates."""
    state = _plain_state(path)
    conn = sqlite3.connect(path)
    try:
        q = conn.execute
        state["addresses"] = {
            u: tuple(sorted(q(
                "SELECT label, street, is_primary FROM contact_address WHERE contact_id = ?",
                (i,),
            ).fetchall()))
            for i, u in q("SELECT id, uuid FROM contact")
        }  # fmt: skip
        state["dates"] = {
            u: tuple(sorted(q(
                "SELECT kind, coalesce(label, ''), value FROM contact_date WHERE contact_id = ?",
                (i,),
            ).fetchall()))
            for i, u in q("SELECT id, uuid FROM contact")
        }  # fmt: skip
        state["company_addresses"] = {
            u: tuple(sorted(q(
                "SELECT label, street FROM company_address WHERE company_id = ?", (i,)
            ).fetchall()))
            for i, u in q("SELECT id, uuid FROM company")
        }  # fmt: skip
    finally:
        conn.close()
    return state


def erase(state: history_model.State, people: set[str]) -> history_model.State:
    """The state with these contacts forgotten: their addresses and dates go with them."""
    out = _plain_erase(state, people)
    for key in ("addresses", "dates"):
        out[key] = {u: v for u, v in state[key].items() if u not in people}
    out["company_addresses"] = state["company_addresses"]
    return out


class RecordModel(history_model.HistoryModel):
    """The history model, with a contact's and a company's addresses and dates."""

    def now(self) -> history_model.State:
        return read_state(self.path)

    def live_contact(self, data: st.DataObject) -> tuple[int, str]:
        who = data.draw(st.sampled_from(self.ids("contact", alive=True)))
        return who, self.uuids("contact")[who]

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data(), label=st.sampled_from(LABELS), street=st.sampled_from(STREETS))
    def add_address(self, data: st.DataObject, label: str, street: str) -> None:
        who, uuid = self.live_contact(data)
        before = self.now()["addresses"][uuid]
        self.ok("edit", f"#{who}", "--kind", "contact", "--address", f"{label}: {street}; Town")
        after = self.now()["addresses"][uuid]
        added = Counter((lbl, s) for lbl, s, _ in after) - Counter((lbl, s) for lbl, s, _ in before)
        assert list(added.elements()) == [(label, street)]
        assert sum(p for *_, p in after) == 1, "one primary address"
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data())
    def remove_address(self, data: st.DataObject) -> None:
        who, uuid = self.live_contact(data)
        before = self.now()["addresses"][uuid]
        counts = Counter(lbl for lbl, _, _ in before)
        unique = sorted(lbl for lbl, n in counts.items() if n == 1)
        if not unique:
            r = self.crm("edit", f"#{who}", "--kind", "contact", "--remove-address", "nowhere")
            assert r.exit_code == 1 and "Traceback" not in r.stdout + r.stderr
            assert self.now()["addresses"][uuid] == before
            return
        label = data.draw(st.sampled_from(unique))
        self.ok("edit", f"#{who}", "--kind", "contact", "--remove-address", label)
        after = self.now()["addresses"][uuid]
        assert sorted((lbl, s) for lbl, s, _ in after) == sorted(
            (lbl, s) for lbl, s, _ in before if lbl != label
        )
        assert not after or sum(p for *_, p in after) == 1
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data(), day=st.sampled_from((*DAYS, "")))
    def set_birthday(self, data: st.DataObject, day: str) -> None:
        who, uuid = self.live_contact(data)
        before = self.now()["dates"][uuid]
        self.ok("edit", f"#{who}", "--kind", "contact", "--birthday", day)
        after = self.now()["dates"][uuid]
        others = tuple(d for d in before if d[0] != "birthday")
        assert after == tuple(sorted(others + ((("birthday", "", day),) if day else ())))
        if after != before:
            self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data(), day=st.sampled_from(DAYS))
    def add_date(self, data: st.DataObject, day: str) -> None:
        who, uuid = self.live_contact(data)
        before = self.now()["dates"][uuid]
        label = f"event {self.next()}"
        self.ok("edit", f"#{who}", "--kind", "contact", "--date", f"{label}: {day}")
        assert self.now()["dates"][uuid] == tuple(sorted((*before, ("other", label, day))))
        self.changed()

    @precondition(lambda self: self.ids("contact", alive=True))
    @rule(data=st.data(), bad=st.sampled_from(("1985-02-30", "--13-01", "12/04", "soon")))
    def refuse_a_date(self, data: st.DataObject, bad: str) -> None:
        who, _uuid = self.live_contact(data)
        before = self.now()
        r = self.crm("edit", f"#{who}", "--kind", "contact", "--birthday", bad)
        assert r.exit_code == 1 and "Traceback" not in r.stdout + r.stderr
        assert self.now() == before

    @precondition(lambda self: self.ids("company", alive=True))
    @rule(data=st.data(), street=st.sampled_from(STREETS))
    def add_company_address(self, data: st.DataObject, street: str) -> None:
        firm = data.draw(st.sampled_from(self.ids("company", alive=True)))
        uuid = self.uuids("company")[firm]
        before = self.now()["company_addresses"][uuid]
        self.ok("edit", f"#{firm}", "--kind", "company", "--address", f"hq: {street}")
        assert self.now()["company_addresses"][uuid] == tuple(sorted((*before, ("hq", street))))
        self.changed()

    @precondition(lambda self: len(self.ids("contact", alive=True)) >= 2)
    @rule(data=st.data())
    def merge_whole_records(self, data: st.DataObject) -> None:
        keep, drop = data.draw(
            st.lists(
                st.sampled_from(self.ids("contact", alive=True)), min_size=2, max_size=2,
                unique=True,
            )
        )  # fmt: skip
        uuids = self.uuids("contact")
        before = self.now()
        self.ok("merge", f"#{keep}", f"#{drop}", "--kind", "contact", "--yes")
        after = self.now()
        streets = [(lbl, s) for lbl, s, _ in after["addresses"][uuids[keep]]]
        assert sorted(streets) == sorted(
            (lbl, s) for u in (uuids[keep], uuids[drop]) for lbl, s, _ in before["addresses"][u]
        )
        dates = after["dates"][uuids[keep]]
        assert len(dates) == len(before["dates"][uuids[keep]]) + len(before["dates"][uuids[drop]])
        assert sum(1 for d in dates if d[0] == "birthday") <= 1, "one birthday"
        self.changed((uuids[keep], uuids[drop]))


@pytest.fixture
def extended(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the history model read and erase the extended state."""
    monkeypatch.setattr(history_model, "read_state", read_state)
    monkeypatch.setattr(history_model, "erase", erase)


def test_whole_records_follow_the_model(extended: Any) -> None:
    run_state_machine_as_test(
        RecordModel,
        settings=settings(
            max_examples=history_model.EXAMPLES,
            stateful_step_count=history_model.STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
