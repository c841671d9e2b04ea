"""What each entry point loads, checked on real processes against one table.

import-linter (pyproject) checks the imports the code writes; this checks what a run really
loads, which also catches a third-party library that brings a face in. Each row of the table
is a snippet and what it must not load; each runs in a process of its own, forked from one
fresh interpreter (tests/importprobe.py), so the whole table costs one interpreter start.
Every module below the faces is imported alone rather than all in one process: that also
tells which module brought a face in, and that each one can be imported first (an import
cycle only shows when one of its modules is imported before the others).
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FACES = frozenset({"typer", "rich", "textual", "click"})
ORM_AND_TUI = frozenset({"sqlalchemy", "sqlmodel", "pydantic", "textual"})
# Imported once by the parent of the rows that may load it, instead of once by each of them.
PRELOAD = ("sqlmodel",)
PROBE = Path(__file__).with_name("importprobe.py")


@dataclass(frozen=True)
class Row:
    """`runs` (Python; `crm(...)` runs the command line) must load none of the top-level
    packages in `must_not_load`, or, with `only`, no module outside the standard library but
    those."""

    runs: str
    must_not_load: frozenset[str] = frozenset()
    only: frozenset[str] | None = None

    def broken_by(self, loaded: list[str]) -> list[str]:
        """The loaded modules this row does not allow."""
        if self.only is not None:
            return [name for name in loaded if name not in self.only]
        return sorted({name.split(".")[0] for name in loaded} & self.must_not_load)


def headless_modules() -> list[str]:
    """Every module below the faces (found on disk, so new ones are checked too)."""
    import tinycrm.core
    import tinycrm.domain
    import tinycrm.io
    import tinycrm.store
    import tinycrm.system

    found = []
    for package in (tinycrm.core, tinycrm.domain, tinycrm.store, tinycrm.system, tinycrm.io):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            found.append(info.name)
    return sorted(found)


# What every start reads (the settings, the mode) and the side effects on the machine: they
# load no ORM. (A command that reads the database loads it; the command server pays that once.)
LIGHT = frozenset({
    "tinycrm.config",
    "tinycrm.domain.dates",
    "tinycrm.system.channels",
    "tinycrm.system.crontabs",
})  # fmt: skip
TABLE = [
    *(
        Row(f"import {module}", FACES | ORM_AND_TUI if module in LIGHT else FACES)
        for module in sorted({*headless_modules(), *LIGHT})
    ),
    Row("crm('--help')", ORM_AND_TUI),
    Row("crm(complete='crm ')", ORM_AND_TUI),
    Row("crm(complete='crm pipeline ')", ORM_AND_TUI),
    Row("crm('remind', '--dry-run')", frozenset({"textual"})),
    Row("import tinycrm.cli.commands.browsing", frozenset({"textual"})),
    Row(
        "import tinycrm.server.client as c\nc.mode(); c.paths(); c.code_hash()",
        only=frozenset(
            {"tinycrm", "tinycrm.server", "tinycrm.server.client", "tinycrm.server.wire"}
        ),
    ),
]


def run_table(rows: list[Row], env: dict[str, str]) -> tuple[dict[Row, Any], list[str]]:
    """Run every row in the probe (the rows that may load what PRELOAD loads run warm);
    return each row's report and what the preload loaded."""
    heavy = ORM_AND_TUI - {"textual"}
    warm = [r for r in rows if r.only is None and not r.must_not_load & heavy]
    pristine = [r for r in rows if r not in warm]
    plan = {
        "pristine": [r.runs for r in pristine],
        "preload": PRELOAD,
        "warm": [r.runs for r in warm],
    }
    done = subprocess.run(
        [sys.executable, str(PROBE)],
        input=json.dumps(plan),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    reports = dict(zip([*pristine, *warm], [*result["pristine"], *result["warm"]], strict=True))
    return reports, result["preload"]


def test_each_entry_point_loads_only_what_it_may(db: Any, db_path: Path, tmp_path: Path) -> None:
    db.dispose()
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "TINYCRM_DB": str(db_path), "XDG_RUNTIME_DIR": str(runtime)}
    reports, preloaded = run_table(TABLE, env)
    assert not {name.split(".")[0] for name in preloaded} & FACES
    failed = {row.runs: reports[row]["failure"] for row in TABLE if reports[row]["failure"]}
    assert failed == {}
    broken = {row.runs: row.broken_by(reports[row]["loaded"]) for row in TABLE}
    assert {runs: names for runs, names in broken.items() if names} == {}
    # the command lines ran: a shell completing `crm pipeline ` is offered its commands
    completions = reports[Row("crm(complete='crm pipeline ')", ORM_AND_TUI)]["printed"]
    assert {"show", "add-stage", "remove-stage", "create"} <= set(completions.split())
