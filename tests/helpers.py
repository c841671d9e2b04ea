"""Functions the tests that start real processes share (the fixtures are in conftest.py)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path


def crm_program() -> str:
    """The `crm` script installed beside this interpreter (what a user runs)."""
    found = Path(sys.executable).parent / "crm"
    assert found.exists(), "the crm script is installed beside the interpreter"
    return str(found)


def wait_for(check: Callable[[], object], seconds: float = 15, step: float = 0.05) -> bool:
    """Poll `check()` until it is true or `seconds` have passed; return whether it became
    true (it is asked once more at the deadline)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return bool(check())


def fenced_blocks(text: str, language: str) -> list[list[str]]:
    """The lines of each fenced block of `language` in a Markdown text ('' for a bare fence)."""
    found: list[list[str]] = []
    current: list[str] | None = None
    kind = ""
    for line in text.splitlines():
        fence = line.strip()
        if current is None and fence.startswith("```"):
            current, kind = [], fence[3:]
        elif current is not None and fence == "```":
            if kind == language:
                found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def console_steps(block: list[str]) -> list[tuple[str, list[str]]]:
    """The steps of a console block: each command (after `$ `) with the lines it prints."""
    steps: list[tuple[str, list[str]]] = []
    for line in block:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps
