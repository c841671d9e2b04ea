"""Optional benchmark modules other parts of tinycrm add: imports.py, reports.py, board.py.

A hook module may define, all optional:

- `CLI_CASES`: a list of `(name, [crm arguments…])`, timed as whole-process cases;
- functions named `bench_…`: each is one in-process case, called once per run with whichever
  of these parameters it names: `db_path` (a scratch copy of the scale's database it may
  write to), `scale` (its name), `meta` (the generator's description), `now`, `seed`,
  `scratch` (a folder for files), `run` (the run number, 0 = warm-up).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

HOOK_MODULES = ("benchmarks.imports", "benchmarks.reports", "benchmarks.board")


def load() -> list[ModuleType]:
    """Import the hook modules that exist; the missing ones are skipped."""
    found = []
    for name in HOOK_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return found


def cli_cases(module: ModuleType) -> list[tuple[str, list[str]]]:
    """Return a hook module's whole-process cases."""
    cases = getattr(module, "CLI_CASES", None) or []
    return [(str(name), [str(a) for a in args]) for name, args in cases]


def functions(module: ModuleType) -> list[tuple[str, Callable[..., Any]]]:
    """Return a hook module's in-process cases, as (name, function)."""
    short = module.__name__.rsplit(".", 1)[-1]
    out = []
    for attr in sorted(dir(module)):
        fn = getattr(module, attr)
        if attr.startswith("bench_") and callable(fn):
            out.append((f"{short}: {attr.removeprefix('bench_').replace('_', ' ')}", fn))
    return out
