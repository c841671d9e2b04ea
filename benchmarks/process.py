"""Whole-process cases: `crm …` as a shell runs it, and the floors under any Python program."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import generate
from benchmarks.timing import CommandFailed, Measure, measure

BARE_APP = Path(__file__).with_name("bare_app.py")
TIMEOUT = 600
REPORTS = (
    "pipeline", "forecast", "win-rate", "funnel", "cycle", "velocity", "stale", "sources",
    "customers",
)  # fmt: skip
PYTHON = "python -c pass"
TYPER = "bare Typer app --help"
FLOORS: dict[str, list[str]] = {
    PYTHON: ["-c", "pass"],
    "python -c 'import sqlite3'": ["-c", "import sqlite3"],
    TYPER: [str(BARE_APP), "--help"],
}


def crm_command() -> list[str]:
    """Return how to start the installed `crm` (its console script, else python -m tinycrm)."""
    found = shutil.which("crm", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "tinycrm"]


@dataclass
class Context:
    """What the cases of one scale run against."""

    scale: str
    meta: dict[str, Any]
    work_db: Path  # a scratch copy of the generated database that cases may write to
    scratch: Path  # a folder for config, CSV files and other copies
    runs: int
    crm: list[str] = field(default_factory=crm_command)

    def env(self, db: Path | None = None, **extra: str) -> dict[str, str]:
        """Return the environment of a timed command: this scale's database, a fixed clock,
        no command server (the server part of the benchmark turns it on)."""
        env = {
            k: v
            for k, v in measured_env().items()
            if not k.startswith(("_CRM_", "COMP_", "TINYCRM"))
        }
        env.update(
            TINYCRM_SERVER="off",
            TINYCRM_DB=str(db or self.work_db),
            TINYCRM_HOME=str(self.scratch / "home"),
            TINYCRM_NOW=generate.NOW.isoformat(),
            TZ="UTC",
            NO_COLOR="1",
            COLUMNS="120",
        )
        env.update(extra)
        return env


def measured_env() -> dict[str, str]:
    """Return this environment as a measured process gets it: Python writes bytecode, as it
    does for a user (an installed package has its .pyc files; a shell may have said not to)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_code() -> None:
    """Write the bytecode of tinycrm once, so no measured process compiles it from source."""
    import compileall

    import tinycrm

    for folder in tinycrm.__path__:
        compileall.compile_dir(folder, quiet=2)


