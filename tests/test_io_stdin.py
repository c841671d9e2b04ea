"""`-` is standard input for every import and standard output for every export: an export
to stdout prints the file and nothing else; an import from stdin prints its summary as from a
file, names its source "stdin", and is one undo step."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tests.helpers import crm_program

PEOPLE = "name,email\nAnn Bee,ann@bee.io\nCy Dee,cy@dee.io\n"
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zed Ay\r\nEMAIL:zed@ay.io\r\nEND:VCARD\r\n"


def test_import_csv_from_stdin(crm: Any, db_path: Path):
    r = crm("import", "csv", "-", stdin=PEOPLE)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "Imported contacts from stdin (plain layout): 2 created, 0 updated, 0 skipped\n"
    )
    assert table_rows(db_path, "SELECT name FROM contact ORDER BY id") == [
        ("Ann Bee",),
        ("Cy Dee",),
    ]
    assert table_rows(db_path, "SELECT DISTINCT summary FROM event WHERE origin = 'import'") == [
        ("import stdin: 2 contacts created, 0 updated",)
    ]
    assert crm("undo").exit_code == 0
    assert table_rows(db_path, "SELECT count(*) FROM contact WHERE deleted_at IS NULL") == [(0,)]


def test_import_csv_from_stdin_dry_run_json_and_bad_rows(crm: Any, db_path: Path):
    r = crm("import", "csv", "-", "--dry-run", "--json", stdin=PEOPLE)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["source"] == "stdin"
    r = crm("import", "csv", "-", "--strict", stdin="name,email\n,nobody@\n")
    assert r.exit_code == 1
    assert "line 2: column email: not an email address: 'nobody@'" in r.stderr
    r = crm("import", "csv", "-", stdin="")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: stdin is empty; nothing was imported")


def test_import_vcard_and_json_from_stdin(crm: Any, db_path: Path, tmp_path: Path):
    r = crm("import", "vcard", "-", stdin=CARD)
    assert r.exit_code == 0, r.stderr
    assert "Imported contacts from stdin: 1 created" in r.stdout
    backup = crm("export", "json", "-o", "-")
    assert backup.exit_code == 0
    other = tmp_path / "restored.db"
    r = crm("--db", str(other), "import", "json", "-", stdin=backup.stdout)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("Restored ") and " from stdin into " in r.stdout
    assert table_rows(other, "SELECT name FROM contact") == [("Zed Ay",)]


def test_a_wrong_file_on_stdin_names_the_command_with_dash(crm: Any):
    r = crm("import", "csv", "-", stdin=CARD)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "error: stdin looks like a vCard file (contacts), not CSV; nothing was imported",
        "hint: import it with: crm import vcard -",
    ]


@pytest.mark.parametrize(
    "export", [["csv"], ["csv", "--kind", "deals"], ["vcard"], ["ical"], ["json"]]
)
def test_export_to_stdout_prints_the_file_and_nothing_else(
    crm: Any, jane: Path, tmp_path: Path, export: list[str]
):
    assert crm("follow-up", "jane", "Call back", "--due", "tomorrow").exit_code == 0
    out = tmp_path / "out"
    assert crm("export", *export, "-o", str(out)).exit_code == 0
    r = crm("export", *export, "-o", "-")
    assert r.exit_code == 0, r.stderr
    assert r.stdout_bytes == out.read_bytes()  # CRLF line ends as in the file
    assert not (tmp_path / "-").exists() and not Path("-").exists()
    assert crm("export", *export).stdout_bytes == r.stdout_bytes


def test_a_folder_export_cannot_go_to_stdout(crm: Any):
    r = crm("export", "vcard", "--dir", "-")
    assert r.exit_code == 2
    assert "--dir takes a folder; write the cards to standard output with -o -" in r.stderr


@pytest.mark.slow
def test_a_real_pipe_from_one_database_to_another(tmp_path: Path) -> None:
    env = {**os.environ, "TINYCRM_DB": str(tmp_path / "one.db")}
    program = crm_program()
    subprocess.run(
        [program, "import", "csv", "-"], input=PEOPLE, env=env, text=True, check=True,
        capture_output=True, timeout=60,
    )  # fmt: skip
    exporter = subprocess.Popen(
        [program, "export", "csv", "-o", "-"], env=env, stdout=subprocess.PIPE
    )
    importer = subprocess.run(
        [program, "--db", str(tmp_path / "two.db"), "import", "csv", "-"],
        env=env, stdin=exporter.stdout, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert exporter.stdout is not None
    exporter.stdout.close()
    assert exporter.wait(timeout=60) == 0
    assert importer.returncode == 0, importer.stderr
    assert importer.stdout == (
        "Imported contacts from stdin (plain layout): 2 created, 0 updated, 0 skipped\n"
    )
    assert table_rows(tmp_path / "two.db", "SELECT name FROM contact ORDER BY name") == [
        ("Ann Bee",),
        ("Cy Dee",),
    ]
