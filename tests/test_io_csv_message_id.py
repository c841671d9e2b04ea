"""An interaction's Message-ID in CSV: exported, read back exactly, and never logged twice
for the same contact, so mail imported after a CSV round trip is not logged again."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Crm, table_rows
from tests.test_io_csv_activities import change
from tests.test_mail_import import ME, message, messages, write_maildir

MAIL_ROWS = (
    "SELECT c.name, i.kind, i.direction, i.occurred_at, i.summary, i.message_id"
    " FROM interaction i JOIN contact c ON c.id = i.contact_id ORDER BY i.id"
)


def _people(crm: Crm, *db: str) -> None:
    for args in (
        ("add", "contact", "Jane Doe", "--email", "jane@acme.com"),
        ("add", "deal", "Acme website", "--contact", "jane"),
        ("add", "contact", "Bob Stone", "--email", "bob@beta.org"),
        ("config", "set", "mail.addresses", ME),
    ):
        assert crm(*db, *args).exit_code == 0


def test_mail_imported_after_a_csv_round_trip_logs_nothing(crm: Crm, tmp_path: Path) -> None:
    one, two = ("--db", str(tmp_path / "one.db")), ("--db", str(tmp_path / "two.db"))
    _people(crm, *one)
    _people(crm, *two)
    box = write_maildir(tmp_path / "INBOX", messages())
    assert crm(*one, "mail", "import", str(box)).exit_code == 0
    r = crm(*one, "export", "csv", "--kind", "interactions")
    assert r.exit_code == 0, r.output
    header = r.stdout.splitlines()[0]
    assert header == "id,uuid,contact,deal,kind,direction,when,summary,message_id,created_at"
    assert ",<in-1@acme.com>," in r.stdout
    path = tmp_path / "interactions.csv"
    path.write_text(r.stdout, encoding="utf-8")
    r = crm(*two, "import", "csv", str(path), "--kind", "interactions")
    assert r.exit_code == 0, r.output
    assert "6 created" in r.stdout and "values left out" not in r.stdout
    assert table_rows(tmp_path / "two.db", MAIL_ROWS) == table_rows(tmp_path / "one.db", MAIL_ROWS)
    r = crm(*two, "mail", "import", str(box), "--json")
    assert r.exit_code == 0, r.output
    assert (json.loads(r.stdout)["logged"], json.loads(r.stdout)["already_logged"]) == (0, 6)
    assert len(table_rows(tmp_path / "two.db", MAIL_ROWS)) == 6


def test_a_message_already_logged_for_the_contact_is_a_duplicate(
    crm: Crm, jane: Path, tmp_path: Path
) -> None:
    box = write_maildir(
        tmp_path / "INBOX",
        [message("jane@acme.com", ME, "Hello", mid="<hi-1@acme.com>")],
    )
    assert crm("config", "set", "mail.addresses", ME).exit_code == 0
    assert crm("mail", "import", str(box)).exit_code == 0
    change(jane, "UPDATE interaction SET deleted_at = '2026-11-22 10:00:00.000000'")  # trashed
    path = tmp_path / "i.csv"
    path.write_text(
        "contact,kind,when,summary,message_id\n"
        "jane@acme.com,email,2026-11-10T10:00:00Z,Written again,<hi-1@acme.com>\n"
        "jane@acme.com,email,2026-11-11T10:00:00Z,New one,<new-1@acme.com>\n"
        "jane@acme.com,email,2026-11-12T10:00:00Z,Same file twice,<new-1@acme.com>\n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path), "--kind", "interactions", "--dry-run")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("line 2: skip email: Written again -> interaction #1")
    assert "(same contact and Message-ID <hi-1@acme.com>)" in lines[0]
    assert lines[1] == "line 3: create email: New one"
    assert lines[2].startswith("line 4: skip email: Same file twice -> line 3")
    r = crm("import", "csv", str(path), "--kind", "interactions", "--json")
    assert r.exit_code == 0, r.output
    assert (json.loads(r.stdout)["created"], json.loads(r.stdout)["skipped"]) == (1, 2)
    kept = [("<hi-1@acme.com>",), ("<new-1@acme.com>",)]
    assert table_rows(jane, "SELECT message_id FROM interaction ORDER BY id") == kept
    assert crm("undo").exit_code == 0
    assert table_rows(jane, "SELECT message_id FROM interaction ORDER BY id") == kept[:1]
    assert crm("redo").exit_code == 0
    assert table_rows(jane, "SELECT message_id FROM interaction ORDER BY id") == kept


def test_a_message_id_that_cannot_be_read_is_left_out_or_refuses_its_row(
    crm: Crm, jane: Path, tmp_path: Path
) -> None:
    path = tmp_path / "i.csv"
    path.write_text(
        "contact,kind,when,summary,message_id\n"
        "jane@acme.com,email,2026-11-10T10:00:00Z,Hello,hi-1@acme.com\n"
        "jane@acme.com,email,2026-11-11T10:00:00Z,Again,<two words@acme.com>\n"
        "jane@acme.com,email,2026-11-12T10:00:00Z,Fine,  <ok-1@acme.com>  \n",
        encoding="utf-8",
    )
    r = crm("import", "csv", str(path), "--kind", "interactions", "--strict")
    assert r.exit_code == 1
    assert "line 2: column message_id: not a Message-ID: 'hi-1@acme.com'" in r.output
    assert table_rows(jane, "SELECT count(*) FROM interaction") == [(0,)]
    r = crm("import", "csv", str(path), "--kind", "interactions")
    assert r.exit_code == 0, r.output
    assert "3 created" in r.stdout
    assert "line 2, column message_id: not a Message-ID: 'hi-1@acme.com'" in r.stdout
    assert "line 3, column message_id: not a Message-ID: '<two words@acme.com>'" in r.stdout
    assert table_rows(jane, "SELECT summary, message_id FROM interaction ORDER BY id") == [
        ("Hello", None),
        ("Again", None),
        ("Fine", "<ok-1@acme.com>"),
    ]
