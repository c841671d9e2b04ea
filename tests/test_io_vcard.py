"""vCard export read back with vobject; vCard 2.1/3.0/4.0 import; re-import updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import vobject

from tests.conftest import FIXED_NOW, snapshot_of, table_rows
from tinycrm.core import open_db

NOTE = 'Likes: coffee, tea; and "quotes"\\ back\nSecond line ' + "é" * 60


def seed(db: Any) -> None:
    from datetime import datetime

    from tinycrm.core import contacts

    now = datetime.fromisoformat(FIXED_NOW)
    with db.transaction(summary="seed") as session:
        contacts.add_contact(
            session,
            "Zoë O'Brien-Łukasiewicz",
            now=now,
            emails=["zoe@example.org", "zoe.home@example.net"],
            phones=["+1 555 0100", "+44 20 7946 0000"],
            urls=["https://zoe.example.org"],
            company="Big, Co; Ltd",
            title="Head of Sales",
            tag_names=["vip", "partner"],
            notes=NOTE,
            parts={"given_name": "Zoë", "family_name": "O'Brien-Łukasiewicz"},
        )
        contacts.add_contact(session, "Plain Person", now=now)


def test_export_3_0_reads_back_field_by_field(crm: Any, db: Any, tmp_path: Path):
    seed(db)
    out = tmp_path / "all.vcf"
    r = crm("export", "vcard", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    text = out.read_bytes().decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    cards = list(vobject.readComponents(text))
    assert [c.fn.value for c in cards] == ["Plain Person", "Zoë O'Brien-Łukasiewicz"]
    zoe = cards[1]
    uuid = table_rows(db.path, "SELECT uuid FROM contact WHERE name LIKE 'Zo%'")[0][0]
    assert zoe.version.value == "3.0"
    assert zoe.uid.value == uuid
    assert zoe.n.value.family == "O'Brien-Łukasiewicz" and zoe.n.value.given == "Zoë"
    # a name with no parts is not split into guessed ones: its N is empty
    plain = cards[0]
    assert (plain.n.value.family, plain.n.value.given) == ("", "")
    assert [e.value for e in zoe.email_list] == ["zoe@example.org", "zoe.home@example.net"]
    assert "PREF" in [t.upper() for t in zoe.email_list[0].params["TYPE"]]
    assert [t.value for t in zoe.tel_list] == ["+1 555 0100", "+44 20 7946 0000"]
    assert zoe.org.value == ["Big, Co; Ltd"]
    assert zoe.title.value == "Head of Sales"
    assert zoe.url.value == "https://zoe.example.org"
    assert zoe.note.value == NOTE
    assert sorted(zoe.categories.value) == ["partner", "vip"]


def test_export_4_0_and_folder_of_uid_files(crm: Any, db: Any, tmp_path: Path):
    seed(db)
    r = crm("export", "vcard", "--version", "4.0")
    assert r.exit_code == 0, r.stderr
    cards = list(vobject.readComponents(r.stdout))
    assert cards[1].version.value == "4.0"
    assert cards[1].uid.value.startswith("urn:uuid:")
    assert cards[1].email_list[0].params.get("PREF") == ["1"]
    folder = tmp_path / "book"
    r = crm("export", "vcard", "--dir", str(folder))
    assert r.exit_code == 0, r.stderr
    uuids = sorted(u for (u,) in table_rows(db.path, "SELECT uuid FROM contact"))
    # beside the cards, the list of the files the export wrote (to remove them when their
    # contacts are gone)
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".vcf") == [
        f"{u}.vcf" for u in uuids
    ]
    assert sorted(p.name for p in folder.iterdir() if p.suffix != ".vcf") == [".tinycrm-export"]
    for path in folder.glob("*.vcf"):
        card = vobject.readOne(path.read_text(encoding="utf-8"))
        assert card.uid.value == path.stem
    assert crm("export", "vcard", "--version", "2.1").exit_code == 2


def test_reimport_updates_never_duplicates(crm: Any, db: Any, tmp_path: Path):
    seed(db)
    exported = tmp_path / "all.vcf"
    assert crm("export", "vcard", "-o", str(exported)).exit_code == 0
    r = crm("import", "vcard", str(exported))
    assert r.exit_code == 0, r.stderr
    assert "0 created, 0 updated, 2 skipped" in r.stdout
    changed = exported.read_text(encoding="utf-8").replace("TITLE:Head of Sales", "TITLE:CEO")
    exported.write_text(changed, encoding="utf-8", newline="")
    r = crm("import", "vcard", str(exported), "--on-duplicate", "skip")
    assert "0 created, 0 updated, 2 skipped" in r.stdout
    r = crm("import", "vcard", str(exported))
    assert r.exit_code == 0, r.stderr
    assert "0 created, 1 updated, 1 skipped" in r.stdout
    assert table_rows(db.path, "SELECT id, title FROM contact ORDER BY id") == [
        (2, "CEO"),  # a company took #1
        (3, None),
    ]
    # into an empty database, the contacts keep their UUIDs
    other = tmp_path / "other.db"
    assert crm("--db", str(other), "import", "vcard", str(exported)).exit_code == 0
    assert sorted(table_rows(other, "SELECT uuid, name FROM contact")) == sorted(
        table_rows(db.path, "SELECT uuid, name FROM contact")
    )
    assert sorted(table_rows(other, "SELECT email, is_primary FROM contact_email")) == [
        ("zoe.home@example.net", 0),
        ("zoe@example.org", 1),
    ]
    assert table_rows(other, "SELECT notes FROM contact WHERE notes IS NOT NULL") == [(NOTE,)]


VCARD_21 = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
    "TEL;WORK;VOICE:+49 30 123456\r\n"
    "TEL;CELL:+49 170 999999\r\n"
    "EMAIL;PREF;INTERNET:juergen@example.de\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0AZweite Zeile, sehr lang =\r\n"
    "und weiter\r\n"
    "END:VCARD\r\n"
)
VCARD_30 = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "UID:urn:uuid:2A7B8C9D-0000-4000-8000-000000000001\n"
    "FN:Åsa Lindqvist\n"
    "N:Lindqvist;Åsa;;;\n"
    "EMAIL;TYPE=INTERNET,HOME:asa.l@example.org\n"
    "EMAIL;TYPE=INTERNET,WORK,PREF:asa@example.se\n"
    "TEL;TYPE=CELL:+46 70 123 45 67\n"
    "ORG:Nordic\\, AB;Sales\n"
    "CATEGORIES:Customers,Sweden\n"
    "NOTE:Line one\\nLine two\\; with a semicolon and a very long text that goes\n"
    "  on and on\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:4.0\n"
    "FN:Kenji Sato\n"
    'EMAIL;TYPE="work,internet";PREF=1:kenji@example.jp\n'
    "URL:https://example.jp\n"
    "END:VCARD\n"
)


def test_import_2_1_quoted_printable_and_charset(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "old.vcf"
    path.write_bytes(VCARD_21.encode("ascii"))
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name, notes FROM contact") == [
        # the CR LF of quoted-printable is one line break, as in any other note
        ("Jürgen Müller", "Erste Zeile\nZweite Zeile, sehr lang und weiter")
    ]
    assert table_rows(db_path, "SELECT phone, label FROM contact_phone ORDER BY id") == [
        ("+49 30 123456", "work"),
        ("+49 170 999999", "mobile"),
    ]
    assert table_rows(db_path, "SELECT email FROM contact_email") == [("juergen@example.de",)]


def test_import_3_0_and_4_0_folded_escaped(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "cards.vcf"
    path.write_text(VCARD_30, encoding="utf-8")
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    assert "2 created" in r.stdout
    assert table_rows(
        db_path,
        "SELECT c.uuid, c.name, co.name, c.notes FROM contact c"
        " LEFT JOIN company co ON co.id = c.company_id ORDER BY c.id",
    ) == [
        (
            "2a7b8c9d-0000-4000-8000-000000000001",
            "Åsa Lindqvist",
            "Nordic, AB",
            "Line one\nLine two; with a semicolon and a very long text that goes on and on",
        ),
        (
            table_rows(db_path, "SELECT uuid FROM contact WHERE name = 'Kenji Sato'")[0][0],
            "Kenji Sato",
            None,
            None,
        ),
    ]
    # the preferred email comes first and is the primary one
    assert table_rows(
        db_path, "SELECT email, label, is_primary FROM contact_email ORDER BY id"
    ) == [
        ("asa@example.se", "work", 1),
        ("asa.l@example.org", "home", 0),
        ("kenji@example.jp", "work", 1),
    ]
    assert table_rows(db_path, "SELECT name FROM tag ORDER BY name") == [
        ("customers",),
        ("sweden",),
    ]
    assert table_rows(db_path, "SELECT url FROM contact_url") == [("https://example.jp",)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("BEGIN:VCARD\nVERSION:3.0\nFN:Cut Short\nEMAIL:cut@example.com\n", "is truncated"),
        ("hello, world\n", "holds no vCard"),
        ("\x00\x01\x02binary\xff", "not a text file"),
    ],
)
def test_bad_vcard_files_change_nothing(
    crm: Any, db_path: Path, tmp_path: Path, content: str, message: str
):
    path = tmp_path / "bad.vcf"
    path.write_bytes(content.encode("latin-1"))
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 1
    assert message in r.stderr
    assert snapshot_of(db_path) == before


def test_bad_card_is_listed(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "two.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Good\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Bad\nEMAIL:nope\nEND:VCARD\n",
        encoding="utf-8",
    )
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 1
    assert "line 5: not an email address: 'nope'" in r.stderr
    r = crm("import", "vcard", str(path), "--skip-bad")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name FROM contact") == [("Good",)]


def test_a_line_folded_inside_a_character(crm: Any, db_path: Path, tmp_path: Path):
    name = "Zoë".encode()
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:" + name[:3] + b"\r\n " + name[3:]
    data += b" Dupont\r\nEND:VCARD\r\n"
    path = tmp_path / "split.vcf"
    path.write_bytes(data)
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT name FROM contact") == [("Zoë Dupont",)]
