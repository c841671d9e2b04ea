"""`crm remind`: what is due is reminded exactly once, on every channel, with its context; a
failing channel leaves it for the next run. Also the crontab lines of `crm cron`."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of, table_rows
from tests.helpers import crm_program

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # the suite's fixed now (a Monday)


def _when(text: str, now: datetime = NOW) -> Any:
    from tinycrm.domain import dates

    return dates.parse_when(text, now, UTC)


def make_world(db: Any) -> dict[str, int]:
    """Follow-ups in every state, made at a moment a week ago; returns ids by name."""
    from tinycrm.core import contacts, deals, followups
    from tinycrm.store.models import Interaction

    made = NOW - timedelta(days=7)
    ids: dict[str, int] = {}
    with db.transaction(summary="world", now=made) as session:
        jane = contacts.add_contact(session, "Zoë Ångström", now=made, emails=["zoe@acme.com"])
        deal = deals.add_deal(session, "Acme website", now=made, currency="EUR", contact=jane)
        session.add(
            Interaction(
                uuid=str(uuid.uuid4()),
                contact_id=jane.id,
                kind="call",
                occurred_at=made,
                summary="talked budget",
                created_at=made,
                updated_at=made,
            )
        )

        def add(name: str, due: str, **kw: Any) -> Any:
            fu = followups.add_follow_up(session, name, _when(due, made), now=made, **kw)
            assert fu.id is not None
            ids[name] = fu.id
            return fu

        add("due an hour ago", "2026-11-23 09:00", contact=jane, deal=deal)
        add("due while the machine was off", "2026-10-01 08:00", contact=jane)
        add("all day today", "2026-11-23", contact=jane)
        add("future", "2026-11-23 11:00", contact=jane)
        add("tomorrow", "2026-11-24", contact=jane)
        snoozed = add("snoozed to later", "2026-11-23 08:00", contact=jane)
        snoozed.snoozed_until = NOW + timedelta(hours=2)
        back = add("snoozed, now due", "2026-11-25 08:00", contact=jane)
        back.snoozed_until = NOW - timedelta(minutes=5)
        done = add("done", "2026-11-22 08:00", contact=jane)
        followups.complete(session, done, made, UTC)
        cancelled = add("cancelled", "2026-11-22 08:00", contact=jane)
        followups.cancel(session, cancelled, made)
        add("weekly", "2026-11-16 09:00", contact=jane, rrule="FREQ=WEEKLY")
        session.flush()
    return ids


DUE = {
    "due an hour ago",
    "due while the machine was off",
    "all day today",
    "snoozed, now due",
    "weekly",
}


def reminded(stdout: str) -> list[int]:
    """The follow-up ids a remind run printed."""
    return [
        int(line.split()[1][1:]) for line in stdout.splitlines() if line.startswith("Follow-up #")
    ]


def test_the_first_run_reminds_exactly_what_is_due_and_the_second_nothing(
    crm: Any, db: Any, db_path: Path
) -> None:
    ids = make_world(db)
    first = crm("remind")
    assert first.exit_code == 0, first.stderr
    assert sorted(reminded(first.stdout)) == sorted(ids[n] for n in DUE)
    second = crm("remind")
    assert (second.exit_code, second.stdout) == (0, "")
    rows = table_rows(
        db_path,
        "SELECT title, notified_for, notified_at FROM follow_up WHERE notified_at IS NOT NULL",
    )
    assert {r[0] for r in rows} == DUE
    assert {r[2] for r in rows} == {"2026-11-23 10:00:00.000000"}


def test_a_reminder_carries_its_context_and_the_commands(crm: Any, db: Any) -> None:
    ids = make_world(db)
    out = crm("remind").stdout
    block = next(b for b in out.split("\n\n") if "due an hour ago" in b)
    fid = ids["due an hour ago"]
    assert block.splitlines() == [
        f"Follow-up #{fid} due Mon 2026-11-23 09:00 (overdue): due an hour ago",
        "  contact: Zoë Ångström <zoe@acme.com> (#1)",
        "  deal: Acme website (#2), Prospecting, open",
        "  last interaction: call Mon 2026-11-16 10:00: talked budget",
        f"  crm done {fid}",
        f"  crm snooze {fid} tomorrow",
    ]


def test_all_day_items_wait_for_the_configured_hour(
    crm: Any, db: Any, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_world(db)
    (hermetic / "config.toml").write_text('[reminders]\nall_day_at = "11:00"\n')
    early = reminded(crm("remind").stdout)
    assert ids["all day today"] not in early
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-23T11:00:00+00:00")
    assert ids["all day today"] in reminded(crm("remind").stdout)


def test_done_on_a_recurring_follow_up_and_snoozing_make_new_occurrences(
    crm: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_world(db)
    crm("remind")
    weekly, hour_ago = ids["weekly"], ids["due an hour ago"]
    assert crm("done", str(weekly)).exit_code == 0  # now due 2026-11-23 09:00: due again
    assert crm("snooze", str(hour_ago), "2h").exit_code == 0
    assert reminded(crm("remind").stdout) == [weekly]
    monkeypatch.setenv("TINYCRM_NOW", "2026-11-23T12:00:00+00:00")
    later = {ids["future"], ids["snoozed to later"], hour_ago}
    assert set(reminded(crm("remind").stdout)) == later
    assert crm("remind").stdout == ""


def test_dry_run_and_digest_record_nothing(crm: Any, db: Any, db_path: Path) -> None:
    ids = make_world(db)
    before = snapshot_of(db_path)
    dry = crm("remind", "--dry-run")
    assert sorted(reminded(dry.stdout)) == sorted(ids[n] for n in DUE)
    digest = crm("remind", "--digest")
    assert digest.stdout.startswith("Today's agenda")
    today = {ids["future"], ids["snoozed to later"]}
    assert set(reminded(digest.stdout)) == {ids[n] for n in DUE} | today
    assert snapshot_of(db_path) == before


def test_json_output(crm: Any, db: Any) -> None:
    ids = make_world(db)
    rows = json.loads(crm("remind", "--json").stdout)
    first = next(r for r in rows if r["id"] == ids["due an hour ago"])
    assert first["deal"] == {
        "id": 2,
        "title": "Acme website",
        "stage": "Prospecting",
        "status": "open",
    }
    assert first["last_interaction"]["summary"] == "talked budget"
    assert first["due"] == "2026-11-23T09:00:00Z"


def test_keep_in_touch_is_reminded_once_per_occurrence(
    crm: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("add", "contact", "Bob Roe")
    crm("keep-in-touch", "bob", "2w")
    assert crm("remind").stdout == ""
    monkeypatch.setenv("TINYCRM_NOW", "2026-12-07T10:00:00+00:00")
    out = crm("remind").stdout
    assert out.startswith("Keep in touch with Bob Roe (contact #1): due Mon 2026-12-07")
    assert "crm keep-in-touch 1 off" in out
    assert crm("remind").stdout == ""


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_a_failing_channel_does_not_lose_the_reminder(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path
) -> None:
    ids = make_world(db)
    got = tmp_path / "got.json"
    config = hermetic / "config.toml"
    config.write_text(f'[reminders]\nchannels = ["command"]\ncommand = "cat > {got}; exit 1"\n')
    failed = crm("remind")
    assert failed.exit_code == 1
    assert "error: the command channel failed" in failed.stderr
    assert "tried again on the next run" in failed.stderr
    assert {r["id"] for r in json.loads(got.read_text())} == {ids[n] for n in DUE}
    config.write_text(f'[reminders]\nchannels = ["command"]\ncommand = "cat > {got}"\n')
    assert crm("remind").exit_code == 0
    assert {r["id"] for r in json.loads(got.read_text())} == {ids[n] for n in DUE}
    got.unlink()
    assert crm("remind").exit_code == 0
    assert not got.exists()  # nothing left: the command is not run for nothing


def test_desktop_notifies_through_notify_send(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_world(db)
    crm("remind")
    crm("done", str(ids["weekly"]))  # one new occurrence due
    log = tmp_path / "notified"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _script(bindir / "notify-send", f'echo "$DBUS_SESSION_BUS_ADDRESS|$2" >> {log}\n')
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/tmp/bus")
    (hermetic / "config.toml").write_text('[reminders]\nchannels = ["desktop"]\n')
    r = crm("remind")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    head = f"Follow-up #{ids['weekly']} due Mon 2026-11-23 09:00 (overdue): weekly"
    assert log.read_text() == f"unix:path=/tmp/bus|{head}\n"


def test_email_through_a_local_sendmail(crm: Any, db: Any, hermetic: Path, tmp_path: Path) -> None:
    make_world(db)
    mail = tmp_path / "mail.eml"
    sendmail = _script(tmp_path / "sendmail", f'echo "$@" > {mail}.args; cat > {mail}\n')
    (hermetic / "config.toml").write_text(
        "[reminders]\n"
        'channels = ["email"]\n'
        f'sendmail = "{sendmail}"\n'
        'email_from = "crm@example.com"\n'
        'email_to = ["me@example.com"]\n'
    )
    r = crm("remind")
    assert (r.exit_code, r.stdout) == (0, ""), r.stderr
    import email

    msg = email.message_from_bytes(mail.read_bytes())
    assert msg["To"] == "me@example.com"
    assert msg["Subject"].startswith("tinycrm: due while the machine was off and 4 more")
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "Zoë Ångström" in body
    assert Path(f"{mail}.args").read_text() == "-t -oi\n"


def test_email_through_smtp(
    crm: Any, db: Any, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    make_world(db)
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append((host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def send_message(self, msg: Any) -> None:
            sent.append(msg["To"])

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    (hermetic / "config.toml").write_text(
        '[reminders]\nchannels = ["email"]\nsmtp_host = "mail.local"\nsmtp_port = 2525\n'
        'email_from = "crm@example.com"\nemail_to = "me@example.com"\n'
    )
    assert crm("remind").exit_code == 0
    assert sent == [("mail.local", 2525), "me@example.com"]


def test_an_unknown_channel_is_a_config_error(crm: Any, db: Any, hermetic: Path) -> None:
    (hermetic / "config.toml").write_text('[reminders]\nchannels = ["pigeon"]\n')
    r = crm("remind")
    assert r.exit_code == 1 and "unknown reminder channel 'pigeon'" in r.stderr


# ---- crontab --------------------------------------------------------------------------------


def test_crontab_lines_and_merging() -> None:
    from datetime import time

    from tinycrm.system import crontabs

    crm_path, db_file = ["/opt/my tools/crm"], Path("/home/me/100%/crm.db")
    line = crontabs.remind_line(crm_path, db_file, crontabs.every_minutes("15m"))
    assert (
        line
        == "*/15 * * * * '/opt/my tools/crm' --db /home/me/100\\%/crm.db remind # tinycrm:remind"
    )
    digest = crontabs.digest_line(crm_path, db_file, crontabs.digest_time("08:05"))
    assert digest.startswith("5 8 * * * ") and digest.endswith("remind --digest # tinycrm:digest")
    assert crontabs.schedule(60) == "0 * * * *" and crontabs.schedule(120) == "0 */2 * * *"
    assert crontabs.digest_time("8:30") == time(8, 30)
    theirs = "MAILTO=me@example.com\n# backups\n0 3 * * * /usr/bin/backup\n"
    once = crontabs.merge(theirs, [line, digest])
    assert once == theirs + line + "\n" + digest + "\n"
    assert crontabs.merge(once, [line, digest]) == once
    changed = crontabs.merge(once, [line.replace("*/15", "*/5")])
    assert changed.count("tinycrm:") == 1 and "*/5" in changed
    assert crontabs.remove(once) == theirs
    assert crontabs.remove("") == ""
    assert crontabs.ours(once) == [line, digest]


@pytest.mark.parametrize("text", ["7m", "0m", "90m", "5h", "25h", "soon"])
def test_intervals_cron_cannot_keep_are_refused(text: str) -> None:
    from tinycrm.errors import ValidationError
    from tinycrm.system import crontabs

    with pytest.raises(ValidationError):
        crontabs.every_minutes(text)


@pytest.fixture
def real_crontab() -> Iterator[None]:
    """The user's real crontab, backed up and restored around the test."""
    if shutil.which("crontab") is None:
        pytest.skip("the crontab program is not installed")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    yield
    if saved.returncode == 0:
        subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
    else:
        subprocess.run(["crontab", "-r"], capture_output=True)