def run_process(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run one process to its end; raise CommandFailed with its first error line on failure."""
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()]
        first = next((ln for ln in lines if ln.lstrip("│ ").startswith(("error:", "Error"))), None)
        shown = first or (lines[-1] if lines else f"exit code {done.returncode}")
        shown = shown.lstrip("│ ").removeprefix("Error: ").removeprefix("error: ")
        raise CommandFailed(f"command failed: {shown.split(' Did you mean')[0].strip()}")
    return done


@dataclass
class CliCase:
    """A `crm` command line: fixed words, or words that depend on the run number."""

    name: str
    args: list[str] | Callable[[Context, int], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    db: Callable[[Context], Path] | None = None  # prepare and return another database
    floor: str = PYTHON

    def words(self, ctx: Context, i: int) -> list[str]:
        """Return the arguments after `crm` of run `i` (0 is the warm-up)."""
        return self.args(ctx, i) if callable(self.args) else self.args

    def argv(self, ctx: Context, i: int) -> list[str]:
        """Return the full command line of run `i`."""
        return [*ctx.crm, *self.words(ctx, i)]


def _add_contact(ctx: Context, i: int) -> list[str]:
    n = f"{os.getpid()}-{i}"
    return ["add", "contact", f"Bench Person {n}", "--email", f"bench.{n}@example.com", "-q"]


def _move(ctx: Context, i: int) -> list[str]:
    # the planted deal starts in the first stage; alternate so every run really moves it
    return ["move", str(ctx.meta["planted"]["deal_id"]), "qualifying" if i % 2 == 0 else "prosp"]


def _import_csv(ctx: Context, i: int) -> list[str]:
    path = ctx.scratch / f"import-{os.getpid()}-{i}.csv"
    rows = ["name,email,phone,company,title"]
    for n in range(100):
        tag = f"{os.getpid()}.{i}.{n}"
        rows.append(f"Imported Person {tag},imported.{tag}@example.com,+1 555 {n:07d},Acme,CTO")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return ["import", "csv", str(path)]


def _reminded_db(ctx: Context) -> Path:
    """A copy of the database on which `crm remind` already ran: nothing is due any more."""
    target = ctx.scratch / "reminded.db"
    generate.working_copy(ctx.work_db, target)
    run_process([*ctx.crm, "remind"], ctx.env(target))
    return target


def cli_cases(ctx: Context) -> list[CliCase]:
    """Return the whole-process cases, in the order they are reported."""
    planted = ctx.meta["planted"]
    cases = [
        CliCase("crm --help", ["--help"], floor=TYPER),
        CliCase(
            "completion (crm li<TAB>)",
            [],
            env={"_CRM_COMPLETE": "complete_bash", "COMP_WORDS": "crm li", "COMP_CWORD": "1"},
            floor=TYPER,
        ),
        CliCase("crm add contact", _add_contact),
        CliCase("crm move", _move),
        CliCase("crm list deals -n 20", ["list", "deals", "-n", "20"]),
        CliCase("crm list deals (all)", ["list", "deals"]),
        CliCase("crm list contacts -n 20", ["list", "contacts", "-n", "20"]),
        CliCase("crm show CONTACT", ["show", planted["contact_ref"]]),
        CliCase("crm show DEAL", ["show", planted["deal"].lower()]),
        CliCase(f"crm search (rare: {planted['rare_word']})", ["search", planted["rare_word"]]),
        CliCase(
            f"crm search (common: {planted['common_word']})", ["search", planted["common_word"]]
        ),
        CliCase("crm agenda", ["agenda"]),
        CliCase("crm remind --dry-run (every due one)", ["remind", "--dry-run"]),
        CliCase("crm remind (nothing due)", ["remind"], db=_reminded_db),
        CliCase("crm import csv (100 rows)", _import_csv),
    ]
    cases += [CliCase(f"crm report {r}", ["report", r]) for r in REPORTS]
    return cases


def time_floors(runs: int) -> list[Measure]:
    """Time the floors: an empty interpreter, one with sqlite3, a bare Typer app's --help."""
    out = []
    for name, args in FLOORS.items():
        argv = [sys.executable, *args]

        def once(_i: int, argv: list[str] = argv) -> None:
            run_process(argv, measured_env())

        out.append(measure(name, "floor", runs, once))
    return out


def time_case(ctx: Context, case: CliCase) -> Measure:
    """Time one command: a warm-up run, then `ctx.runs` counted runs, each right after a run
    of every floor, so the ratios hold even when the machine's load drifts."""
    from benchmarks.timing import one_line

    result = Measure(case.name, "cli", floor=case.floor)
    try:
        db = case.db(ctx) if case.db else ctx.work_db
    except Exception as exc:
        result.error = one_line(exc)
        return result
    env = ctx.env(db, **case.env)
    paired = {n: [sys.executable, *a] for n, a in FLOORS.items() if n in (PYTHON, TYPER)}
    result.paired = {n: [] for n in paired}
    for i in range(ctx.runs + 1):
        try:
            took = timed(_run, case.argv(ctx, i), env)
        except Exception as exc:
            result.error = one_line(exc)
            result.times = []
            return result
        if i:
            result.times.append(took)
            for name, argv in paired.items():
                result.paired[name].append(timed(run_process, argv, measured_env()))
    return result


def timed(fn: Callable[..., object], *args: object) -> float:
    """Return the seconds one call of `fn(*args)` took."""
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = run_process(argv, env)
    if "_CRM_COMPLETE" in env and not done.stdout.strip():
        raise CommandFailed("command failed: completion printed nothing")
