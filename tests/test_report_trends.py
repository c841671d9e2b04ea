"""The win rate over time, and the funnel's shape, on data whose figures are counted by hand.

The win rate over time uses the dataset of tests/test_reports.py (now 2026-11-23): two USD
deals won in October (Ann site on 10-01, Ann retainer on 10-15) and one lost (Ben app, 10-13),
nothing closed in any other month.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_reports import NOW, data  # noqa: F401  (the dataset fixture)
from tinycrm.core import deals, open_db, reports
from tinycrm.errors import ValidationError

STAGES = ["Prospecting", "Qualifying", "Presenting", "Closing"]


def test_the_win_rate_over_time_has_a_line_for_every_month(data: Any) -> None:  # noqa: F811
    with data.snapshot() as s:
        got = reports.win_trend_report(s, NOW, months=12, tz=UTC)
    assert got["since"] == "2025-12-01"
    assert [m["month"] for m in got["months"]] == [
        "2025-12",
        *(f"2026-{n:02}" for n in range(1, 12)),
    ]
    october = {"month": "2026-10", "won": 2, "lost": 1, "win_rate": 0.6667}
    assert got["months"][10] == october
    assert all(
        m == {"month": m["month"], "won": 0, "lost": 0, "win_rate": None}
        for m in got["months"]
        if m["month"] != "2026-10"
    )
    assert (got["won"], got["lost"], got["win_rate"]) == (2, 1, 0.6667)


def test_a_short_window_counts_only_its_own_months(data: Any) -> None:  # noqa: F811
    with data.snapshot() as s:
        three = reports.win_trend_report(s, NOW, months=3, tz=UTC)
        this_month = reports.win_trend_report(s, NOW, months=1, tz=UTC)
    assert [(m["month"], m["won"], m["lost"]) for m in three["months"]] == [
        ("2026-09", 0, 0),
        ("2026-10", 2, 1),
        ("2026-11", 0, 0),
    ]
    assert this_month["months"] == [{"month": "2026-11", "won": 0, "lost": 0, "win_rate": None}]
    assert (this_month["won"], this_month["lost"], this_month["win_rate"]) == (0, 0, None)


def test_a_win_rate_over_no_month_is_refused(data: Any) -> None:  # noqa: F811
    with data.snapshot() as s, pytest.raises(ValidationError):
        reports.win_trend_report(s, NOW, months=0, tz=UTC)


# A deal's path: the stage it was created in, the stages it moved forward to, and how it ended.
paths = st.lists(
    st.tuples(
        st.lists(st.integers(0, len(STAGES) - 1), min_size=1, max_size=4, unique=True).map(sorted),
        st.sampled_from(["open", "won", "lost"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(paths)
def test_a_funnel_of_deals_moving_forward_narrows_stage_by_stage(
    found: list[tuple[list[int], str]],
) -> None:
    """Reached counts are the deals whose furthest stage is that one or later (a won deal
    reached them all), so they never grow along the stages; a conversion is in [0, 1], or
    None for a stage no deal reached."""
    with tempfile.TemporaryDirectory() as folder:
        db = open_db(Path(folder) / "crm.db")
        when = datetime(2026, 1, 1, 10, tzinfo=UTC)
        try:
            for n, (stages, end) in enumerate(found):
                with db.transaction(now=when) as s:
                    deal = deals.add_deal(
                        s, f"deal {n}", now=when, stage=STAGES[stages[0]], currency="USD"
                    )
                    deal_id = deal.id
                assert deal_id is not None
                for step in [*(STAGES[i] for i in stages[1:]), *([end] if end != "open" else [])]:
                    when += timedelta(days=1)
                    with db.transaction(now=when) as s:
                        deals.move_to(s, deals.get_deal(s, deal_id), step, when)
            with db.snapshot() as s:
                funnel = reports.funnel_report(s)
        finally:
            db.dispose()
    reached = [stage["reached"] for stage in funnel["stages"]]
    expected = [
        sum(1 for stages, end in found if end == "won" or stages[-1] >= i)
        for i in range(len(STAGES))
    ]
    assert reached == expected
    assert reached == sorted(reached, reverse=True)
    assert funnel["won"] == sum(1 for _, end in found if end == "won") <= reached[-1]
    for stage in funnel["stages"]:
        conversion = stage["conversion"]
        assert (conversion is None) == (stage["reached"] == 0)
        assert conversion is None or 0 <= conversion <= 1
    assert funnel["overall"] is not None and 0 <= funnel["overall"] <= 1