@pytest.mark.slow
def test_cron_install_twice_status_and_remove_with_the_real_crontab(
    crm: Any, db_path: Path, real_crontab: None
) -> None:
    other = "# someone else's\n17 4 * * * /bin/true\n"
    subprocess.run(["crontab", "-"], input=other, text=True, check=True)
    assert crm("cron", "install", "--every", "5m", "--digest", "08:00").exit_code == 0
    again = crm("cron", "install", "--every", "5m", "--digest", "08:00")
    assert again.exit_code == 0 and again.stdout.startswith("Your crontab already has")
    text = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    assert text.startswith(other)
    ours = [line for line in text.splitlines() if "# tinycrm:" in line]
    assert len(ours) == 2
    home = db_path.parent  # TINYCRM_HOME: the line carries it, so cron finds the settings
    assert ours[0].startswith(f"*/5 * * * * TINYCRM_HOME={home} /"), ours[0]
    assert f"--db {db_path.resolve()} remind" in ours[0]
    assert "Installed:" in crm("cron", "status").stdout
    assert crm("cron", "remove").stdout == "Removed 2 lines from your crontab.\n"
    assert subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout == other
    assert crm("cron", "status").stdout.startswith("Not installed")


# ---- the real program under cron's environment ------------------------------------------


def cron_env(tmp_path: Path, db_path: Path, now: str = "2026-11-23T10:00:00") -> list[str]:
    home = tmp_path / "cronhome"
    home.mkdir(exist_ok=True)
    return [
        "env",
        "-i",
        "PATH=/usr/bin:/bin",
        f"HOME={home}",
        f"TINYCRM_HOME={home}",
        f"TINYCRM_DB={db_path}",
        f"TINYCRM_NOW={now}",
        "TINYCRM_SERVER=off",  # the command server has tests of its own
    ]


