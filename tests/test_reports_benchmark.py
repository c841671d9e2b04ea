"""The reports benchmark times what the commands show, on a database made by the generator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks import generate
from benchmarks.reports import time_reports


def test_the_benchmark_measures_what_the_report_commands_print(
    tmp_path: Path, crm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bench.db"
    meta = generate.generate("small", path)
    measured = time_reports(path)
    monkeypatch.setenv("TINYCRM_NOW", generate.NOW.isoformat())
    for report in ("pipeline", "forecast", "funnel", "win-rate", "stale"):
        shown = crm("--db", str(path), "report", report, "--json")
        assert shown.exit_code == 0, shown.stderr
        assert json.loads(json.dumps(measured[report].result, default=str)) == json.loads(
            shown.stdout
        ), report
    # every open deal is counted once, in its stage; the score list is one page of contacts
    open_deals = sum(row["deals"] for row in measured["pipeline"].result["rows"])
    assert open_deals == generate.SCALES["small"].open_deals
    page = measured["list contacts --sort score"].result
    assert len(page) == 20 < meta["counts"]["contact"]
