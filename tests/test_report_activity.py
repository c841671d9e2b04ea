"""`crm report activity`: the week in review on records made through the command line, the
clock moved to each moment, and every figure counted by hand.

The records (times UTC, TZ=UTC; now Monday 2026-11-23 10:00; weeks start on Monday, so this
week is 11-23 to 11-29 and the four before start on 10-26, 11-02, 11-09 and 11-16):

  Ann, Ben   added 10-01
  note       Ann 10-20                    (before the first week: not counted)
  calls      Ann 10-27, Ben 11-17, Ann 11-18, Ben 11-23 09:00
  emails     Ann 11-03, Ann 11-23, Ben 11-23
  meeting    Ben 11-10
  Ann site   created 10-27 in Prospecting, moved to Qualifying 11-04, won 11-17
  Ben app    created 11-10, lost 11-23 (price)
  Ann extra  created 11-23 08:00, moved to Presenting 11-23 09:00
  F4  Ann "intro pack"  added 10-26, due 10-28, cancelled 11-03
  F1  Ann "call back"   added 11-02, due 11-05, done 11-12
  F2  Ben "check in"    added 11-10, due 11-20, still open
  F3  Ann "send quote"  added 11-23, due 11-24, still open
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

WEEKS = ["Oct 26", "Nov 02", "Nov 09", "Nov 16", "this week"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the clock: clock("2026-11-03T10:00") (UTC unless the text says otherwise)."""

    def at(moment: str) -> None:
        zone = "" if moment.endswith("Z") or "+" in moment[10:] else "+00:00"
        monkeypatch.setenv("TINYCRM_NOW", f"{moment.removesuffix('Z')}{zone}")

    return at


def ok(crm: Any, *args: str) -> str:
    result = crm(*args)
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.fixture
def week(crm: Any, clock: Any) -> Any:
    """The records above, made at their moments; the clock is left at now (11-23 10:00)."""

    def step(moment: str, *args: str) -> str:
        clock(moment)
        return ok(crm, *args)

    step("2026-10-01T10:00", "add", "contact", "Ann")
    step("2026-10-01T10:00", "add", "contact", "Ben")
    step("2026-10-20T10:00", "log", "Ann", "note", "met at the fair")
    intro = step(
        "2026-10-26T10:00", "follow-up", "Ann", "intro pack", "--due", "2026-10-28", "--json"
    )
    step("2026-10-27T10:00", "log", "Ann", "call", "first call")
    step("2026-10-27T11:00", "add", "deal", "Ann site", "--contact", "Ann", "--value", "5000")
    back = step(
        "2026-11-02T10:00", "follow-up", "Ann", "call back", "--due", "2026-11-05", "--json"
    )
    step("2026-11-03T10:00", "log", "Ann", "email", "sent the brochure")
    step("2026-11-03T11:00", "cancel", str(json.loads(intro)["id"]))
    step("2026-11-04T10:00", "move", "Ann site", "qualifying", "--no-next")
    step("2026-11-10T10:00", "add", "deal", "Ben app", "--contact", "Ben", "--value", "800")
    step("2026-11-10T11:00", "log", "Ben", "meeting", "demo")
    step("2026-11-10T12:00", "follow-up", "Ben", "check in", "--due", "2026-11-20", "--no-deal")
    step("2026-11-12T10:00", "done", str(json.loads(back)["id"]))
    step("2026-11-17T10:00", "log", "Ben", "call", "questions")
    step("2026-11-17T11:00", "move", "Ann site", "won", "--no-next")
    step("2026-11-18T10:00", "log", "Ann", "call", "kick-off")
    step("2026-11-23T08:00", "add", "deal", "Ann extra", "--contact", "Ann", "--value", "300")
    step("2026-11-23T09:00", "move", "Ann extra", "presenting", "--no-next")
    step("2026-11-23T09:00", "log", "Ben", "call", "bad news", "--deal", "Ben app")
    step("2026-11-23T09:10", "move", "Ben app", "lost", "--reason", "price", "--no-next")
    step("2026-11-23T09:20", "log", "Ann", "email", "the quote", "--deal", "Ann extra")
    step("2026-11-23T09:30", "log", "Ben", "email", "sorry to hear")
    step("2026-11-23T09:40", "follow-up", "Ann", "send quote", "--due", "2026-11-24", "--no-deal")
    clock("2026-11-23T10:00")
    return step


