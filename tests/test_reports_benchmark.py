"""The reports benchmark runs on a small generated database and times every report."""

from __future__ import annotations

from pathlib import Path

from benchmarks.reports import make_database, time_reports


def test_time_reports_on_a_small_generated_database(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    make_database(path, contacts=300, deals=60, interactions=2_000)
    timings = time_reports(path)
    assert {"pipeline", "forecast", "funnel", "customers", "list contacts --sort score"} <= set(
        timings
    )
    assert all(0 <= seconds < 5 for seconds in timings.values())
