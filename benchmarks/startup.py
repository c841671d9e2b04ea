"""Where a short command's time goes: the interpreter, imports (by package), opening the
database, and the work itself."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from benchmarks.process import CliCase, Context, run_process

# What `crm add contact` and `crm move` import on their way to the database.
COMMAND_IMPORTS = (
    "import tinycrm.cli, tinycrm.core.db, tinycrm.core.contacts, tinycrm.core.deals, "
    "tinycrm.core.refs, tinycrm.core.views"
)
IMPORT_GROUPS: dict[str, str] = {
    "typer + the crm app (import tinycrm.cli)": "import tinycrm.cli",
    "sqlalchemy": "import sqlalchemy.orm",
    "sqlmodel (with sqlalchemy, pydantic)": "import sqlmodel",
    "everything the command imports": COMMAND_IMPORTS,
}
RUNNER = "import sys; sys.argv[0] = 'crm'; from tinycrm.cli import main; main()"


def import_times(runs: int) -> dict[str, float]:
    """Return the median whole-process time of `python -c "import X"` for each group, in s."""
    out: dict[str, float] = {}
    for name, code in {"python -c pass": "pass", **IMPORT_GROUPS}.items():
        samples = []
        for i in range(runs + 1):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            if i:
                samples.append(time.perf_counter() - began)
        out[name] = statistics.median(samples)
    return out


def by_package(stderr: str) -> dict[str, float]:
    """Sum `python -X importtime` self times by top-level package, in seconds."""
    sums: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        self_us, _cumulative, name = parts
        top = name.strip().split(".")[0]
        if top.startswith("_") and top not in ("_sqlite3",):
            top = "(stdlib internals)"
        sums[top] += int(self_us.strip()) / 1e6
    return dict(sums)


def importtime_of(ctx: Context, case: CliCase, runs: int) -> dict[str, float]:
    """Run a command under `-X importtime` and return its median import time per package."""
    samples: list[dict[str, float]] = []
    for i in range(runs):
        argv = [sys.executable, "-X", "importtime", "-c", RUNNER, *case.words(ctx, 100 + i)]
        done = run_process(argv, ctx.env())
        samples.append(by_package(done.stderr))
    names = {n for s in samples for n in s}
    return {n: statistics.median(s.get(n, 0.0) for s in samples) for n in names}


def _top(packages: dict[str, float], n: int = 8) -> list[tuple[str, float]]:
    ranked = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)
    head = ranked[:n]
    rest = sum(v for _k, v in ranked[n:])
    return [*head, ("(everything else)", rest)] if rest else head


def breakdown(
    ctx: Context,
    case: CliCase,
    total: float | None,
    open_db: float | None,
    imports: dict[str, float],
    runs: int,
) -> dict[str, Any]:
    """Split a command's median time into interpreter, imports, database open and work."""
    try:
        packages = importtime_of(ctx, case, runs)
    except Exception as exc:
        return {"command": case.name, "error": str(exc)[:160]}
    interpreter = imports["python -c pass"]
    imported = imports["everything the command imports"] - interpreter
    rows: dict[str, Any] = {
        "command": case.name,
        "total_s": total,
        "interpreter_s": interpreter,
        "imports_s": imported,
        "open_db_s": open_db,
        "work_s": (total - interpreter - imported - (open_db or 0.0)) if total else None,
        "importtime_by_package_s": dict(_top(packages)),
        "importtime_total_s": sum(packages.values()),
    }
    return rows
