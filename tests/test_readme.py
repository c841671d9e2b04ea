"""The README's tour runs as written, line by line, on a fresh database."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from tests.conftest import table_rows

README = Path(__file__).resolve().parent.parent / "README.md"


def tour_lines() -> list[list[str]]:
    """Return the commands of the README's tour (the shell block after 'A short tour')."""
    text = README.read_text(encoding="utf-8")
    tour = text.split("## A short tour", 1)[1]
    block = re.search(r"```sh\n(.*?)```", tour, flags=re.S)
    assert block, "the tour has a shell block"
    lines = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "crm", line
            lines.append(words[1:])
    return lines


def test_the_readme_tour_runs(crm: Any, db_path: Path) -> None:
    lines = tour_lines()
    assert len(lines) >= 10
    for args in lines:
        if args == ["board"]:
            continue  # the full screen has its own tests
        result = crm(*args, stdin="n\n")
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
    # the last step before the board was an undo: the win is taken back, the deal is there
    assert table_rows(db_path, "SELECT title, status FROM deal") == [("Acme website", "open")]
    assert table_rows(db_path, "SELECT name FROM contact") == [("Jane Doe",)]


def test_ci_runs_the_readmes_test_commands_in_order() -> None:
    """`.ci/run` runs the README's test command word for word, then its end-to-end tests."""
    text = README.read_text(encoding="utf-8")
    fast = re.search(r"To run the tests:\n\n```sh\n(.*?)\n```", text, flags=re.S)
    slow = re.search(r"`(\.venv/bin/python -m pytest [^`]*-m slow)`", text)
    assert fast and slow, "the README gives both test commands"
    steps = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert fast.group(1) in steps and slow.group(1) in steps
    assert steps.index(fast.group(1)) < steps.index(slow.group(1))
