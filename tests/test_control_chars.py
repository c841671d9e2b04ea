"""Control characters and escape sequences are refused in one-line fields, typed or imported,
and what is already stored is never printed raw: tables, plain lines, errors and JSON escape
them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of

ESC_TITLE = "\x1b]0;pwned\x07"  # retitles the terminal
CLEAR = "\x1b[2J"  # clears the screen
CSI_8BIT = "\x9b31m"  # C1 CSI: some terminals read it as ESC [
RTL = "\u202e"  # right-to-left override: shows 'gpj.exe' as 'exe.jpg'
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f", "\x00")


def no_raw_controls(text: str) -> None:
    """Assert printed text holds no control character but line breaks (and tabs)."""
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or c in RAW]
    assert not bad, f"raw control characters printed: {bad!r} in {text!r}"


def refused(crm: Any, db_path: Path, *args: str) -> Any:
    before = snapshot_of(db_path)
    result = crm(*args)
    assert result.exit_code == 1, (args, result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert snapshot_of(db_path) == before
    no_raw_controls(result.stderr)
    return result


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("add", "contact", f"Eve{ESC_TITLE}"), "contact name"),
        (("add", "contact", f"Eve{RTL}gpj.exe"), "contact name"),
        (("add", "contact", "Eve", "--title", f"CTO{CLEAR}"), "job title"),
        (("add", "contact", "Eve", "--company", f"Evil{CSI_8BIT}"), "company name"),
        (("add", "contact", "Eve", "--phone", "555\x000100"), "phone"),
        (("add", "contact", "Eve", "--source", "web\x7f"), "contact source"),
        (("add", "company", "Evil\tCorp"), "company name"),
        (("add", "deal", f"Big{CLEAR}", "--contact", "jane"), "deal title"),
        (("edit", "jane", "--name", f"Jane{ESC_TITLE}"), "contact name"),
        (("edit", "jane", "--set", f"plan=gold{CLEAR}"), "custom field plan"),
        (("edit", "acme website", "--notes", f"fine\nthen{CLEAR}"), "deal notes"),
        (("follow-up", "jane", "call\nback", "--due", "fri"), "follow-up title"),
        (("follow-up", "jane", f"call{ESC_TITLE}", "--due", "fri"), "follow-up title"),
        (("log", "jane", "call", f"talked{CLEAR}"), "interaction summary"),
        (("pipeline", "add-stage", f"Won{RTL}"), "stage name"),
        (("pipeline", "create", f"Partners{CLEAR}"), "pipeline name"),
        (("pipeline", "rename-stage", "Prospecting", "Le\rad"), "stage name"),
    ],
)
def test_typed_control_characters_are_refused_naming_the_field(
    crm: Any, jane: Path, args: tuple[str, ...], field: str
):
    result = refused(crm, jane, *args)
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: the {field} "), first
    assert "holds a control character" in first


def test_the_error_shows_the_character_as_an_escape(crm: Any, jane: Path):
    result = refused(crm, jane, "add", "contact", f"Eve{ESC_TITLE}")
    assert result.stderr.splitlines()[0] == (
        "error: the contact name 'Eve\\x1b]0;pwned\\x07' holds a control character (\\x1b)"
    )


def test_notes_keep_line_breaks_and_tabs(crm: Any, jane: Path):
    r = crm("edit", "jane", "--notes", "first line\n\tsecond line")
    assert r.exit_code == 0, r.stderr
    rows = sqlite3.connect(jane).execute("SELECT notes FROM contact").fetchall()
    assert rows == [("first line\n\tsecond line",)]


def test_an_old_value_does_not_block_editing_another_field(crm: Any, jane: Path):
    _plant(jane)
    r = crm("edit", "#1", "--kind", "contact", "--title", "CTO")
    assert r.exit_code == 0, r.stderr
    no_raw_controls(r.stdout)


def test_a_csv_row_with_an_escape_sequence_is_a_bad_row(crm: Any, jane: Path, tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text(
        "name,email\r\nAnn Lee,ann@x.example\r\n"
        f'"Mallory{ESC_TITLE}",mal@x.example\r\nBo Li,bo@x.example,\r\n',
        encoding="utf-8",
    )
    result = refused(crm, jane, "import", "csv", str(path))
    assert "line 3: the contact name 'Mallory\\x1b]0;pwned\\x07' holds a control" in (result.stderr)
    assert "nothing was imported" in result.stderr


def test_a_csv_deal_with_a_control_character_is_a_bad_row(crm: Any, jane: Path, tmp_path: Path):
    path = tmp_path / "deals.csv"
    path.write_text(f"title,notes\r\nFine,ok\r\nEvil{CSI_8BIT},x\r\n", encoding="utf-8")
    result = refused(crm, jane, "import", "csv", str(path), "--kind", "deals")
    assert "line 3: the deal title 'Evil\\x9b31m' holds a control character" in result.stderr


def test_a_vcard_that_would_rewrite_the_terminal_imports_nothing(
    crm: Any, jane: Path, tmp_path: Path
):
    path = tmp_path / "evil.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nEMAIL:ann@x.example\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\x1b[2J\x1b[HYou have been logged out\r\n"
        b"TITLE:Boss\x1b]0;pwned\x07\r\nEND:VCARD\r\n"
    )
    result = refused(crm, jane, "import", "vcard", str(path))
    assert "the contact name 'Bob\\x1b[2J\\x1b[HYou have been logged out'" in result.stderr


def test_a_vcard_title_with_a_control_character_is_named(crm: Any, jane: Path, tmp_path: Path):
    path = tmp_path / "evil.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nTITLE:Boss\x1b]0;pwned\x07\r\nEND:VCARD\r\n"
    )
    result = refused(crm, jane, "import", "vcard", str(path))
    assert "the contact title 'Boss\\x1b]0;pwned\\x07'" in result.stderr


# --- data already stored (an old database) ----------------------------------------------------


def _plant(db_path: Path) -> None:
    """Write hostile values straight into the file, as an older tinycrm could have."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE contact SET name = ?, title = ?, notes = ? WHERE id = 1",
            (f"Jane{ESC_TITLE}{CLEAR}", f"CTO{CSI_8BIT}{RTL}", f"line\nnext{CLEAR}"),
        )
        conn.execute("UPDATE deal SET title = ? WHERE id = 2", (f"Acme{CLEAR}\x07 site",))
        conn.execute("UPDATE contact_email SET email = ?", (f"jane{CSI_8BIT}@acme.com",))
    conn.close()


