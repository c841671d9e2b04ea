"""CSV files as other programs write them (tests/fixtures/csv): LinkedIn's Connections.csv with
its preamble, HubSpot's contact export, Google Contacts and Outlook with every column they
write; what is not imported is named, never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import table_rows

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
ADDRESSES = (
    "SELECT contact_id, label, street, locality, region, postcode, country, is_primary"
    " FROM contact_address ORDER BY id"
)
DATES = "SELECT contact_id, kind, label, value, month, day FROM contact_date ORDER BY id"
NAME_PARTS = (
    "SELECT given_name, middle_name, family_name, name_prefix, name_suffix, nickname"
    " FROM contact ORDER BY id"
)


def ignored(stderr: str) -> list[str]:
    """The columns an import named as not imported."""
    line = next(x for x in stderr.splitlines() if x.startswith("ignored columns: "))
    return line.removeprefix("ignored columns: ").split(", ")


def test_linkedin_connections_with_its_notes_preamble(crm: Any, db_path: Path):
    r = crm("import", "csv", str(FIXTURES / "linkedin-connections.csv"))
    assert r.exit_code == 0, r.stderr
    assert "(linkedin layout): 2 created, 0 updated, 0 skipped" in r.stdout
    assert table_rows(
        db_path,
        "SELECT c.name, c.title, co.name, c.custom FROM contact c"
        " JOIN company co ON co.id = c.company_id ORDER BY c.id",
    ) == [
        ("Priya Sharma", "Technical Recruiter", "Stripe, Inc.", '{"connected_on": "2024-03-12"}'),
        (
            "Arjun Mehta",
            "Engineering Manager, Payments",
            "Amazon Web Services (AWS)",
            '{"connected_on": "2023-01-03"}',
        ),
    ]
    assert table_rows(db_path, "SELECT url, label FROM contact_url ORDER BY id") == [
        ("https://www.linkedin.com/in/priya-sharma-1a2b3c", "linkedin"),
        ("https://www.linkedin.com/in/arjunmehta", "linkedin"),
    ]
    assert table_rows(db_path, "SELECT email FROM contact_email") == [("arjun@example.com",)]
    assert "ignored columns" not in r.stderr


def test_linkedin_line_numbers_count_the_preamble(crm: Any, tmp_path: Path):
    text = (FIXTURES / "linkedin-connections.csv").read_text(encoding="utf-8")
    path = tmp_path / "Connections.csv"
    path.write_text(text.replace("arjun@example.com", "arjun@"), encoding="utf-8")
    r = crm("import", "csv", str(path), "--dry-run", "--strict")
    assert "line 6: column Email Address: not an email address: 'arjun@'" in r.stderr
    r = crm("import", "csv", str(path), "--dry-run")
    assert "  line 6, column Email Address: not an email address: 'arjun@'" in r.stdout


def test_hubspot_associated_company_and_additional_emails(crm: Any, db_path: Path):
    r = crm("import", "csv", str(FIXTURES / "hubspot-contacts.csv"))
    assert r.exit_code == 0, r.stderr
    assert "(hubspot layout): 2 created" in r.stdout
    assert table_rows(
        db_path,
        "SELECT c.name, co.name, c.lifecycle, c.custom FROM contact c"
        " JOIN company co ON co.id = c.company_id ORDER BY c.id",
    ) == [
        ("Mei Chen", "Epsilon", "prospect", '{"lead_status": "OPEN"}'),
        ("Tom Brown", "Zeta", "customer", "null"),
    ]
    assert table_rows(db_path, "SELECT contact_id, email, is_primary FROM contact_email") == [
        (1, "mei@epsilon.cn", 1),
        (1, "mei.chen@gmail.com", 0),
        (1, "m.chen@epsilon.cn", 0),
        (3, "tom@zeta.com", 1),
    ]
    assert ignored(r.stderr) == [
        "Record ID", "Contact owner", "Primary Associated Company ID", "Last Activity Date",
        "Create Date", "Marketing contact status",
    ]  # fmt: skip
    assert table_rows(db_path, ADDRESSES) == [
        (1, None, "1 Chang'an Ave", "Beijing", "Beijing", "100000", "China", 1)
    ]
    assert table_rows(db_path, DATES) == [(1, "birthday", None, "1990-02-28", 2, 28)]


def test_google_contacts_every_column_imported_or_named(crm: Any, db_path: Path):
    r = crm("import", "csv", str(FIXTURES / "google-contacts.csv"), "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["layout"], report["created"]) == ("google", 1)
    assert table_rows(db_path, "SELECT name, title, notes, custom FROM contact") == [
        ("José García", "CEO", "Met in Madrid", '{"team": "Iberia"}')
    ]
    assert table_rows(db_path, NAME_PARTS) == [("José", None, "García", "Dr.", None, "Pepe")]
    assert table_rows(db_path, ADDRESSES) == [
        (1, "work", "Calle Mayor 1", "Madrid", None, "28013", "ES", 1)
    ]
    assert table_rows(db_path, DATES) == [
        (1, "birthday", None, "1980-05-17", 5, 17),
        (1, "anniversary", None, "2010-06-01", 6, 1),
    ]
    # not in tinycrm's contacts: named, so that nothing is lost without a word
    assert report["ignored_columns"] == [
        "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name", "File As",
        "Organization Department", "Photo", "Relation 1 - Label", "Relation 1 - Value",
    ]  # fmt: skip


def test_google_labels_mark_the_primary_and_cells_hold_several_values(crm: Any, db_path: Path):
    r = crm("import", "csv", "-", "--json", stdin=GOOGLE_LABELS)
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT email, label, is_primary FROM contact_email") == [
        ("ana@work.es", "work", 1),
        ("ana@casa.es", "home", 0),
        ("ana@gmail.com", "home", 0),
    ]
    assert table_rows(db_path, "SELECT phone, label, is_primary FROM contact_phone") == [
        ("+34 600 000 001", "mobile", 1)
    ]
    assert table_rows(db_path, NAME_PARTS) == [("Ana", "María", "López", None, "PhD", None)]
    assert table_rows(db_path, ADDRESSES) == [
        (1, "home", "Calle Sol 3\n28001 Madrid", None, None, None, None, 1)
    ]
    assert table_rows(db_path, DATES) == [(1, "birthday", None, "--04-12", 4, 12)]


GOOGLE_LABELS = (
    "Given Name,Additional Name,Family Name,Name Suffix,Birthday,E-mail 1 - Type,"
    "E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,"
    "Address 1 - Type,Address 1 - Formatted\n"
    "Ana,María,López,PhD,--04-12,Home,ana@casa.es ::: ana@gmail.com,* Work,ana@work.es,"
    '* Mobile,+34 600 000 001,Home,"Calle Sol 3\n28001 Madrid"\n'
)


def test_google_second_organization_is_named_not_dropped(crm: Any, tmp_path: Path):
    path = tmp_path / "google.csv"
    path.write_text(
        "Name,Organization 1 - Name,Organization 2 - Name\nAda Byron,Acme,Beta\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
    assert "ignored columns: Organization 2 - Name" in r.stderr


def test_outlook_every_column_imported_or_named(crm: Any, db_path: Path):
    r = crm("import", "csv", str(FIXTURES / "outlook-contacts.csv"))
    assert r.exit_code == 0, r.stderr
    assert "(outlook layout): 1 created" in r.stdout
    assert table_rows(db_path, "SELECT name, title, notes FROM contact") == [
        ("Günther Müller", "Einkäufer", "Grüße aus Berlin")
    ]
    assert table_rows(db_path, "SELECT phone, label FROM contact_phone ORDER BY id") == [
        ("+49 30 1234567", "work"),
        ("+49 170 1234567", "mobile"),
    ]
    names = ignored(r.stderr)
    assert table_rows(db_path, NAME_PARTS) == [("Günther", None, "Müller", "Dr.", None, None)]
    assert table_rows(db_path, ADDRESSES) == [
        (1, "work", "Unter den Linden 5", "Berlin", None, "10117", "Deutschland", 1),
        (1, "home", "Am Park 2", "Potsdam", None, "14467", "Deutschland", 0),
    ]
    # a day first with dots; "0/0/00" is Outlook's "no date"
    assert table_rows(db_path, DATES) == [(1, "birthday", None, "1975-05-17", 5, 17)]
    for column in ("Title", "Suffix", "Business Street", "Business City", "Home Street",
                   "Birthday", "Anniversary", "Job Title", "Car Phone"):  # fmt: skip
        assert column not in names
    for column in ("Business Fax", "Department", "IMAddress"):
        assert column in names
