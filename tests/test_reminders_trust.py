"""Reminders that cannot be lost nor repeated: an interrupted run gives its claim back, undo and
redo do not remind twice, trashed records stay quiet, a desktop notice nobody can see goes to
standard output, mail headers never carry a newline, SMTP checks the server's certificate, and
the cron line carries every location the installing shell used."""

from __future__ import annotations

import contextlib
import email
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tests.helpers import crm_program
from tests.smtp_server import smtp_server
from tests.test_reminders import DUE, NOW, _script, cron_env, make_world, reminded

# ---- an interrupted run ---------------------------------------------------------------------


def _wait_for(path: Path, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_run_interrupted_while_delivering_gives_the_reminders_back(
    sig: signal.Signals, db: Any, db_path: Path, tmp_path: Path
) -> None:
    ids = make_world(db)
    db.dispose()
    config = tmp_path / "cronhome" / "config.toml"
    started, child, got = tmp_path / "started", tmp_path / "child.pid", tmp_path / "got.json"
    env = cron_env(tmp_path, db_path)
    config.write_text(
        '[reminders]\nchannels = ["command"]\n'
        f'command = "echo $$ > {child}; touch {started}; exec sleep 60"\n'
    )
    run = subprocess.Popen(
        [*env, crm_program(), "remind"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for(started)
        _wait_for(child)
        run.send_signal(sig)
        _out, err = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
        leftover = child.read_text().strip() if child.exists() else ""
        if leftover:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(leftover), signal.SIGKILL)
    if sig == signal.SIGKILL:
        assert run.returncode == -signal.SIGKILL
    else:
        assert run.returncode == 128 + sig, err
        assert b"given back for the next run" in err, err
    config.write_text(f'[reminders]\nchannels = ["command"]\ncommand = "cat > {got}"\n')
    if sig == signal.SIGKILL:
        # the killed run's claim holds until its lease runs out, then a later run takes it
        soon = subprocess.run([*env, crm_program(), "remind"], capture_output=True, timeout=60)
        assert soon.returncode == 0 and not got.exists(), soon.stderr
        later = (NOW + timedelta(minutes=20)).isoformat()
        env = cron_env(tmp_path, db_path, now=later)
    again = subprocess.run([*env, crm_program(), "remind"], capture_output=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert {r["id"] for r in json.loads(got.read_text())} == {ids[n] for n in DUE}
    got.unlink()
    last = subprocess.run([*env, crm_program(), "remind"], capture_output=True, timeout=60)
    assert last.returncode == 0 and not got.exists()


def test_a_channel_that_delivered_before_a_kill_is_not_repeated(
    crm: Any, db: Any, hermetic: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliveries are written per channel as they happen: a run killed after stdout had them
    and before the command did retries only the command."""
    from tinycrm.config import ReminderSettings
    from tinycrm.core import reminders

    ids = make_world(db)
    with db.transaction(origin=reminders.ORIGIN) as session:
        claimed = reminders.claim(session, NOW, UTC, ReminderSettings().all_day_time)
    with db.transaction(origin=reminders.ORIGIN) as session:
        reminders.record_delivery(session, claimed, "stdout", NOW)
    # and the run dies here: no give-back
    got = hermetic / "got.json"
    (hermetic / "config.toml").write_text(
        f'[reminders]\nchannels = ["stdout", "command"]\ncommand = "cat > {got}"\n'
    )
    monkeypatch.setenv("TINYCRM_NOW", (NOW + timedelta(minutes=20)).isoformat())
    r = crm("remind")
    assert (r.exit_code, r.stdout) == (0, ""), r.stderr
    assert {x["id"] for x in json.loads(got.read_text())} == {ids[n] for n in DUE}
    assert table_rows(db_path, "SELECT count(*) FROM reminder_delivery") == [(0,)]


# ---- undo and redo --------------------------------------------------------------------------


def test_undo_and_redo_of_a_reminded_follow_up_do_not_remind_again(crm: Any) -> None:
    assert crm("add", "contact", "Jane Roe").exit_code == 0
    assert crm("follow-up", "jane", "call Jane", "--due", "2026-11-23 09:00").exit_code == 0
    assert len(reminded(crm("remind").stdout)) == 1
    assert crm("undo").exit_code == 0
    assert crm("remind").stdout == ""
    assert crm("redo").exit_code == 0
    assert crm("remind").stdout == ""


def test_undo_and_redo_of_a_reminded_keep_in_touch_do_not_remind_again(
    crm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("add", "contact", "Bob Roe")
    monkeypatch.setenv("TINYCRM_NOW", "2026-12-07T10:00:00+00:00")
    assert crm("keep-in-touch", "bob", "1w").exit_code == 0
    assert crm("remind").stdout.startswith("Keep in touch with Bob Roe")
    assert crm("undo").exit_code == 0
    assert crm("redo").exit_code == 0
    assert crm("remind").stdout == ""


# ---- trashed records ------------------------------------------------------------------------


def _agenda_ids(crm: Any) -> set[tuple[str, int]]:
    rows = json.loads(crm("agenda", "--json").stdout)
    items = rows if isinstance(rows, list) else [*rows.get("items", [])]
    return {(r["kind"], r["id"]) for r in items}


def test_a_trashed_contact_or_deal_and_its_follow_ups_leave_the_agenda_and_reminders(
    crm: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.core import agenda

    crm("add", "contact", "Jane Roe")
    crm("add", "contact", "Carol Poe")
    crm("add", "deal", "Poe website", "--contact", "carol")
    jane = json.loads(
        crm("follow-up", "jane", "call Jane", "--due", "2026-11-23 09:00", "--json").stdout
    )["id"]
    deal = json.loads(
        crm(
            "follow-up",
            "carol",
            "send the quote",
            "--deal",
            "poe website",
            "--due",
            "today 9am",
            "--json",
        ).stdout
    )["id"]
    crm("keep-in-touch", "jane", "1w")
    assert {("follow-up", jane), ("follow-up", deal)} <= _agenda_ids(crm)
    assert crm("delete", "jane", "--yes").exit_code == 0
    assert crm("delete", "poe website", "--kind", "deal", "--yes").exit_code == 0
    monkeypatch.setenv("TINYCRM_NOW", "2026-12-07T10:00:00+00:00")  # the touch is due too
    assert _agenda_ids(crm) == set()
    assert crm("remind", "--dry-run").stdout == ""
    assert crm("remind", "--digest").stdout == "Nothing due today.\n"
    assert crm("remind").stdout == ""
    with db.snapshot() as session:
        assert (
            agenda.falling_due(session, NOW - timedelta(days=3650), NOW + timedelta(days=14)) == []
        )
    assert crm("restore", "jane").exit_code == 0
    assert crm("restore", "poe website", "--kind", "deal").exit_code == 0
    assert {("follow-up", jane), ("follow-up", deal), ("keep-in-touch", 1)} <= _agenda_ids(crm)
    out = crm("remind").stdout
    assert sorted(reminded(out)) == sorted([jane, deal])
    assert "Keep in touch with Jane Roe" in out
    with db.snapshot() as session:
        assert {
            i
            for i, _ in agenda.falling_due(
                session, NOW - timedelta(days=3650), NOW + timedelta(days=14)
            )
        } == {
            jane,
            deal,
        }


# ---- desktop without a desktop --------------------------------------------------------------


def test_a_desktop_notice_that_cannot_be_shown_goes_to_standard_output(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_world(db)
    log = tmp_path / "notified"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _script(bindir / "notify-send", f'echo "$2" >> {log}\n')
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(
        "tinycrm.system.channels.session_bus", lambda env: env.get("DBUS_SESSION_BUS_ADDRESS")
    )
    (hermetic / "config.toml").write_text('[reminders]\nchannels = ["desktop"]\n')
    r = crm("remind")
    assert r.exit_code == 0
    assert sorted(reminded(r.stdout)) == sorted(ids[n] for n in DUE)
    assert "no desktop session bus is reachable" in r.stderr
    assert "standard output" in r.stderr
    assert not log.exists()
    assert crm("remind").stdout == ""


# ---- email ----------------------------------------------------------------------------------


def _mail_config(port: int, **extra: Any) -> str:
    lines = [
        "[reminders]",
        'channels = ["email"]',
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {port}",
        'email_from = "crm@example.com"',
        'email_to = "me@example.com"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_a_title_with_a_newline_is_mailed_with_a_one_line_subject(
    crm: Any, db: Any, db_path: Path, hermetic: Path
) -> None:
    crm("add", "contact", "Jane Roe")
    crm("follow-up", "jane", "call", "--due", "2026-11-23 09:00")
    conn = db.raw()
    conn.execute("UPDATE follow_up SET title = 'call Jane\r\nBcc: victim@example.com\x07 now'")
    conn.close()
    with smtp_server() as (port, box):
        (hermetic / "config.toml").write_text(_mail_config(port))
        r = crm("remind")
        assert r.exit_code == 0, r.stderr
    assert len(box.messages) == 1
    msg = email.message_from_bytes(box.messages[0])
    assert msg["Subject"] == "tinycrm: call Jane Bcc: victim@example.com now"
    assert msg["Bcc"] is None
    assert msg["Date"] and msg["Message-ID"]
    assert msg["Message-ID"].endswith("@example.com>")
    assert crm("remind").stdout == ""


def test_the_smtp_password_can_come_from_a_command(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path
) -> None:
    make_world(db)
    secret = _script(tmp_path / "pass", 'printf "s3cret pass\\nsecond line\\n"\n')
    with smtp_server() as (port, box):
        (hermetic / "config.toml").write_text(
            _mail_config(port, smtp_user="me", smtp_password_command=str(secret))
        )
        r = crm("remind")
        assert r.exit_code == 0, r.stderr
    assert box.logins == [("me", "s3cret pass")]
    assert len(box.messages) == 1


def test_a_failing_password_command_fails_the_channel_and_keeps_the_reminders(
    crm: Any, db: Any, hermetic: Path
) -> None:
    ids = make_world(db)
    with smtp_server() as (port, box):
        (hermetic / "config.toml").write_text(
            _mail_config(port, smtp_user="me", smtp_password_command="exit 3")
        )
        r = crm("remind")
    assert r.exit_code == 1
    assert "smtp_password_command" in r.stderr and "exit 3" in r.stderr
    assert box.messages == [] and box.logins == []
    assert sorted(reminded(crm("remind", "--dry-run").stdout)) == sorted(ids[n] for n in DUE)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    """A self-signed certificate for another name, and a test CA with a certificate for
    127.0.0.1 (made with the openssl program)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl program is not installed")
    where = tmp_path / "certs"
    where.mkdir()
    _openssl("req", "-x509", *EC, "-keyout", "other.key", "-out", "other.pem", "-days", "2",
             "-subj", "/CN=other.example", "-addext", "subjectAltName=DNS:other.example",
             cwd=where)  # fmt: skip
    _openssl("req", "-x509", *EC, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=tinycrm test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=where)  # fmt: skip
    _openssl("req", *EC, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=where)  # fmt: skip
    (where / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
             cwd=where)  # fmt: skip
    return where


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_smtp_refuses_a_server_whose_certificate_is_not_trusted(
    mode: str, crm: Any, db: Any, hermetic: Path, certs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.system import channels

    ids = make_world(db)
    monkeypatch.setenv("SSL_CERT_FILE", str(certs / "ca.pem"))
    with smtp_server(mode, certs / "other.pem", certs / "other.key") as (port, box):
        if mode == "ssl":
            monkeypatch.setattr(channels, "SMTPS_PORTS", (port,))
        (hermetic / "config.toml").write_text(
            _mail_config(port, smtp_starttls=True, smtp_user="me", smtp_password="hunter2")
        )
        r = crm("remind")
    assert r.exit_code == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, r.stderr
    assert f"127.0.0.1:{port}" in errors[0] and "certificate was refused" in errors[0]
    assert box.logins == [] and box.messages == []
    assert "AUTH" not in box.commands
    assert sorted(reminded(crm("remind", "--dry-run").stdout)) == sorted(ids[n] for n in DUE)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_smtp_over_tls_to_a_server_the_system_trusts(
    mode: str, crm: Any, db: Any, hermetic: Path, certs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.system import channels

    make_world(db)
    # create_default_context() reads the OpenSSL default paths, which SSL_CERT_FILE sets
    monkeypatch.setenv("SSL_CERT_FILE", str(certs / "ca.pem"))
    with smtp_server(mode, certs / "server.pem", certs / "server.key") as (port, box):
        if mode == "ssl":
            monkeypatch.setattr(channels, "SMTPS_PORTS", (port,))
        (hermetic / "config.toml").write_text(
            _mail_config(port, smtp_starttls=True, smtp_user="me", smtp_password="hunter2")
        )
        r = crm("remind")
        assert r.exit_code == 0, r.stderr
    assert box.logins == [("me", "hunter2")]
    assert len(box.messages) == 1


# ---- the cron line --------------------------------------------------------------------------


def _run_cron_line(line: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    """Run a crontab line's command as cron would: /bin/sh, a bare environment, \\% as %."""
    command = line.split(None, 5)[5].replace("\\%", "%")
    bare = tmp_path / "bare"
    bare.mkdir(exist_ok=True)
    env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={bare}", "TINYCRM_NOW=2026-11-23T10:00:00"]
    env.append("TINYCRM_SERVER=off")
    return subprocess.run([*env, "/bin/sh", "-c", command], capture_output=True, timeout=60)


@pytest.mark.slow
def test_the_cron_line_carries_tinycrm_home(
    crm: Any, db: Any, hermetic: Path, tmp_path: Path
) -> None:
    ids = make_world(db)
    db.dispose()
    got = tmp_path / "got 100%.json"
    (hermetic / "config.toml").write_text(
        f'[reminders]\nchannels = ["command"]\ncommand = "cat > {shlex.quote(str(got))}"\n'
    )
    shown = crm("cron", "install", "--dry-run")
    assert shown.exit_code == 0, shown.stderr
    line = next(x.strip() for x in shown.stdout.splitlines() if "# tinycrm:remind" in x)
    assert f"TINYCRM_HOME={hermetic}" in line
    done = _run_cron_line(line, tmp_path)
    assert done.returncode == 0, done.stderr
    assert {r["id"] for r in json.loads(got.read_text())} == {ids[n] for n in DUE}


@pytest.mark.slow
def test_the_cron_line_carries_the_xdg_folders(
    crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TINYCRM_HOME")
    xdg_config, xdg_data = tmp_path / "my config", tmp_path / "my data"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg_config))
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg_data))
    (xdg_config / "tinycrm").mkdir(parents=True)
    got = tmp_path / "got.json"
    (xdg_config / "tinycrm" / "config.toml").write_text(
        f'[reminders]\nchannels = ["command"]\ncommand = "cat > {got}"\n'
    )
    crm("add", "contact", "Jane Roe")
    crm("follow-up", "jane", "call Jane", "--due", "2026-11-23 09:00")
    assert (xdg_data / "tinycrm" / "tinycrm.db").exists()
    shown = crm("cron", "install", "--dry-run", "--digest", "08:00")
    assert shown.exit_code == 0, shown.stderr
    lines = [x.strip() for x in shown.stdout.splitlines() if "# tinycrm:" in x]
    assert len(lines) == 2
    assert all(f"XDG_CONFIG_HOME={shlex.quote(str(xdg_config))}" in x for x in lines)
    done = _run_cron_line(lines[0], tmp_path)
    assert done.returncode == 0, done.stderr
    assert [r["title"] for r in json.loads(got.read_text())] == ["call Jane"]


def test_cron_install_dry_run_writes_nothing(
    crm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no crontab program: not needed for a dry run
    r = crm("cron", "install", "--dry-run", "--every", "5m")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "Would install in your crontab:"
    assert "remind # tinycrm:remind" in r.stdout


def test_the_cron_lines_assignments_are_shell_quoted() -> None:
    from tinycrm.system import crontabs

    env = crontabs.locations(
        {"HOME": "/home/me", "TINYCRM_HOME": "/my dir/100%", "XDG_DATA_HOME": "/d", "PATH": "/x"},
        "/home/me",
    )
    line = crontabs.remind_line(["/bin/crm"], Path("/db"), 15, env)
    assert line == (
        "*/15 * * * * TINYCRM_HOME='/my dir/100\\%' XDG_DATA_HOME=/d /bin/crm --db /db"
        " remind # tinycrm:remind"
    )
    assert crontabs.is_ours(line)
    # a HOME other than the login's decides where config.toml is, so the line keeps it
    assert crontabs.locations({"HOME": "/tmp/other"}, "/root") == {"HOME": "/tmp/other"}
    assert crontabs.locations({"HOME": "/root"}, "/root") == {}
    assert crontabs.locations({"HOME": "/tmp/o", "TINYCRM_HOME": "/t"}, "/root") == {
        "TINYCRM_HOME": "/t"
    }


def test_the_remind_query_still_reads_the_partial_indexes(db: Any, db_path: Path) -> None:
    import sqlite3

    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from tinycrm.core import remindable

    make_world(db)
    compiled = remindable.due_query().compile(dialect=sqlite_dialect.dialect(paramstyle="named"))
    stamp = "2026-11-23 10:00:00.000000"
    params = {**compiled.params, "now": stamp, "stamp": stamp}
    conn = sqlite3.connect(db_path)
    plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {compiled}", params)]
    conn.close()
    assert any("ix_follow_up_open_due" in p for p in plan), plan
    assert any("ix_follow_up_open_snoozed" in p for p in plan), plan
    assert not any(p.startswith("SCAN") for p in plan), plan
