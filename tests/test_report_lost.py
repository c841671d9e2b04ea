"""`crm report lost`: losses by reason and by the stage they died in, on records made through
the command line with the clock moved, every figure counted by hand.

The records (TZ=UTC, now 2026-11-23; configured reasons "price" and "timing"; the default
pipeline Prospecting, Qualifying, Presenting, Closing):

  Alpha    $1,000.00  lost in Prospecting 10-05, reason "price"
  Bravo    $2,500.00  moved to Qualifying, lost 11-02, reason "Price" (another case)
  Charlie  €3,000.00  moved to Qualifying, lost 11-10, reason "price"
  Delta    $500.00    moved to Presenting, lost 11-12, no reason
  Echo     no value   lost in Prospecting 11-15, reason "went silent"
  Foxtrot  $9,999.00  open (not counted)
  Golf     $7,000.00  won (not counted)
"""

from __future__ import annotations

import json
from typing import Any

import pytest


def ok(crm: Any, *args: str) -> str:
    result = crm(*args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def usd(value: str, minor: int) -> dict[str, Any]:
    return {"currency": "USD", "value": value, "value_minor": minor}


def eur(value: str, minor: int) -> dict[str, Any]:
    return {"currency": "EUR", "value": value, "value_minor": minor}


@pytest.fixture
def losses(crm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def at(day: str) -> None:
        monkeypatch.setenv("TINYCRM_NOW", f"2026-{day}T10:00:00+00:00")

    ok(crm, "config", "set", "deals.lost_reasons", "price, timing")
    at("10-01")
    ok(crm, "add", "deal", "Alpha", "--value", "1000")
    ok(crm, "add", "deal", "Bravo", "--value", "2500", "--stage", "qualifying")
    ok(crm, "add", "deal", "Charlie", "--value", "3000", "--currency", "EUR", "--stage", "qual")
    ok(crm, "add", "deal", "Delta", "--value", "500")
    ok(crm, "add", "deal", "Echo")
    ok(crm, "add", "deal", "Foxtrot", "--value", "9999")
    ok(crm, "add", "deal", "Golf", "--value", "7000")
    at("10-05")
    ok(crm, "move", "Alpha", "lost", "--reason", "price", "--no-next")
    at("10-20")
    ok(crm, "move", "Delta", "presenting", "--no-next")
    ok(crm, "move", "Golf", "won", "--no-next")
    at("11-02")
    ok(crm, "move", "Bravo", "lost", "--reason", "Price", "--no-next")
    at("11-10")
    ok(crm, "move", "Charlie", "lost", "--reason", "price", "--no-next")
    at("11-12")
    ok(crm, "move", "Delta", "lost", "--no-next")
    at("11-15")
    ok(crm, "move", "Echo", "lost", "--reason", "went silent", "--no-next")
    at("11-23")


def report(crm: Any, *args: str) -> dict[str, Any]:
    return dict(json.loads(ok(crm, "report", "lost", "--json", *args)))


def test_losses_by_reason(crm: Any, losses: None) -> None:
    data = report(crm)
    assert data["reasons"] == [
        # Alpha, Bravo ("Price" is the configured "price") and Charlie; never USD + EUR
        {
            "deals": 3,
            "values": [eur("3000.00", 300000), usd("3500.00", 350000)],
            "reason": "price",
            "configured": True,
        },
        # configured, and no deal lost for it
        {"deals": 0, "values": [], "reason": "timing", "configured": True},
        # Echo: a reason typed but not configured; a deal without a value counts as 0
        {"deals": 1, "values": [usd("0.00", 0)], "reason": "went silent", "configured": False},
        # Delta, lost without a reason
        {"deals": 1, "values": [usd("500.00", 50000)], "reason": None, "configured": False},
    ]


def test_losses_by_the_stage_they_died_in(crm: Any, losses: None) -> None:
    data = report(crm)
    assert [(s["stage"], s["deals"], s["values"]) for s in data["stages"]] == [
        ("Prospecting", 2, [usd("1000.00", 100000)]),  # Alpha 1,000 + Echo 0
        ("Qualifying", 2, [eur("3000.00", 300000), usd("2500.00", 250000)]),  # Charlie, Bravo
        ("Presenting", 1, [usd("500.00", 50000)]),  # Delta
        ("Closing", 0, []),  # nothing died there, and it is shown
    ]
    # every lost deal: 5, $1,000 + $2,500 + $500 + $0 = $4,000 and €3,000 apart
    assert data["deals"] == 5
    assert data["values"] == [eur("3000.00", 300000), usd("4000.00", 400000)]


def test_the_json_shape(crm: Any, losses: None) -> None:
    data = report(crm)
    assert list(data) == ["deals", "values", "since", "pipeline", "reasons", "stages"]
    assert (data["since"], data["pipeline"]) == (None, None)
    assert list(data["reasons"][0]) == ["deals", "values", "reason", "configured"]
    assert list(data["stages"][0]) == ["deals", "values", "pipeline", "stage", "position"]
    assert data["stages"][0]["pipeline"] == "Sales"


def test_since_counts_the_deals_lost_from_that_day(crm: Any, losses: None) -> None:
    data = report(crm, "--since", "2026-11-01")
    # Alpha (lost 10-05) is left out: Bravo and Charlie remain for "price"
    assert [(r["reason"], r["deals"]) for r in data["reasons"]] == [
        ("price", 2),
        ("timing", 0),
        ("went silent", 1),
        (None, 1),
    ]
    assert data["since"] == "2026-11-01"
    assert data["deals"] == 4
    assert data["values"] == [eur("3000.00", 300000), usd("3000.00", 300000)]


def test_the_table(crm: Any, losses: None) -> None:
    out = ok(crm, "report", "lost")
    assert "Lost deals: 5 (€3,000.00, $4,000.00)" in out
    rows = {
        cells[0]: cells[1:3]
        for line in out.splitlines()
        if "│" in line
        for cells in [[c.strip() for c in line.split("│")]]
    }
    assert rows["price"] == ["3", "€3,000.00, $3,500.00"]
    assert rows["timing"] == ["0", ""]
    assert rows["(no reason)"] == ["1", "$500.00"]
    assert rows["Qualifying"] == ["2", "€3,000.00, $2,500.00"]
    assert rows["Closing"] == ["0", ""]


def test_one_pipeline(crm: Any, losses: None) -> None:
    ok(crm, "pipeline", "create", "Hiring", "--stages", "Sourced,Offer")
    ok(crm, "add", "deal", "Hotel", "--pipeline", "hiring", "--value", "40", "--stage", "offer")
    ok(crm, "move", "Hotel", "lost", "--reason", "timing", "--no-next")
    data = report(crm, "--pipeline", "hiring")
    assert data["pipeline"] == "Hiring"
    assert data["deals"] == 1
    assert [(s["stage"], s["deals"]) for s in data["stages"]] == [("Sourced", 0), ("Offer", 1)]
    assert [(r["reason"], r["deals"]) for r in data["reasons"]] == [("price", 0), ("timing", 1)]
    every = report(crm)
    assert every["deals"] == 6
    out = ok(crm, "report", "lost")
    assert "Hiring / Offer" in out  # stages are named with their pipeline when there are two


def test_nothing_lost(crm: Any) -> None:
    assert "no deals lost" in ok(crm, "report", "lost")
    result = crm("report", "lost", "--pipeline", "nosuch")
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_a_segment_and_the_trash(crm: Any, losses: None) -> None:
    ok(crm, "segment", "save", "big", "--min-value", "2000")
    data = report(crm, "--segment", "big")
    # Bravo $2,500 and Charlie €3,000 are the lost deals of 2,000 or more
    assert data["deals"] == 2
    assert [(r["reason"], r["deals"]) for r in data["reasons"]] == [("price", 2), ("timing", 0)]
    ok(crm, "delete", "Delta", "--kind", "deal", "--yes")
    # Delta in the trash: no more "(no reason)", nothing lost in Presenting
    data = report(crm)
    assert [r["reason"] for r in data["reasons"]] == ["price", "timing", "went silent"]
    assert [s["deals"] for s in data["stages"]] == [2, 2, 0, 0]


def test_a_day_that_cannot_be_read_is_refused(crm: Any) -> None:
    result = crm("report", "lost", "--since", "someday")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
