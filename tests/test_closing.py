"""The lifecycle follows the deals: a win makes the contact a customer, a close cancels or
keeps the deal's open follow-ups, and each path that closes a deal says what it did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows


def _lifecycle(db_path: Path, contact_id: int = 1) -> str:
    return str(table_rows(db_path, "SELECT lifecycle FROM contact WHERE id = ?", contact_id)[0][0])


def _statuses(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(db_path, "SELECT id, status FROM follow_up ORDER BY id")


def _config(hermetic: Path, text: str) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text(text)


# --- the lifecycle ----------------------------------------------------------------------------


def test_winning_makes_the_contact_a_customer_and_says_so(crm: Any, jane: Path) -> None:
    assert _lifecycle(jane) == "lead"
    r = crm("move", "acme", "won")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Won #2 Acme website; Jane Doe is now a customer"
    assert _lifecycle(jane) == "customer"
    # recorded as every lifecycle change is: an update of the contact, in the win's group
    changes = table_rows(
        jane,
        "SELECT json_extract(before, '$.lifecycle'), json_extract(after, '$.lifecycle'), summary"
        " FROM event WHERE entity = 'contact' AND action = 'update'",
    )
    assert changes == [("lead", "customer", "move deal #2 Acme website to won")]


def test_the_win_of_a_customer_changes_no_lifecycle(crm: Any, jane: Path) -> None:
    crm("edit", "jane", "--lifecycle", "customer")
    r = crm("move", "acme", "won")
    assert r.stdout.splitlines()[0] == "Won #2 Acme website"
    assert table_rows(
        jane, "SELECT count(*) FROM event WHERE entity = 'contact' AND summary LIKE 'move%'"
    ) == [(0,)]


def test_a_former_customer_who_wins_again_is_a_customer(crm: Any, jane: Path) -> None:
    crm("edit", "jane", "--lifecycle", "former customer")
    crm("move", "acme", "won")
    assert _lifecycle(jane) == "customer"


def test_losing_the_last_deal_of_a_customer_leaves_them_a_customer(crm: Any, jane: Path) -> None:
    crm("add", "deal", "Acme hosting", "--contact", "jane")
    crm("move", "acme website", "won")
    r = crm("move", "acme hosting", "lost", "--reason", "price")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Lost #3 Acme hosting (price)"
    assert _lifecycle(jane) == "customer"
    # losing the won deal itself afterwards leaves them a customer too
    crm("move", "acme website", "lost")
    assert _lifecycle(jane) == "customer"


def test_reopening_a_won_deal_keeps_the_customer_and_says_so(crm: Any, jane: Path) -> None:
    crm("move", "acme", "won")
    r = crm("move", "acme", "closing")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "Reopened deal #2 Acme website in Closing (it was won); Jane Doe stays a customer\n"
    )
    assert _lifecycle(jane) == "customer"


def test_undo_of_a_win_takes_the_customer_back_too(crm: Any, jane: Path) -> None:
    crm("edit", "jane", "--lifecycle", "prospect")
    crm("move", "acme", "won")
    assert crm("undo").exit_code == 0
    assert _lifecycle(jane) == "prospect"
    assert table_rows(jane, "SELECT status FROM deal") == [("open",)]
    crm("redo")
    assert _lifecycle(jane) == "customer"


def test_a_deal_without_a_contact_is_won_alone(crm: Any, db_path: Path) -> None:
    crm("add", "deal", "Walk-in sale")
    r = crm("move", "walk", "won")
    assert r.stdout.splitlines()[0] == "Won #1 Walk-in sale"


def test_churn_counts_a_customer_made_by_a_win(
    crm: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The churn report reads lifecycle changes from the history: a contact a win made a
    customer before the period, marked a former customer in it, churned."""
    monkeypatch.setenv("TINYCRM_NOW", "2026-10-01T10:00:00+00:00")
    crm("add", "contact", "Jane Doe")
    crm("add", "contact", "Bob Roe")
    crm("add", "deal", "Acme website", "--contact", "jane")
    crm("add", "deal", "Roe shop", "--contact", "bob")
    crm("move", "acme", "won")
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-05T10:00:00+00:00")
    crm("move", "roe", "won")  # a customer made in the period: not one at its start
    crm("edit", "jane", "--lifecycle", "former customer")
    report = json.loads(crm("report", "customers", "--since", "2026-11-01", "--json").stdout)
    assert report["churn"]["customers_at_start"] == 1
    assert report["churn"]["churned"] == 1
    assert report["customers"] == 1


