"""Time `crm search` and the list filters on a database made by the benchmark generator.

Usage: python -m benchmarks.bench_search [SCALE]
Times, on the generator's cached database at SCALE (default `large`), a search for common
words, a rare word, prefixes and no match, and the lists filtered by dates and by "no
interaction for 30 days".
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from benchmarks import generate


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
    """Make the scale's database if it is not cached yet, then time the queries."""
    from tinycrm.core import listing, open_db, search

    scale = sys.argv[1] if len(sys.argv) > 1 else "large"
    path, meta = generate.cached(scale)
    print(f"{scale}: {meta['counts']['interaction']} interactions, {path}")
    db = open_db(path)
    now = generate.NOW
    with db.snapshot() as s:
        timed("search common word 'budget'", lambda: search.search(s, "budget"))
        timed("search two common words 'budget price'", lambda: search.search(s, "budget price"))
        timed("search prefix of a common word 'budg'", lambda: search.search(s, "budg"))
        timed("search 'budget' --kind contact", lambda: search.search(s, "budget", kind="contact"))
        rare, prefix = generate.RARE_WORD, generate.RARE_WORD[:4]
        timed(f"search rare word '{rare}'", lambda: search.search(s, rare))
        timed(f"search prefix '{prefix}'", lambda: search.search(s, prefix))
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
