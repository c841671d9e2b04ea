"""The whole contact record from the command line: name parts, labelled emails and phones,
addresses, dates with or without a year; undo, merge, forget and the JSON archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import table_rows


def ok(crm: Any, *args: str) -> Any:
    r = crm(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r


def shown(crm: Any, ref: str = "1") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(crm, "show", ref, "--json").stdout)
    return data


def test_a_label_before_an_email_or_phone_is_its_label_not_part_of_it(crm: Any) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--email", "work:jane@acme.com",
       "--email", "mailto:jd@home.org", "--phone", "mobile:+1 555 0100",
       "--url", "https://jane.dev")  # fmt: skip
    data = shown(crm)
    assert [(e["email"], e["label"]) for e in data["emails"]] == [
        ("jane@acme.com", "work"),
        ("jd@home.org", None),
    ]
    assert [(p["phone"], p["label"]) for p in data["phones"]] == [("+1 555 0100", "mobile")]
    assert [(u["url"], u["label"]) for u in data["urls"]] == [("https://jane.dev", None)]
    ok(crm, "edit", "1", "--email", "home:jane@home.org")
    assert ("jane@home.org", "home") in [(e["email"], e["label"]) for e in shown(crm)["emails"]]


def test_a_label_before_something_that_is_no_address_is_refused(crm: Any, db_path: Path) -> None:
    r = crm("add", "contact", "Jane Doe", "--email", "work:nobody")
    assert r.exit_code == 1
    assert "not an email address: 'work:nobody'" in r.stderr
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(0,)]


def test_name_parts_nickname_dates_and_addresses(crm: Any) -> None:
    ok(crm, "add", "contact", "Mary Ann van der Berg", "--given", "Mary Ann",
       "--family", "van der Berg", "--nickname", "Mimi", "--birthday", "--04-12",
       "--anniversary", "2010-06-01", "--date", "first order: 2019-03-01",
       "--address", "work: 1 Main St, Unit 2; Springfield; IL; 62701; USA")  # fmt: skip
    data = shown(crm)
    assert data["name_parts"]["given"] == "Mary Ann"
    assert data["name_parts"]["family"] == "van der Berg"
    assert data["nickname"] == "Mimi"
    assert [(d["kind"], d["label"], d["date"]) for d in data["dates"]] == [
        ("birthday", None, "--04-12"),
        ("anniversary", None, "2010-06-01"),
        ("other", "first order", "2019-03-01"),
    ]
    (address,) = data["addresses"]
    assert address["label"] == "work" and address["street"] == "1 Main St, Unit 2"
    assert (address["locality"], address["region"], address["postcode"], address["country"]) == (
        "Springfield", "IL", "62701", "USA"
    )  # fmt: skip
    text = ok(crm, "show", "1").stdout
    assert "birthday" in text and "--04-12" in text
    assert "1 Main St, Unit 2, Springfield, IL, 62701, USA (work)" in text

    ok(crm, "edit", "1", "--birthday", "", "--remove-address", "work", "--remove-date",
       "first order")  # fmt: skip
    data = shown(crm)
    assert [d["kind"] for d in data["dates"]] == ["anniversary"]
    assert data["addresses"] == []
    ok(crm, "undo")
    assert len(shown(crm)["dates"]) == 3
    ok(crm, "redo")
    assert len(shown(crm)["dates"]) == 1


def test_a_date_that_cannot_be_read_exactly_is_refused(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe")
    for bad in ("1985-02-30", "--13-01", "April 12", "12/04/1985"):
        r = crm("edit", "1", "--birthday", bad)
        assert r.exit_code == 1, bad
        assert r.stderr.startswith("error:"), bad
    assert table_rows(db_path, "SELECT count(*) FROM contact_date") == [(0,)]


def test_a_company_has_addresses_and_a_merge_moves_them(crm: Any) -> None:
    ok(crm, "add", "company", "Acme")
    ok(crm, "add", "company", "Acme Inc")
    ok(crm, "edit", "Acme Inc", "--address", "hq: 5 Road; Leeds;; LS1; UK")
    ok(crm, "merge", "#1", "#2", "--yes")
    data = shown(crm, "1")
    assert [(a["label"], a["street"], a["region"]) for a in data["addresses"]] == [
        ("hq", "5 Road", None)
    ]


def test_merge_moves_dates_and_keeps_a_second_birthday_as_another_date(crm: Any) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--birthday", "1985-04-12")
    ok(crm, "add", "contact", "Jane D", "--birthday", "--04-13", "--address", "home: 2 Lane")
    ok(crm, "merge", "#1", "#2", "--yes")
    data = shown(crm)
    assert [(d["kind"], d["label"], d["date"]) for d in data["dates"]] == [
        ("birthday", None, "1985-04-12"),
        ("other", "birthday", "--04-13"),
    ]
    assert [a["street"] for a in data["addresses"]] == ["2 Lane"]


def test_forget_erases_addresses_dates_and_kept_lines(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--birthday", "1985-04-12",
       "--address", "home: 7 Secret Street; Oslo")  # fmt: skip
    ok(crm, "forget", "1", "--yes")
    for table in ("contact_address", "contact_date", "contact_property"):
        assert table_rows(db_path, f"SELECT count(*) FROM {table}") == [(0,)]
    events = table_rows(db_path, "SELECT before, after FROM event")
    assert not any("Secret Street" in str(e) or "1985-04-12" in str(e) for e in events)


def test_the_json_archive_round_trips_the_whole_record(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--given", "Jane", "--birthday", "--04-12",
       "--address", "work: 1 Main St; Springfield", "--phone", "home:+1 555 0100")  # fmt: skip
    ok(crm, "add", "company", "Acme")
    ok(crm, "edit", "Acme", "--address", "hq: 5 Road; Leeds")
    before = shown(crm)
    out = db_path.parent / "all.json"
    ok(crm, "export", "json", "-o", str(out))
    restored = db_path.parent / "restored.db"
    ok(crm, "--db", str(restored), "import", "json", str(out))
    assert json.loads(ok(crm, "--db", str(restored), "show", "1", "--json").stdout) == before
    company = json.loads(ok(crm, "--db", str(restored), "show", "Acme", "--json").stdout)
    assert company["addresses"][0]["street"] == "5 Road"


def test_a_json_archive_from_before_addresses_and_dates_restores(crm: Any, db_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--email", "jane@acme.com")
    out = db_path.parent / "all.json"
    ok(crm, "export", "json", "-o", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    document["schema"] = 10
    for table in ("contact_address", "company_address", "contact_date", "contact_property"):
        del document["tables"][table]
    added = ("given_name", "family_name", "middle_name", "name_prefix", "name_suffix",
             "nickname", "vcard_n", "photo", "types", "vcard_group")  # fmt: skip
    for rows in document["tables"].values():
        for row in rows:
            for key in added:
                row.pop(key, None)
    out.write_text(json.dumps(document), encoding="utf-8")
    restored = db_path.parent / "restored.db"
    ok(crm, "--db", str(restored), "import", "json", str(out))
    data = json.loads(ok(crm, "--db", str(restored), "show", "1", "--json").stdout)
    assert data["emails"][0]["email"] == "jane@acme.com"
    assert data["addresses"] == [] and data["dates"] == [] and data["nickname"] is None
