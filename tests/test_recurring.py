"""Recurring deals: a value per month or per year, shown with its period, counted as MRR and
ARR in `report customers` and at its first year's value in the pipeline and the forecast;
carried by CSV. Every figure below was worked out by hand.

The clock is fixed at 2026-11-23 10:00 UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def ok(crm: Any, *args: str) -> Any:
    r = crm(*args)
    assert r.exit_code == 0, r.output
    return r


def test_add_edit_show_and_list_a_recurring_deal(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Ann")
    r = ok(crm, "add", "deal", "Ann hosting", "--contact", "ann", "--value", "500",
           "--currency", "EUR", "--recurring", "Monthly", "--json")  # fmt: skip
    assert json.loads(r.stdout)["recurring"] == "monthly"
    listed = ok(crm, "list", "deals").stdout
    assert "€500.00/mo" in listed
    ok(crm, "edit", "ann hosting", "--recurring", "yearly")
    shown = ok(crm, "show", "ann hosting").stdout
    assert "value           €500.00/yr" in shown
    assert "#2 Ann hosting  Prospecting  €500.00/yr" in ok(crm, "show", "ann").stdout
    ok(crm, "edit", "ann hosting", "--recurring", "none")
    assert table_rows(db_path, "SELECT recurring FROM deal") == [(None,)]
    assert "€500.00 " in ok(crm, "list", "deals").stdout  # no period: a one-off value
    undone = ok(crm, "undo").stdout
    assert "Undid: edit deal #2 Ann hosting" in undone
    assert table_rows(db_path, "SELECT recurring FROM deal") == [("yearly",)]


@pytest.mark.parametrize(
    "args",
    [
        ["add", "deal", "Odd", "--value", "5", "--recurring", "weekly"],
        ["edit", "acme website", "--recurring", "quarterly"],
    ],
)
def test_a_recurrence_that_cannot_be_read_is_an_error(
    crm: Any, jane: Path, args: list[str]
) -> None:
    before = snapshot_of(jane)
    r = crm(*args)
    assert r.exit_code != 0
    lines = r.stderr.splitlines()
    assert lines[0].startswith("error: not a recurrence: '")
    assert lines[1] == "hint: monthly, yearly, or none for a one-off value"
    assert snapshot_of(jane) == before


@pytest.fixture
def customers(crm: Any) -> Any:
    """Ann: $100/mo and $1,000/yr won. Bob: $50.05/yr and a one-off $5,000 won. Cat:
    €30/mo won, then a former customer. Dee: €20/mo won. Eve: $999/mo open and $70/mo lost."""
    for name in ("Ann", "Bob", "Cat", "Dee", "Eve"):
        ok(crm, "add", "contact", name)
    won = [
        ("Ann host", "ann", "100", "USD", "monthly"),
        ("Ann licence", "ann", "1000", "USD", "yearly"),
        ("Bob licence", "bob", "50.05", "USD", "yearly"),
        ("Bob site", "bob", "5000", "USD", "none"),
        ("Cat host", "cat", "30", "EUR", "monthly"),
        ("Dee host", "dee", "20", "EUR", "monthly"),
    ]
    for title, who, value, currency, recurring in won:
        ok(crm, "add", "deal", title, "--contact", who, "--value", value,
           "--currency", currency, "--recurring", recurring)  # fmt: skip
        ok(crm, "move", title, "won")
    ok(crm, "edit", "cat", "--lifecycle", "former customer")
    ok(crm, "add", "deal", "Eve host", "--contact", "eve", "--value", "999",
       "--recurring", "monthly", "--close", "2026-12-10")  # fmt: skip
    ok(crm, "add", "deal", "Eve app", "--contact", "eve", "--value", "70",
       "--recurring", "monthly")  # fmt: skip
    ok(crm, "move", "eve app", "lost", "--reason", "price")
    return crm


def money(value: str, currency: str = "USD") -> dict[str, Any]:
    return {"currency": currency, "value": value, "value_minor": int(value.replace(".", ""))}


def test_mrr_and_arr_of_customers_won_recurring_deals(customers: Any) -> None:
    got = json.loads(ok(customers, "report", "customers", "--json").stdout)
    assert got["recurring"] == [
        {
            "currency": "EUR",
            "customers": 1,  # Dee; Cat is a former customer now and no longer counts
            "mrr": money("20.00", "EUR"),  # Dee's €20 a month
            "arr": money("240.00", "EUR"),  # 20 x 12
            "average_mrr": money("20.00", "EUR"),  # 20 / 1
        },
        {
            "currency": "USD",
            "customers": 2,  # Ann and Bob (Eve's deals are open or lost)
            # ARR = 100 x 12 + 1,000 + 50.05 = 2,250.05 (Bob's one-off 5,000 does not recur)
            "arr": money("2250.05"),
            # MRR = 2,250.05 / 12 = 187.504… -> 187.50
            "mrr": money("187.50"),
            # 2,250.05 / 12 / 2 = 93.752… -> 93.75
            "average_mrr": money("93.75"),
        },
    ]
    per_customer = {(r["name"], r["lifetime_value"]["currency"]): r["mrr"] for r in got["top"]}
    assert per_customer == {
        ("Bob", "USD"): money("4.17"),  # 50.05 / 12 = 4.170… -> 4.17
        ("Ann", "USD"): money("183.33"),  # (1,200 + 1,000) / 12 = 183.333… -> 183.33
        ("Dee", "EUR"): money("20.00", "EUR"),  # 20 x 12 / 12
    }
    table = ok(customers, "report", "customers").stdout
    assert "MRR USD                 $187.50 (ARR $2,250.05; 2 customers, average $93.75)" in (table)
    assert "MRR EUR                 €20.00 (ARR €240.00; 1 customer, average €20.00)" in table


def test_a_half_cent_of_mrr_rounds_up(crm: Any) -> None:
    ok(crm, "add", "contact", "Gus")
    # 0.06 a year is 6 cents: 6 / 12 = 0.5 cent -> 1 cent (half up)
    ok(crm, "add", "deal", "Gus tiny", "--contact", "gus", "--value", "0.06",
       "--recurring", "yearly")  # fmt: skip
    ok(crm, "move", "gus tiny", "won")
    got = json.loads(ok(crm, "report", "customers", "--json").stdout)
    assert got["recurring"][0]["mrr"] == money("0.01")
    assert got["recurring"][0]["arr"] == money("0.06")


def test_the_pipeline_and_the_forecast_count_a_first_year(crm: Any) -> None:
    # all three in Prospecting, 10 %
    ok(crm, "add", "deal", "Monthly", "--value", "999", "--recurring", "monthly",
       "--close", "2026-12-10")  # fmt: skip
    ok(crm, "add", "deal", "Yearly", "--value", "1200", "--recurring", "yearly")
    ok(crm, "add", "deal", "Once", "--value", "500")
    pipeline = json.loads(ok(crm, "report", "pipeline", "--json").stdout)
    prospecting = next(r for r in pipeline["rows"] if r["stage"] == "Prospecting")
    # 999 x 12 = 11,988; + 1,200 once + 500 once = 13,688
    assert prospecting["total"] == money("13688.00")
    # 13,688 x 10 % = 1,368.80
    assert prospecting["weighted"] == money("1368.80")
    assert [(t["total"], t["weighted"]) for t in pipeline["totals"]] == [
        (money("13688.00"), money("1368.80"))
    ]
    forecast = json.loads(ok(crm, "report", "forecast", "--months", "2", "--json").stdout)
    rows = {r["period"]: (r["deals"], r["total"], r["weighted"]) for r in forecast["rows"]}
    # December: the monthly deal, 11,988 over its first year, x 10 % = 1,198.80
    assert rows["2026-12"] == (1, money("11988.00"), money("1198.80"))
    # no close date: 1,200 + 500 = 1,700, x 10 % = 170.00
    assert rows["none"] == (2, money("1700.00"), money("170.00"))


def test_the_board_totals_a_first_year(crm: Any, db: Any) -> None:
    from tinycrm.core import board, views
    from tinycrm.tui.screens.details import _fields
    from tinycrm.tui.widgets.cards import money as money_of

    ok(crm, "add", "deal", "Monthly", "--value", "100", "--recurring", "monthly")
    ok(crm, "add", "deal", "Once", "--value", "50")
    with db.snapshot() as s:
        column = board.load_board(s, NOW).columns[0]
        page = dict(_fields(dict(views.deal_dict(s, column.cards[0].id))))
    (total,) = column.totals
    # 100 x 12 + 50 = 1,250 dollars = 125000 cents; x 10 % = 12500 cents
    assert (total.count, total.value, total.weighted) == (2, 125000, 12500)
    # the card and the deal's page show the period beside the value
    assert sorted(money_of(card) for card in column.cards) == ["$100/mo", "$50"]
    assert page["value"] == "$100.00/mo"


def test_csv_carries_recurring(crm: Any, tmp_path: Path) -> None:
    ok(crm, "add", "deal", "Hosting", "--value", "500", "--currency", "EUR",
       "--recurring", "monthly")  # fmt: skip
    ok(crm, "add", "deal", "Site", "--value", "5000")
    out = tmp_path / "deals.csv"
    ok(crm, "export", "csv", "--kind", "deals", "-o", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[6:9] == ["value", "currency", "recurring"]
    assert [line.split(",")[6:9] for line in lines[1:]] == [
        ["500.00", "EUR", "monthly"],
        ["5000.00", "USD", ""],
    ]
    other = tmp_path / "other.db"
    ok(crm, "--db", str(other), "import", "csv", str(out), "--kind", "deals")
    assert table_rows(other, "SELECT title, value, recurring FROM deal ORDER BY id") == [
        ("Hosting", 50000, "monthly"),
        ("Site", 500000, None),
    ]


def test_a_csv_recurrence_that_cannot_be_read_refuses_its_row(crm: Any, tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("title,value,recurring\nA,10,Yearly\nB,20,weekly\n", encoding="utf-8")
    r = crm("import", "csv", str(path), "--kind", "deals")
    assert r.exit_code != 0
    assert "line 3: column recurring: not a recurrence: 'weekly'" in r.output
    assert "nothing was imported" in r.output
    r = ok(crm, "import", "csv", str(path), "--kind", "deals", "--skip-bad")
    assert "1 created" in r.stdout
    assert json.loads(ok(crm, "list", "deals", "--json").stdout)[0]["recurring"] == "yearly"
