"""Imports match people by identity only (email, UID, full name and company); a weaker
likeness is reported, never merged. vCard UIDs of any form are kept and written back. CSV
cells that a spreadsheet would run are neutralised on export and restored on import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import vobject

from tests.conftest import snapshot_of, table_rows
from tests.helpers import console_steps, fenced_blocks


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def card(uid: str | None, fn: str, *, tel: str = "", email: str = "", org: str = "",
         title: str = "", extra: str = "") -> str:  # fmt: skip
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    lines.append(f"FN:{fn}")
    if org:
        lines.append(f"ORG:{org}")
    if title:
        lines.append(f"TITLE:{title}")
    if tel:
        lines.append(f"TEL;TYPE=WORK:{tel}")
    if email:
        lines.append(f"EMAIL;TYPE=INTERNET:{email}")
    if extra:
        lines.append(extra)
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"


def people(db_path: Path) -> list[tuple[Any, ...]]:
    return table_rows(
        db_path,
        "SELECT c.id, c.name, c.title, co.name FROM contact c"
        " LEFT JOIN company co ON co.id = c.company_id ORDER BY c.id",
    )


# --- matching --------------------------------------------------------------------------------


def test_a_shared_office_phone_never_overwrites_a_colleague(crm: Any, db_path: Path, tmp_path):
    r = crm("add", "contact", "Alice Smith", "--phone", "+1 555 0100", "--title", "Buyer",
            "--company", "Acme")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    path = write(
        tmp_path,
        "bob.vcf",
        card(None, "Bob Reception", tel="+1 555 0100", org="Acme", title="Receptionist"),
    )
    r = crm("import", "vcard", str(path))  # the default policy is update
    assert r.exit_code == 0, r.stderr
    assert [p[1:] for p in people(db_path)] == [
        ("Alice Smith", "Buyer", "Acme"),
        ("Bob Reception", "Receptionist", "Acme"),
    ]
    alice, bob = (p[0] for p in people(db_path))
    assert "1 created, 0 updated, 0 skipped" in r.stdout
    assert "possible duplicate" in r.stdout
    assert f"#{bob} Bob Reception looks like #{alice} Alice Smith (same phone +1 555 0100)" in (
        r.stdout
    )


def test_csv_rows_matched_only_by_phone_or_first_name_are_imported(
    crm: Any, db_path: Path, tmp_path: Path
):
    crm("add", "contact", "Bob Stone", "--phone", "+1 555 0199")
    crm("add", "contact", "Jane Doe", "--email", "jane@acme.com")
    text = (
        "First Name,Last Name,Email,Phone Number,Company Name\n"
        "Robert,Stone,,+1 (555) 0199,\n"
        "Jane,,,,\n"
        "Bob,Stone,,,Stone Inc\n"
    )
    path = write(tmp_path, "hubspot.csv", text)
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
    assert "3 created, 0 updated, 0 skipped" in r.stdout
    assert [p[1] for p in people(db_path)] == [
        "Bob Stone", "Jane Doe", "Robert Stone", "Jane", "Bob Stone",
    ]  # fmt: skip
    ids = [p[0] for p in people(db_path)]
    assert f"line 2: #{ids[2]} Robert Stone looks like #1 Bob Stone (same phone +1 (555) 0199)" in (
        r.stdout
    )
    assert f"line 3: #{ids[3]} Jane looks like #{ids[1]} Jane Doe (same first name)" in r.stdout
    assert f"line 4: #{ids[4]} Bob Stone looks like #1 Bob Stone (same name)" in (r.stdout)
    # nobody was changed
    assert table_rows(db_path, "SELECT phone FROM contact_phone WHERE contact_id = 1") == [
        ("+1 555 0199",)
    ]


def test_same_full_name_at_different_companies(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "contact", "Sam Lee", "--company", "Acme", "--title", "CTO")
    text = "name,company,title\nSam Lee,Beta,Designer\nsam lee,ACME,Chief Technologist\n"
    path = write(tmp_path, "sams.csv", text)
    r = crm("import", "csv", str(path), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "line 2: create Sam Lee" in r.stdout
    sam = people(db_path)[0][0]
    assert f"line 3: skip sam lee -> contact #{sam} Sam Lee (same name and company)" in r.stdout
    r = crm("import", "csv", str(path), "--on-duplicate", "update")
    assert r.exit_code == 0, r.stderr
    assert [p[1:] for p in people(db_path)] == [
        ("sam lee", "Chief Technologist", "Acme"),
        ("Sam Lee", "Designer", "Beta"),
    ]
    assert f"looks like #{sam} Sam Lee (same name, another company)" in r.stdout


def test_two_rows_for_the_same_email_make_one_contact(crm: Any, db_path: Path, tmp_path: Path):
    text = "name,email,title\nJane Doe,jane@acme.com,CEO\nJ. Doe,JANE@acme.com,Founder\n"
    path = write(tmp_path, "twice.csv", text)
    r = crm("import", "csv", str(path), "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "line 3: skip J. Doe <JANE@acme.com> -> line 2 Jane Doe (same email jane@acme.com)" in (
        r.stdout
    )
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
    assert [p[1:3] for p in people(db_path)] == [("Jane Doe", "CEO")]
    assert table_rows(db_path, "SELECT email FROM contact_email") == [("jane@acme.com",)]


def test_dry_run_lists_each_match_and_why(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "contact", "Jane Doe", "--email", "jane@acme.com")
    before = snapshot_of(db_path)
    text = "name,email\nJane Doe,jane@acme.com\nNew One,new@x.com\n"
    path = write(tmp_path, "dry.csv", text)
    r = crm("import", "csv", str(path), "--dry-run")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "line 2: skip Jane Doe <jane@acme.com> -> contact #1 Jane Doe (same email jane@acme.com)"
    )
    assert lines[1] == "line 3: create New One <new@x.com>"
    assert snapshot_of(db_path) == before
    data = json.loads(crm("import", "csv", str(path), "--dry-run", "--json").stdout)
    assert data["rows"][0]["reason"] == "same email jane@acme.com"
    assert data["possible_duplicates"] == []


def test_dry_run_with_bad_rows_exits_1_like_the_import(
    crm: Any, db_path: Path, tmp_path: Path, db: Any
):
    before = snapshot_of(db_path)
    text = "name,email\nGood One,good@x.com\nBad One,not-an-email\n"
    path = write(tmp_path, "bad.csv", text)
    r = crm("import", "csv", str(path), "--dry-run", "--strict")
    assert r.exit_code == 1
    assert "line 3: column email: not an email address: 'not-an-email'" in r.stderr
    assert "line 2: create Good One" in r.stdout
    r = crm("import", "csv", str(path), "--strict")
    assert r.exit_code == 1
    assert "line 3: column email: not an email address: 'not-an-email'" in r.stderr
    assert snapshot_of(db_path) == before
    r = crm("import", "csv", str(path), "--dry-run", "--skip-bad", "--strict")
    assert r.exit_code == 0, r.stderr


def test_vcard_properties_that_are_not_mapped_are_named_and_kept(
    crm: Any, db_path: Path, tmp_path: Path
):
    extra = "BDAY:1990-01-01\r\nADR;TYPE=HOME:;;1 Way\r\nX-FAVOURITE:tea\r\nGENDER:F"
    path = write(tmp_path, "c.vcf", card(None, "Ann Bee", extra=extra))
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    # a birthday and an address are the contact's now; what nothing maps is kept as written
    assert "kept 2 properties as written (exported back as they came): X-FAVOURITE, GENDER" in (
        r.stdout
    )
    assert table_rows(db_path, "SELECT value FROM contact_date") == [("1990-01-01",)]
    assert table_rows(db_path, "SELECT street FROM contact_address") == [("1 Way",)]


# --- vCard UIDs -----------------------------------------------------------------------------

APPLE = "4A2B6C8D-1E3F-4A5B-8C7D-9E0F1A2B3C4D:ABPerson"
APPLE_DASH = "5B3C7D9E-2F4A-4B6C-9D8E-0F1A2B3C4D5E-ABPerson"
GOOGLE = "3f1a2b0c8d"
KHARD = "0c6e1c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"


def test_any_uid_is_kept_and_written_back(crm: Any, db_path: Path, tmp_path: Path):
    book = tmp_path / "book"
    book.mkdir()
    cards = [
        (APPLE, "Ada Apple", "ada@apple.example"),
        (APPLE_DASH, "Dan Dash", ""),
        (GOOGLE, "Gil Google", "gil@google.example"),
        (KHARD, "Kim Khard", ""),
    ]
    for uid, name, email in cards:
        (book / f"{name.split()[0]}.vcf").write_text(card(uid, name, email=email), newline="")
    r = crm("import", "vcard", str(book))
    assert r.exit_code == 0, r.stderr
    assert "4 created" in r.stdout
    out = tmp_path / "out"
    r = crm("export", "vcard", "--dir", str(out))
    assert r.exit_code == 0, r.stderr
    files = sorted(p.name for p in out.glob("*.vcf"))
    assert files == sorted(
        [f"{APPLE.replace(':', '%3A')}.vcf", f"{APPLE_DASH}.vcf", f"{GOOGLE}.vcf", f"{KHARD}.vcf"]
    )
    read = {}
    for path in out.glob("*.vcf"):
        parsed = vobject.readOne(path.read_text(encoding="utf-8"))
        read[parsed.uid.value] = parsed.fn.value
    assert read == {uid: name for uid, name, _ in cards}
    # editing the cards elsewhere and importing them again updates the same contacts
    for path in out.glob("*.vcf"):
        text = path.read_text(encoding="utf-8").replace("END:VCARD", "TITLE:Edited\r\nEND:VCARD")
        path.write_text(text, encoding="utf-8", newline="")
    r = crm("import", "vcard", str(out))
    assert r.exit_code == 0, r.stderr
    assert "0 created, 4 updated" in r.stdout
    assert table_rows(db_path, "SELECT count(*), min(title) FROM contact") == [(4, "Edited")]
    # a second export overwrites the same files
    r = crm("export", "vcard", "--dir", str(out))
    assert sorted(p.name for p in out.glob("*.vcf")) == files
    r = crm("export", "vcard", "--version", "4.0")
    assert sorted(c.uid.value for c in vobject.readComponents(r.stdout)) == sorted(
        uid for uid, _, _ in cards
    )


def test_a_merged_contact_keeps_both_uids(crm: Any, db_path: Path, tmp_path: Path):
    text = card(APPLE, "Ada Lovelace", email="ada@one.example") + card(
        GOOGLE, "Ada L.", email="ada@two.example"
    )
    path = write(tmp_path, "two.vcf", text)
    assert crm("import", "vcard", str(path)).exit_code == 0
    r = crm("merge", "ada@one.example", "ada@two.example", "--yes")
    assert r.exit_code == 0, r.stderr
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    assert "0 created" in r.stdout
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(1,)]
    assert sorted(table_rows(db_path, "SELECT uid FROM contact_uid")) == sorted(
        [(APPLE,), (GOOGLE,)]
    )


# --- spreadsheet formulas -------------------------------------------------------------------


def test_csv_export_neutralises_formulas_and_reimport_restores_them(
    crm: Any, db_path: Path, tmp_path: Path
):
    r = crm("add", "contact", "=HYPERLINK(\"http://evil.example\",\"x\")", "--phone",
            "+1 555 0100", "--phone", "+44 20 7946 0000", "--title", "-2+3", "--email",
            "at@x.example")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    r = crm("add", "contact", "Quote Person", "--title", "'quoted", "--company", "@Corp")
    assert r.exit_code == 0, r.stderr
    out = tmp_path / "contacts.csv"
    assert crm("export", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    evil = next(row for row in rows if row["email"] == "at@x.example")
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert evil["phones"] == "'+1 555 0100; +44 20 7946 0000"
    assert evil["title"] == "'-2+3"
    quote = next(row for row in rows if row["name"] == "Quote Person")
    assert quote["company"] == "'@Corp"
    assert quote["title"] == "''quoted"
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value
    other = tmp_path / "other.db"
    r = crm("--db", str(other), "import", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    assert sorted(
        table_rows(
            other,
            "SELECT c.name, c.title, co.name FROM contact c"
            " LEFT JOIN company co ON co.id = c.company_id",
        )
    ) == sorted(
        table_rows(
            db_path,
            "SELECT c.name, c.title, co.name FROM contact c"
            " LEFT JOIN company co ON co.id = c.company_id",
        )
    )
    assert table_rows(other, "SELECT phone FROM contact_phone ORDER BY id") == [
        ("+1 555 0100",),
        ("+44 20 7946 0000",),
    ]


def test_undo_of_a_merge_and_forget_keep_uids_with_their_person(
    crm: Any, db_path: Path, tmp_path: Path
):
    text = card(APPLE, "Ada Lovelace", email="ada@one.example") + card(
        GOOGLE, "Bea Other", email="bea@two.example"
    )
    path = write(tmp_path, "two.vcf", text)
    assert crm("import", "vcard", str(path)).exit_code == 0
    before = sorted(table_rows(db_path, "SELECT contact_id, uid FROM contact_uid"))
    assert crm("merge", "ada@one.example", "bea@two.example", "--yes").exit_code == 0
    assert crm("undo").exit_code == 0
    assert sorted(table_rows(db_path, "SELECT contact_id, uid FROM contact_uid")) == before
    r = crm("forget", "bea@two.example", "--yes")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT uid FROM contact_uid") == [(APPLE,)]


def test_a_card_of_a_trashed_contact_makes_a_new_one(crm: Any, db_path: Path, tmp_path: Path):
    path = write(tmp_path, "g.vcf", card(GOOGLE, "Gil Google"))
    assert crm("import", "vcard", str(path)).exit_code == 0
    assert crm("delete", "gil", "--yes").exit_code == 0
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    assert "1 created" in r.stdout
    live = table_rows(db_path, "SELECT id FROM contact WHERE deleted_at IS NULL")
    assert table_rows(db_path, "SELECT uid FROM contact_uid WHERE contact_id = ?", live[0][0]) == [
        (GOOGLE,)
    ]


def test_a_deal_file_links_the_one_contact_of_that_name(crm: Any, db_path: Path, tmp_path: Path):
    crm("add", "contact", "Ola Nordmann")
    text = "title,contact\nEta website,Ola Nordmann\nEta hosting,ola nordmann\n"
    path = write(tmp_path, "deals.csv", text)
    r = crm("import", "csv", str(path), "--kind", "deals")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT count(*) FROM contact") == [(1,)]
    assert table_rows(db_path, "SELECT DISTINCT contact_id FROM deal") == [(1,)]
    crm("add", "contact", "Ola Nordmann", "--company", "Other AS")
    before = snapshot_of(db_path)
    text = "title,contact\nEta support,Ola Nordmann\n"
    r = crm("import", "csv", str(write(tmp_path, "more.csv", text)), "--kind", "deals")
    assert r.exit_code == 1
    assert "line 2: 'Ola Nordmann' names more than one contact" in r.stderr
    assert snapshot_of(db_path) == before


def test_company_dry_run_says_what_matched(crm: Any, tmp_path: Path):
    crm("add", "company", "Acme Inc", "--domain", "acme.com")
    path = write(tmp_path, "co.csv", "name,domain\nACME,acme.com\n")
    r = crm("import", "csv", str(path), "--kind", "companies", "--dry-run")
    assert r.exit_code == 0, r.stderr
    assert "line 2: skip ACME -> company #1 Acme Inc (same domain acme.com)" in r.stdout


# --- the examples in docs/import-export.md --------------------------------------------------


def test_the_console_examples_in_the_import_docs_run(
    crm: Any, tmp_path: Path, monkeypatch: Any, hermetic: Path
):
    """Each `$ crm ...` line runs and prints what follows it ("…" stands for any text);
    `$ cat FILE` writes the lines that follow into FILE. Each block starts afresh."""
    import re
    import shlex

    doc = Path(__file__).parent.parent / "docs" / "import-export.md"
    blocks = fenced_blocks(doc.read_text(encoding="utf-8"), "console")
    assert len(blocks) >= 2
    for n, block in enumerate(blocks):
        folder = tmp_path / f"block{n}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        monkeypatch.setenv("TINYCRM_HOME", str(folder / "home"))
        for command, expected in console_steps(block):
            words = shlex.split(command)
            if words[0] == "cat":
                (folder / words[1]).write_text("\n".join(expected) + "\n", encoding="utf-8")
                continue
            assert words[0] == "crm", command
            r = crm(*words[1:])
            assert r.exit_code == 0, (command, r.stderr)
            got = r.stdout.splitlines()
            assert len(got) == len(expected), (command, got)
            for want, line in zip(expected, got, strict=True):
                pattern = ".*".join(re.escape(part) for part in want.split("…"))
                assert re.fullmatch(pattern, line), (command, want, line)


def test_a_csv_export_carries_the_vcard_uid_to_another_database(
    crm: Any, db_path: Path, tmp_path: Path
):
    path = write(tmp_path, "g.vcf", card(GOOGLE, "Gil Google"))
    assert crm("import", "vcard", str(path)).exit_code == 0
    out = tmp_path / "c.csv"
    assert crm("export", "csv", "-o", str(out)).exit_code == 0
    other = tmp_path / "other.db"
    r = crm("--db", str(other), "import", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    assert table_rows(other, "SELECT uid FROM contact_uid") == [(GOOGLE,)]
    r = crm("--db", str(other), "import", "vcard", str(path))
    assert "0 created, 0 updated, 1 skipped" in r.stdout


def test_undo_and_redo_of_an_import_take_its_uids_along(crm: Any, db_path: Path, tmp_path: Path):
    path = write(tmp_path, "a.vcf", card(APPLE, "Ada Apple") + card(GOOGLE, "Gil Google"))
    assert crm("import", "vcard", str(path)).exit_code == 0
    kept = sorted(table_rows(db_path, "SELECT contact_id, uid, is_primary FROM contact_uid"))
    assert len(kept) == 2
    assert crm("undo").exit_code == 0
    assert table_rows(db_path, "SELECT count(*) FROM contact_uid") == [(0,)]
    assert crm("redo").exit_code == 0
    assert sorted(table_rows(db_path, "SELECT contact_id, uid, is_primary FROM contact_uid")) == (
        kept
    )