@pytest.mark.parametrize(
    "args",
    [
        ("list", "contacts"),
        ("list", "deals"),
        ("list", "contacts", "-q"),
        ("show", "#1", "--kind", "contact"),
        ("show", "#2"),
        ("timeline", "#1", "--kind", "contact"),
        ("search", "jane"),
        ("history",),
        ("report", "pipeline"),
        ("tag", "#1", "--kind", "contact", "vip"),
        ("move", "#2", "won"),
        ("edit", "#1", "--kind", "contact", "--lifecycle", "customer"),
    ],
)
def test_stored_control_characters_are_printed_as_escapes(
    crm: Any, jane: Path, args: tuple[str, ...]
):
    _plant(jane)
    result = crm(*args)
    assert result.exit_code == 0, (args, result.stderr)
    no_raw_controls(result.stdout)
    no_raw_controls(result.stderr)


def test_a_plain_table_of_many_rows_escapes_too(crm: Any, jane: Path):
    from tinycrm.cli import render

    conn = sqlite3.connect(jane)
    with conn:
        for i in range(render.PLAIN_ROWS + 5):
            conn.execute(
                "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
                " VALUES (?, ?, ?, 'lead', '2026-11-23 10:00:00.000000',"
                " '2026-11-23 10:00:00.000000')",
                (f"u{i}", f"P{i}{CLEAR}", f"p{i}"),
            )
    conn.close()
    result = crm("list", "contacts")
    assert result.exit_code == 0, result.stderr
    assert "P0\\x1b[2J" in result.stdout
    no_raw_controls(result.stdout)


def test_an_error_naming_a_stored_record_escapes_it(crm: Any, jane: Path):
    _plant(jane)
    crm("add", "contact", "Jane Other")
    result = crm("show", "jane")
    assert result.exit_code == 1
    no_raw_controls(result.stderr)
    assert "Jane\\x1b]0;pwned" in result.stderr


def test_json_output_escapes_c1_and_bidi_characters(crm: Any, jane: Path):
    _plant(jane)
    result = crm("show", "#1", "--kind", "contact", "--json")
    assert result.exit_code == 0, result.stderr
    no_raw_controls(result.stdout)
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout
    data = json.loads(result.stdout)
    assert data["title"] == f"CTO{CSI_8BIT}{RTL}"  # the value itself is exact


def test_non_ascii_text_stays_readable_in_json(crm: Any, db_path: Path):
    assert crm("add", "contact", "Renée Ünal").exit_code == 0
    result = crm("list", "contacts", "--json")
    assert "Renée Ünal" in result.stdout


def test_a_json_export_escapes_c1_and_bidi_characters(crm: Any, jane: Path, tmp_path: Path):
    _plant(jane)
    result = crm("export", "json")
    assert result.exit_code == 0, result.stderr
    no_raw_controls(result.stdout)
    data = json.loads(result.stdout)
    assert data["tables"]["contact"][0]["title"] == f"CTO{CSI_8BIT}{RTL}"


def test_the_history_summary_keeps_no_control_character(crm: Any, jane: Path):
    """A NEL (U+0085) is whitespace to Python: the title is stripped of it, and the summary
    of the command names the deal as stored."""
    result = crm("add", "deal", "Big\x85", "--contact", "jane")
    assert result.exit_code == 0, result.stderr
    rows = sqlite3.connect(jane).execute("SELECT summary FROM event").fetchall()
    assert all("\x85" not in (summary or "") for (summary,) in rows)
    assert ("add deal Big",) in rows
