"""The two probes that decided how `crm` starts fast (measurements, not features).

A cold `crm add contact` spent ~0.5 s importing the ORM and the core. Two designs got under
the budget, and these probes measured them on the benchmark databases:

- `raw`: the whole command as a process that imports only the Typer app and writes with plain
  sqlite3 (~80 ms), at the price of a second implementation of every hot service;
- `fork`: the command in a child forked from a process that had already imported everything
  and run the command once (~30 ms), the work of a preloaded command server.

tinycrm took the second: the command server (docs/performance.md, "Two designs that reach the
budget, measured", and docs/server.md). The probes are kept to check that decision again; the
benchmark runs no longer run them.

    python -m benchmarks.server_decision [SCALE] [RUNS]    # both probes, fastest run of each

prints the milliseconds of each on a copy of the generator's database at SCALE (default solo).
The probes themselves run as `python benchmarks/server_decision.py raw-once|fork DB RUNS`, so
that they import nothing but what they measure.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid


def raw_add_contact(db: str, n: str) -> None:
    """Insert a contact, its email and its history events with plain sqlite3, as one command."""
    from tinycrm.store.files import connect

    stamp = "2026-11-23 10:00:00.000000"
    conn = connect(db)
    try:
        conn.execute("BEGIN IMMEDIATE")
        email = f"raw.{n}@example.com"
        taken = conn.execute("SELECT 1 FROM contact_email WHERE email_key = ?", (email,))
        if taken.fetchone():
            raise SystemExit("taken")
        cur = conn.execute(
            "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
            " VALUES (?, ?, ?, 'lead', ?, ?)",
            (str(uuid.uuid4()), f"Raw Person {n}", f"raw person {n}", stamp, stamp),
        )
        conn.execute(
            "INSERT INTO contact_email (contact_id, email, email_key, is_primary)"
            " VALUES (?, ?, ?, 1)",
            (cur.lastrowid, email, email),
        )
        group = str(uuid.uuid4())
        for entity in ("contact", "contact_email"):
            conn.execute(
                "INSERT INTO event (group_id, origin, at, entity, entity_id, action, after)"
                " VALUES (?, 'cli', ?, ?, ?, 'create', '{}')",
                (group, stamp, entity, str(cur.lastrowid)),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _raw_main(db: str) -> None:
    # what the process imports: the Typer app (as `crm --help` does) and sqlite3
    import tinycrm.cli  # noqa: F401

    raw_add_contact(db, f"{os.getpid()}")


def fork_times(db: str, runs: int) -> list[float]:
    """Preload everything `crm add contact` imports, then time forked children running it."""
    import typer

    from tinycrm.cli import app
    from tinycrm.core import contacts, views  # noqa: F401

    command = typer.main.get_command(app)  # built once, as a server would

    os.environ["TINYCRM_DB"] = db
    _warm(db)
    times = []
    for i in range(runs + 1):
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:  # the child: one command, then exit without cleanup
            code = 0
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            try:
                n = f"{os.getpid()}-{i}"
                args = ["add", "contact", f"Forked {n}", "--email", f"forked.{n}@example.com"]
                command.main(args, standalone_mode=False)
            except BaseException:
                code = 1
            os._exit(code)
        _pid, status = os.waitpid(pid, 0)
        if status != 0:
            raise SystemExit("a forked command failed")
        if i:
            times.append(time.perf_counter() - began)
    return times


class _Rollback(Exception):
    """Raised to undo the warm-up command."""


def _warm(db: str) -> None:
    """Do once what a server would do before forking: run the command in a transaction that
    is rolled back, so mappers are configured and its SQL is compiled and cached."""
    from tinycrm import clock
    from tinycrm.core import contacts, open_db, views

    database = open_db(db)
    try:
        with database.transaction(summary="warm-up") as session:
            contact = contacts.add_contact(
                session, "Warm Up", now=clock.now(), emails=["warm.up@example.invalid"]
            )
            views.contact_dict(session, contact)
            raise _Rollback
    except _Rollback:
        pass
    database.dispose()


def measure(scale: str = "solo", runs: int = 5) -> dict[str, float | str]:
    """Time both probes on a scratch copy of the generator's database at `scale`; return the
    seconds of the fastest run of each (or why it failed)."""
    from pathlib import Path

    from benchmarks import generate
    from benchmarks.process import Context, run_process

    source, meta = generate.cached(scale)
    scratch = generate.results_dir() / "scratch" / "server-decision"
    ctx = Context(scale, meta, generate.working_copy(source, scratch / "work.db"), scratch, runs)
    script = str(Path(__file__))
    out: dict[str, float | str] = {}
    samples = []
    try:
        for i in range(runs + 1):
            began = time.perf_counter()
            run_process([sys.executable, script, "raw-once", str(ctx.work_db), "0"], ctx.env())
            if i:
                samples.append(time.perf_counter() - began)
        out["raw sqlite3 add contact (whole process)"] = min(samples)
    except Exception as exc:
        out["raw sqlite3 add contact (whole process)"] = f"failed: {exc}"
    try:
        done = run_process([sys.executable, script, "fork", str(ctx.work_db), str(runs)], ctx.env())
        forked = [float(t) for t in json.loads(done.stdout)]
        out["add contact in a child forked from a preloaded process"] = min(forked)
    except Exception as exc:
        out["add contact in a child forked from a preloaded process"] = f"failed: {exc}"
    return out


def main(argv: list[str]) -> None:
    """Run one probe (`raw-once|fork DB RUNS`), or both on a scale (`[SCALE] [RUNS]`)."""
    if argv[:1] in (["raw-once"], ["fork"]):
        kind, db, runs = argv[0], argv[1], int(argv[2])
        if kind == "fork":
            print(json.dumps(fork_times(db, runs)))
        else:
            _raw_main(db)
        return
    scale = argv[0] if argv else "solo"
    for name, value in measure(scale, int(argv[1]) if len(argv) > 1 else 5).items():
        shown = f"{value * 1000:.0f} ms" if isinstance(value, float) else value
        print(f"{name} ({scale}): {shown}")


if __name__ == "__main__":
    main(sys.argv[1:])
