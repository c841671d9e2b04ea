"""`crm remind` reminds of the contacts' kept dates: on their day from `all_day_at` (or
`date_days_before` days before), once, through the same channels, even when runs overlap."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tests.helpers import crm_program
from tests.test_reminders import cron_env


def _contact(crm: Any, name: str, *options: str) -> int:
    result = crm("add", "contact", name, *options, "--json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def test_a_birthday_is_reminded_once_on_its_day(crm: Any, db_path: Path) -> None:
    jan = _contact(crm, "Jan Smith", "--birthday", "1985-11-23", "--email", "jan@example.com")
    _contact(crm, "Ann Lee", "--birthday", "--11-24")  # tomorrow: not yet
    first = crm("remind")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == (
        f"Birthday · Jan Smith turns 41 (contact #{jan}): Mon 2026-11-23\n"
        "  email: jan@example.com\n"
        "  last interaction: none yet\n"
        f"  crm show {jan} --kind contact\n\n"
    )
    again = crm("remind")
    assert (again.exit_code, again.stdout) == (0, "")
    assert table_rows(db_path, "SELECT kind, record_id, due FROM reminder_occurrence") == [
        ("date", jan, "birthday::2026-11-23")
    ]


def test_not_before_all_day_at(crm: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-23")
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-23T08:59:00+00:00")
    assert crm("remind").stdout == ""
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-23T09:00:00+00:00")
    assert crm("remind").stdout.startswith("Birthday · Jan Smith turns 41")


def test_days_before_and_the_kinds_reminded(crm: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-25", "--anniversary", "2016-11-25")
    assert crm("config", "set", "reminders.date_days_before", "2").exit_code == 0
    assert crm("config", "set", "reminders.date_kinds", "anniversary").exit_code == 0
    result = crm("remind", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["title"], r["due"]) for r in rows] == [
        ("date", "anniversary · Jan Smith, 10 years", "2026-11-25T00:00:00Z")
    ]
    assert crm("config", "set", "reminders.date_kinds", "").exit_code == 0
    assert crm("remind").stdout == ""  # the birthday is not reminded: no kinds chosen


def test_a_missed_day_is_not_reminded_later(crm: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-22")  # yesterday
    assert crm("remind").stdout == ""


def test_runs_at_once_remind_each_date_once(db: Any, db_path: Path, tmp_path: Path) -> None:
    from tinycrm.clock import now
    from tinycrm.core import contacts, details

    with db.transaction(summary="add contacts") as session:
        for n in range(300):
            contact = contacts.add_contact(session, f"Person {n:03d}", now=now())
            assert contact.id is not None
            details.set_date(session, contact.id, "birthday", "1990-11-23")
    db.dispose()
    command = [*cron_env(tmp_path, db_path), crm_program(), "remind"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [o[1] for o in outputs]
    seen = [
        line.removeprefix("Birthday · ").split(" turns 36")[0]
        for out, _ in outputs
        for line in out.decode().splitlines()
        if line.startswith("Birthday · ")
    ]
    assert sorted(seen) == [f"Person {n:03d}" for n in range(300)]


def test_the_digest_names_todays_dates_and_records_nothing(crm: Any, db_path: Path) -> None:
    jan = _contact(crm, "Jan Smith", "--birthday", "--11-23")
    _contact(crm, "Ann Lee", "--birthday", "--11-24")
    result = crm("remind", "--digest")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "Today's agenda\n\n"
        f"Birthday · Jan Smith (contact #{jan}): Mon 2026-11-23\n"
        "  last interaction: none yet\n"
        f"  crm show {jan} --kind contact\n"
    )
    assert table_rows(db_path, "SELECT count(*) FROM reminder_occurrence") == [(0,)]
