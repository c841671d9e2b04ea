"""Hooks ([hooks] in config.toml): each event runs its commands after the change is saved,
with the events as lines of JSON on stdin (docs/hooks.md); a hook that fails or runs too long
is reported in one line and leaves the change saved; with no hook nothing runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tinycrm.config.hooks import EVENTS

FIXED_AT = "2026-11-23T10:00:00Z"


def recording_hooks(home: Path, *events: str, extra: str = "") -> Path:
    """Write a config.toml whose hooks append their stdin to OUT/EVENT.jsonl and their
    environment to OUT/env.txt; return OUT."""
    out = home / "out"
    out.mkdir(parents=True, exist_ok=True)
    lines = ["[hooks]"]
    for event in events or EVENTS:
        command = (
            f'cat >> "{out}/$TINYCRM_EVENT.jsonl";'
            f' echo "$TINYCRM_EVENT $TINYCRM_EVENTS $TINYCRM_DB" >> "{out}/env.txt"'
        )
        lines.append(f"{event} = {json.dumps(command)}")
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("\n".join(lines) + "\n" + extra)
    return out


def ran(out: Path, event: str) -> list[dict[str, Any]]:
    """The events the hook of `event` was given, one per line, across its runs."""
    path = out / f"{event}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def view(db_path: Path, kind: str, record_id: int) -> dict[str, Any]:
    """The record as its `--json` view shows it now."""
    from tinycrm.core import open_db
    from tinycrm.core.followups import follow_up_dict
    from tinycrm.core.interactions import interaction_dict
    from tinycrm.core.views import contact_dict, deal_dict
    from tinycrm.store.models import FollowUp, Interaction

    db = open_db(db_path)
    try:
        with db.snapshot() as session:
            if kind == "contact":
                return dict(contact_dict(session, record_id))
            if kind == "deal":
                return dict(deal_dict(session, record_id))
            if kind == "follow_up":
                fu = session.get(FollowUp, record_id)
                assert fu is not None
                return dict(follow_up_dict(session, fu))
            found = session.get(Interaction, record_id)
            assert found is not None
            return dict(interaction_dict(session, found))
    finally:
        db.dispose()


def test_adding_a_contact_runs_contact_added_with_the_contact(
    crm: Any, hermetic: Path, db_path: Path
) -> None:
    out = recording_hooks(hermetic)
    result = crm("add", "contact", "Jane Doe", "--email", "jane@acme.com")
    assert result.exit_code == 0, result.output
    [event] = ran(out, "contact_added")
    assert event == {
        "event": "contact_added",
        "at": FIXED_AT,
        "contact": view(db_path, "contact", 1),
    }
    assert event["contact"]["name"] == "Jane Doe"
    assert (out / "env.txt").read_text() == f"contact_added 1 {db_path}\n"


def test_a_move_a_win_and_a_loss_run_their_hooks(crm: Any, hermetic: Path, jane: Path) -> None:
    out = recording_hooks(hermetic)
    assert crm("move", "2", "qualifying").exit_code == 0
    [moved] = ran(out, "deal_moved")
    assert moved["event"] == "deal_moved"
    assert (moved["from_stage"], moved["to_stage"]) == ("Prospecting", "Qualifying")
    assert moved["deal"]["id"] == 2 and moved["deal"]["stage"] == "Qualifying"
    assert crm("move", "2", "won").exit_code == 0
    [won] = ran(out, "deal_won")
    assert won == {"event": "deal_won", "at": FIXED_AT, "deal": view(jane, "deal", 2)}
    assert won["deal"]["status"] == "won"
    assert ran(out, "deal_moved") == [moved]  # a win keeps its stage: no move
    assert crm("add", "deal", "Acme support", "--contact", "jane").exit_code == 0
    assert crm("move", "acme support", "lost", "--reason", "price").exit_code == 0
    [lost] = ran(out, "deal_lost")
    assert lost["reason"] == "price" and lost["deal"]["title"] == "Acme support"
    assert lost["deal"]["status"] == "lost"


def test_removing_a_stage_with_its_deals_moves_them_from_the_stage_removed(
    crm: Any, hermetic: Path, jane: Path
) -> None:
    out = recording_hooks(hermetic, "deal_moved")
    result = crm("pipeline", "remove-stage", "prospecting", "--to", "qualifying")
    assert result.exit_code == 0, result.output
    [moved] = ran(out, "deal_moved")
    assert (moved["from_stage"], moved["to_stage"]) == ("Prospecting", "Qualifying")
    assert moved["deal"]["id"] == 2


def test_logging_and_finishing_run_interaction_logged_and_follow_up_done(
    crm: Any, hermetic: Path, jane: Path
) -> None:
    out = recording_hooks(hermetic)
    assert crm("log", "jane", "call", "talked budget").exit_code == 0
    [logged] = ran(out, "interaction_logged")
    assert logged["interaction"]["summary"] == "talked budget"
    assert logged == {
        "event": "interaction_logged",
        "at": FIXED_AT,
        "interaction": view(jane, "interaction", logged["interaction"]["id"]),
    }
    done = crm("follow-up", "jane", "send deck", "--due", "tomorrow", "--json")
    assert done.exit_code == 0, done.output
    follow_up = json.loads(done.stdout)["id"]
    assert ran(out, "follow_up_done") == []  # scheduling is no event
    assert crm("done", str(follow_up), "--no-next").exit_code == 0
    [finished] = ran(out, "follow_up_done")
    assert finished == {
        "event": "follow_up_done",
        "at": FIXED_AT,
        "follow_up": view(jane, "follow_up", follow_up),
    }
    assert finished["follow_up"]["status"] == "done"


def test_crm_remind_runs_follow_up_due_for_each_follow_up_reminded(
    crm: Any, hermetic: Path, jane: Path
) -> None:
    out = recording_hooks(hermetic)
    for title in ("call back", "send contract"):
        assert crm("follow-up", "jane", title, "--due", "2026-11-23 09:00").exit_code == 0
    assert crm("follow-up", "jane", "later", "--due", "2026-12-20").exit_code == 0
    result = crm("remind")
    assert result.exit_code == 0, result.output
    due = ran(out, "follow_up_due")
    assert [e["follow_up"]["title"] for e in due] == ["call back", "send contract"]
    assert all(e["due"] == "2026-11-23T09:00:00Z" and e["at"] == FIXED_AT for e in due)
    assert "follow_up_due 2 " in (out / "env.txt").read_text()  # one run, two events
    assert crm("remind").exit_code == 0  # reminded once: no second run
    assert len(ran(out, "follow_up_due")) == 2


def test_a_failing_hook_is_one_line_and_the_change_is_saved(
    crm: Any, hermetic: Path, db_path: Path
) -> None:
    (hermetic).mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text(
        '[hooks]\ncontact_added = ["echo no route to host >&2; exit 2", "no-such-hook --x"]\n'
    )
    result = crm("add", "contact", "Jane Doe")
    assert result.exit_code == 0
    assert result.stdout == "Added contact #1 Jane Doe\n"
    assert result.stderr.splitlines() == [
        "hook contact_added (echo) failed: exit 2: no route to host; the change is saved",
        "hook contact_added (no-such-hook) failed: not found; the change is saved",
    ]
    assert table_rows(db_path, "SELECT name FROM contact") == [("Jane Doe",)]


def test_a_hook_that_runs_too_long_is_stopped_and_the_change_is_saved(
    crm: Any, hermetic: Path, db_path: Path
) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text('[hooks]\ndeal_won = "sleep 30"\ntimeout = 1\n')
    assert crm("add", "deal", "Acme website").exit_code == 0
    started = time.monotonic()
    result = crm("move", "1", "won")
    assert time.monotonic() - started < 10
    assert result.exit_code == 0
    assert result.stderr == (
        "hook deal_won (sleep) failed: timed out after 1 s and was stopped; the change is saved\n"
    )
    assert table_rows(db_path, "SELECT status FROM deal") == [("won",)]


def test_an_import_runs_each_hook_once_with_a_line_per_record(
    crm: Any, hermetic: Path, tmp_path: Path
) -> None:
    out = recording_hooks(hermetic, "contact_added")
    rows = "".join(f"Person {n},p{n}@example.com\n" for n in range(40))
    (tmp_path / "people.csv").write_text("name,email\n" + rows)
    assert crm("import", "csv", str(tmp_path / "people.csv")).exit_code == 0
    added = ran(out, "contact_added")
    assert [e["contact"]["name"] for e in added] == [f"Person {n}" for n in range(40)]
    assert (out / "env.txt").read_text().split()[:2] == ["contact_added", "40"]


def test_undo_and_redo_run_no_hook(crm: Any, hermetic: Path, db_path: Path) -> None:
    out = recording_hooks(hermetic)
    assert crm("add", "contact", "Jane Doe").exit_code == 0
    assert crm("undo").exit_code == 0
    assert crm("redo").exit_code == 0
    assert len(ran(out, "contact_added")) == 1
    assert (out / "env.txt").read_text().count("\n") == 1


def test_only_the_events_with_a_command_run(crm: Any, hermetic: Path, jane: Path) -> None:
    out = recording_hooks(hermetic, "deal_won")
    assert crm("add", "contact", "Bob").exit_code == 0
    assert crm("move", "2", "won").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["deal_won.jsonl", "env.txt"]


def test_with_no_hook_set_nothing_is_attached_or_loaded(
    crm: Any, hermetic: Path, db_path: Path
) -> None:
    from tinycrm.cli import state
    from tinycrm.core import hooks

    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text("[hooks]\ntimeout = 5\n")
    assert crm("add", "contact", "Jane").exit_code == 0
    assert hooks.attached(state.database()) is None
    # a real `crm add contact` without [hooks] reads no settings and loads no hook runner
    probe = (
        "import sys; from tinycrm.cli import main; sys.argv = ['crm', 'add', 'contact', 'X']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m in"
        " ('tinycrm.config', 'tinycrm.core.hookevents', 'tinycrm.system.hooks')))"
    )
    (hermetic / "config.toml").unlink()
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.stdout.splitlines()[-1] == "[]", done.stderr


def test_an_unknown_event_in_the_settings_is_named(crm: Any, hermetic: Path) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text('[hooks]\ndeal-won = "notify.sh"\n')
    result = crm("add", "contact", "Jane")
    assert result.exit_code != 0
    assert "[hooks] has no event called 'deal-won'" in result.stderr
    assert "deal_won" in result.stderr  # the hint lists the events
    assert "Traceback" not in result.output


def test_config_set_keeps_a_hook_command_whole(crm: Any) -> None:
    command = "curl -d 'a,b' https://example.com"
    assert crm("config", "set", "hooks.deal_won", command).exit_code == 0
    assert json.loads(crm("config", "get", "hooks.deal_won", "--json").stdout) == [command]
    assert crm("config", "set", "hooks.timeout", "30").exit_code == 0
    assert json.loads(crm("config", "get", "hooks.timeout", "--json").stdout) == 30


def test_a_bad_timeout_is_refused(crm: Any) -> None:
    result = crm("config", "set", "hooks.timeout", "0")
    assert result.exit_code != 0
    assert "seconds from 1 to 3600" in result.stderr


@pytest.mark.slow
def test_a_command_the_server_runs_runs_its_hooks(tmp_path: Path) -> None:
    from tests.serverkit import ServerKit

    home = tmp_path / "served"
    out = recording_hooks(home, "contact_added")
    with (home / "config.toml").open("a") as fh:
        fh.write('deal_won = "exit 2"\n')
    with ServerKit(home) as kit:
        kit.start()
        served = kit.served()
        added = kit.run("add", "contact", "Jane Doe")
        assert (added.returncode, added.stderr) == (0, "")
        assert [e["contact"]["name"] for e in ran(out, "contact_added")] == ["Jane Doe"]
        kit.run("add", "deal", "Acme website")
        won = kit.run("move", "acme", "won")
        assert won.returncode == 0
        assert won.stderr == "hook deal_won (exit) failed: exit 2; the change is saved\n"
        assert kit.served() == served + 3


def test_hooks_that_cannot_be_prepared_say_so_and_the_command_succeeds(
    crm: Any, hermetic: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.core import hookevents

    def broken(session: Any, fired: Any) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(hookevents, "payload", broken)
    recording_hooks(hermetic, "contact_added")
    result = crm("add", "contact", "Jane Doe")
    assert (result.exit_code, result.stdout) == (0, "Added contact #1 Jane Doe\n")
    assert result.stderr == "hooks not run: disk I/O error; the change is saved\n"
    assert table_rows(db_path, "SELECT name FROM contact") == [("Jane Doe",)]


def test_tinycrm_db_is_the_databases_absolute_path(
    crm: Any, hermetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = recording_hooks(hermetic, "contact_added")
    monkeypatch.chdir(tmp_path)
    assert crm("--db", "here.db", "add", "contact", "Jane").exit_code == 0
    assert (out / "env.txt").read_text() == f"contact_added 1 {tmp_path / 'here.db'}\n"


def test_a_hook_can_change_the_data_through_crm(crm: Any, hermetic: Path, db_path: Path) -> None:
    from tests.helpers import crm_program

    hermetic.mkdir(parents=True, exist_ok=True)
    command = f'{crm_program()} --db "$TINYCRM_DB" tag 1 +hooked'
    (hermetic / "config.toml").write_text(f"[hooks]\ncontact_added = {json.dumps(command)}\n")
    result = crm("add", "contact", "Jane Doe")
    assert (result.exit_code, result.stderr) == (0, "")  # the hook's crm found no lock held
    assert table_rows(
        db_path, "SELECT t.name FROM tag t JOIN contact_tag c ON c.tag_id = t.id"
    ) == [("hooked",)]
