"""One cell that cannot be read leaves that value out of its row, and says so; `--strict`
refuses the row instead. Nothing is altered without a word."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import snapshot_of, table_rows
from tinycrm.core import open_db

PEOPLE = (
    "name,email,phone,lifecycle,uuid\n"
    "Ann Bee,ann@bee.io,+1 555 0100,customer,\n"
    "Cy Dee,cy@,+1 555 0101,prospect,\n"
    "Eve Fay,eve@fay.io; eve@,+1 555 0102,friend,not-a-uuid\n"
)


def test_a_bad_cell_leaves_its_value_out_and_the_row_in(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Imported contacts from people.csv (plain layout): 3 created, 0 updated, 0 skipped,"
        " 4 values left out",
        "4 values left out, the rest of the row imported (--strict refuses such rows instead):",
        "  line 3, column email: not an email address: 'cy@'",
        "  line 4, column email: not an email address: 'eve@'",
        "  line 4, column lifecycle: not a lifecycle: 'friend' (lead, prospect, customer or"
        " former customer)",
        "  line 4, column uuid: not a UUID: 'not-a-uuid'",
    ]
    assert table_rows(
        db_path,
        "SELECT c.name, c.lifecycle, group_concat(e.email) FROM contact c"
        " LEFT JOIN contact_email e ON e.contact_id = c.id GROUP BY c.id ORDER BY c.id",
    ) == [
        ("Ann Bee", "customer", "ann@bee.io"),
        ("Cy Dee", "prospect", None),
        ("Eve Fay", "lead", "eve@fay.io"),
    ]
    assert table_rows(db_path, "SELECT phone FROM contact_phone ORDER BY id") == [
        ("+1 555 0100",),
        ("+1 555 0101",),
        ("+1 555 0102",),
    ]


def test_left_out_values_in_json_and_the_dry_run(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path), "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["created"] == 3 and report["bad"] == 0
    assert report["dropped"][0] == {
        "line": 3,
        "column": "email",
        "value": "cy@",
        "reason": "not an email address: 'cy@'",
    }
    assert len(report["dropped"]) == 4
    assert snapshot_of(db_path) == before


def test_strict_refuses_the_row_instead(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE, encoding="utf-8")
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path), "--strict")
    assert r.exit_code == 1
    assert "line 3: column email: not an email address: 'cy@'" in r.stderr
    assert "line 4: column email: not an email address: 'eve@'" in r.stderr
    assert "2 rows cannot be read; nothing was imported" in r.stderr
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--strict", "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert "1 created, 0 updated, 0 skipped, 2 bad rows skipped" in r.stdout
    assert table_rows(db_path, "SELECT name FROM contact") == [("Ann Bee",)]


def test_a_row_left_with_no_name_is_refused_and_says_why(crm: Any, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("name,email\n,nobody@\n", encoding="utf-8")
    r = crm("import", "csv", str(path))
    assert r.exit_code == 1
    assert (
        "line 2: no name and no email (column email: not an email address: 'nobody@')" in r.stderr
    )


def test_bad_company_domain_and_deal_date_are_left_out(crm: Any, db_path: Path, tmp_path: Path):
    companies = tmp_path / "companies.csv"
    companies.write_text("name,domain\nAcme,not a domain\n", encoding="utf-8")
    r = crm("import", "csv", str(companies), "--kind", "companies")
    assert r.exit_code == 0, r.stderr
    assert "  line 2, column domain: not a domain: 'not a domain'" in r.stdout
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "title,value,probability,expected_close,contact_email,status\n"
        "Acme site,5k,150,31/12/2026,bad@,open\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(deals), "--kind", "deals")
    assert r.exit_code == 0, r.stderr
    assert "3 values left out" in r.stdout
    assert "line 2, column expected_close: cannot read the date '31/12/2026'" in r.stdout
    assert table_rows(db_path, "SELECT title, value, probability, expected_close FROM deal") == [
        ("Acme site", 500000, None, None)
    ]
    # a status that cannot be read decides too much to be left out: the row is refused
    deals.write_text("title,status\nBeta site,pending\n", encoding="utf-8")
    r = crm("import", "csv", str(deals), "--kind", "deals")
    assert r.exit_code == 1
    assert "line 2: column status: not a deal status: 'pending'" in r.stderr
