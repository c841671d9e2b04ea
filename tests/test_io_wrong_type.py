"""A file given to the wrong importer says what it looks like and which command reads it,
and changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of
from tinycrm.core import open_db

VCARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Bee\r\nEMAIL:ann@bee.io\r\nEND:VCARD\r\n"
CSV = "name,email\nAnn Bee,ann@bee.io\n"
ICAL = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
)
TINYCRM = '{"format": "tinycrm", "version": 1, "tables": {}}\n'
OTHER_JSON = '[{"name": "Ann Bee", "email": "ann@bee.io"}]\n'


@pytest.mark.parametrize(
    ("command", "name", "content", "error", "hint"),
    [
        (
            "csv", "ann.vcf", VCARD,
            "error: ann.vcf looks like a vCard file (contacts), not CSV; nothing was imported",
            "hint: import it with: crm import vcard {path}",
        ),
        (
            "csv", "backup.json", TINYCRM,
            "error: backup.json looks like a tinycrm JSON export, not CSV; nothing was imported",
            "hint: import it with: crm --db NEW.db import json {path}",
        ),
        (
            "csv", "people.json", OTHER_JSON,
            "error: people.json looks like JSON (not a tinycrm export), not CSV;"
            " nothing was imported",
            "hint: tinycrm reads JSON only as its own export (crm export json); save contacts"
            " as CSV",
        ),
        (
            "csv", "cal.ics", ICAL,
            "error: cal.ics looks like an iCalendar file (events or to-dos), not CSV;"
            " nothing was imported",
            "hint: tinycrm exports follow-ups as iCalendar (crm export ical) but does not"
            " import it",
        ),
        (
            "vcard", "people.csv", CSV,
            "error: people.csv looks like a CSV file, not a vCard; nothing was imported",
            "hint: import it with: crm import csv FILE",
        ),
        (
            "vcard", "backup.json", TINYCRM,
            "error: backup.json looks like a tinycrm JSON export, not a vCard;"
            " nothing was imported",
            "hint: import it with: crm --db NEW.db import json FILE",
        ),
        (
            "json", "people.csv", CSV,
            "error: people.csv looks like a CSV file, not a tinycrm export; nothing was imported",
            "hint: import it with: crm import csv {path}",
        ),
        (
            "json", "ann.vcf", VCARD,
            "error: ann.vcf looks like a vCard file (contacts), not a tinycrm export;"
            " nothing was imported",
            "hint: import it with: crm import vcard {path}",
        ),
    ],
)  # fmt: skip
def test_a_file_of_another_type_names_its_command(
    crm: Any,
    db_path: Path,
    tmp_path: Path,
    command: str,
    name: str,
    content: str,
    error: str,
    hint: str,
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    open_db(db_path).dispose()
    before = snapshot_of(db_path)
    r = crm("import", command, str(path))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [error, hint.format(path=path)]
    assert "--map" not in r.stderr
    assert snapshot_of(db_path) == before


@pytest.mark.parametrize("magic", [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1"])
@pytest.mark.parametrize("command", ["csv", "vcard", "json"])
def test_a_spreadsheet_is_asked_to_be_saved_as_csv(
    crm: Any, tmp_path: Path, magic: bytes, command: str
):
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(magic + b"\x00" * 64)
    r = crm("import", command, str(path))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: contacts.xlsx looks like a spreadsheet")
    assert "hint: save it from the spreadsheet as CSV" in r.stderr


def test_a_one_column_csv_is_still_read_as_csv(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "names.csv"
    path.write_text("name\nAnn Bee\n", encoding="utf-8")
    r = crm("import", "csv", str(path))
    assert r.exit_code == 0, r.stderr
