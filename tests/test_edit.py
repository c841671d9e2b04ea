"""`crm edit` with field options, `crm tag`, and their bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Crm, snapshot_of, table_rows


@pytest.fixture
def seeded(crm: Crm) -> Crm:
    """Jane at Acme with a deal, Jan Smith (so 'jan' is ambiguous), and Globex."""
    assert (
        crm("add", "contact", "Jane Doe", "--email", "jane@acme.com", "--company", "Acme").exit_code
        == 0
    )
    assert crm("add", "contact", "Jan Smith", "--phone", "+1 555 0100").exit_code == 0
    assert crm("add", "deal", "Acme website", "--contact", "jane", "--value", "5k").exit_code == 0
    assert crm("add", "company", "Globex", "--domain", "globex.com").exit_code == 0
    return crm


def test_edit_contact_fields_emails_phones_and_custom(seeded: Any, db_path: Path) -> None:
    r = seeded(
        "edit", "jane", "--title", "CTO", "--email", "jd@home.org", "--phone", "+44 20 7946 0000",
        "--lifecycle", "customer", "--source", "Referral", "--notes", "met at the fair",
        "--set", "plan=gold", "--set", "region = EMEA", "--company", "Globex",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Updated contact #2 Jane Doe: ")
    data = json.loads(seeded("show", "jane", "--json").stdout)
    assert data["title"] == "CTO"
    assert [e["email"] for e in data["emails"]] == ["jane@acme.com", "jd@home.org"]
    assert data["phones"][0]["phone"] == "+44 20 7946 0000"
    assert data["lifecycle"] == "customer"
    assert data["source"] == "referral"
    assert data["notes"] == "met at the fair"
    assert data["custom"] == {"plan": "gold", "region": "EMEA"}
    assert data["company"]["name"] == "Globex"
    r = seeded("edit", "jane", "--unset", "plan", "--title", "", "--remove-email", "JANE@acme.com")
    assert r.exit_code == 0, r.stderr
    data = json.loads(seeded("show", "jane", "--json").stdout)
    assert data["title"] is None
    assert data["custom"] == {"region": "EMEA"}
    assert data["emails"] == [{"email": "jd@home.org", "label": None, "types": [], "primary": True}]


def test_edit_is_one_undo_step(seeded: Any, db_path: Path) -> None:
    before = snapshot_of(db_path)
    assert seeded("edit", "jane", "--title", "CTO", "--email", "jd@home.org").exit_code == 0
    r = seeded("undo")
    assert r.exit_code == 0 and "edit contact #2 Jane Doe" in r.stdout
    after = snapshot_of(db_path)
    for bookkeeping in ("event", "id_sequence", "redo_stack"):  # history, not the data
        after.pop(bookkeeping), before.pop(bookkeeping)
    assert after == before


def test_edit_deal_value_close_probability_currency(seeded: Any, db_path: Path) -> None:
    r = seeded(
        "edit", "acme website", "--value", "7.5k", "--close", "2026-12-31", "--probability", "40%",
        "--name", "Acme web shop", "--set", "po=123",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert table_rows(
        db_path, "SELECT title, value, currency, expected_close, probability, custom FROM deal"
    ) == [("Acme web shop", 750000, "USD", "2026-12-31", 40, '{"po": "123"}')]
    assert seeded("edit", "acme web", "--currency", "eur", "--probability", "").exit_code == 0
    assert table_rows(db_path, "SELECT value, currency, probability FROM deal") == [
        (750000, "EUR", None)
    ]
    r = seeded("edit", "acme web", "--currency", "JPY", "--value", "800000", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["value"] == "800000"


def test_edit_company(seeded: Any, db_path: Path) -> None:
    r = seeded("edit", "globex", "--domain", "https://Globex.example/", "--industry", "energy")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT domain, industry FROM company WHERE name = 'Globex'") == [
        ("globex.example", "energy")
    ]


def test_tag_adds_and_removes(seeded: Any, db_path: Path) -> None:
    r = seeded("tag", "jane", "+vip", "warm")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["Tagged contact #2 Jane Doe: +vip, +warm", "tags: vip, warm"]
    r = seeded("tag", "jane", "-vip", "-cold", "+Hot")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Tagged contact #2 Jane Doe: +hot, -vip"
    r = seeded("tag", "acme website", "urgent", "--json")
    assert json.loads(r.stdout)["tags"] == ["urgent"]
    r = seeded("tag", "globex", "+partner", "--kind", "company")
    assert r.exit_code == 0, r.stderr
    assert table_rows(
        db_path,
        "SELECT t.name FROM company_tag ct JOIN tag t ON t.id = ct.tag_id"
        " JOIN company c ON c.id = ct.company_id WHERE c.name = 'Globex'",
    ) == [("partner",)]
    assert json.loads(seeded("show", "jane", "--json").stdout)["tags"] == ["hot", "warm"]


def test_tag_with_nothing_new_changes_nothing(seeded: Any, db_path: Path) -> None:
    seeded("tag", "jane", "vip")
    before = snapshot_of(db_path)
    r = seeded("tag", "jane", "vip", "-cold")
    assert r.exit_code == 0
    assert "no change" in r.stdout
    assert snapshot_of(db_path) == before


BAD = [
    (["edit", "nobody", "--title", "X"], "no contact, company or deal matches 'nobody'", 1),
    (["edit", "ja", "--title", "X"], "matches several", 1),
    (["edit", "acme website", "--close", "someday"], "cannot read the date 'someday'", 1),
    (["edit", "acme website", "--value", "lots"], "not an amount: 'lots'", 1),
    (["edit", "acme website", "--probability", "140"], "not a probability", 1),
    (["edit", "acme website", "--lifecycle", "lead"], "a deal has no field 'lifecycle'", 1),
    (["edit", "globex", "--title", "Boss"], "a company has no field 'title'", 1),
    (["edit", "jane", "--email", "nope@"], "not an email address", 1),
    (["edit", "jan smith", "--email", "jane@acme.com"], "already belongs to #2 Jane Doe", 1),
    (["edit", "jane", "--unset", "plan"], "has no custom field 'plan'", 1),
    (["edit", "jane", "--set", "plan"], "expected key=value", 1),
    (["edit", "jane", "--set", "my plan=x"], "not a custom field name", 1),
    (["edit", "jane", "--name", ""], "a contact needs a name", 1),
    (["edit", "jane", "--remove-phone", "123"], "has no phone", 1),
    (["edit", "jane", "--keep-in-touch", "monthly"], "not a number of days", 1),
    (["edit", "acme website", "--currency", "JPY"], "more decimals than JPY", 0),
    (["edit", "jane"], "opens an editor only in a terminal", 2),
    (["tag", "jane", "+v i p"], "not a tag", 1),
    (["tag", "jane", "+vip", "-vip"], "both added and removed", 1),
    (["tag", "jane", ""], "not a tag: ''", 1),
    (["tag", "jane", "  "], "not a tag: '  '", 1),
    (["tag", "jane", ","], "not a tag: ','", 1),
    (["tag", "jane", "+vip", ""], "not a tag: ''", 1),
    (["tag", "acme website", "-", "urgent"], "not a tag: ''", 1),
    (["tag", "jane", "--", "-"], "not a tag: ''", 1),
    (["tag", "nobody", "+vip"], "no contact, company or deal matches", 1),
]


@pytest.mark.parametrize(("args", "message", "code"), BAD)
def test_bad_edits_are_one_line_errors_that_change_nothing(
    seeded: Any, db_path: Path, args: list[str], message: str, code: int
) -> None:
    if message.startswith("more decimals"):
        assert seeded("edit", "acme website", "--value", "5000.50").exit_code == 0
        code = 1
    before = snapshot_of(db_path)
    r = seeded(*args)
    assert r.exit_code == code, r.stderr
    assert r.stderr.startswith("error: ")
    assert message in r.stderr.splitlines()[0]
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""
    assert snapshot_of(db_path) == before
