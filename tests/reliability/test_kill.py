"""kill -9 at random moments: during a large import, the undo of a large import, an upgrade
of an old database, a `crm forget` and a `crm remind`. After each kill the file opens, passes
`PRAGMA integrity_check`, and the operation is wholly there or wholly absent; a reminder
claimed by the killed run is delivered by the next one.

Each operation is run once to the end to time it, then killed TINYCRM_TORTURE_KILLS times
(default 5) after a random delay (seeded; the seed is printed, TINYCRM_TORTURE_SEED replays
it) drawn over the part of the run where it writes.
"""

from __future__ import annotations

import csv
import random
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.reliability.harness import (
    NOW,
    Crm,
    checkpoint,
    command_channel,
    copy_db,
    delivered,
    hermetic_env,
    integrity,
    kill_group,
    lines,
    report,
    rows,
    seed_text,
    spawn,
    torture_seed,
    uncommitted_frames,
)

pytestmark = [pytest.mark.torture, pytest.mark.slow]

PEOPLE = 3000  # rows of the large import
OLD_PEOPLE = 20000  # rows of the database upgraded


def kills() -> int:
    import os

    return int(os.environ.get("TINYCRM_TORTURE_KILLS", "5"))


@dataclass
class Outcome:
    """One kill: when, and what the file held afterwards."""

    delay: float
    finished: bool  # the process had already exited when the kill came
    state: str  # "absent", "present" (or for a migration "old", "partway", "new")
    how: str  # "timed" or "on the write"
    problem: str | None = None
    torn: int = 0  # pages of a half-written transaction the kill left in the log


@dataclass
class Torture:
    """Kill one operation again and again, each time on a fresh copy of a template file."""

    name: str
    folder: Path
    template: Path
    args: list[str]
    inspect: Callable[[Path], tuple[str, str | None]]  # state, problem (None when sound)
    recover: Callable[[Path, str], str | None] | None = None  # a problem, or None
    seed: int = field(default_factory=torture_seed)
    outcomes: list[Outcome] = field(default_factory=list)
    env_for: Callable[[Path], dict[str, str]] | None = None
    # when the operation's writing visibly begins (e.g. its backup appears): delays count
    # from then instead of from the start of the process
    begins: Callable[[Path], bool] | None = None
    ends: Callable[[Path], bool] | None = None  # and when it is done (the rest is reading)

    def env(self, db: Path) -> dict[str, str]:
        if self.env_for is not None:
            return self.env_for(db)
        return hermetic_env(self.folder / "home", db)

    def timed(self) -> float:
        """Run the operation to the end once; return how long it took."""
        db = self.folder / "baseline.db"
        copy_db(self.template, db)
        proc = spawn(self.args, self.env(db))
        started = self.wait_to_begin(proc, db)
        if self.ends is not None:
            while not self.ends(db) and proc.poll() is None:
                time.sleep(0.002)
            took = time.monotonic() - started
        _, err = proc.communicate(timeout=300)
        if self.ends is None:
            took = time.monotonic() - started
        assert proc.returncode == 0, err.decode()
        state, problem = self.inspect(db)
        assert problem is None, problem
        assert state in ("present", "new"), f"the uninterrupted run left {state}"
        return took

    def wait_to_begin(self, proc: subprocess.Popen[bytes], db: Path) -> float:
        """Return when the operation begins (at once without a `begins` check)."""
        deadline = time.monotonic() + 120
        while self.begins is not None and not self.begins(db) and proc.poll() is None:
            assert time.monotonic() < deadline, "the operation never began"
            time.sleep(0.002)
        return time.monotonic()

    def run(self, low: float = 0.35, high: float = 1.05) -> list[Outcome]:
        rng = random.Random(self.seed)
        took = self.timed()
        for i in range(kills()):
            db = self.folder / f"kill{i}.db"
            copy_db(self.template, db)
            proc = spawn(self.args, self.env(db))
            if i % 2:
                # timed: a random moment around the write
                delay = rng.uniform(low, high) * took
                self.wait_to_begin(proc, db)
            else:
                # on the write: within a few milliseconds of the first page reaching the log
                delay = rng.uniform(0, 0.03)
                while proc.poll() is None and not log_written(db):
                    time.sleep(0.0005)
            time.sleep(delay)
            finished = proc.poll() is not None
            kill_group(proc)
            outcome = Outcome(delay, finished, "unknown", "timed" if i % 2 else "on the write")
            outcome.torn = uncommitted_frames(db)
            check = integrity(db)
            if check != "ok":
                outcome.problem = f"integrity_check: {check}"
            else:
                outcome.state, outcome.problem = self.inspect(db)
                if outcome.problem is None and self.recover is not None:
                    outcome.problem = self.recover(db, outcome.state)
            self.outcomes.append(outcome)
        states = Counter(o.state for o in self.outcomes)
        report(
            f"kill.{self.name}",
            {
                "kills": len(self.outcomes),
                "seed": self.seed,
                "window_seconds": round(took, 2),
                "killed_after_exit": sum(o.finished for o in self.outcomes),
                "killed_on_the_write": sum(o.how == "on the write" for o in self.outcomes),
                "killed_mid_transaction": sum(o.torn > 0 for o in self.outcomes),
                "problems": sum(o.problem is not None for o in self.outcomes),
                **{f"state_{k}": v for k, v in sorted(states.items())},
            },
        )
        return self.outcomes

    def assert_sound(self) -> None:
        bad = [o for o in self.outcomes if o.problem is not None]
        assert not bad, (
            seed_text(self.seed)
            + "\n"
            + lines(f"killed {o.how}, {o.delay:.3f}s ({o.state}): {o.problem}" for o in bad)
        )