@pytest.mark.slow
def test_remind_under_crons_bare_environment(db: Any, db_path: Path, tmp_path: Path) -> None:
    ids = make_world(db)
    db.dispose()
    command = [*cron_env(tmp_path, db_path), crm_program(), "remind"]
    first = subprocess.run(command, capture_output=True, timeout=60)
    assert first.returncode == 0, first.stderr
    out = first.stdout.decode("utf-8")
    assert sorted(reminded(out)) == sorted(ids[n] for n in DUE)
    assert "Zoë Ångström" in out
    second = subprocess.run(command, capture_output=True, timeout=60)
    assert (second.returncode, second.stdout, second.stderr) == (0, b"", b"")


@pytest.mark.slow
def test_two_runs_at_once_remind_each_follow_up_once(
    db: Any, db_path: Path, tmp_path: Path
) -> None:
    db.dispose()
    from tinycrm.store.files import connect

    conn = connect(db_path)
    conn.execute(
        "INSERT INTO contact (uuid, name, name_key, created_at, updated_at) VALUES "
        "('c1', 'Jane', 'jane', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
    )
    due = "2026-11-20 09:00:00.000000"
    conn.executemany(
        "INSERT INTO follow_up (uuid, contact_id, title, due_at, created_at, updated_at)"
        " VALUES (?, 1, ?, ?, ?, ?)",
        [(str(uuid.uuid4()), f"call {i}", due, due, due) for i in range(3000)],
    )
    conn.close()
    command = [*cron_env(tmp_path, db_path), crm_program(), "remind"]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [o[1] for o in outputs]
    seen = [fid for out, _ in outputs for fid in reminded(out.decode())]
    assert len(seen) == 3000
    assert sorted(seen) == list(range(1, 3001))


