"""Where a short command's time goes: the interpreter, imports (by package), opening the
database, and the work itself."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections import defaultdict
from typing import Any

from benchmarks.process import CliCase, Context, measured_env, run_process, timed

# What `crm add contact` and `crm move` import on their way to the database.
COMMAND_IMPORTS = (
    "import tinycrm.cli, tinycrm.store.db, tinycrm.core.contacts, tinycrm.core.deals, "
    "tinycrm.core.refs, tinycrm.core.views"
)
IMPORT_GROUPS: dict[str, str] = {
    "typer + the crm app (import tinycrm.cli)": "import tinycrm.cli",
    "sqlalchemy (import sqlalchemy.orm)": "import sqlalchemy.orm",
    "sqlmodel (with sqlalchemy, pydantic)": "import sqlmodel",
    "everything crm add contact / move import": COMMAND_IMPORTS,
}
RUNNER = "import sys; sys.argv[0] = 'crm'; from tinycrm.cli import main; main()"


def _python(code: str) -> None:
    subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, env=measured_env()
    )


def import_times(runs: int) -> dict[str, float]:
    """Return what importing each group adds to `python -c pass`, in s (median of the
    differences of runs made one right after the other)."""
    diffs: dict[str, list[float]] = {name: [] for name in IMPORT_GROUPS}
    bare: list[float] = []
    for i in range(runs + 1):
        base = timed(_python, "pass")
        if i:
            bare.append(base)
        for name, code in IMPORT_GROUPS.items():
            took = timed(_python, code)
            if i:
                diffs[name].append(took - base)
    out = {"python -c pass": statistics.median(bare)}
    out.update({name: statistics.median(d) for name, d in diffs.items()})
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


def breakdown(ctx: Context, case: CliCase, open_db: float | None, runs: int) -> dict[str, Any]:
    """Split a command's time into interpreter, imports (Typer app; ORM and core), database
    open and work: the fastest of several runs of each step (python -c pass, import the app,
    import everything the command needs, the command), made one right after the other."""
    parts: dict[str, list[float]] = {"total": [], "interpreter": [], "app": [], "everything": []}
    try:
        for i in range(runs + 1):
            base = timed(_python, "pass")
            app = timed(_python, "import tinycrm.cli")
            everything = timed(_python, COMMAND_IMPORTS)
            total = timed(run_process, case.argv(ctx, 200 + i), ctx.env())
            if i:
                parts["interpreter"].append(base)
                parts["app"].append(app)
                parts["everything"].append(everything)
                parts["total"].append(total)
        packages = importtime_of(ctx, case, min(runs, 3))
    except Exception as exc:
        return {"command": case.name, "error": str(exc)[:160]}
    # The fastest run of each part is the one least disturbed by the rest of the machine.
    low = {k: min(v) for k, v in parts.items()}
    return {
        "command": case.name,
        "total_s": low["total"],
        "interpreter_s": low["interpreter"],
        "app_imports_s": low["app"] - low["interpreter"],
        "orm_imports_s": low["everything"] - low["app"],
        "open_db_s": open_db,
        "work_s": low["total"] - low["everything"] - (open_db or 0.0),
        "importtime_by_package_s": dict(_top(packages)),
        "importtime_total_s": sum(packages.values()),
    }