def log_written(db: Path) -> bool:
    """True once the write-ahead log holds a page (the process may delete it meanwhile)."""
    try:
        return Path(f"{db}-wal").stat().st_size > 0
    except FileNotFoundError:
        return False


def count(db: Path, sql: str, *params: object) -> int:
    return int(rows(db, sql, *params)[0][0])


def big_csv(path: Path) -> Path:
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Name", "Email", "Phone", "Company", "Title"])
        for i in range(PEOPLE):
            out.writerow([f"Bulk{i:05d} Person", f"bulk{i}@big.test", f"+1 555 {i:07d}", "", ""])
    return path


def bulk_count(db: Path) -> int:
    return count(db, "SELECT count(*) FROM contact_email WHERE email LIKE '%@big.test'")


def imported(n: int) -> Callable[[Path], bool]:
    return lambda db: bulk_count(db) == n


def all_or_nothing(db: Path) -> tuple[str, str | None]:
    found = bulk_count(db)
    people = count(db, "SELECT count(*) FROM contact WHERE name LIKE 'Bulk% Person'")
    if found == people == PEOPLE:
        return "present", None
    if found == people == 0:
        return "absent", None
    return "partial", f"{found} of {PEOPLE} imported emails and {people} people present"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


def empty_db(folder: Path) -> tuple[Crm, Path]:
    db = folder / "template.db"
    crm = Crm(hermetic_env(folder / "home", db))
    assert crm("add", "contact", "Someone Else", "--email", "else@keep.test").code == 0
    checkpoint(db)
    return crm, db


def test_kill_during_a_large_import_leaves_all_or_nothing(folder: Path) -> None:
    _, template = empty_db(folder)
    source = big_csv(folder / "big.csv")

    def recover(db: Path, state: str) -> str | None:
        again = Crm(hermetic_env(folder / "home", db))
        if state == "present":  # the import's history step came with its rows
            undone = again("undo")
            if undone.code != 0 or bulk_count(db) != 0:
                return f"undo after the kill: exit {undone.code}, {bulk_count(db)} left"
        else:
            redone = again("import", "csv", str(source))
            if redone.code != 0 or bulk_count(db) != PEOPLE:
                return f"import after the kill: exit {redone.code}, {bulk_count(db)} present"
        return None

    args = ["import", "csv", str(source)]
    torture = Torture(
        "import", folder, template, args, all_or_nothing, recover, ends=imported(PEOPLE)
    )
    torture.run(low=0.3, high=1.15)  # around the commit
    torture.assert_sound()


