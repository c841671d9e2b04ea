"""CSV import from other tools' layouts and encodings, duplicates, bad rows, undo; CSV export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows
from tinycrm.core import open_db

GOOGLE = (
    "First Name,Middle Name,Last Name,Nickname,Organization Name,Organization Title,Birthday,"
    "Notes,Labels,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,"
    "Phone 1 - Label,Phone 1 - Value,Address 1 - Street,Website 1 - Label,Website 1 - Value\r\n"
    'José,,García,Pepe,Acme,CEO,,"Met in Madrid\r\nlikes coffee",* myContacts ::: VIP,'
    "* Work,jose@acme.com,Home,jose@casa.es,Mobile,+34 600 000 000,,Work,https://acme.com\r\n"
    "Anna,,Smith,,Beta,,,,* myContacts,Work,anna@beta.io,,,,,,,\r\n"
    ",,,,,,,,,,,,,,,,,\r\n"
)
GOOGLE_OLD = (
    "Name,Given Name,Additional Name,Family Name,Group Membership,E-mail 1 - Type,"
    "E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Organization 1 - Type,"
    "Organization 1 - Name,Organization 1 - Title\n"
    "Chloé Martin,Chloé,,Martin,* myContacts ::: Partners,* Work,chloe@gamma.fr ::: c@perso.fr,"
    "Work,+33 1 23 45 67 89,,Gamma,CTO\n"
)
OUTLOOK = (
    "Title;First Name;Middle Name;Last Name;Suffix;Company;Department;Job Title;"
    "Business Phone;Mobile Phone;E-mail Address;E-mail 2 Address;Categories;Notes\r\n"
    "Dr.;Günther;;Müller;;Delta GmbH;Sales;Einkäufer;+49 30 1234567;+49 170 1234567;"
    "g.mueller@delta.de;;Kunden;Grüße aus Berlin\r\n"
)
HUBSPOT = (
    "Record ID\tFirst Name\tLast Name\tEmail\tPhone Number\tCompany Name\tJob Title\t"
    "Lifecycle Stage\tLead Status\n"
    "101\tMei\tChen\tmei@epsilon.cn\t+86 10 1234 5678\tEpsilon\tBuyer\tsalesqualifiedlead\t"
    "Open\n"
    "102\tTom\tBrown\ttom@zeta.com\t\tZeta\t\tcustomer\t\n"
)
PIPEDRIVE_PEOPLE = (
    '"Person - Name","Person - Email - Work","Person - Phone - Mobile",'
    '"Person - Organization","Person - Labels"\n'
    '"Ola Nordmann","ola@eta.no","+47 912 34 567","Eta AS","Hot lead"\n'
)
PIPEDRIVE_DEALS = (
    '"Deal - Title","Deal - Value","Deal - Currency","Deal - Stage","Deal - Status",'
    '"Deal - Expected close date","Person - Name","Person - Email","Organization - Name"\n'
    '"Eta website","12500.50","EUR","Qualifying","open","2026-12-31","Ola Nordmann",'
    '"ola@eta.no","Eta AS"\n'
    '"Eta hosting","900","EUR","Closing","won","","Ola Nordmann","ola@eta.no","Eta AS"\n'
)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def contacts(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db_path,
        "SELECT c.name, c.title, co.name, c.lifecycle, c.notes FROM contact c"
        " LEFT JOIN company co ON co.id = c.company_id ORDER BY c.id",
    )


def emails(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db_path, "SELECT contact_id, email, label, is_primary FROM contact_email ORDER BY id"
    )


def test_google_contacts_utf8_bom_with_quoted_newline(crm: Any, db_path: Path, tmp_path: Path):
    path = write(tmp_path, "google.csv", GOOGLE, "utf-8-sig")
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
    assert "2 created, 0 updated, 0 skipped" in r.stdout
    assert "(google layout)" in r.stdout
    assert contacts(db_path) == [
        ("José García", "CEO", "Acme", "lead", "Met in Madrid\nlikes coffee"),
        ("Anna Smith", None, "Beta", "lead", None),
    ]
    assert emails(db_path) == [
        (1, "jose@acme.com", "work", 1),
        (1, "jose@casa.es", "home", 0),
        (3, "anna@beta.io", "work", 1),  # Acme, made for José, took #2
    ]
    assert table_rows(db_path, "SELECT phone, label FROM contact_phone") == [
        ("+34 600 000 000", "mobile")
    ]
    assert table_rows(db_path, "SELECT url FROM contact_url") == [("https://acme.com",)]
    assert table_rows(db_path, "SELECT name FROM tag") == [("vip",)]
    # the nickname and the address are part of the record now: nothing is named as ignored
    assert table_rows(db_path, "SELECT nickname FROM contact ORDER BY id") == [("Pepe",), (None,)]
    assert "ignored columns" not in r.stderr


def test_older_google_layout_with_several_values_in_a_cell(crm: Any, db_path: Path, tmp_path: Path):
    r = crm("import", "csv", str(write(tmp_path, "old.csv", GOOGLE_OLD)))
    assert r.exit_code == 0, r.stderr
    assert contacts(db_path) == [("Chloé Martin", "CTO", "Gamma", "lead", None)]
    assert [e[1] for e in emails(db_path)] == ["chloe@gamma.fr", "c@perso.fr"]
    assert table_rows(db_path, "SELECT name FROM tag") == [("partners",)]


def test_outlook_cp1252_semicolons(crm: Any, db_path: Path, tmp_path: Path):
    r = crm("import", "csv", str(write(tmp_path, "outlook.csv", OUTLOOK, "cp1252")))
    assert r.exit_code == 0, r.stderr
    assert "(outlook layout)" in r.stdout
    # Outlook's "Title" is a courtesy title; the job title is "Job Title"
    assert contacts(db_path) == [
        ("Günther Müller", "Einkäufer", "Delta GmbH", "lead", "Grüße aus Berlin")
    ]
    assert table_rows(db_path, "SELECT phone, label FROM contact_phone ORDER BY id") == [
        ("+49 30 1234567", "work"),
        ("+49 170 1234567", "mobile"),
    ]
    assert table_rows(db_path, "SELECT name FROM tag") == [("kunden",)]


def test_hubspot_utf16_tabs_lifecycle_and_lead_status(crm: Any, db_path: Path, tmp_path: Path):
    r = crm("import", "csv", str(write(tmp_path, "hubspot.csv", HUBSPOT, "utf-16")))
    assert r.exit_code == 0, r.stderr
    assert "(hubspot layout)" in r.stdout
    assert contacts(db_path) == [
        ("Mei Chen", "Buyer", "Epsilon", "prospect", None),
        ("Tom Brown", None, "Zeta", "customer", None),
    ]
    assert table_rows(db_path, "SELECT custom FROM contact ORDER BY id") == [
        ('{"lead_status": "Open"}',),
        ("null",),
    ]


def test_pipedrive_people_then_deals(crm: Any, db_path: Path, tmp_path: Path):
    r = crm("import", "csv", str(write(tmp_path, "people.csv", PIPEDRIVE_PEOPLE)))
    assert r.exit_code == 0, r.stderr
    assert contacts(db_path) == [("Ola Nordmann", None, "Eta AS", "lead", None)]
    r = crm("import", "csv", str(write(tmp_path, "deals.csv", PIPEDRIVE_DEALS)), "--kind", "deals")
    assert r.exit_code == 0, r.stderr
    assert "2 created" in r.stdout
    assert table_rows(
        db_path,
        "SELECT d.title, d.value, d.currency, s.name, d.status, d.expected_close, d.contact_id,"
        " co.name FROM deal d JOIN stage s ON s.id = d.stage_id"
        " LEFT JOIN company co ON co.id = d.company_id ORDER BY d.id",
    ) == [
        ("Eta website", 1250050, "EUR", "Qualifying", "open", "2026-12-31", 1, "Eta AS"),
        ("Eta hosting", 90000, "EUR", "Closing", "won", None, 1, "Eta AS"),
    ]
    # no second contact or company was made for Ola
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(1,)]
    assert table_rows(db_path, "SELECT count(*) FROM company") == [(1,)]
    assert table_rows(db_path, "SELECT count(*) FROM stage_change") == [(2,)]


def test_plain_layout_and_map(crm: Any, db_path: Path, tmp_path: Path):
    text = "Who,Courriel,Region\nJane Doe,jane@acme.com,EMEA\n"
    path = write(tmp_path, "odd.csv", text)
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path))
    assert r.exit_code == 1
    assert "cannot tell which column holds the name" in r.stderr
    assert "--map" in r.stderr
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--map", "Who=name", "--map", "courriel=email",
            "--map", "Region=custom.region")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, custom FROM contact") == [
        ("Jane Doe", '{"region": "EMEA"}')
    ]
    assert emails(db_path) == [(1, "jane@acme.com", None, 1)]
    r = crm("import", "csv", str(path), "--map", "Who=shoe_size")
    assert r.exit_code == 2
    assert "no field 'shoe_size'" in r.stderr


def test_strict_bad_rows_write_nothing_unless_skipped(crm: Any, db_path: Path, tmp_path: Path):
    text = (
        "name,email,phone\n"
        "Good One,good@x.com,+1 555 0100\n"
        "Bad Mail,not-an-email,\n"
        "Bad Phone,,call me\n"
        "Good Two,two@x.com,\n"
    )
    path = write(tmp_path, "bad.csv", text)
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path), "--strict")
    assert r.exit_code == 1
    assert "line 3: column email: not an email address: 'not-an-email'" in r.stderr
    assert "line 4: column phone: not a phone number: 'call me'" in r.stderr
    assert "2 rows cannot be read; nothing was imported" in r.stderr
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--skip-bad", "--strict")
    assert r.exit_code == 0, r.stderr
    assert "2 created" in r.stdout and "2 bad rows skipped" in r.stdout
    assert [c[0] for c in contacts(db_path)] == ["Good One", "Good Two"]


def test_bad_deal_amount_and_date_and_stage(crm: Any, db_path: Path, tmp_path: Path):
    text = (
        "title,value,expected_close,stage\n"
        "A,5k,2026-12-01,qual\n"
        "B,12.345,,\n"
        "C,10,next week,\n"
        "D,10,,Nowhere\n"
    )
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    path = write(tmp_path, "d.csv", text)
    r = crm("import", "csv", str(path), "--kind", "deals", "--strict")
    assert r.exit_code == 1
    assert "line 3: column value: '12.345' has more decimals than USD allows" in r.stderr
    assert "line 4: column expected_close: cannot read the date 'next week'" in r.stderr
    assert "line 5: no single stage called 'Nowhere'" in r.stderr
    assert snapshot_of(db_path) == before
    # without --strict the amount and the date are left out and named; a stage that names
    # no stage still refuses its row (where the deal goes is not a value to leave out)
    r = crm("import", "csv", str(path), "--kind", "deals")
    assert r.exit_code == 1
    assert "line 5: no single stage called 'Nowhere'" in r.stderr
    assert "line 3: " not in r.stderr and "line 4: " not in r.stderr
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--kind", "deals", "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert "3 created, 0 updated, 0 skipped, 1 bad row skipped, 2 values left out" in r.stdout
    assert "  line 3, column value: '12.345' has more decimals than USD allows" in r.stdout
    assert table_rows(db_path, "SELECT title, value, expected_close FROM deal ORDER BY id") == [
        ("A", 500000, "2026-12-01"),
        ("B", None, None),
        ("C", 1000, None),
    ]


def test_duplicates_skip_update_merge(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--title", "CEO")
    crm("add", "contact", "Bob Stone", "--phone", "+1 555 0199")
    crm("add", "contact", "Carla Ruiz", "--company", "Ruiz SL")
    text = (
        "name,email,phone,title,company,tags\n"
        "Jane D.,JANE@acme.com,,Founder,Acme,vip\n"
        "Robert Stone,bob@stone.io,+1 (555) 0199,,,\n"
        "carla ruiz,,,Buyer,RUIZ SL,\n"
        "New Person,new@x.com,,,,\n"
        "New Person,new@x.com,,,,\n"
    )
    path = write(tmp_path, "dups.csv", text)
    r = crm("import", "csv", str(path), "--dry-run")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("line 2: skip") and "-> contact #1 Jane Doe" in lines[0]
    assert lines[1] == "line 3: create Robert Stone <bob@stone.io>"  # a shared phone only
    assert lines[2].endswith("(same name and company)")
    assert lines[3].startswith("line 5: create")
    assert "-> line 5 New Person (same email new@x.com)" in lines[4]
    assert "would create 2, update 0, skip 3; nothing was written" in r.stdout
    assert "line 3: Robert Stone (new) looks like #2 Bob Stone (same phone +1 (555) 0199)" in (
        r.stdout
    )
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(3,)]

    r = crm("import", "csv", str(path), "--on-duplicate", "merge")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, title FROM contact ORDER BY id") == [
        ("Jane Doe", "CEO"),  # merge keeps what is there
        ("Bob Stone", None),
        ("Carla Ruiz", "Buyer"),  # and fills what is empty
        ("Robert Stone", None),
        ("New Person", None),
    ]
    assert [e[1] for e in emails(db_path)] == [
        "jane@acme.com", "bob@stone.io", "new@x.com",
    ]  # fmt: skip
    assert table_rows(db_path, "SELECT contact_id FROM contact_tag") == [(1,)]

    r = crm("import", "csv", str(path), "--on-duplicate", "update")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, title FROM contact WHERE id IN (1, 2)") == [
        ("Jane D.", "Founder"),
        ("Bob Stone", None),  # never another person's row
    ]
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(5,)]
    # undo takes back exactly the last import
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, title FROM contact WHERE id IN (1, 2)") == [
        ("Jane Doe", "CEO"),
        ("Bob Stone", None),
    ]


def test_import_is_one_undo_step(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "contact", "Keep Me")
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(write(tmp_path, "g.csv", GOOGLE)))
    assert r.exit_code == 0, r.stderr
    assert table_rows(
        db_path, "SELECT DISTINCT origin, summary FROM event WHERE origin = 'import'"
    ) == [("import", "import g.csv: 2 contacts created, 0 updated")]
    r = crm("undo")
    assert r.exit_code == 0, r.stderr
    assert "Undid: import g.csv: 2 contacts created" in r.stdout
    after = snapshot_of(db_path)
    history = ("event", "id_sequence", "redo_stack")  # taken ids are never given back
    assert {k: v for k, v in after.items() if k not in history} == {
        k: v for k, v in before.items() if k not in history
    }
    r = crm("redo")
    assert r.exit_code == 0, r.stderr
    assert [c[0] for c in contacts(db_path)] == ["Keep Me", "José García", "Anna Smith"]
    assert len(emails(db_path)) == 3


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        bytes(range(256)) * 4,
        b"",
    ],
)
def test_binary_or_empty_files_are_refused(crm: Any, db_path: Path, tmp_path: Path, data: bytes):
    path = tmp_path / "junk.csv"
    path.write_bytes(data)
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "csv", str(path))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


def test_companies_import_matches_domain(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "company", "Acme Inc", "--domain", "acme.com")
    text = "Company Name,Company Domain Name,Industry,Number of Employees\n"
    text += "ACME,https://www.acme.com/,Software,50\nBeta,beta.io,Retail,\n"
    path = write(tmp_path, "co.csv", text)
    r = crm("import", "csv", str(path), "--kind", "companies", "--on-duplicate", "merge")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, domain, industry, size FROM company ORDER BY id") == [
        ("Acme Inc", "acme.com", "Software", "50"),
        ("Beta", "beta.io", "Retail", None),
    ]


def test_csv_export_columns_and_round_trip(crm: Any, db_path: Path, tmp_path: Path):
    crm("import", "csv", str(write(tmp_path, "g.csv", GOOGLE)))
    crm("add", "deal", "Acme site", "--contact", "jose", "--value", "5k")
    r = crm("export", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == [
        "id", "uuid", "name", "email", "emails", "phones", "urls", "company", "title",
        "lifecycle", "source", "tags", "notes", "created_at", "updated_at", "uid",
        "given_name", "middle_name", "family_name", "name_prefix", "name_suffix", "nickname",
        "birthday", "anniversary", "address_label", "address_po_box", "address_extended",
        "address_street", "address_locality", "address_region", "address_postcode",
        "address_country",
    ]  # fmt: skip
    assert [row["name"] for row in rows] == ["Anna Smith", "José García"]
    jose = rows[1]
    assert jose["emails"] == "jose@acme.com; jose@casa.es"
    assert jose["tags"] == "vip"
    assert jose["notes"] == "Met in Madrid\nlikes coffee"
    assert jose["created_at"] == "2026-11-23T10:00:00Z"
    only_vip = crm("export", "csv", "--tag", "vip").stdout
    assert len(list(csv.DictReader(io.StringIO(only_vip)))) == 1
    deals = list(csv.DictReader(io.StringIO(crm("export", "csv", "--kind", "deals").stdout)))
    assert (deals[0]["title"], deals[0]["value"], deals[0]["contact_email"]) == (
        "Acme site",
        "5000.00",
        "jose@acme.com",
    )
    # the export imports back into another database as the same people
    out = tmp_path / "contacts.csv"
    assert crm("export", "csv", "-o", str(out)).exit_code == 0
    other = tmp_path / "other.db"
    r = crm("--db", str(other), "import", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    assert "ignored columns" not in r.stderr
    assert table_rows(other, "SELECT uuid, name FROM contact ORDER BY name") == [
        (row["uuid"], row["name"]) for row in rows
    ]
    r = crm("--db", str(other), "import", "csv", str(out), "--on-duplicate", "update")
    assert "0 created, 0 updated, 2 skipped" in r.stdout


def test_json_report(crm: Any, tmp_path: Path):
    r = crm("import", "csv", str(write(tmp_path, "g.csv", GOOGLE)), "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["created"], data["dry_run"], data["layout"]) == (2, True, "google")
    assert data["rows"][0] == {
        "line": 2,
        "action": "create",
        "label": "José García <jose@acme.com>",
        "id": 1,
        "reason": None,
    }


def test_benchmark_function_runs(tmp_path: Path):
    from benchmarks.imports import measure

    result = measure(300, workdir=tmp_path)
    assert result["rows"] == 300
    assert result["import_s"] > 0 and result["executemany_s"] > 0


def test_deals_reimport_updates_and_undo(crm: Any, db_path: Path, tmp_path: Path):
    path = write(tmp_path, "deals.csv", PIPEDRIVE_DEALS)
    assert crm("import", "csv", str(path), "--kind", "deals").exit_code == 0
    changed = write(tmp_path, "deals2.csv", PIPEDRIVE_DEALS.replace('"12500.50"', '"13000"'))
    r = crm("import", "csv", str(changed), "--kind", "deals", "--on-duplicate", "update")
    assert r.exit_code == 0, r.stderr
    assert "0 created, 1 updated, 1 skipped" in r.stdout
    assert table_rows(db_path, "SELECT title, value FROM deal ORDER BY id") == [
        ("Eta website", 1300000),
        ("Eta hosting", 90000),
    ]
    assert table_rows(db_path, "SELECT count(*) FROM stage_change") == [(2,)]
    assert crm("undo").exit_code == 0
    assert table_rows(db_path, "SELECT value FROM deal ORDER BY id") == [(1250050,), (90000,)]
    assert crm("undo").exit_code == 0
    for table in ("deal", "stage_change", "contact", "company"):
        assert table_rows(db_path, f"SELECT count(*) FROM {table}") == [(0,)]


def test_progress_reaches_the_end_after_writing(db: Any, tmp_path: Path):
    from datetime import datetime

    from tests.conftest import FIXED_NOW
    from tinycrm.io.csvfiles import import_csv

    text = "name,email\n" + "".join(f"P{i},p{i}@x.com\n" for i in range(300))
    seen: list[tuple[int, int]] = []
    report = import_csv(
        db,
        write(tmp_path, "p.csv", text),
        now=datetime.fromisoformat(FIXED_NOW),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.count("create") == 300
    assert seen[-1] == (600, 600)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert any(d == 300 for d, _ in seen)


def test_hubspot_deals_with_close_date_times(crm: Any, db_path: Path, tmp_path: Path):
    text = (
        'Deal Name,Amount,Deal Stage,Close Date\nBig one,"1,200.50",Presenting,2026-12-31 00:00\n'
    )
    r = crm("import", "csv", str(write(tmp_path, "h.csv", text)), "--kind", "deals")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT title, value, expected_close FROM deal") == [
        ("Big one", 120050, "2026-12-31")
    ]


def test_an_email_of_a_trashed_contact_is_a_bad_row(crm: Any, db_path: Path, tmp_path: Path):
    import sqlite3

    crm("add", "contact", "Old Jane", "--email", "jane@acme.com")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE contact SET deleted_at = '2026-11-01 00:00:00.000000'")
    conn.commit()
    conn.close()
    path = write(tmp_path, "t.csv", "name,email\nJane,jane@acme.com\nBob,bob@x.com\n")
    r = crm("import", "csv", str(path))
    assert r.exit_code == 1
    assert "line 2: jane@acme.com belongs to #1 Old Jane (in the trash)" in r.stderr
    r = crm("import", "csv", str(path), "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name FROM contact ORDER BY id") == [("Old Jane",), ("Bob",)]


def test_excel_sep_line(crm: Any, db_path: Path, tmp_path: Path):
    text = "sep=;\r\nname;email;notes\r\nJane;jane@x.com;a, b\r\nBad;nope;\r\n"
    r = crm("import", "csv", str(write(tmp_path, "x.csv", text, "cp1252")), "--strict")
    assert r.exit_code == 1
    assert "line 4: column email: not an email address: 'nope'" in r.stderr
    path = write(tmp_path, "x.csv", text, "cp1252")
    r = crm("import", "csv", str(path), "--skip-bad", "--strict")
    assert table_rows(db_path, "SELECT name, notes FROM contact") == [("Jane", "a, b")]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["import", "csv", "{tmp}/missing.csv"], 1, "no file"),
        (["import", "csv", "{tmp}"], 1, "is a folder, not a file"),
        (["import", "csv", "{tmp}/p.csv", "--kind", "people"], 2, "--kind takes"),
        (["import", "csv", "{tmp}/p.csv", "--on-duplicate", "maybe"], 2, "--on-duplicate takes"),
        (["import", "csv", "{tmp}/p.csv", "--map", "nonsense"], 2, "--map takes"),
        (["import", "vcard", "{tmp}/p.csv"], 1, "holds no vCard"),
        (["export", "vcard", "--dir", "{tmp}/p.csv"], 1, "is a file, not a folder"),
        (["export", "csv", "--kind", "people"], 2, "--kind takes"),
    ],
)
def test_wrong_calls_are_one_line_errors(
    crm: Any, db_path: Path, tmp_path: Path, args: list[str], code: int, message: str
):
    write(tmp_path, "p.csv", "name\nJane\n")
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert r.exit_code == code
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


def test_an_import_records_its_changes_as_the_commands_do(crm: Any, db_path: Path, tmp_path: Path):
    """A company made by `crm add` and one made by an import are recorded alike: the same
    columns in the same order, the same forms of values, times and empty sides."""
    import re

    assert crm("add", "company", "Acme").exit_code == 0
    r = crm("import", "csv", str(write(tmp_path, "p.csv", "name,company\nAnna,Beta\n")))
    assert r.exit_code == 0, r.stderr
    (added, imported) = table_rows(
        db_path,
        "SELECT origin, at, before, after, summary FROM event"
        " WHERE entity = 'company' AND action = 'create' ORDER BY id",
    )
    assert (added[0], imported[0]) == ("cli", "import")
    stored_time = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
    assert stored_time.fullmatch(added[1]) and stored_time.fullmatch(imported[1])
    assert added[2] == imported[2] == "null"
    by_command, by_import = json.loads(added[3]), json.loads(imported[3])
    assert list(by_command) == list(by_import)
    assert {k: type(v) for k, v in by_command.items() if k != "domain"} == {
        k: type(v) for k, v in by_import.items() if k != "domain"
    }
    assert imported[4] == "import p.csv: 1 contacts created, 0 updated"
