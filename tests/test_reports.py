"""Reports, lead scores and segments on a small dataset whose figures were worked out by hand.

The dataset (all times 10:00 UTC, now = 2026-11-23; stages Prospecting 10% stale 14 d,
Qualifying 25% 14 d, Presenting 50% 21 d, Closing 75% 14 d):

  Ann  customer, referral, tag vip; note 2026-08-01
       D1 Ann site       10,000 USD  P 09-01, Q 09-11, Pr 09-21, won 10-01
       D2 Ann retainer    4,000 USD  P 10-01, Closing 10-05, won 10-15
  Ben  prospect, inbound; call 2026-11-20
       D3 Ben app         8,000 USD  P 10-01, Q 10-03, lost 10-13
       D4 Ben audit       2,000 USD  P 11-01, Pr 11-10, open, 80 %, close 2026-12-10
  Cat  lead, no source
       D5 Cat idea        1,000 USD  P 10-20, open, no close date
  (no contact)
       D6 Euro deal       3,000 EUR  Q 11-20, open, close 2026-11-01 (overdue)
  Dan  customer, became former customer on 11-10
  Eve  lead, became customer on 11-05
  Fay  customer
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tinycrm.config import Settings
from tinycrm.core import contacts, deals, listing, refs, reports, scoring
from tinycrm.store.models import Interaction

if TYPE_CHECKING:
    from tinycrm.store.db import Database

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=UTC)


def _contact(db: Any, name: str, **kw: Any) -> None:
    with db.transaction(now=at(1, 1)) as s:
        contacts.add_contact(s, name, now=at(1, 1), **kw)


def _deal(db: Any, title: str, when: datetime, contact: str | None, value: str, **kw: Any) -> int:
    with db.transaction(now=when) as s:
        who = refs.resolve_contact(s, contact) if contact else None
        deal = deals.add_deal(s, title, now=when, contact=who, value=value, **kw)
        assert deal.id is not None
        return deal.id


def _move(db: Any, deal_id: int, target: str, when: datetime) -> None:
    with db.transaction(now=when) as s:
        deals.move_to(s, deals.get_deal(s, deal_id), target, when)


def _interaction(db: Any, contact: str, when: datetime, kind: str = "call") -> None:
    with db.transaction(now=when) as s:
        who = refs.resolve_contact(s, contact)
        s.add(
            Interaction(
                uuid=str(uuid.uuid4()),
                contact_id=who.id,
                kind=kind,
                occurred_at=when,
                summary="talked",
                created_at=when,
                updated_at=when,
            )
        )


def _lifecycle(db: Any, contact: str, value: str, when: datetime) -> None:
    with db.transaction(now=when) as s:
        who = refs.resolve_contact(s, contact)
        contacts.update_contact(s, who, {"lifecycle": value}, when)


@pytest.fixture
def data(db: Database) -> Database:
    """The dataset described in the module docstring."""
    _contact(db, "Ann", source="referral", lifecycle="customer", tag_names=["vip"])
    _contact(db, "Ben", source="inbound", lifecycle="prospect")
    _contact(db, "Cat")
    _contact(db, "Dan", lifecycle="customer")
    _contact(db, "Eve")
    _contact(db, "Fay", lifecycle="customer")
    d1 = _deal(db, "Ann site", at(9, 1), "Ann", "10000", currency="USD")
    _move(db, d1, "qual", at(9, 11))
    _move(db, d1, "present", at(9, 21))
    _move(db, d1, "won", at(10, 1))
    d2 = _deal(db, "Ann retainer", at(10, 1), "Ann", "4000", currency="USD")
    _move(db, d2, "closing", at(10, 5))
    _move(db, d2, "won", at(10, 15))
    d3 = _deal(db, "Ben app", at(10, 1), "Ben", "8000", currency="USD")
    _move(db, d3, "qual", at(10, 3))
    _move(db, d3, "lost", at(10, 13))
    d4 = _deal(db, "Ben audit", at(11, 1), "Ben", "2000", currency="USD",
               expected_close=date(2026, 12, 10))  # fmt: skip
    _move(db, d4, "present", at(11, 10))
    with db.transaction(now=at(11, 10)) as s:
        deals.update_deal(s, deals.get_deal(s, d4), {"probability": 80}, at(11, 10))
    _deal(db, "Cat idea", at(10, 20), "Cat", "1000", currency="USD")
    _deal(db, "Euro deal", at(11, 20), None, "3000", currency="EUR", stage="qual",
          expected_close=date(2026, 11, 1))  # fmt: skip
    _interaction(db, "Ann", at(8, 1), kind="note")
    _interaction(db, "Ben", at(11, 20))
    _lifecycle(db, "Eve", "customer", at(11, 5))
    _lifecycle(db, "Dan", "former customer", at(11, 10))
    return db


def money(value: str, currency: str = "USD") -> dict[str, Any]:
    minor = int(value.replace(".", ""))
    return {"currency": currency, "value": value, "value_minor": minor}


def test_pipeline_counts_totals_and_weighted_values_per_currency(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.pipeline_report(s)
    rows = [(r["stage"], r["currency"], r["deals"], r["total"], r["weighted"]) for r in got["rows"]]
    assert rows == [
        ("Prospecting", "USD", 1, money("1000.00"), money("100.00")),
        ("Qualifying", "EUR", 1, money("3000.00", "EUR"), money("750.00", "EUR")),
        ("Presenting", "USD", 1, money("2000.00"), money("1600.00")),
        ("Closing", None, 0, None, None),
    ]
    assert got["totals"] == [
        {"currency": "EUR", "deals": 1, "total": money("3000.00", "EUR"),
         "weighted": money("750.00", "EUR")},
        {"currency": "USD", "deals": 2, "total": money("3000.00"), "weighted": money("1700.00")},
    ]  # fmt: skip


def test_forecast_by_close_month_with_overdue_and_undated_rows(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.forecast_report(s, NOW, months=3)
    rows = {(r["period"], r["currency"]): (r["deals"], r["weighted"]["value"]) for r in got["rows"]}
    assert rows == {
        ("overdue", "EUR"): (1, "750.00"),
        ("2026-11", "EUR"): (0, "0.00"),
        ("2026-11", "USD"): (0, "0.00"),
        ("2026-12", "EUR"): (0, "0.00"),
        ("2026-12", "USD"): (1, "1600.00"),
        ("2027-01", "EUR"): (0, "0.00"),
        ("2027-01", "USD"): (0, "0.00"),
        ("none", "USD"): (1, "100.00"),
    }
    periods = [r["period"] for r in got["rows"]]
    assert (periods[0], periods[-1]) == ("overdue", "none")


def test_win_rate_overall_since_and_by_source_and_month(data: Any) -> None:
    with data.snapshot() as s:
        overall = reports.win_rate_report(s, NOW)
        since = reports.win_rate_report(s, NOW, since=date(2026, 10, 10))
        by_source = reports.win_rate_report(s, NOW, by="source")
        by_month = reports.win_rate_report(s, NOW, by="month")
    assert (overall["won"], overall["lost"], overall["win_rate"]) == (2, 1, 0.6667)
    values = overall["rows"][0]["values"]
    assert values == [{"currency": "USD", "won": money("14000.00"), "lost": money("8000.00"),
                       "value_win_rate": 0.6364}]  # fmt: skip
    assert (since["won"], since["lost"], since["win_rate"]) == (1, 1, 0.5)
    assert [(r["group"], r["won"], r["lost"], r["win_rate"]) for r in by_source["rows"]] == [
        ("inbound", 0, 1, 0.0),
        ("referral", 2, 0, 1.0),
    ]
    assert [(r["group"], r["won"], r["lost"]) for r in by_month["rows"]] == [("2026-10", 2, 1)]


def test_funnel_counts_a_deal_at_every_stage_up_to_the_furthest_it_reached(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.funnel_report(s)
    assert [(r["stage"], r["reached"], r["lost_here"], r["conversion"]) for r in got["stages"]] == [
        ("Prospecting", 6, 0, 0.8333),
        ("Qualifying", 5, 1, 0.6),
        ("Presenting", 3, 0, 0.6667),
        ("Closing", 2, 0, 1.0),
    ]
    assert (got["won"], got["overall"]) == (2, 0.3333)


def test_cycle_days_per_stage_and_from_creation_to_won(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.cycle_report(s)
    assert [
        (r["stage"], r["stays"], r["average_days"], r["median_days"]) for r in got["stages"]
    ] == [
        ("Prospecting", 4, 6.25, 6.5),
        ("Qualifying", 2, 10.0, 10.0),
        ("Presenting", 1, 10.0, 10.0),
        ("Closing", 1, 10.0, 10.0),
    ]
    assert got["to_won"] == {"deals": 2, "average_days": 22.0, "median_days": 22.0}


def test_velocity_and_its_four_inputs(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.velocity_report(s, NOW)
    assert got["rows"] == [
        {"currency": "EUR", "open_deals": 1, "average_won": None, "win_rate": None,
         "cycle_days": None, "velocity_per_day": None},
        {"currency": "USD", "open_deals": 2, "average_won": money("7000.00"), "win_rate": 0.6667,
         "cycle_days": 22.0, "velocity_per_day": money("424.24")},
    ]  # fmt: skip


def test_stale_deals_and_contacts_gone_dark(data: Any) -> None:
    with data.snapshot() as s:
        month = reports.stale_report(s, NOW, days=30)
        short = reports.stale_report(s, NOW, days=2)
    assert [(r["title"], r["stage"], r["idle_days"]) for r in month["deals"]] == [
        ("Cat idea", "Prospecting", 34)
    ]
    assert month["deals"][0]["last_activity"] == "2026-10-20T10:00:00Z"
    assert [(r["name"], r["last_interaction"]) for r in month["gone_dark"]] == [("Cat", None)]
    assert [(r["name"], r["silent_days"]) for r in short["gone_dark"]] == [
        ("Cat", None),
        ("Ben", 3),
    ]


def test_sources(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.sources_report(s)
    # no spend is recorded: no CAC anywhere; customers and lifetime value per source
    # ((none): Eve and Fay are customers, Dan left; referral: Ann, first won 10-01)
    none: dict[str, list[Any]] = {"spend": [], "cac": [], "clv_cac": []}
    assert got["rows"] == [
        {"source": None, "leads": 4, "deals": 2, "won": 0, "lost": 0, "won_value": [],
         "new_customers": 0, "customers": 2, "lifetime_value": [], **none,
         "win_rate": None},
        {"source": "inbound", "leads": 1, "deals": 2, "won": 0, "lost": 1, "won_value": [],
         "new_customers": 0, "customers": 0, "lifetime_value": [], **none,
         "win_rate": 0.0},
        {"source": "referral", "leads": 1, "deals": 2, "won": 2, "lost": 0,
         "won_value": [money("14000.00")], "new_customers": 1, "customers": 1,
         "lifetime_value": [money("14000.00")], **none, "win_rate": 1.0},
    ]  # fmt: skip


def test_customers_lifetime_value_and_churn_from_the_history(data: Any) -> None:
    with data.snapshot() as s:
        got = reports.customers_report(s, NOW, since=date(2026, 11, 1))
    assert got["customers"] == 3
    assert got["lifetime_value"] == [
        {**money("14000.00"), "customers_with_won_deals": 1,
         "average_per_customer": money("4666.67")}
    ]  # fmt: skip
    assert [(r["name"], r["deals"], r["lifetime_value"]) for r in got["top"]] == [
        ("Ann", 2, money("14000.00"))
    ]
    assert got["churn"] == {
        "since": "2026-11-01",
        "customers_at_start": 3,
        "churned": 1,
        "rate": 0.3333,
    }


def test_an_undone_lifecycle_change_is_not_churn(data: Any) -> None:
    from tinycrm.store import history

    with data.transaction(now=at(11, 11)) as s:
        history.undo(s, at(11, 11))
    with data.snapshot() as s:
        got = reports.customers_report(s, NOW, since=date(2026, 11, 1))
    assert got["churn"]["churned"] == 0
    assert got["churn"]["customers_at_start"] == 3


def test_lead_scores_by_the_default_rules(data: Any) -> None:
    rules = scoring.rules_from(Settings().scoring)
    with data.snapshot() as s:
        ann = scoring.explain(s, refs.resolve(s, "Ann", ("contact",)).id, rules, NOW)
        ben = scoring.explain(s, refs.resolve(s, "Ben", ("contact",)).id, rules, NOW)
        cat = scoring.explain(s, refs.resolve(s, "Cat", ("contact",)).id, rules, NOW)
        ranked = listing.list_contacts(
            s, listing.ListFilter(), listing.Page("score", True),
            score=scoring.score_expression(s, rules, NOW),
        )  # fmt: skip
    assert [(ln["rule"], ln["points"]) for ln in ann["lines"]] == [
        ("lifecycle", 25), ("source", 20), ("tags", 10), ("interactions", 0),
        ("open deals", 0), ("qualification", 0), ("inactivity", -15),
    ]  # fmt: skip
    assert ann["score"] == 40
    assert [ln["points"] for ln in ben["lines"]] == [15, 15, 0, 5, 2, 0, 0]
    assert ben["score"] == 37
    assert [ln["points"] for ln in cat["lines"]] == [5, 0, 0, 0, 1, 0, -30]
    assert cat["score"] == -24
    assert [(r["name"], r["score"]) for r in ranked] == [
        ("Ann", 40), ("Ben", 37), ("Eve", -5), ("Fay", -5), ("Cat", -24), ("Dan", -30),
    ]  # fmt: skip


def test_scoring_rules_come_from_config_toml(data: Any, crm: Any) -> None:
    from tinycrm import paths

    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[scoring]\nsource = { referral = 1 }\ntags = { vip = 0 }\n"
        "[scoring.decay]\npoints = 0\n[scoring.interactions]\npoints = 7\n",
        encoding="utf-8",
    )
    result = crm("score", "Ben", "--json")
    assert result.exit_code == 0, result.stderr
    assert [ln["points"] for ln in json.loads(result.stdout)["lines"]] == [15, 15, 0, 7, 2, 0, 0]
    result = crm("score", "Ann")
    assert result.exit_code == 0
    assert "Score of contact #1 Ann: 26" in result.stdout
    assert "+1  source: referral" in result.stdout


def test_a_bad_scoring_rule_is_a_one_line_error(crm: Any) -> None:
    from tinycrm import paths

    crm("add", "contact", "Ann")
    config = paths.config_file()
    config.write_text('[scoring.decay]\nper = "a month"\n', encoding="utf-8")
    result = crm("score", "Ann")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {config}: scoring.decay.per must be a whole number, not 'a month'"
        " (write digits, e.g. 14)",
        "hint: fix it with crm config set scoring.decay.per VALUE,"
        " or crm config unset scoring.decay.per",
    ]


def test_segments_narrow_lists_and_reports(data: Any, crm: Any) -> None:
    assert crm("segment", "save", "hot", "--tag", "VIP").exit_code == 0
    assert crm("segment", "save", "live", "--status", "open").exit_code == 0
    contacts_hot = json.loads(crm("list", "contacts", "--segment", "hot", "--json").stdout)
    assert [c["name"] for c in contacts_hot] == ["Ann"]
    deals_hot = json.loads(crm("list", "deals", "--segment", "hot", "--json").stdout)
    assert [d["title"] for d in deals_hot] == ["Ann site", "Ann retainer"]
    live = json.loads(crm("list", "contacts", "--segment", "live", "--json").stdout)
    assert [c["name"] for c in live] == ["Ben", "Cat"]
    win = json.loads(crm("report", "win-rate", "--segment", "hot", "--json").stdout)
    assert (win["won"], win["lost"]) == (2, 0)
    pipe = json.loads(crm("report", "pipeline", "--segment", "live", "--json").stdout)
    assert [t["deals"] for t in pipe["totals"]] == [1, 2]
    shown = json.loads(crm("segment", "show", "live", "--json").stdout)
    assert (shown["contacts"], shown["deals"], shown["filters"]) == (2, 3, {"status": "open"})


def test_segment_save_list_delete_and_errors(db: Any, crm: Any, db_path: Path) -> None:
    from tests.conftest import snapshot_of, table_rows

    result = crm("segment", "save", "Hot", "--tag", "vip", "--lifecycle", "Prospect")
    assert result.exit_code == 0
    assert result.stdout == "Saved segment hot: tags vip; lifecycle prospect\n"
    assert json.loads(table_rows(db_path, "SELECT filters FROM segment")[0][0]) == {
        "tags": ["vip"],
        "lifecycle": "prospect",
    }
    before = snapshot_of(db_path)
    again = crm("segment", "save", "hot", "--tag", "x")
    assert again.exit_code == 1 and "already a segment called hot" in again.stderr
    bad = crm("segment", "save", "cold", "--lifecycle", "warm")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: not a lifecycle")
    none = crm("segment", "save", "empty")
    assert none.exit_code == 1 and "at least one filter" in none.stderr
    missing = crm("report", "funnel", "--segment", "nope")
    assert missing.exit_code == 1 and "no segment called 'nope'" in missing.stderr
    assert snapshot_of(db_path) == before
    assert "hot" in crm("segment", "list").stdout
    assert crm("segment", "save", "hot", "--tag", "x", "--replace").exit_code == 0
    assert crm("segment", "delete", "hot").stdout == "Deleted segment hot\n"
    assert table_rows(db_path, "SELECT count(*) FROM segment") == [(0,)]
    assert crm("undo").exit_code == 0
    assert table_rows(db_path, "SELECT name FROM segment") == [("hot",)]


@pytest.mark.parametrize(
    "args",
    [
        ["pipeline"], ["forecast"], ["win-rate", "--by", "month"], ["funnel"], ["cycle"],
        ["velocity"], ["stale"], ["sources"], ["customers"],
    ],
)  # fmt: skip
def test_every_report_prints_a_table_and_json(data: Any, crm: Any, args: list[str]) -> None:
    table = crm("report", *args)
    assert table.exit_code == 0, table.stderr
    assert table.stdout.strip()
    as_json = crm("report", *args, "--json")
    assert as_json.exit_code == 0
    assert isinstance(json.loads(as_json.stdout), dict)


def test_report_tables_show_figures_and_bars(data: Any, crm: Any) -> None:
    out = crm("report", "pipeline").stdout
    assert "Presenting" in out and "$1,600.00" in out and "€750.00" in out and "█" in out
    funnel = crm("report", "funnel").stdout
    assert "83.3% to Qualifying" in funnel
    velocity = crm("report", "velocity").stdout
    assert "$424.24 / day" in velocity


def test_bad_report_options_are_errors(data: Any, crm: Any) -> None:
    by = crm("report", "win-rate", "--by", "colour")
    assert by.exit_code == 1 and "cannot group a win rate by 'colour'" in by.stderr
    since = crm("report", "win-rate", "--since", "someday")
    assert since.exit_code == 1 and "cannot read the date" in since.stderr
    assert crm("report", "forecast", "--months", "0").exit_code == 2


def test_sorting_contacts_by_score_from_the_command_line(data: Any, crm: Any) -> None:
    result = crm("list", "contacts", "--sort", "score", "--desc", "--limit", "2", "--json")
    assert result.exit_code == 0, result.stderr
    assert [(c["name"], c["score"]) for c in json.loads(result.stdout)] == [
        ("Ann", 40),
        ("Ben", 37),
    ]


def test_months_are_local_calendar_months(db: Any) -> None:
    from datetime import timedelta, timezone

    plus_two = timezone(timedelta(hours=2))
    late = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 1 November, 01:30 at UTC+2
    deal_id = _deal(db, "Late one", at(10, 1), None, "100", currency="USD",
                    expected_close=date(2026, 12, 1))  # fmt: skip
    _move(db, deal_id, "won", late)
    _deal(db, "Open one", at(10, 1), None, "100", currency="USD", expected_close=date(2026, 12, 1))
    with db.snapshot() as s:
        here = reports.win_rate_report(s, NOW, by="month", tz=plus_two)
        utc = reports.win_rate_report(s, NOW, by="month", tz=UTC)
        # 30 November 23:30 UTC is already 1 December at UTC+2: December is "this month"
        forecast = reports.forecast_report(s, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 1,
                                           tz=plus_two)  # fmt: skip
    assert [r["group"] for r in here["rows"]] == ["2026-11"]
    assert [r["group"] for r in utc["rows"]] == ["2026-10"]
    assert [(r["period"], r["deals"]) for r in forecast["rows"]] == [("2026-12", 1)]


@pytest.mark.parametrize("by", ["source", "month"])
def test_win_rate_by_a_group_totals_the_won_value_in_its_all_row(
    data: Any, crm: Any, by: str
) -> None:
    report = json.loads(crm("report", "win-rate", "--by", by, "--json").stdout)
    assert report["values"] == [{"currency": "USD", "won": money("14000.00"),
                                 "lost": money("8000.00"), "value_win_rate": 0.6364}]  # fmt: skip
    last = crm("report", "win-rate", "--by", by).stdout.splitlines()[-1]
    assert last.split("│")[0].strip() == "all"
    assert [cell.strip() for cell in last.split("│")[-2:]] == ["$14,000.00", "63.6% USD"]
