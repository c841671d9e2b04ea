"""Time every report on a database, and make a large one to time them on.

    python -m benchmarks.reports [PATH]        # times the reports (makes PATH first if new)

`time_reports(path)` returns {report: seconds}; `make_database(path)` fills a new file with
100,000 contacts, 10,000 deals and 1,000,000 interactions by plain executemany.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LIFECYCLES = ("lead", "lead", "lead", "prospect", "customer", "former customer")
SOURCES = ("referral", "inbound", "outbound", "event", None)
TAGS = ("vip", "hot", "newsletter", "partner", "cold")
KINDS = ("call", "email", "meeting", "message", "note")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def make_database(
    path: Path,
    contacts: int = 100_000,
    deals: int = 10_000,
    interactions: int = 1_000_000,
    seed: int = 7,
) -> None:
    """Create a database at `path` (which must not exist) full of made-up records."""
    from tinycrm.core import open_db

    if path.exists():
        raise FileExistsError(path)
    db = open_db(path)
    db.dispose()
    rnd = random.Random(seed)
    conn = db.raw()
    conn.execute("BEGIN")
    stages = conn.execute("SELECT id, position FROM stage ORDER BY position").fetchall()
    pipeline_id = conn.execute("SELECT id FROM pipeline").fetchone()[0]
    created: list[datetime] = []

    def contact_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(1, contacts + 1):
            at = NOW - timedelta(days=rnd.uniform(0, 730))
            created.append(at)
            name = f"Person {n}"
            yield (n, str(uuid.UUID(int=rnd.getrandbits(128))), name, name.lower(),
                   rnd.choice(LIFECYCLES), rnd.choice(SOURCES), _stamp(at), _stamp(at))  # fmt: skip

    for batch in _chunks(contact_rows()):
        conn.executemany(
            "INSERT INTO contact (id, uuid, name, name_key, lifecycle, source, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.executemany("INSERT INTO tag (name) VALUES (?)", [(t,) for t in TAGS])
    conn.executemany(
        "INSERT OR IGNORE INTO contact_tag (contact_id, tag_id) VALUES (?, ?)",
        [(rnd.randint(1, contacts), rnd.randint(1, len(TAGS))) for _ in range(contacts // 4)],
    )

    deal_rows = []
    change_rows = []
    for n in range(1, deals + 1):
        contact = rnd.randint(1, contacts)
        start = created[contact - 1] + timedelta(days=rnd.uniform(0, 30))
        start = min(start, NOW - timedelta(days=1))
        reach = rnd.randint(1, len(stages))
        status = rnd.choice(("open", "open", "won", "lost"))
        at = start
        for position in range(1, reach + 1):
            prev = stages[position - 2][0] if position > 1 else None
            change_rows.append((n, prev, stages[position - 1][0], _stamp(at)))
            at = min(at + timedelta(days=rnd.uniform(1, 20)), NOW)
        closed = _stamp(at) if status != "open" else None
        close_day = (NOW.date() + timedelta(days=rnd.randint(-60, 300))).isoformat()
        currency = "EUR" if n % 10 == 0 else "USD"
        deal_rows.append(
            (
                n,
                str(uuid.UUID(int=rnd.getrandbits(128))),
                f"Deal {n}",
                f"deal {n}",
                contact,
                pipeline_id,
                stages[reach - 1][0],
                rnd.randint(5, 500) * 10_000,
                currency,
                close_day if status == "open" and n % 7 else None,
                status,
                closed,
                change_rows[-1][3],
                _stamp(start),
                closed or change_rows[-1][3],
            )
        )
    conn.executemany(
        "INSERT INTO deal (id, uuid, title, title_key, contact_id, pipeline_id, stage_id, value,"
        " currency, expected_close, status, closed_at, stage_entered_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deal_rows,
    )
    conn.executemany(
        "INSERT INTO stage_change (deal_id, from_stage_id, to_stage_id, at) VALUES (?, ?, ?, ?)",
        change_rows,
    )

    def interaction_rows() -> Iterator[tuple[Any, ...]]:
        for _ in range(interactions):
            contact = rnd.randint(1, contacts)
            when = _stamp(NOW - timedelta(days=rnd.uniform(0, 730)))
            deal = rnd.randint(1, deals) if rnd.random() < 0.1 else None
            yield (str(uuid.UUID(int=rnd.getrandbits(128))), contact, deal, rnd.choice(KINDS),
                   when, "talked about the proposal", when, when)  # fmt: skip

    for batch in _chunks(interaction_rows()):
        conn.executemany(
            "INSERT INTO interaction (uuid, contact_id, deal_id, kind, occurred_at, summary,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    events = []
    for n in range(contacts // 20):
        when = _stamp(NOW - timedelta(days=rnd.uniform(0, 365)))
        events.append(
            (
                str(uuid.uuid4()),
                "cli",
                when,
                "contact",
                str(rnd.randint(1, contacts)),
                "update",
                '{"lifecycle": "customer"}',
                '{"lifecycle": "former customer"}' if n % 3 == 0 else '{"lifecycle": "customer"}',
                "edit",
            )
        )
    conn.executemany(
        "INSERT INTO event (group_id, origin, at, entity, entity_id, action, before, after,"
        " summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def time_reports(path: Path, now: datetime = NOW) -> dict[str, float]:
    """Run every report once on the database at `path`; return the seconds each took."""
    from tinycrm.config import Settings
    from tinycrm.core import listing, open_db, refs, reports, scoring

    db = open_db(path)
    rules = scoring.rules_from(Settings().scoring)
    since = date(now.year, 1, 1)
    runs: dict[str, Callable[[Any], Any]] = {
        "pipeline": lambda s: reports.pipeline_report(s),
        "forecast": lambda s: reports.forecast_report(s, now),
        "win-rate": lambda s: reports.win_rate_report(s, now),
        "win-rate by source": lambda s: reports.win_rate_report(s, now, by="source"),
        "win-rate by month": lambda s: reports.win_rate_report(s, now, by="month"),
        "funnel": lambda s: reports.funnel_report(s),
        "cycle": lambda s: reports.cycle_report(s),
        "velocity": lambda s: reports.velocity_report(s, now),
        "stale": lambda s: reports.stale_report(s, now),
        "sources": lambda s: reports.sources_report(s),
        "customers": lambda s: reports.customers_report(s, now, since),
        "score explain": lambda s: scoring.explain(
            s, refs.resolve(s, "#1", ("contact",)).id, rules, now
        ),
        "list contacts --sort score": lambda s: listing.list_contacts(
            s,
            listing.ListFilter(),
            listing.Page("score", True, 20),
            score=scoring.score_expression(s, rules, now),
        ),
    }
    out: dict[str, float] = {}
    try:
        with db.snapshot() as reader:
            reports.pipeline_report(reader)  # warm the connection and the page cache
        for name, run in runs.items():
            with db.snapshot() as reader:  # as the commands read
                start = time.perf_counter()
                run(reader)
                out[name] = time.perf_counter() - start
    finally:
        db.dispose()
    return out


def main(argv: list[str]) -> None:
    """Make the database if needed, then print the time of each report."""
    path = Path(argv[0] if argv else "/tmp/tinycrm-reports-bench.db")
    if not path.exists():
        start = time.perf_counter()
        make_database(path)
        print(f"made {path} in {time.perf_counter() - start:.1f} s")
    for name, seconds in time_reports(path).items():
        print(f"{name:28} {seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
