"""`crm report sources`: spend, cost per new customer (CAC) and lifetime value per customer
(CLV) per lead source, on a dataset whose figures were worked out by hand.

Now = 2026-11-23 10:00 UTC, TZ=UTC. Every deal is won at 10:00 UTC on its day.

  Ann  ads, customer      A1 $1,000 won 09-10 (her first win), A2 $500 won 11-05
  Bea  ads, customer      B1 $2,000 won 11-12
  Cal  ads, lead          no deal
  Dee  ads, customer      no won deal (a customer all the same: counts as 0 in CLV)
  Eli  events             E1 €900 won 10-20, then former customer on 10-25
  Fin  referral           F1 $4,000 won 11-01

  spend  ads    2026-09 $600, 2026-10 $300, 2026-11 $900, 2026-11 €200,
                2026-12 $5,000 (a month to come), 2026-11 $1,000 deleted
         Évents 2026-10 €1,500 (typed with a capital and an accent)
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tinycrm.core import closing, contacts, deals, refs, reports, spend
from tinycrm.core.reports.common import share

if TYPE_CHECKING:
    from tinycrm.store.db import Database

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


def usd(value: str) -> dict[str, Any]:
    return {"currency": "USD", "value": value, "value_minor": int(value.replace(".", ""))}


def eur(value: str) -> dict[str, Any]:
    return {"currency": "EUR", "value": value, "value_minor": int(value.replace(".", ""))}


def _won(db: Database, title: str, contact: str, value: str, currency: str, when: datetime) -> None:
    with db.transaction(now=when) as s:
        who = refs.resolve_contact(s, contact)
        deal = deals.add_deal(s, title, now=when, contact=who, value=value, currency=currency)
    with db.transaction(now=when) as s:
        closing.move_to(s, deals.get_deal(s, deal.id or 0), "won", when)


def _spend(db: Database, source: str, amount: str, month: str, currency: str = "USD") -> int:
    with db.transaction(now=at(1, 1)) as s:
        made = spend.add_spend(s, source, amount, now=at(1, 1), currency=currency, month=month)
        return made.id or 0


@pytest.fixture
def data(db: Database) -> Database:
    for name, source, lifecycle in [
        ("Ann", "ads", "lead"),
        ("Bea", "ads", "lead"),
        ("Cal", "ads", "lead"),
        ("Dee", "ads", "customer"),
        ("Eli", "events", "lead"),
        ("Fin", "referral", "lead"),
    ]:
        with db.transaction(now=at(1, 1)) as s:
            contacts.add_contact(s, name, now=at(1, 1), source=source, lifecycle=lifecycle)
    _won(db, "A1", "Ann", "1000", "USD", at(9, 10))
    _won(db, "A2", "Ann", "500", "USD", at(11, 5))
    _won(db, "B1", "Bea", "2000", "USD", at(11, 12))
    _won(db, "E1", "Eli", "900", "EUR", at(10, 20))
    with db.transaction(now=at(10, 25)) as s:
        eli = refs.resolve_contact(s, "Eli")
        contacts.update_contact(s, eli, {"lifecycle": "former customer"}, at(10, 25))
    _won(db, "F1", "Fin", "4000", "USD", at(11, 1))
    _spend(db, "ads", "600", "2026-09")
    _spend(db, "ads", "300", "2026-10")
    _spend(db, "ads", "900", "2026-11")
    _spend(db, "ads", "200", "2026-11", "EUR")
    _spend(db, "ads", "5000", "2026-12")
    gone = _spend(db, "ads", "1000", "2026-11")
    with db.transaction(now=at(11, 20)) as s:
        spend.delete_spend(s, gone, at(11, 20))
    _spend(db, "Évents", "1500", "2026-10", "EUR")
    return db


def _rows(db: Database, since: date | None = None) -> dict[str | None, dict[str, Any]]:
    with db.snapshot() as s:
        got = reports.sources_report(s, now=NOW, since=since)
    return {r["source"]: dict(r) for r in got["rows"]}


def _costs(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("new_customers", "spend", "cac", "customers", "lifetime_value", "clv_cac")
    return {k: row[k] for k in keys}


def test_all_time(data: Database) -> None:
    rows = _rows(data)
    assert _costs(rows["ads"]) == {
        "new_customers": 2,  # Ann (first win 09-10) and Bea (11-12)
        # 600 + 300 + 900 dollars; December's 5,000 is to come, the deleted 1,000 is gone
        "spend": [eur("200.00"), usd("1800.00")],
        # 200 / 2 = 100 euros; 1,800 / 2 = 900 dollars
        "cac": [eur("100.00"), usd("900.00")],
        "customers": 3,  # Ann, Bea, Dee (Cal is a lead)
        # (1,000 + 500 + 2,000) / 3 = 1,166.666… -> 1,166.67
        "lifetime_value": [usd("1166.67")],
        # 1,166.67 / 900.00 = 1.296… -> 1.3; no euro lifetime value, so no euro ratio
        "clv_cac": [{"currency": "USD", "ratio": 1.3}],
    }
    assert _costs(rows["events"]) == {
        "new_customers": 1,  # Eli, won 10-20 (a former customer now, still acquired)
        "spend": [eur("1500.00")],  # "Évents" folds to "events"
        "cac": [eur("1500.00")],  # 1,500 / 1
        "customers": 0,  # Eli left
        "lifetime_value": [],
        "clv_cac": [],
    }
    assert _costs(rows["referral"]) == {
        "new_customers": 1,  # Fin
        "spend": [],
        "cac": [],  # nothing spent: no CAC
        "customers": 1,
        "lifetime_value": [usd("4000.00")],  # 4,000 / 1
        "clv_cac": [],
    }
    # the counts the report had before are untouched
    assert (rows["ads"]["leads"], rows["ads"]["won"], rows["ads"]["won_value"]) == (
        4,  # Ann, Bea, Cal, Dee
        3,  # A1, A2, B1
        [usd("3500.00")],  # 1,000 + 500 + 2,000
    )


def test_a_period_counts_the_customers_first_won_and_the_spend_of_its_months(
    data: Database,
) -> None:
    rows = _rows(data, since=date(2026, 11, 1))
    assert _costs(rows["ads"]) == {
        "new_customers": 1,  # Bea; Ann's first win was in September
        "spend": [eur("200.00"), usd("900.00")],  # November only
        "cac": [eur("200.00"), usd("900.00")],  # each / 1
        "customers": 3,
        "lifetime_value": [usd("1166.67")],  # lifetime: not cut by the period
        "clv_cac": [{"currency": "USD", "ratio": 1.3}],  # 1,166.67 / 900
    }
    assert _costs(rows["events"])["new_customers"] == 0  # Eli won in October
    assert _costs(rows["events"])["spend"] == []  # October's spend is before the period
    assert _costs(rows["events"])["cac"] == []
    assert _costs(rows["referral"])["new_customers"] == 1  # Fin, 11-01 10:00


def test_months_and_since_from_the_command_line(data: Database, crm: Any) -> None:
    # --months 3 on 2026-11-23: September, October and November
    r = crm("report", "sources", "--months", "3", "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["since"] == "2026-09-01"
    ads = next(x for x in got["rows"] if x["source"] == "ads")
    assert ads["new_customers"] == 2  # Ann (09-10) and Bea
    assert ads["spend"] == [eur("200.00"), usd("1800.00")]  # 600 + 300 + 900
    events = next(x for x in got["rows"] if x["source"] == "events")
    assert (events["new_customers"], events["cac"]) == (1, [eur("1500.00")])

    table = crm("report", "sources", "--since", "2026-11-01").stdout
    assert table.splitlines()[0].strip() == "Lead sources since 2026-11-01"
    line = next(ln for ln in table.splitlines() if ln.startswith("ads "))
    cells = [c.strip() for c in line.split("│")]
    # new customers, spend, CAC, CLV, CLV:CAC
    assert cells[7:] == ["1", "€200.00, $900.00", "€200.00, $900.00", "$1,166.67", "1.3"]
    referral = next(ln for ln in table.splitlines() if ln.startswith("referral"))
    assert [c.strip() for c in referral.split("│")][9:] == ["—", "$4,000.00", "—"]

    both = crm("report", "sources", "--since", "2026-11-01", "--months", "2")
    assert both.exit_code != 0
    assert both.stderr.splitlines()[0] == "error: give --since or --months, not both"


def test_shares_round_half_away_from_zero_exactly() -> None:
    assert share(5, 2) == 3  # 2.5 -> 3
    assert share(-5, 2) == -3  # -2.5 -> -3
    assert share(4, 3) == 1  # 1.33 -> 1
    assert share(350000, 3) == 116667  # 116,666.67 -> 116,667
    assert share(10**17 + 1, 2) == 5 * 10**16 + 1  # exact beyond a float's 53 bits


def test_a_segment_keeps_its_sources_and_their_spend(data: Database, crm: Any) -> None:
    assert crm("segment", "save", "ads", "--source", "ads").exit_code == 0
    got = json.loads(crm("report", "sources", "--segment", "ads", "--json").stdout)
    # only the ads contacts: the events spend (€1,500) has no contact of the segment
    assert [(r["source"], r["new_customers"], r["spend"]) for r in got["rows"]] == [
        ("ads", 2, [eur("200.00"), usd("1800.00")])  # Ann and Bea; 600 + 300 + 900
    ]
