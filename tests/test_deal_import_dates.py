"""Imported won and lost deals are dated by their close date, not by the import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import table_rows

DEALS = (
    "Deal Name,Amount,Status,Close Date\n"
    "Old win,1000,won,2026-03-05\n"
    "Old loss,500,lost,2026-10-31 00:00\n"
    "Still open,200,open,2026-12-31\n"
    "Undated win,300,won,\n"
    "Early win,400,won,2027-01-15\n"
)


def test_closed_deals_take_their_close_date(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "deals.csv"
    path.write_text(DEALS)
    result = crm("import", "csv", str(path), "--kind", "deals")
    assert result.exit_code == 0, result.stderr
    assert table_rows(db_path, "SELECT title, status, closed_at FROM deal ORDER BY id") == [
        ("Old win", "won", "2026-03-05 00:00:00.000000"),
        ("Old loss", "lost", "2026-10-31 00:00:00.000000"),
        ("Still open", "open", None),
        ("Undated win", "won", "2026-11-23 10:00:00.000000"),
        ("Early win", "won", "2026-11-23 10:00:00.000000"),
    ]
    assert (
        "2 won or lost deals without a close date before today, dated at the import: lines 5, 6"
        in result.stdout.splitlines()
    )
    by_month = json.loads(crm("report", "win-rate", "--by", "month", "--json").stdout)
    first = by_month["rows"][0]
    assert (first["group"], first["won"], first["lost"]) == ("2026-03", 1, 0)


def test_the_close_date_is_the_local_days_start(
    crm: Any, db_path: Path, tmp_path: Path, monkeypatch: Any
):
    import time

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    path = tmp_path / "deals.csv"
    path.write_text("Deal Name,Status,Close Date\nOld win,won,2026-03-05\n")
    result = crm("import", "csv", str(path), "--kind", "deals", "--json")
    assert json.loads(result.stdout)["closed_at_import"] == []
    assert table_rows(db_path, "SELECT closed_at FROM deal") == [("2026-03-04 23:00:00.000000",)]
