"""CSV files as other programs write them (tests/fixtures/csv): LinkedIn's Connections.csv with
its preamble, HubSpot's contact export, Google Contacts and Outlook with every column they
write; what is not imported is named, never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import table_rows

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


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


def test_google_contacts_every_column_imported_or_named(crm: Any, db_path: Path):
    r = crm("import", "csv", str(FIXTURES / "google-contacts.csv"), "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["layout"], report["created"]) == ("google", 1)
    assert table_rows(db_path, "SELECT name, title, notes, custom FROM contact") == [
        ("José García", "CEO", "Met in Madrid", '{"team": "Iberia"}')
    ]
    # not in tinycrm's contacts yet: named, so that nothing is lost without a word
    assert report["ignored_columns"] == [
        "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name", "Name Prefix",
        "Name Suffix", "Nickname", "File As", "Organization Department", "Birthday", "Photo",
        "Address 1 - Label", "Address 1 - Formatted", "Address 1 - Street", "Address 1 - City",
        "Address 1 - PO Box", "Address 1 - Region", "Address 1 - Postal Code",
        "Address 1 - Country", "Address 1 - Extended Address", "Event 1 - Label",
        "Event 1 - Value", "Relation 1 - Label", "Relation 1 - Value",
    ]  # fmt: skip


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
    # the courtesy title is not the job title, but it is named
    assert names[:2] == ["Title", "Suffix"]
    for column in ("Business Street", "Business City", "Home Street", "Birthday", "Anniversary",
                   "Business Fax", "Department", "IMAddress"):  # fmt: skip
        assert column in names
    assert "Job Title" not in names and "Car Phone" not in names