def figures(crm: Any, *args: str) -> dict[str, Any]:
    data = json.loads(ok(crm, "report", "activity", "--json", *args))
    return {f["figure"]: f for f in data["figures"]}


def counts(crm: Any, *args: str) -> dict[str, list[int]]:
    return {key: f["counts"] for key, f in figures(crm, *args).items()}


def test_each_figure_is_counted_in_its_week(crm: Any, week: Any) -> None:
    assert counts(crm) == {
        #                    10-26 11-02 11-09 11-16 this week
        "calls": [1, 0, 0, 2, 1],  # Ann 10-27; Ben 11-17, Ann 11-18; Ben 11-23
        "emails": [0, 1, 0, 0, 2],  # Ann 11-03; Ann and Ben 11-23
        "meetings": [0, 0, 1, 0, 0],  # Ben 11-10
        "messages": [0, 0, 0, 0, 0],
        "notes": [0, 0, 0, 0, 0],  # the note of 10-20 is before the first week
        "deals_created": [1, 0, 1, 0, 1],  # Ann site 10-27, Ben app 11-10, Ann extra 11-23
        "deals_moved": [0, 1, 0, 0, 1],  # Ann site to Qualifying, Ann extra to Presenting;
        # a deal's creation in its first stage is not a move, nor is a win or a loss
        "deals_won": [0, 0, 0, 1, 0],  # Ann site 11-17
        "deals_lost": [0, 0, 0, 0, 1],  # Ben app 11-23
        "follow_ups_done": [0, 0, 1, 0, 0],  # "call back" 11-12
        # open at the week's end and due before it (this week: now, 11-23 10:00):
        # 10-26 week "intro pack" (cancelled only on 11-03); 11-02 week "call back" (due
        # 11-05, done 11-12); 11-09 week none ("call back" done, "check in" due 11-20);
        # 11-16 week and this one "check in" ("send quote" is due tomorrow)
        "follow_ups_overdue": [1, 1, 0, 1, 1],
    }


def test_this_week_is_set_against_the_average_of_the_weeks_before(crm: Any, week: Any) -> None:
    found = figures(crm)
    # calls: 1 this week against (1 + 0 + 0 + 2) / 4 = 0.75: +0.25, a third more
    assert found["calls"] == {
        "figure": "calls",
        "counts": [1, 0, 0, 2, 1],
        "this_week": 1,
        "average": 0.75,
        "change": 0.25,
        "change_rate": 0.3333,
    }
    # emails: 2 against 0.25: +1.75, seven times the average more
    assert (found["emails"]["average"], found["emails"]["change"]) == (0.25, 1.75)
    assert found["emails"]["change_rate"] == 7.0
    # meetings: 0 against 0.25: -0.25, all of it
    assert (found["meetings"]["change"], found["meetings"]["change_rate"]) == (-0.25, -1.0)
    # deals lost: 1 against an average of 0: +1, and no rate to divide by
    assert found["deals_lost"]["average"] == 0.0
    assert (found["deals_lost"]["change"], found["deals_lost"]["change_rate"]) == (1.0, None)


def test_the_table_shows_every_week_and_the_change(crm: Any, week: Any) -> None:
    out = ok(crm, "report", "activity")
    assert "this week 2026-11-23 to 2026-11-29, against the 4 before" in out
    head = next(line for line in out.splitlines() if "this week" in line and "┃" in line)
    assert [cell.strip() for cell in head.split("┃")][1:6] == WEEKS
    line = next(line for line in out.splitlines() if line.startswith("calls "))
    assert [cell.strip() for cell in line.split("│")] == [
        "calls", "1", "0", "0", "2", "1", "0.75", "+0.25 (+33%)",
    ]  # fmt: skip
    lost = next(line for line in out.splitlines() if line.startswith("deals lost"))
    assert lost.split("│")[-1].strip() == "+1"  # an average of 0: no rate to show