@pytest.mark.slow
def test_a_failing_channel_is_retried_by_the_next_cron_run(
    db: Any, db_path: Path, tmp_path: Path
) -> None:
    ids = make_world(db)
    db.dispose()
    env = cron_env(tmp_path, db_path)
    config = tmp_path / "cronhome" / "config.toml"
    flag = tmp_path / "fail"
    got = tmp_path / "got.json"
    flag.write_text("")
    config.write_text(
        '[reminders]\nchannels = ["stdout", "command"]\n'
        f'command = "cat > {got}; test ! -e {flag}"\n'
    )
    command = [*env, crm_program(), "remind"]
    failed = subprocess.run(command, capture_output=True, timeout=60)
    assert failed.returncode == 1
    assert b"error: the command channel failed" in failed.stderr
    # stdout worked: cron mails these reminders once, with the error
    assert sorted(reminded(failed.stdout.decode())) == sorted(ids[n] for n in DUE)
    flag.unlink()
    got.unlink()
    retried = subprocess.run(command, capture_output=True, timeout=60)
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == b""  # not repeated where it already went
    assert {r["id"] for r in json.loads(got.read_text())} == {ids[n] for n in DUE}
    got.unlink()
    last = subprocess.run(command, capture_output=True, timeout=60)
    assert (last.returncode, last.stdout) == (0, b"")
    assert not got.exists()
    assert table_rows(db_path, "SELECT count(*) FROM reminder_delivery") == [(0,)]


