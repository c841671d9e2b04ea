"""Time `crm search` and the list filters on a large database.

Usage: python -m benchmarks.bench_search [ROWS] [PATH]
Builds (once) a database with ROWS interactions over ROWS/20 contacts, then times a search
for a common word, a rare word, a prefix, and the "no interaction for 30 days" lists.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = [
    "call",
    "budget",
    "proposal",
    "meeting",
    "follow",
    "demo",
    "price",
    "contract",
    "renewal",
    "quote",
    "team",
    "launch",
    "question",
    "invoice",
    "update",
    "review",
    "schedule",
    "lunch",
    "intro",
    "partner",
]


def build(path: Path, rows: int) -> None:
    """Fill a new database with contacts and interactions through raw executemany."""
    from tinycrm.core import open_db

    db = open_db(path)
    conn = db.raw()
    rng = random.Random(7)
    start = datetime(2024, 1, 1)
    contacts = max(rows // 20, 1)
    stamp = start.strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO contact (uuid, name, name_key, lifecycle, created_at, updated_at)"
        " VALUES (?, ?, ?, 'lead', ?, ?)",
        ((str(uuid.uuid4()), f"Person {i}", f"person {i}", stamp, stamp) for i in range(contacts)),
    )

    def interaction(i: int) -> tuple[object, ...]:
        at = (start + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
        text = " ".join(rng.choice(WORDS) for _ in range(8))
        if i % 100_000 == 0:
            text += " zanzibar"
        return (str(uuid.uuid4()), rng.randrange(1, contacts + 1), at, text, at, at)

    conn.executemany(
        "INSERT INTO interaction (uuid, contact_id, kind, occurred_at, summary, created_at,"
        " updated_at) VALUES (?, ?, 'call', ?, ?, ?, ?)",
        (interaction(i) for i in range(rows)),
    )
    conn.execute("COMMIT")
    conn.close()
    db.dispose()


def build_deals(path: Path, count: int) -> None:
    """Add `count` deals (spread over two years, on random contacts) if there are none."""
    import sqlite3

    conn = sqlite3.connect(path)
    if conn.execute("SELECT count(*) FROM deal").fetchone()[0]:
        conn.close()
        return
    contacts = conn.execute("SELECT max(id) FROM contact").fetchone()[0]
    rng = random.Random(8)
    start = datetime(2024, 11, 23)

    def deal(i: int) -> tuple[object, ...]:
        at = (start + timedelta(minutes=i * 10)).strftime("%Y-%m-%d %H:%M:%S.%f")
        title = f"Deal {i} {rng.choice(WORDS)}"
        return (str(uuid.uuid4()), title, title.lower(), rng.randrange(1, contacts + 1),
                rng.randrange(1, 5), rng.randrange(100, 10**7), at, at, at)  # fmt: skip

    with conn:
        conn.executemany(
            "INSERT INTO deal (uuid, title, title_key, contact_id, pipeline_id, stage_id, value,"
            " currency, status, stage_entered_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, 'USD', 'open', ?, ?, ?)",
            (deal(i) for i in range(count)),
        )
    conn.close()


def timed(label: str, fn: object) -> None:
    """Run fn three times and print the best time."""
    assert callable(fn)
    best = float("inf")
    result = None
    for _ in range(3):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    size = len(result) if isinstance(result, list) else result
    print(f"{label:45s} {best * 1000:9.1f} ms  ({size} results)")


def main() -> None:
    """Build if needed, then time the queries."""
    from tinycrm.core import listing, open_db, search

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"/tmp/tinycrm-bench-{rows}.db")
    if not path.exists():
        t0 = time.perf_counter()
        build(path, rows)
        print(f"built {rows} interactions in {time.perf_counter() - t0:.1f} s")
    build_deals(path, max(rows // 10, 1))
    db = open_db(path)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with db.snapshot() as s:
        timed("search common word 'budget'", lambda: search.search(s, "budget"))
        timed("search two common words 'budget price'", lambda: search.search(s, "budget price"))
        timed("search prefix of a common word 'budg'", lambda: search.search(s, "budg"))
        timed(
            "search 'budget' --kind contact (none match)",
            lambda: search.search(s, "budget", kind="contact"),
        )
        timed("search rare word 'zanzibar'", lambda: search.search(s, "zanzibar"))
        timed("search prefix 'zanz'", lambda: search.search(s, "zanz"))
        timed("search no match 'qwertyuiop'", lambda: search.search(s, "qwertyuiop"))
        naive = (
            "SELECT rowid FROM search_index WHERE search_index MATCH 'budget'"
            " ORDER BY rank LIMIT 20"
        )
        timed(
            "(naive: rank every match of 'budget')",
            lambda: s.connection().exec_driver_sql(naive).all(),
        )
        flt = listing.ListFilter(no_interaction_days=30, now=now)
        page = listing.Page(limit=50)
        timed("list contacts --no-interaction-days 30", lambda: listing.list_contacts(s, flt, page))
        recent = listing.ListFilter(created_after=now - timedelta(days=1))
        timed(
            "list contacts --created-after yesterday",
            lambda: listing.list_contacts(s, recent, page),
        )
        timed("list deals --no-interaction-days 30", lambda: listing.list_deals(s, flt, page))
        week = listing.ListFilter(created_after=now - timedelta(days=7))
        timed("list deals --created-after (a week ago)", lambda: listing.list_deals(s, week, page))
        old = listing.ListFilter(updated_before=datetime(2024, 12, 1, tzinfo=UTC))
        timed("list deals --updated-before 2024-12-01", lambda: listing.list_deals(s, old, page))
    db.dispose()


if __name__ == "__main__":
    main()