def test_the_json_shape(crm: Any, week: Any) -> None:
    data = json.loads(ok(crm, "report", "activity", "--json", "--weeks", "2"))
    assert list(data) == ["week_start", "now", "weeks", "figures"]
    assert data["week_start"] == "monday"
    assert data["now"] == "2026-11-23T10:00:00+00:00"
    assert data["weeks"] == [
        {"start": "2026-11-09", "end": "2026-11-15"},
        {"start": "2026-11-16", "end": "2026-11-22"},
        {"start": "2026-11-23", "end": "2026-11-29"},
    ]
    calls = data["figures"][0]
    assert list(calls) == ["figure", "counts", "this_week", "average", "change", "change_rate"]
    # two weeks before: 0 and 2 calls, average 1; this week 1: no change
    assert calls["counts"] == [0, 2, 1]
    assert (calls["average"], calls["change"], calls["change_rate"]) == (1.0, 0.0, 0.0)


def test_weeks_start_on_the_configured_day(crm: Any, week: Any, clock: Any) -> None:
    # a message on Sunday 11-22: the end of the week of 11-16 when weeks start on Monday,
    # the first day of this week when they start on Sunday
    week("2026-11-22T10:00", "log", "Ben", "message", "a text on Sunday")
    clock("2026-11-23T10:00")
    assert counts(crm)["messages"] == [0, 0, 0, 1, 0]
    ok(crm, "config", "set", "general.week_start", "sunday")
    data = json.loads(ok(crm, "report", "activity", "--json"))
    assert data["week_start"] == "sunday"
    assert [w["start"] for w in data["weeks"]] == [
        "2026-10-25", "2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22",
    ]  # fmt: skip
    found = {f["figure"]: f["counts"] for f in data["figures"]}
    assert found["messages"] == [0, 0, 0, 0, 1]
    # the other figures fall in the same weeks: nothing of them happened on a Sunday
    assert found["calls"] == [1, 0, 0, 2, 1]


def test_a_late_sunday_evening_counts_in_the_local_week(
    crm: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # UTC-5 in November
    time.tzset()
    clock("2026-11-01T15:00Z")
    ok(crm, "add", "contact", "Ann")
    # Sunday 11-22 23:30 in New York is Monday 11-23 04:30 UTC
    clock("2026-11-23T04:30Z")
    ok(crm, "log", "Ann", "call", "late call")
    # Monday 11-23 00:30 in New York, the first half hour of this week
    clock("2026-11-23T05:30Z")
    ok(crm, "log", "Ann", "call", "early call")
    clock("2026-11-23T15:00Z")  # now: Monday 10:00 in New York
    assert counts(crm)["calls"] == [0, 0, 0, 1, 1]


def test_a_segment_counts_only_its_records(crm: Any, week: Any) -> None:
    ok(crm, "tag", "Ben", "+hot")
    ok(crm, "segment", "save", "hot", "--tag", "hot")
    found = counts(crm, "--segment", "hot")
    assert found["calls"] == [0, 0, 0, 1, 1]  # Ben 11-17 and 11-23
    assert found["emails"] == [0, 0, 0, 0, 1]  # Ben 11-23
    assert found["deals_created"] == [0, 0, 1, 0, 0]  # Ben app
    assert found["deals_lost"] == [0, 0, 0, 0, 1]
    assert found["follow_ups_overdue"] == [0, 0, 0, 1, 1]  # "check in"


def test_a_number_of_weeks_out_of_range_is_refused(crm: Any) -> None:
    result = crm("report", "activity", "--weeks", "0")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_records_in_the_trash_are_not_counted(crm: Any, week: Any) -> None:
    ok(crm, "delete", "Ann extra", "--kind", "deal", "--yes")
    found = counts(crm)
    assert found["deals_created"] == [1, 0, 1, 0, 0]  # Ann extra was this week's
    assert found["deals_moved"] == [0, 1, 0, 0, 0]  # and so was its move
