"""`crm duplicates` and the warning of `crm add contact`: likely duplicates are listed with
why and their merge line, and nothing is ever merged without the seller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import snapshot_of, table_rows


def _add(crm: Any, *args: str) -> int:
    result = crm("add", *args, "-q")
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def _pairs(crm: Any, *args: str) -> list[dict[str, Any]]:
    result = crm("duplicates", "--json", *args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def _why(pairs: list[dict[str, Any]]) -> dict[tuple[int, int], list[str]]:
    return {(p["keep"]["id"], p["duplicate"]["id"]): p["reasons"] for p in pairs}


def test_the_same_email_phone_and_folded_name_are_listed_with_their_merge_line(
    crm: Any,
) -> None:
    jan = _add(crm, "contact", "Jan Smith", "--phone", "+1 555 0100 222")
    accents = _add(crm, "contact", "Zoë Ölmez")
    folded = _add(crm, "contact", "zoe  olmez")
    phoned = _add(crm, "contact", "Jane Roe", "--phone", "+1 (555) 0100-222")
    ext = _add(crm, "contact", "Ann Lee", "--phone", "+123456")
    _add(crm, "contact", "Bob Stone", "--phone", "123456")
    pairs = _pairs(crm)
    assert _why(pairs) == {
        (jan, phoned): ["same phone +1 (555) 0100-222"],
        (accents, folded): ["same name"],
    }
    assert pairs[0]["merge"] == f"crm merge {jan} {phoned} --kind contact"
    assert pairs[0]["kind"] == "contact"
    assert pairs[0]["keep"] == {"id": jan, "name": "Jan Smith"}
    out = crm("duplicates").stdout.splitlines()
    assert out[:2] == [
        f"contact #{jan} Jan Smith / #{phoned} Jane Roe: same phone +1 (555) 0100-222",
        f"  crm merge {jan} {phoned} --kind contact",
    ]
    assert f"#{ext}" not in "\n".join(out)  # six digits are no phone number to compare


def test_the_same_email_across_a_contact_moved_in_the_trash_pairs_no_one(
    crm: Any, db_path: Path
) -> None:
    _add(crm, "contact", "Ann Lee", "--email", "ann@x.com")
    assert crm("delete", "1", "--yes").exit_code == 0
    _add(crm, "contact", "Ann Lee")
    assert _pairs(crm) == []
    assert crm("duplicates").stdout == "No likely duplicates.\n"


def test_name_variants_word_order_and_initials_but_not_nicknames(crm: Any) -> None:
    jan = _add(crm, "contact", "Jan Smith")
    comma = _add(crm, "contact", "Smith, Jan")
    initial = _add(crm, "contact", "J. Smith")
    john = _add(crm, "contact", "John Smith")
    bob = _add(crm, "contact", "Bob Stone")
    robert = _add(crm, "contact", "Robert Stone")
    why = _why(_pairs(crm))
    assert why[(jan, comma)] == ["same name, words in another order"]
    assert why[(jan, initial)] == ["same name, a first name as an initial"]
    assert why[(initial, john)] == ["same name, a first name as an initial"]
    assert why[(comma, initial)] == ["same name, a first name as an initial"]
    assert (jan, john) not in why  # two first names, not one written two ways
    assert (bob, robert) not in why  # a nickname is too much of a guess


def test_companies_by_name_and_domain(crm: Any) -> None:
    acme = _add(crm, "company", "Acme", "--domain", "acme.com")
    upper = _add(crm, "company", "ACME")
    inc = _add(crm, "company", "Acme Inc", "--domain", "https://ACME.com/")
    _add(crm, "contact", "Acme")  # a contact is never a company's duplicate
    pairs = _pairs(crm, "--kind", "company")
    assert _why(pairs) == {(acme, inc): ["same domain acme.com"], (acme, upper): ["same name"]}
    assert {p["merge"] for p in pairs} == {
        f"crm merge {acme} {inc} --kind company",
        f"crm merge {acme} {upper} --kind company",
    }
    assert all(p["kind"] == "contact" for p in _pairs(crm, "--kind", "contact"))
    assert len(_pairs(crm, "--limit", "1")) == 1
    bad = crm("duplicates", "--kind", "deal")
    assert bad.exit_code == 2 and "not a kind of duplicate" in bad.output


def test_two_people_of_one_name_are_listed_but_never_merged(crm: Any, db_path: Path) -> None:
    first = _add(crm, "contact", "Jan Smith", "--email", "jan@acme.com")
    added = crm("add", "contact", "jan smith", "--email", "jan@other.org")
    # added all the same, with a warning on stderr naming the other one and the merge line
    assert added.exit_code == 0
    second = int(added.stdout.split("#")[1].split()[0])
    assert added.stderr == (
        f"warning: contact #{first} Jan Smith has the same name; if they are one person:"
        f" crm merge {first} {second} --kind contact\n"
    )
    assert "warning" not in added.stdout
    before = snapshot_of(db_path)
    assert _why(_pairs(crm)) == {(first, second): ["same name"]}
    assert crm("duplicates").exit_code == 0
    assert snapshot_of(db_path) == before  # listing changes nothing
    names = table_rows(db_path, "SELECT id, name FROM contact ORDER BY id")
    assert names == [(first, "Jan Smith"), (second, "jan smith")]
    # and the merge line merges only when it is run
    assert crm("merge", str(first), str(second), "--kind", "contact", "--yes").exit_code == 0
    assert _pairs(crm) == []


def test_add_contact_with_a_new_name_warns_of_nothing(crm: Any) -> None:
    _add(crm, "contact", "Jan Smith")
    added = crm("add", "contact", "Jan Smithson", "--json")
    assert added.exit_code == 0 and added.stderr == ""
    assert json.loads(added.stdout)["name"] == "Jan Smithson"


def test_an_import_of_a_namesake_adds_a_second_person_that_duplicates_lists(
    crm: Any, db_path: Path, tmp_path: Path
) -> None:
    first = _add(crm, "contact", "Jan Smith", "--email", "jan@acme.com")
    sheet = tmp_path / "people.csv"
    sheet.write_text("name,email\nJan Smith,jan@other.org\n", encoding="utf-8")
    result = crm("import", "csv", str(sheet))
    assert result.exit_code == 0, result.output
    rows = table_rows(db_path, "SELECT id FROM contact WHERE name_key = 'jan smith' ORDER BY id")
    assert len(rows) == 2 and rows[0][0] == first
    assert _why(_pairs(crm)) == {(first, rows[1][0]): ["same name"]}