def test_claim_is_one_transaction_that_a_second_connection_cannot_share(
    db: Any, db_path: Path
) -> None:
    """The claim holds the write lock: a run that starts meanwhile waits, then finds nothing."""
    from tinycrm.config import ReminderSettings
    from tinycrm.core import open_db, reminders

    ids = make_world(db)
    start = ReminderSettings().all_day_time
    with db.transaction(origin=reminders.ORIGIN) as session:
        claimed = reminders.claim(session, NOW, UTC, start)
        other = sqlite3.connect(db_path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    assert {r.id for r in claimed if r.kind == "follow-up"} == {ids[n] for n in DUE}
    second = open_db(db_path)
    try:
        with second.transaction(origin=reminders.ORIGIN) as session:
            assert reminders.claim(session, NOW, UTC, start) == []
        with db.transaction(origin=reminders.ORIGIN) as session:
            reminders.unclaim(session, claimed, NOW)
        with second.transaction(origin=reminders.ORIGIN) as session:
            assert len(reminders.claim(session, NOW, UTC, start)) == len(DUE)
    finally:
        second.dispose()


def test_an_smtp_failure_leaves_the_reminders_for_the_next_run(
    crm: Any, db: Any, hermetic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    ids = make_world(db)

    class DownSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(smtplib, "SMTP", DownSMTP)
    (hermetic / "config.toml").write_text(
        '[reminders]\nchannels = ["email"]\nsmtp_host = "mail.local"\n'
        'email_from = "crm@example.com"\nemail_to = "me@example.com"\n'
    )
    r = crm("remind")
    assert r.exit_code == 1
    assert "error: the email channel failed: mail.local:25:" in r.stderr
    assert sorted(reminded(crm("remind", "--dry-run").stdout)) == sorted(ids[n] for n in DUE)


def test_many_reminders_make_one_desktop_summary(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_world(db)
    crm("follow-up", "1", "one more", "--due", "today 9am")  # six due in all
    log = tmp_path / "notified"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _script(bindir / "notify-send", f'echo "$2" >> {log}\n')
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/tmp/bus")
    (hermetic / "config.toml").write_text('[reminders]\nchannels = ["desktop"]\n')
    assert crm("remind").exit_code == 0
    assert log.read_text() == "tinycrm: 6 reminders\n"


@pytest.mark.slow
def test_output_is_utf8_even_when_the_environment_says_ascii(
    db: Any, db_path: Path, tmp_path: Path
) -> None:
    make_world(db)
    db.dispose()
    ascii_env = ["LC_ALL=C", "PYTHONIOENCODING=ascii", "PYTHONUTF8=0"]
    command = [*cron_env(tmp_path, db_path), *ascii_env, crm_program(), "remind", "--dry-run"]
    done = subprocess.run(command, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Zoë Ångström" in done.stdout.decode("utf-8")


def test_cron_without_the_crontab_program_says_what_to_install(
    crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    r = crm("cron", "status")
    assert r.exit_code == 1
    assert r.stderr == (
        "error: the crontab program is not installed\n"
        "hint: install cron (e.g. apt-get install cron), or see docs/reminders.md\n"
    )
