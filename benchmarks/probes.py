"""Probes for the start-up design (measurements, not features):

- `raw`: what `crm add contact` would cost if the hot path used plain sqlite3 behind the same
  command line: the crm app (Typer, no ORM) plus one raw transaction;
- `fork`: what a command costs in a process forked from one that already imported everything
  (the work of a preloaded command server, without its client or socket).

Run as `python -m benchmarks.probes raw|fork DB RUNS`; prints the seconds of each run as JSON.
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


def _raw_main() -> None:
    # what the process imports: the Typer app (as `crm --help` does) and sqlite3
    import tinycrm.cli  # noqa: F401

    raw_add_contact(sys.argv[2], f"{os.getpid()}")


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


def main() -> None:
    """Run one probe from the command line."""
    kind, db, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "fork":
        print(json.dumps(fork_times(db, runs)))
    elif kind == "raw-once":
        _raw_main()
    else:
        raise SystemExit(f"unknown probe {kind!r}")


if __name__ == "__main__":
    main()