def test_kill_during_the_undo_of_a_large_import_leaves_all_or_nothing(folder: Path) -> None:
    crm, template = empty_db(folder)
    source = big_csv(folder / "big.csv")
    assert crm("import", "csv", str(source)).code == 0
    checkpoint(template)

    def inspect(db: Path) -> tuple[str, str | None]:
        state, problem = all_or_nothing(db)
        # undone: the import is absent; not undone: present
        return {"absent": "present", "present": "absent"}.get(state, state), problem

    def recover(db: Path, state: str) -> str | None:
        again = Crm(hermetic_env(folder / "home", db))
        if state == "present":  # the undo happened: redo brings every row back
            redone = again("redo")
            if redone.code != 0 or bulk_count(db) != PEOPLE:
                return f"redo after the kill: exit {redone.code}, {bulk_count(db)} present"
        else:  # it did not: undo still takes the whole import back
            undone = again("undo")
            if undone.code != 0 or bulk_count(db) != 0:
                return f"undo after the kill: exit {undone.code}, {bulk_count(db)} left"
        return None

    torture = Torture("undo", folder, template, ["undo"], inspect, recover, ends=imported(0))
    torture.run(low=0.3, high=1.15)
    torture.assert_sound()


def old_database(path: Path, version: int = 1) -> None:
    """A database of an old schema (`version`), filled as that release would have."""
    from tinycrm.store.migrate import prepare

    prepare(path, upto=version)
    conn = sqlite3.connect(path)
    stamp = "2026-01-05 10:00:00.000000"
    with conn:
        conn.executemany(
            "INSERT INTO contact (id, uuid, name, name_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i, str(uuid.uuid4()), f"Old{i} Person", f"old{i} person", stamp, stamp)
                for i in range(1, OLD_PEOPLE + 1)
            ],
        )
        conn.executemany(
            "INSERT INTO contact_email (contact_id, email, email_key, is_primary)"
            " VALUES (?, ?, ?, 1)",
            [(i, f"old{i}@old.test", f"old{i}@old.test") for i in range(1, OLD_PEOPLE + 1)],
        )
        conn.executemany(
            "INSERT INTO interaction (uuid, contact_id, kind, occurred_at, summary,"
            " created_at, updated_at) VALUES (?, ?, 'call', ?, ?, ?, ?)",
            [
                (str(uuid.uuid4()), i, stamp, f"old call {i}", stamp, stamp)
                for i in range(1, OLD_PEOPLE + 1)
            ],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def test_kill_during_an_upgrade_leaves_an_old_or_a_new_database_with_every_row(
    folder: Path,
) -> None:
    from tinycrm.store.migrate import schema_version

    template = folder / "old.db"
    old_database(template)
    newest = schema_version()

    def every_row(db: Path) -> str | None:
        counts = (
            count(db, "SELECT count(*) FROM contact WHERE name LIKE 'Old% Person'"),
            count(db, "SELECT count(*) FROM contact_email WHERE email LIKE '%@old.test'"),
            count(db, "SELECT count(*) FROM interaction WHERE summary LIKE 'old call %'"),
        )
        return None if counts == (OLD_PEOPLE,) * 3 else f"rows {counts} of {OLD_PEOPLE} each"

    def inspect(db: Path) -> tuple[str, str | None]:
        version = count(db, "PRAGMA user_version")
        state = "old" if version == 1 else "new" if version == newest else "partway"
        problem = every_row(db)
        for backup in db.parent.glob(f"{db.name}.v*.bak"):
            # a backup left beside the file must be a whole copy, never an empty or torn one
            try:
                check, people = integrity(backup), count(backup, "SELECT count(*) FROM contact")
            except sqlite3.DatabaseError as exc:
                check, people = str(exc), 0
            if check != "ok" or people != OLD_PEOPLE:
                problem = f"backup {backup.name}: integrity {check}, {people} contacts"
            backup.unlink()
        return state, problem

    def recover(db: Path, state: str) -> str | None:
        # the next crm finishes the upgrade and keeps every row
        opened = Crm(hermetic_env(folder / "home", db))("list", "contacts", "--limit", "1")
        if opened.code != 0 or count(db, "PRAGMA user_version") != newest:
            return f"the next crm could not finish the upgrade: {opened.err.strip()}"
        return every_row(db)

    args = ["list", "contacts", "--limit", "1"]

    def begins(db: Path) -> bool:  # the backup is made first, then the migrations run
        return any(db.parent.glob(f"{db.name}.v*.bak"))

    def ends(db: Path) -> bool:
        return count(db, "PRAGMA user_version") == newest

    torture = Torture("upgrade", folder, template, args, inspect, recover, begins=begins, ends=ends)
    torture.run(low=0.0, high=1.2)
    torture.assert_sound()


FORGOTTEN = ("Zed Forgettable", "zed@forget.test", "+1 555 0199")


def forget_world(db: Path) -> None:
    """Many people, and one with emails, a phone, interactions, follow-ups and a deal."""
    from tinycrm.core import contacts, deals, followups, interactions, open_db
    from tinycrm.domain import dates

    now = datetime.fromisoformat(NOW)
    database = open_db(db)
    try:
        with database.transaction(summary="seed", now=now) as session:
            for i in range(1500):
                contacts.add_contact(
                    session, f"Kept{i} Person", now=now, emails=[f"k{i}@keep.test"]
                )
            name, email, phone = FORGOTTEN
            zed = contacts.add_contact(session, name, now=now, emails=[email], phones=[phone])
            deal = deals.add_deal(
                session, "Deal kept after forget", now=now, currency="EUR", contact=zed
            )
            for i in range(40):
                interactions.log_interaction(session, "call", f"zed-call {i}", now=now, contact=zed)
            for i in range(5):
                when = dates.parse_when("2026-12-01 09:00", now, UTC)
                followups.add_follow_up(
                    session, f"zed-fu {i}", when, now=now, contact=zed, deal=deal
                )
        with database.transaction(summary="edit", now=now) as session:
            keeper = contacts.add_contact(session, "Keeper Notes", now=now)
            keeper.notes = "met Zed at the fair"
    finally:
        database.dispose()
    checkpoint(db)


def traces(db: Path) -> dict[str, int]:
    name, email, phone = FORGOTTEN
    return {
        "contact": count(db, "SELECT count(*) FROM contact WHERE name = ?", name),
        "email": count(db, "SELECT count(*) FROM contact_email WHERE email = ?", email),
        "phone": count(db, "SELECT count(*) FROM contact_phone WHERE phone = ?", phone),
        "interactions": count(
            db, "SELECT count(*) FROM interaction WHERE summary LIKE 'zed-call %'"
        ),
        "follow_ups": count(db, "SELECT count(*) FROM follow_up WHERE title LIKE 'zed-fu %'"),
        "history": count(
            db,
            "SELECT count(*) FROM event WHERE coalesce(before, '') || coalesce(after, '')"
            " LIKE '%Forgettable%' OR coalesce(before, '') || coalesce(after, '') LIKE ?",
            f"%{email}%",
        ),
        "search": count(db, "SELECT count(*) FROM search_index WHERE title LIKE '%Forgettable%'"),
    }


def others(db: Path) -> tuple[int, int, int]:
    return (
        count(db, "SELECT count(*) FROM contact WHERE name LIKE 'Kept% Person'"),
        count(db, "SELECT count(*) FROM contact_email WHERE email LIKE '%@keep.test'"),
        count(db, "SELECT count(*) FROM deal WHERE title = 'Deal kept after forget'"),
    )


def test_kill_during_a_forget_leaves_every_trace_or_none(folder: Path) -> None:
    template = folder / "people.db"
    forget_world(template)
    before, kept = traces(template), others(template)
    assert all(before.values()), before
    bytes_left = []

    def inspect(db: Path) -> tuple[str, str | None]:
        now = traces(db)
        if others(db) != kept:
            return "partial", f"other people's rows changed: {others(db)} != {kept}"
        if now == before:
            return "absent", None
        if not any(now.values()):
            if FORGOTTEN[0].encode() in db.read_bytes():
                bytes_left.append(db.name)
            return "present", None
        return "partial", f"traces left {now} (before {before})"

    def recover(db: Path, state: str) -> str | None:
        if state == "absent":  # forgetting again works, completely
            again = Crm(hermetic_env(folder / "home", db))("forget", FORGOTTEN[1], "--yes")
            if again.code != 0 or any(traces(db).values()):
                return f"forget after the kill: exit {again.code}, traces {traces(db)}"
        return None

    def erased(db: Path) -> bool:
        return count(db, "SELECT count(*) FROM contact WHERE name = ?", FORGOTTEN[0]) == 0

    args = ["forget", FORGOTTEN[1], "--yes"]
    torture = Torture("forget", folder, template, args, inspect, recover, ends=erased)
    torture.run(low=0.3, high=1.6)  # around the erase, and the rewrite of the file after it
    report("kill.forget.bytes", {"erased_but_bytes_still_in_the_file": len(bytes_left)})
    torture.assert_sound()


REMINDED = 300


def test_kill_during_a_remind_loses_no_reminder(folder: Path) -> None:
    """The command channel takes a moment (as a slow mail server would); the run is killed
    before, during or after it. A later run, with the clock past any claim's lease, delivers
    every reminder the killed run did not; none is lost."""
    from tinycrm.core import contacts, followups, open_db
    from tinycrm.domain import dates

    template = folder / "due.db"
    now = datetime.fromisoformat(NOW)
    database = open_db(template)
    ids: list[int] = []
    try:
        with database.transaction(summary="seed", now=now) as session:
            person = contacts.add_contact(session, "Due Person", now=now)
            for i in range(REMINDED):
                when = dates.parse_when("2026-11-23 09:00", now, UTC)
                fu = followups.add_follow_up(session, f"due {i}", when, now=now, contact=person)
                session.flush()
                assert fu.id is not None
                ids.append(fu.id)
    finally:
        database.dispose()
    checkpoint(template)
    logs: dict[Path, list[int]] = {}
    claimed_at_kill: list[int] = []

    def env_for(db: Path) -> dict[str, str]:
        home = folder / f"home-{db.stem}"
        log = folder / f"{db.stem}.log"
        command_channel(home, log, pause=1.5)
        return hermetic_env(home, db)

    def inspect(db: Path) -> tuple[str, str | None]:
        log = folder / f"{db.stem}.log"
        logs[db] = [rid for _, rid in delivered(log)]
        claimed_at_kill.append(  # a claim is a lease on the occurrence, or a finished one
            count(
                db,
                "SELECT count(*) FROM reminder_occurrence"
                " WHERE claimed_until IS NOT NULL OR reminded_at IS NOT NULL",
            )
        )
        return ("present" if logs[db] else "absent"), None

    def recover(db: Path, state: str) -> str | None:
        home, log = folder / f"home-{db.stem}", folder / f"{db.stem}.log"
        command_channel(home, log)
        later = (now + timedelta(days=1)).isoformat()
        again = Crm(hermetic_env(home, db, now=later))("remind")
        if again.code != 0:
            return f"the next remind failed: {again.err.strip()}"
        seen = Counter(rid for _, rid in delivered(log))
        lost = [i for i in ids if seen[i] == 0]
        twice = [i for i in ids if seen[i] > 1 and i not in logs[db]]
        if lost or twice:
            return (
                f"{len(lost)} of {REMINDED} reminders lost, {len(twice)} delivered twice"
                f" ({claimed_at_kill[-1]} were claimed when the run was killed)"
            )
        return None

    torture = Torture("remind", folder, template, ["remind"], inspect, recover, env_for=env_for)
    torture.run(low=0.2, high=1.0)
    report(
        "kill.remind.claims",
        {"kills_with_reminders_claimed": sum(1 for c in claimed_at_kill[1:] if c)},
    )
    torture.assert_sound()
