"""Bad input is a one-line error with exit 1 or 2, never a traceback, and changes nothing:
numbers beyond 64 bits, argument bytes that are not UTF-8, JSON exports of the wrong shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of
from tinycrm.core import open_db


def refused(crm: Any, db_path: Path, *args: str, code: tuple[int, ...] = (1, 2)) -> Any:
    """Run crm, expect a refusal (no traceback, nothing changed) and return the result."""
    before = snapshot_of(db_path)
    result = crm(*args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert result.exit_code in code, (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "a refusal says why"
    assert snapshot_of(db_path) == before
    return result


@pytest.fixture
def seeded(crm: Any, db_path: Path) -> Path:
    for step in (
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com"),
        ("add", "deal", "Acme website", "--contact", "jane", "--value", "5k"),
        ("follow-up", "jane", "Call", "--due", "fri"),
    ):
        assert crm(*step).exit_code == 0
    return db_path


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "args",
    [
        ("add", "deal", "X", "--value", "99999999999999999"),
        ("add", "deal", "X", "--value", "18446744073709551616"),
        ("edit", "acme website", "--value", "999999999999999m"),
        ("show", "9999999999999999999"),
        ("show", "#" + "9" * 5000),
        ("edit", HUGE, "--title", "CTO"),
        ("tag", HUGE, "vip"),
        ("list", "contacts", "--limit", HUGE),
        ("list", "contacts", "--no-interaction-days", "99999999999"),
        ("list", "deals", "--limit", "9223372036854775808"),
        ("agenda", "--days", "99999999999"),
        ("report", "stale", "--days", "99999999999"),
        ("report", "customers", "--limit", HUGE),
        ("done", HUGE),
        ("snooze", HUGE, "2h"),
        ("cancel", "-" + HUGE),
        ("history", "--limit", HUGE),
    ],
)
def test_numbers_beyond_64_bits_are_refused(crm: Any, seeded: Path, args: tuple[str, ...]):
    result = refused(crm, seeded, *args)
    assert "error" in result.stderr.lower()


def test_the_largest_limit_is_just_a_limit(crm: Any, seeded: Path):
    result = crm("search", "jane", "--limit", "9223372036854775807")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.stderr
    assert "Jane Doe" in result.stdout


def test_a_huge_amount_says_how_large_an_amount_can_be(crm: Any, seeded: Path):
    result = refused(crm, seeded, "add", "deal", "X", "--value", "99999999999999999")
    assert result.stderr.splitlines()[0] == "error: the amount '99999999999999999' is too large"
    assert result.exit_code == 1


def test_an_id_beyond_64_bits_names_nothing(crm: Any, seeded: Path):
    result = refused(crm, seeded, "show", "9999999999999999999")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")


def test_an_integer_option_beyond_64_bits_is_a_usage_error(crm: Any, seeded: Path):
    result = refused(crm, seeded, "list", "contacts", "--limit", HUGE)
    assert result.exit_code == 2
    assert "is too large" in result.stderr


def test_argument_bytes_that_are_not_utf8_are_refused(crm: Any, seeded: Path):
    result = refused(crm, seeded, "add", "contact", "Ren\udce9")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: the argument 'Ren\\xe9' is not UTF-8 text; nothing was changed"
    )


@pytest.mark.slow
def test_a_real_process_with_latin1_argument_bytes(seeded: Path, tmp_path: Path):
    """What a shell passes for $'Ren\\xe9': the bytes reach Python as surrogate escapes."""
    from tinycrm.cli import state

    state.configure(None)
    before = snapshot_of(seeded)
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    code = "import sys; from tinycrm.cli import main; sys.argv[0] = 'crm'; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "--db", os.fsencode(seeded), "add", "contact", b"Ren\xe9"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(b"error: the argument 'Ren\\xe9'")
    assert snapshot_of(seeded) == before


# --- crm import json ------------------------------------------------------------------------


def _export(crm: Any, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "all.json"
    assert crm("export", "json", "-o", str(path)).exit_code == 0
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _broken(doc: dict[str, Any], how: str) -> dict[str, Any]:
    tables = doc["tables"]
    if how == "table is a number":
        tables["contact"] = 5
    elif how == "row is a list":
        tables["contact"][0] = ["Jane Doe"]
    elif how == "name is a number":
        tables["contact"][0]["name"] = 12
    elif how == "id is text":
        tables["contact"][0]["id"] = "one"
    elif how == "id beyond 64 bits":
        tables["contact"][0]["id"] = 2**70
    elif how == "value is a list":
        tables["deal"][0]["value"] = [1, 2]
    elif how == "time is not a time":
        tables["contact"][0]["created_at"] = "last tuesday"
    elif how == "time is a number":
        tables["contact"][0]["created_at"] = 1700000000
    elif how == "flag is text":
        tables["contact_email"][0]["is_primary"] = "yes"
    elif how == "unknown table":
        tables["wormhole"] = [{"id": 1}]
    elif how == "name missing":
        del tables["contact"][0]["name"]
    elif how == "name is null":
        tables["contact"][0]["name"] = None
    elif how == "text is not UTF-8":
        tables["contact"][0]["name"] = "Ren\udce9"
    elif how == "tables is a list":
        doc["tables"] = []
    return doc


@pytest.mark.parametrize(
    "how",
    [
        "table is a number",
        "row is a list",
        "name is a number",
        "id is text",
        "id beyond 64 bits",
        "value is a list",
        "time is not a time",
        "time is a number",
        "flag is text",
        "unknown table",
        "name missing",
        "name is null",
        "text is not UTF-8",
        "tables is a list",
    ],
)
def test_json_exports_of_the_wrong_shape_restore_nothing(
    crm: Any, seeded: Path, tmp_path: Path, how: str
):
    doc = _broken(_export(crm, tmp_path), how)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    empty = tmp_path / "empty.db"
    open_db(empty).dispose()  # a new, empty database
    result = refused(crm, empty, "--db", str(empty), "import", "json", str(path), code=(1,))
    assert len(result.stderr.splitlines()) <= 2
    assert "nothing was imported" in result.stderr


def test_the_smallest_wrong_json_export(crm: Any, db_path: Path, tmp_path: Path):
    path = tmp_path / "five.json"
    path.write_text('{"format":"tinycrm","version":1,"tables":{"contact":5}}', encoding="utf-8")
    open_db(db_path).dispose()
    result = refused(crm, db_path, "import", "json", str(path), code=(1,))
    assert result.stderr.splitlines()[0] == (
        "error: five.json: contact is not a list of rows; nothing was imported"
    )


def test_an_unexpected_failure_is_one_line_not_a_traceback(
    seeded: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """The last guard, in the real entry point: a bug still ends in one line and exit 1."""
    from tinycrm.cli import main, state
    from tinycrm.core import records

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom\x1b[2J")

    state.configure(None)
    monkeypatch.setattr(records, "record", broken)
    monkeypatch.setattr(sys, "argv", ["crm", "show", "jane"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "error: crm failed unexpectedly (RuntimeError: boom\\x1b[2J)",
        "hint: this is a bug in tinycrm; TINYCRM_DEBUG=1 shows the details",
    ]