def test_importing_won_deals_makes_their_contacts_customers(
    crm: Any, db_path: Path, tmp_path: Path
) -> None:
    crm("add", "contact", "Ola Nordmann", "--email", "ola@eta.no", "--lifecycle", "prospect")
    path = tmp_path / "deals.csv"
    path.write_text(
        "title,status,contact,contact_email\n"
        "Eta hosting,won,Ola Nordmann,ola@eta.no\n"
        "Eta website,open,Kari Nordmann,kari@eta.no\n"
        "Eta support,won,Per Hansen,per@eta.no\n"
    )
    r = crm("import", "csv", str(path), "--kind", "deals")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, lifecycle FROM contact ORDER BY id") == [
        ("Ola Nordmann", "customer"),
        ("Kari Nordmann", "lead"),
        ("Per Hansen", "customer"),
    ]
    # Ola's change is an update event, as every lifecycle change is recorded
    assert table_rows(
        db_path,
        "SELECT json_extract(before, '$.lifecycle'), json_extract(after, '$.lifecycle')"
        " FROM event WHERE entity = 'contact' AND action = 'update'",
    ) == [("prospect", "customer")]
    crm("undo")
    assert table_rows(db_path, "SELECT name, lifecycle FROM contact") == [
        ("Ola Nordmann", "prospect")
    ]


# --- the closed deal's follow-ups -------------------------------------------------------------


def _two_follow_ups(crm: Any) -> None:
    crm("follow-up", "jane", "send proposal", "--due", "fri", "--deal", "acme")
    crm("follow-up", "jane", "call back", "--due", "tomorrow", "--deal", "acme")
    crm("add", "deal", "Acme hosting", "--contact", "jane")
    crm("follow-up", "jane", "ask about hosting", "--due", "fri", "--deal", "hosting")


def test_closing_cancels_the_deals_open_follow_ups_by_default(crm: Any, jane: Path) -> None:
    _two_follow_ups(crm)
    crm("done", "4")
    r = crm("move", "acme website", "lost")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == "Cancelled 1 open follow-up of #2: #3 send proposal"
    assert _statuses(jane) == [(3, "cancelled"), (4, "done"), (6, "open")]


def test_one_undo_brings_the_cancelled_follow_ups_back(crm: Any, jane: Path) -> None:
    _two_follow_ups(crm)
    r = crm("move", "acme website", "won")
    assert r.stdout.splitlines()[1] == (
        "Cancelled 2 open follow-ups of #2: #3 send proposal, #4 call back"
    )
    assert _statuses(jane) == [(3, "cancelled"), (4, "cancelled"), (6, "open")]
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert "move deal #2 Acme website to won" in r.stdout
    assert _statuses(jane) == [(3, "open"), (4, "open"), (6, "open")]
    assert _lifecycle(jane) == "lead"


def test_closing_keeps_them_when_the_setting_says_keep(
    crm: Any, jane: Path, hermetic: Path
) -> None:
    _config(hermetic, '[deals]\nclose_follow_ups = "keep"\n')
    _two_follow_ups(crm)
    r = crm("move", "acme website", "won")
    assert r.stdout.splitlines()[1] == (
        "Kept 2 open follow-ups of #2: #3 send proposal, #4 call back"
    )
    assert _statuses(jane) == [(3, "open"), (4, "open"), (6, "open")]


def test_the_check_in_after_a_win_is_not_cancelled(crm: Any, jane: Path, hermetic: Path) -> None:
    _config(hermetic, "[deals]\nwon_follow_up_days = 14\n")
    crm("follow-up", "jane", "send proposal", "--due", "fri", "--deal", "acme")
    r = crm("move", "acme", "won")
    assert r.stdout.splitlines() == [
        "Won #2 Acme website; Jane Doe is now a customer",
        "Cancelled 1 open follow-up of #2: #3 send proposal",
        "Follow-up #4 check in after the win: Acme website due Mon 2026-12-07",
    ]
    assert _statuses(jane) == [(3, "cancelled"), (4, "open")]


def test_the_setting_is_checked(crm: Any, hermetic: Path) -> None:
    r = crm("config", "set", "deals.close_follow_ups", "drop")
    assert r.exit_code == 1
    assert "deals.close_follow_ups" in r.stderr
    assert crm("config", "set", "deals.close_follow_ups", "KEEP").exit_code == 0
    assert crm("config", "get", "deals.close_follow_ups").stdout == "keep\n"
