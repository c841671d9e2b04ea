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
