"""Time every report on a database made by the benchmark generator.

    python -m benchmarks.reports [PATH]        # times the reports (default: the cached `large`)

`time_reports(path)` returns {report: Measured(seconds, result)}: how long each report's core
function took, and what it returned (what `crm report … --json` prints for the same report).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks import generate

NOW = generate.NOW


class Measured(NamedTuple):
    """One report's run: the seconds it took and what it returned."""

    seconds: float
    result: Any


def time_reports(path: Path, now: datetime = NOW) -> dict[str, Measured]:
    """Run every report once on the database at `path`; return the time and result of each."""
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
    out: dict[str, Measured] = {}
    try:
        with db.snapshot() as reader:
            reports.pipeline_report(reader)  # warm the connection and the page cache
        for name, run in runs.items():
            with db.snapshot() as reader:  # as the commands read
                start = time.perf_counter()
                result = run(reader)
                out[name] = Measured(time.perf_counter() - start, result)
    finally:
        db.dispose()
    return out


def main(argv: list[str]) -> None:
    """Print the time of each report on PATH, or on the generator's cached `large` database."""
    if argv:
        path = Path(argv[0])
    else:
        start = time.perf_counter()
        path, _meta = generate.cached("large")
        print(f"using {path} ({time.perf_counter() - start:.1f} s)")
    for name, measured in time_reports(path).items():
        print(f"{name:28} {measured.seconds * 1000:8.1f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
