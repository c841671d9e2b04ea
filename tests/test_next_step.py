"""Closing a step asks for the next one when a person is at a terminal: after `crm done`, a
stage move and a win; never in a pipe or a script, with --json or --no-next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows

FOLLOW_UPS = "SELECT id, title, contact_id, deal_id, due_at, status FROM follow_up ORDER BY id"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the command believe a person is at a terminal."""
    monkeypatch.setattr("tinycrm.cli.nextstep.interactive", lambda: True)


def test_a_stage_move_asks_for_the_next_step(crm: Any, jane: Path, terminal: None) -> None:
    r = crm("move", "acme", "qualifying", stdin="send the quote\nfri 3pm\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Moved deal #2 Acme website to Qualifying",
        "Next step for #2 Acme website? (blank for none): send the quote",  # input echoed
        "Due [tomorrow]: fri 3pm",
        "Follow-up #3 send the quote (#2 Acme website) due Fri 2026-11-27 15:00",
    ]
    assert table_rows(jane, FOLLOW_UPS) == [
        (3, "send the quote", 1, 2, "2026-11-27 15:00:00.000000", "open")
    ]
    # the move and the follow-up are two steps of history
    crm("undo")
    assert table_rows(jane, FOLLOW_UPS) == []
    assert table_rows(jane, "SELECT stage_id FROM deal") == [(2,)]


def test_a_win_asks_too_and_a_blank_answer_adds_nothing(
    crm: Any, jane: Path, terminal: None
) -> None:
    r = crm("move", "acme", "won", stdin="\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "Next step for #2 Acme website? (blank for none): "
    assert table_rows(jane, FOLLOW_UPS) == []


def test_the_due_time_is_asked_again_until_it_can_be_read(
    crm: Any, jane: Path, terminal: None
) -> None:
    r = crm("move", "acme", "won", stdin="kick-off call\nsoonish\n\n")
    assert r.exit_code == 0, r.stderr
    assert "warning: cannot read the date 'soonish'" in r.stderr
    assert r.stdout.splitlines()[-1].endswith(
        "Follow-up #3 kick-off call (#2 Acme website) due Tue 2026-11-24"
    )


def test_ending_the_input_adds_nothing_and_keeps_the_move(
    crm: Any, jane: Path, terminal: None
) -> None:
    r = crm("move", "acme", "qualifying", stdin="")
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert table_rows(jane, FOLLOW_UPS) == []
    assert table_rows(jane, "SELECT stage_id FROM deal") == [(2,)]


def test_a_loss_does_not_ask(crm: Any, jane: Path, terminal: None) -> None:
    r = crm("move", "acme", "lost", stdin="should not be read\nfri\n")
    assert r.stdout == "Lost #2 Acme website\n"
    assert table_rows(jane, FOLLOW_UPS) == []


def test_done_asks_for_the_next_step_about_the_same_deal(
    crm: Any, jane: Path, terminal: None
) -> None:
    crm("follow-up", "jane", "send proposal", "--due", "fri", "--deal", "acme")
    r = crm("done", "3", stdin="call about the proposal\ntue 10am\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Done: #3 send proposal",
        "Next step for #2 Acme website? (blank for none): call about the proposal",
        "Due [tomorrow]: tue 10am",
        "Follow-up #4 call about the proposal (#2 Acme website) due Tue 2026-11-24 10:00",
    ]
    assert table_rows(jane, "SELECT contact_id, deal_id FROM follow_up WHERE id = 4") == [(1, 2)]


def test_done_of_a_follow_up_about_the_contact_asks_by_name(
    crm: Any, jane: Path, terminal: None
) -> None:
    crm("follow-up", "jane", "birthday card", "--due", "fri", "--no-deal")
    r = crm("done", "3", stdin="thank-you note\nfri\n")
    assert "Next step for Jane Doe? (blank for none)" in r.stdout
    # linked to her one open deal, as crm follow-up links it
    assert r.stdout.splitlines()[-1].endswith(
        "Follow-up #4 thank-you note (#2 Acme website) due Fri 2026-11-27"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("move", "acme", "qualifying", "--no-next"),
        ("move", "acme", "qualifying", "--json"),
        ("done", "3", "--no-next"),
        ("done", "3", "--json"),
        ("done", "3", "--next", "fri", "send contract"),
    ],
)
def test_no_next_and_json_never_ask(
    crm: Any, jane: Path, terminal: None, args: tuple[str, ...]
) -> None:
    crm("follow-up", "jane", "send proposal", "--due", "fri", "--deal", "acme")
    r = crm(*args, stdin="should not be read\nfri\n")
    assert r.exit_code == 0, r.stderr
    assert "Next step" not in r.stdout
    assert table_rows(jane, "SELECT count(*) FROM follow_up WHERE title LIKE 'should%'") == [(0,)]


def test_without_a_terminal_nothing_is_asked(crm: Any, jane: Path) -> None:
    """CliRunner's streams are not terminals, as a pipe, a script or cron are not."""
    r = crm("move", "acme", "qualifying", stdin="should not be read\nfri\n")
    assert r.stdout == "Moved deal #2 Acme website to Qualifying\n"
    assert table_rows(jane, FOLLOW_UPS) == []


def test_interactive_means_both_streams_are_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinycrm.cli import nextstep

    for stdin_tty, stdout_tty, expected in [
        (True, True, True),
        (True, False, False),
        (False, True, False),
    ]:
        monkeypatch.setattr("sys.stdin.isatty", lambda v=stdin_tty: v, raising=False)
        monkeypatch.setattr("sys.stdout.isatty", lambda v=stdout_tty: v, raising=False)
        assert nextstep.interactive() is expected


@pytest.mark.slow
def test_a_real_terminal_is_asked_and_a_pipe_is_not(jane: Path, hermetic: Path) -> None:
    """The real `crm` in a real terminal (tmux, a private server): the question comes, the
    answer adds the follow-up; the same command into a pipe asks nothing."""
    import shutil
    import subprocess
    import sys
    import uuid

    from tests.conftest import FIXED_NOW
    from tests.helpers import wait_for

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    socket = f"tinycrm-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True).stdout

    crm = Path(sys.executable).parent / "crm"
    env = (
        f"env TINYCRM_HOME={hermetic} TINYCRM_NOW={FIXED_NOW} TZ=UTC TINYCRM_SERVER=off "
        f"TERM=xterm-256color"
    )
    try:
        tmux("new-session", "-d", "-s", "ask", "-x", "120", "-y", "20", "sh")
        tmux("send-keys", "-t", "ask", f"{env} {crm} --db {jane} move acme qual | cat", "Enter")
        tmux("send-keys", "-t", "ask", f"{env} {crm} --db {jane} move acme present", "Enter")

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", "ask")

        assert wait_for(lambda: "Next step for #2 Acme website?" in screen()), screen()
        assert screen().count("Next step for") == 1  # the piped move did not ask
        tmux("send-keys", "-t", "ask", "send the quote", "Enter")
        assert wait_for(lambda: "Due [tomorrow]:" in screen()), screen()
        tmux("send-keys", "-t", "ask", "fri 3pm", "Enter")
        assert wait_for(
            lambda: (
                "Follow-up #3 send the quote (#2 Acme website) due Fri 2026-11-27 15:00" in screen()
            )
        ), screen()
    finally:
        tmux("kill-server")
    assert table_rows(jane, FOLLOW_UPS) == [
        (3, "send the quote", 1, 2, "2026-11-27 15:00:00.000000", "open")
    ]
