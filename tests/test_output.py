"""Output for people and for scripts: the pager, colour, shell completion, the reference docs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ESC = "\x1b["


class FakeTerminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _lines(n: int) -> None:
    for i in range(n):
        print(f"line {i}")


def test_long_output_on_a_terminal_goes_through_the_pager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tinycrm.cli import render

    paged: list[str] = []
    monkeypatch.setattr(render, "page", paged.append)
    monkeypatch.setenv("LINES", "10")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    with render.paged():
        _lines(30)
    with render.paged():
        _lines(3)
    assert len(paged) == 1
    assert paged[0].splitlines()[-1] == "line 29"
    assert terminal.getvalue() == "line 0\nline 1\nline 2\n"


def test_output_that_is_not_a_terminal_is_never_paged(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinycrm.cli import render

    monkeypatch.setattr(render, "page", lambda text: pytest.fail("paged a pipe"))
    monkeypatch.setenv("LINES", "10")
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stdout", piped)
    with render.paged():
        _lines(30)
    assert piped.getvalue().count("\n") == 30


def _crm(*args: str, env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinycrm", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
        **kwargs,
    )


@pytest.mark.slow
def test_a_real_pipe_is_never_paged_and_a_real_terminal_is(tmp_path: Path) -> None:
    marker = tmp_path / "pager-ran"
    env = {
        **os.environ,
        "PAGER": f"sh -c 'cat > {marker}'",
        "LINES": "5",
        "TINYCRM_DB": str(tmp_path / "p.db"),
    }
    from tinycrm import clock
    from tinycrm.core import contacts, open_db

    db = open_db(tmp_path / "p.db")
    with db.transaction() as session:
        for i in range(8):
            contacts.add_contact(session, f"Person {i}", now=clock.now())
    db.dispose()
    piped = _crm("list", "contacts", env=env)
    assert piped.returncode == 0, piped.stderr
    assert "Person 7" in piped.stdout
    assert not marker.exists()
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tinycrm", "list", "contacts"],
            env=env,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert "Person 7" in marker.read_text()


def test_colour_follows_the_terminal_and_no_color(
    crm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm("add", "deal", "Acme website", "--value", "5k")
    monkeypatch.delenv("NO_COLOR")
    plain = crm("pipeline").stdout
    assert "$5,000.00" in plain
    assert ESC not in plain  # not a terminal: no escape codes at all
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = crm("pipeline").stdout
    assert f"{ESC}32m" in coloured  # a terminal: the open values are green
    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = crm("pipeline").stdout
    assert f"{ESC}32m" not in no_colour
    assert "$5,000.00" in no_colour


def _complete(line: str) -> list[str]:
    """The words bash completion offers for a partly typed command line (what a completion
    loads is checked on a real process in test_import_hygiene.py)."""
    from typer.testing import CliRunner

    from tinycrm.cli import app

    cword = str(len(line.split(" ")) - 1)
    env = {"_CRM_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": cword}
    return CliRunner().invoke(app, [], env=env, prog_name="crm").stdout.split()


def test_completion_lists_commands_and_subcommands() -> None:
    assert {"add", "list", "show", "delete", "pipeline", "config", "merge"} <= set(
        _complete("crm ")
    )
    assert {"show", "add-stage", "remove-stage", "create"} <= set(_complete("crm pipeline "))
    assert _complete("crm config s") == ["set"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_are_offered_for_each_shell(
    crm: Any, shell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Typer detects the running shell; this switch makes --show-completion take it by name.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    r = crm("--show-completion", shell)
    assert r.exit_code == 0, r.stderr
    assert f"_CRM_COMPLETE=complete_{shell}" in r.stdout


def test_the_reference_in_docs_commands_md_is_current() -> None:
    from tinycrm.cli import docgen

    current = docgen.DOC.read_text(encoding="utf-8")
    assert docgen.render(current) == current, (
        f"docs/commands.md is out of date: run `{docgen.COMMAND}` and commit the result"
    )


def test_the_generator_covers_nested_commands_and_keeps_hand_written_text() -> None:
    import typer

    from tinycrm.cli import app, docgen

    paths = set(docgen.command_paths(typer.main.get_command(app)))
    assert {(), ("add", "contact"), ("pipeline", "add-stage"), ("config", "set")} <= paths
    fresh = docgen.render("# Commands\n\nHand-written.\n")
    assert fresh.startswith("# Commands\n\nHand-written.\n\n<!-- reference:start -->")
    again = docgen.render(
        fresh.replace("<!-- reference:end -->", "<!-- reference:end -->\n\nMore.")
    )
    assert again.endswith("<!-- reference:end -->\n\nMore.\n")
    assert again.count("### `crm pipeline add-stage`") == 1


def test_a_long_list_is_printed_as_plain_aligned_columns(crm: Any, db: Any) -> None:
    from tinycrm import clock
    from tinycrm.cli import render
    from tinycrm.core import contacts

    now = clock.now()
    with db.transaction() as session:
        for i in range(render.PLAIN_ROWS + 5):
            contacts.add_contact(session, f"Person {i:03d} [x]", now=now)
    r = crm("list", "contacts", "--sort", "id")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["#", "Name", "Company", "Email", "Phone", "Lifecycle", "Tags"]
    assert lines[2].split()[:4] == ["1", "Person", "000", "[x]"]
    assert len(lines) == render.PLAIN_ROWS + 5 + 2
