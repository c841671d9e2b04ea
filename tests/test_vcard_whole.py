"""vCards from Apple Contacts, Google, Android, Outlook and RFC 6350 come back whole: every
property is mapped or kept as written, and an export writes each one back."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import vobject

from tests.conftest import table_rows

FIXTURES = Path(__file__).parent / "fixtures" / "vcards"
# What every export writes anew.
_FRESH = {"VERSION", "PRODID", "REV"}


def ok(crm: Any, *args: str) -> Any:
    r = crm(*args)
    assert r.exit_code == 0, (args, r.stdout, r.stderr)
    return r


def _props(text: str) -> list[tuple[str, str, frozenset[str], str]]:
    """Each property of one card as (group, name, types, value), as vobject reads it."""
    card = vobject.readOne(text, allowQP=True)
    unfolded = text.replace("\r\n ", "").replace("\r\n\t", "")
    photo = next(
        (line.split(":", 1)[1] for line in unfolded.splitlines() if line.startswith("PHOTO")), ""
    ).split("base64,")[-1]
    found = []
    for line in card.lines():
        name = line.name.upper()
        if name in _FRESH:
            continue
        types = frozenset(
            t.lower() for t in line.params.get("TYPE", []) for t in t.split(",") if t != "pref"
        ) - {"pref", "internet", "voice"}
        value = line.value
        if name == "PHOTO":  # 3.0 binary, 4.0 a data: URI: the same image data
            value = base64.b64encode(value).decode() if isinstance(value, bytes) else photo
            types = frozenset()
        if isinstance(value, list):
            value = ";".join(map(str, value))
        value = str(value).removeprefix("tel:").removeprefix("mailto:").replace("\\:", ":")
        if name == "CATEGORIES":  # tags are kept lower-case, in their order
            value = ",".join(sorted(value.lower().replace(";", ",").split(",")))
        found.append(((line.group or "").lower(), name, types, value))
    return found


def exported(crm: Any, tmp_path: Path, *args: str) -> str:
    """What `crm export vcard` writes into a file, CRLF line ends included."""
    out = tmp_path / "out.vcf"
    ok(crm, "export", "vcard", "-o", str(out), *args)
    return out.read_bytes().decode("utf-8")


def _unfold_crcrlf(path: Path) -> str:
    return path.read_bytes().decode("utf-8").replace("\r\r\n", "\r\n")


@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest.mark.parametrize("fixture", ["apple", "google", "rfc6350"])
def test_every_property_comes_back(crm: Any, tmp_path: Path, fixture: str, version: str) -> None:
    path = FIXTURES / f"{fixture}.vcf"
    ok(crm, "import", "vcard", str(path))
    out = exported(crm, tmp_path, "--version", version)
    original = _props(_unfold_crcrlf(path))
    written = _props(out)
    assert [p for p in original if p not in written] == []


def test_apple_card_maps_labels_dates_photo_and_keeps_the_rest(crm: Any, tmp_path: Path) -> None:
    r = ok(crm, "import", "vcard", str(FIXTURES / "apple.vcf"))
    assert "kept 6 properties as written" in r.stdout
    assert "X-SOCIALPROFILE" in r.stdout and "IMPP" in r.stdout
    data = json.loads(ok(crm, "show", "1", "--json").stdout)
    assert data["name"] == "Dr. Mary Ann van der Berg"
    assert data["name_parts"] == {"given": "Mary Ann", "family": "Berg", "middle": None,
                                  "prefix": "Dr.", "suffix": None}  # fmt: skip
    assert data["nickname"] == "Mimi"
    phones = {p["phone"]: (p["label"], p["types"]) for p in data["phones"]}
    assert phones["+1 555 0101"] == ("home", ["home", "fax"])  # home and fax, not home
    assert phones["+1 555 0102"] == ("Assistant", [])
    assert phones["+1 555 0199"] == ("Night line", [])
    assert [(d["kind"], d["date"]) for d in data["dates"]] == [
        ("birthday", "--04-15"),  # Apple's year 1604 is no year
        ("anniversary", "2010-06-01"),
    ]
    (address,) = data["addresses"]
    assert (address["street"], address["locality"], address["country"]) == (
        "1 Main St", "Springfield", "USA"
    )  # fmt: skip
    assert data["photo"].startswith("data:image/jpeg;base64,AAECAw")
    assert "X-SOCIALPROFILE;type=twitter:https://twitter.com/mimi" in data["vcard_properties"]
    out = exported(crm, tmp_path)
    assert "N:Berg;Mary Ann;;Dr.;\r\n" in out  # as it came, not rebuilt from the full name
    assert "item7.X-ABLabel:Night line\r\n" in out


def test_android_2_1_quoted_printable_and_photo(crm: Any, tmp_path: Path) -> None:
    r = ok(crm, "import", "vcard", str(FIXTURES / "android.vcf"))
    assert "X-ANDROID-CUSTOM" in r.stdout
    data = json.loads(ok(crm, "show", "1", "--json").stdout)
    assert data["name"] == "Åsa Lindqvist"
    assert data["name_parts"]["given"] == "Åsa"
    assert data["addresses"][0]["locality"] == "Göteborg"
    assert data["notes"] == "Första raden\nandra raden"
    assert [d["date"] for d in data["dates"]] == ["1990-02-28"]
    assert data["photo"].startswith("data:image/jpeg;base64,")
    card = vobject.readOne(exported(crm, tmp_path))
    assert card.photo.value[:4] == bytes(range(4))
    assert card.n.value.given == "Åsa"


def test_outlook_2_1_keeps_departments_and_labels(crm: Any, tmp_path: Path) -> None:
    r = ok(crm, "import", "vcard", str(FIXTURES / "outlook.vcf"))
    assert "LABEL" in r.stdout and "X-MS-OL-DESIGN" in r.stdout
    data = json.loads(ok(crm, "show", "1", "--json").stdout)
    assert data["company"]["name"] == "Contoso Ltd"
    assert data["name_parts"] == {"given": "John", "family": "Smith", "middle": "Q.",
                                  "prefix": "Mr.", "suffix": "Jr."}  # fmt: skip
    assert [(d["kind"], d["date"]) for d in data["dates"]] == [
        ("birthday", "1970-01-01"),
        ("anniversary", "2005-06-10"),
    ]
    out = exported(crm, tmp_path)
    assert "ORG:Contoso Ltd;Finance\r\n" in out
    assert "X-MS-ANNIVERSARY:20050610\r\n" in out


def test_a_4_0_card_no_year_birthday(crm: Any, tmp_path: Path) -> None:
    r = ok(crm, "import", "vcard", str(FIXTURES / "rfc6350.vcf"))
    assert "ignored vCard parameters: ADR;LABEL" in r.stderr
    data = json.loads(ok(crm, "show", "1", "--json").stdout)
    assert data["dates"][0] == {"kind": "birthday", "label": None, "date": "--04-15",
                                "month": 4, "day": 15}  # fmt: skip
    assert data["nickname"] == "Anita, Ani"
    assert "NICKNAME:Anita,Ani\r\n" in exported(crm, tmp_path, "--version", "4.0")


def test_the_name_is_not_split_into_guessed_parts(crm: Any, tmp_path: Path) -> None:
    ok(crm, "add", "contact", "Mary Ann van der Berg")
    out = exported(crm, tmp_path)
    assert "N:;;;;\r\n" in out and "N:Berg;" not in out
    ok(crm, "edit", "1", "--given", "Mary Ann", "--family", "van der Berg")
    assert "N:van der Berg;Mary Ann;;;\r\n" in exported(crm, tmp_path)


def test_a_contacts_own_dates_and_addresses_are_written(crm: Any, tmp_path: Path) -> None:
    ok(crm, "add", "contact", "Jane Doe", "--birthday", "--04-12", "--anniversary", "2010-06-01",
       "--date", "first order: 2019-03-01", "--phone", "Office 2:+1 555 0100",
       "--address", "work: 1 Main St; Springfield; IL; 62701; USA")  # fmt: skip
    out = exported(crm, tmp_path)
    assert "BDAY:--04-12\r\n" in out
    assert "X-ANNIVERSARY:2010-06-01\r\n" in out
    assert "item2.X-ABDATE:2019-03-01\r\nitem2.X-ABLabel:first order\r\n" in out
    assert "item1.TEL;TYPE=PREF:+1 555 0100\r\nitem1.X-ABLabel:Office 2\r\n" in out
    assert "ADR;TYPE=WORK,PREF:;;1 Main St;Springfield;IL;62701;USA\r\n" in out
    out4 = exported(crm, tmp_path, "--version", "4.0")
    assert "BDAY:--0412\r\n" in out4 and "ANNIVERSARY:20100601\r\n" in out4


def test_reimporting_an_export_changes_nothing(crm: Any, db_path: Path, tmp_path: Path) -> None:
    from tests.conftest import snapshot_of

    for name in ("apple", "google", "android", "outlook", "rfc6350"):
        ok(crm, "import", "vcard", str(FIXTURES / f"{name}.vcf"))
    folder = tmp_path / "book"
    ok(crm, "export", "vcard", "--dir", str(folder))
    before = snapshot_of(db_path)
    for policy in ("skip", "merge", "update"):
        r = ok(crm, "import", "vcard", str(folder), "--on-duplicate", policy)
        assert "0 created, 0 updated" in r.stdout, (policy, r.stdout)
    assert snapshot_of(db_path) == before


def test_iphone_cr_cr_lf_lines(crm: Any, tmp_path: Path) -> None:
    path = tmp_path / "iphone.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Folded\r\r\n  Name\r\r\n"
        b"EMAIL:f@x.example\r\r\nEND:VCARD\r\r\n"
    )
    ok(crm, "import", "vcard", str(path))
    data = json.loads(ok(crm, "show", "1", "--json").stdout)
    assert data["name"] == "Folded Name"


def test_the_folder_loses_the_cards_of_deleted_and_forgotten_contacts_only(
    crm: Any, db_path: Path, tmp_path: Path
) -> None:
    for name in ("Ann One", "Bob Two", "Cy Three"):
        ok(crm, "add", "contact", name)
    folder = tmp_path / "book"
    ok(crm, "export", "vcard", "--dir", str(folder))
    foreign = folder / "someone-else.vcf"
    foreign.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Not Ours\r\nEND:VCARD\r\n")
    assert len(list(folder.glob("*.vcf"))) == 4
    uuids = dict(table_rows(db_path, "SELECT name, uuid FROM contact"))
    ok(crm, "delete", "Ann One", "--yes")
    ok(crm, "forget", "Bob Two", "--yes")
    r = ok(crm, "export", "vcard", "--dir", str(folder), "--name", "Cy")
    assert "removed 2" in r.stdout
    assert sorted(p.name for p in folder.glob("*.vcf")) == sorted(
        [f"{uuids['Cy Three']}.vcf", "someone-else.vcf"]
    )
    assert foreign.read_text().startswith("BEGIN:VCARD")
    ok(crm, "restore", "Ann One")
    ok(crm, "export", "vcard", "--dir", str(folder), "--name", "Cy")
    assert len(list(folder.glob("*.vcf"))) == 2  # Ann is back but not in this export


@pytest.mark.slow
def test_khard_reads_the_export_folder_birthdays_and_addresses(crm: Any, tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    khard = Path(sys.executable).parent / "khard"
    if not khard.exists() and shutil.which("khard") is None:
        pytest.skip("khard is not installed")
    program = str(khard) if khard.exists() else str(shutil.which("khard"))
    ok(crm, "add", "contact", "Jane Doe", "--given", "Jane", "--family", "Doe",
       "--birthday", "1985-04-12",
       "--address", "work: 1 Main St; Springfield; IL; 62701; USA")  # fmt: skip
    ok(crm, "add", "contact", "Kenji Sato", "--birthday", "--04-15")
    book = tmp_path / "book"
    ok(crm, "export", "vcard", "--dir", str(book))
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[crm]]\npath = {book}\n[general]\n", encoding="utf-8")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}

    def run(*args: str) -> str:
        done = subprocess.run(
            [program, "-c", str(config), *args], capture_output=True, text=True, env=env,
            timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    birthdays = run("birthdays")
    assert "Jane Doe" in birthdays and "Kenji Sato" in birthdays and "--04-15" in birthdays
    addresses = run("postaddress")
    assert "1 Main St" in addresses and "Springfield" in addresses


def test_a_street_on_two_lines_and_a_control_character(crm: Any, tmp_path: Path) -> None:
    path = tmp_path / "two.vcf"
    path.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Two Lines\r\n"
        "ADR;TYPE=HOME:;;1 Main St\\nApt 2;Springfield;;;\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Street\r\n"
        "ADR;TYPE=HOME:;;1 Main\x1b[2J St;Springfield;;;\r\nEND:VCARD\r\n",
        encoding="utf-8",
        newline="",
    )
    r = crm("import", "vcard", str(path))
    assert r.exit_code == 1 and "street" in r.stderr
    r = ok(crm, "import", "vcard", str(path), "--skip-bad")
    data = json.loads(ok(crm, "show", "Two Lines", "--json").stdout)
    assert data["addresses"][0]["street"] == "1 Main St\nApt 2"
    assert "ADR;TYPE=HOME,PREF:;;1 Main St\\nApt 2;Springfield;;;\r\n" in exported(crm, tmp_path)


def test_a_changed_n_replaces_the_one_kept_as_written(crm: Any, tmp_path: Path) -> None:
    path = tmp_path / "n.vcf"
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:n-1\r\nFN:Jane Doe\r\nN:{}\r\nEND:VCARD\r\n"
    path.write_text(card.format("Doe;Jane,J.;;;"), encoding="utf-8", newline="")
    ok(crm, "import", "vcard", str(path))
    assert "N:Doe;Jane,J.;;;\r\n" in exported(crm, tmp_path)  # a list of given names, as is
    path.write_text(card.format("Doe;Janet;;;"), encoding="utf-8", newline="")
    ok(crm, "import", "vcard", str(path))
    assert "N:Doe;Janet;;;\r\n" in exported(crm, tmp_path)
    ok(crm, "edit", "1", "--given", "Jan")
    assert "N:Doe;Jan;;;\r\n" in exported(crm, tmp_path)
