"""`crm spend add|list|delete`: money spent per lead source and month, undoable, in the archive.

The clock is fixed at 2026-11-23 10:00 UTC (TZ=UTC unless a test says otherwise).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows


def test_add_reads_the_amount_month_currency_and_note(crm: Any, db_path: Path) -> None:
    r = crm("spend", "add", "Ads", "1,200", "--month", "2026-10", "--note", "search ads")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added spend #1 $1,200.00 on Ads in 2026-10\n"
    # 1,200 dollars = 120000 cents; the source kept as typed and folded for matching
    assert table_rows(
        db_path, "SELECT source, source_key, month, amount, currency, note FROM spend"
    ) == [("Ads", "ads", "2026-10", 120000, "USD", "search ads")]


def test_the_month_defaults_to_this_month_in_the_sellers_time_zone(
    crm: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2026-11-30 23:30 UTC is already 2026-12-01 00:30 in Paris
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-30T23:30:00+00:00")
    monkeypatch.setenv("TZ", "Europe/Paris")
    r = crm("spend", "add", "ads", "100", "--currency", "eur")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT month, amount, currency FROM spend") == [
        ("2026-12", 10000, "EUR")  # €100 = 10000 cents
    ]


def test_the_currency_defaults_as_deals_do(crm: Any, db_path: Path) -> None:
    assert crm("config", "set", "general.default_currency", "JPY").exit_code == 0
    assert crm("spend", "add", "ads", "5k").exit_code == 0
    # 5k yen: JPY has no minor unit, so 5000
    assert table_rows(db_path, "SELECT amount, currency, month FROM spend") == [
        (5000, "JPY", "2026-11")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ads", "12.345"], "error: '12.345' has more decimals than USD allows"),
        (["ads", "lots"], "error: not an amount: 'lots'"),
        (["ads", "100", "--month", "2026-13"], "error: not a month: '2026-13'"),
        (["ads", "100", "--month", "nov"], "error: not a month: 'nov'"),
        (["ads", "100", "--month", "2026-11-01"], "error: not a month: '2026-11-01'"),
        (["ads", "100", "--currency", "EUD"], "error: not a currency code: 'EUD'"),
        (["  ", "100"], "error: a spend needs a source"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    crm: Any, db_path: Path, args: list[str], message: str
) -> None:
    crm("spend", "add", "ads", "1")
    before = snapshot_of(db_path)
    r = crm("spend", "add", *args)
    assert r.exit_code != 0
    assert r.stderr.splitlines()[0] == message
    assert "Traceback" not in r.output
    assert snapshot_of(db_path) == before


def test_list_filters_by_folded_source_and_month(crm: Any) -> None:
    crm("spend", "add", "Ads", "300", "--month", "2026-09")
    crm("spend", "add", "events", "50", "--month", "2026-10")
    crm("spend", "add", "ÁDS", "200", "--month", "2026-11", "--currency", "EUR")
    r = crm("spend", "list", "--source", "ads", "--since", "2026-10", "--json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    # only the November ads row: September is before --since, events is another source
    assert [(x["id"], x["month"], x["amount"], x["currency"]) for x in rows] == [
        (3, "2026-11", "200.00", "EUR")
    ]
    table = crm("spend", "list").stdout
    # newest month first
    assert [line.split("│")[1].strip() for line in table.splitlines()[2:]] == [
        "2026-11",
        "2026-10",
        "2026-09",
    ]
    bad = crm("spend", "list", "--since", "last month")
    assert bad.exit_code != 0
    assert bad.stderr.splitlines()[0] == "error: not a month: 'last month'"


def test_delete_then_undo_and_redo(crm: Any, db_path: Path) -> None:
    crm("spend", "add", "ads", "1200", "--month", "2026-11")
    r = crm("spend", "delete", "1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Deleted spend #1 $1,200.00 on ads in 2026-11\n"
    assert json.loads(crm("spend", "list", "--json").stdout) == []
    undone = crm("undo")
    assert "Undid: delete spend #1 $1,200.00 on ads in 2026-11" in undone.stdout
    assert [x["id"] for x in json.loads(crm("spend", "list", "--json").stdout)] == [1]
    assert crm("undo").exit_code == 0  # takes back the add
    assert table_rows(db_path, "SELECT count(*) FROM spend") == [(0,)]
    assert crm("redo").exit_code == 0
    assert [x["amount_minor"] for x in json.loads(crm("spend", "list", "--json").stdout)] == [
        120000
    ]
    history = crm("history").stdout
    assert "add spend $1,200.00 on ads in 2026-11" in history


def test_deleting_a_missing_spend_is_an_error(crm: Any) -> None:
    r = crm("spend", "delete", "7")
    assert r.exit_code != 0
    assert r.stderr.splitlines() == ["error: no spend #7", "hint: crm spend list shows them"]


def test_spend_goes_through_the_json_archive(crm: Any, db_path: Path, tmp_path: Path) -> None:
    crm("spend", "add", "ads", "1200", "--month", "2026-11", "--note", "search")
    archive = tmp_path / "a.json"
    assert crm("export", "json", "-o", str(archive)).exit_code == 0
    doc = json.loads(archive.read_text(encoding="utf-8"))
    assert [(r["source"], r["amount"]) for r in doc["tables"]["spend"]] == [("ads", 120000)]
    other = tmp_path / "other.db"
    r = crm("--db", str(other), "import", "json", str(archive))
    assert r.exit_code == 0, r.stderr
    assert table_rows(other, "SELECT source_key, month, amount, currency, note FROM spend") == [
        ("ads", "2026-11", 120000, "USD", "search")
    ]
