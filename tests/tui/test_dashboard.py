"""The reports dashboard on the board, on the small dataset of the report tests (figures by hand).

See tests/test_reports.py for the dataset: open USD deals Cat idea ($1,000, Prospecting) and
Ben audit ($2,000, Presenting, own 80 %), an open EUR deal (€3,000, Qualifying, overdue), two
USD deals won ($10,000 and $4,000) and one lost ($8,000).
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.test_reports import data  # noqa: F401  (the dataset fixture)
from tests.tui.test_board_workflows import drive, press, shown


def lines_of(text: str) -> list[list[str]]:
    """Split each line of a report into its words, to compare figures and not spacing."""
    return [line.split() for line in text.splitlines()]


def test_the_dashboard_shows_the_reports_figures(data: Any) -> None:  # noqa: F811
    seen: dict[str, str] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        for name in ("pipeline", "forecast", "win-rate", "velocity", "stale-title", "dark"):
            seen[name] = shown(app, f"#dash-{name}")
        table = app.screen.query_one("#dash-stale")
        seen["stale"] = "\n".join(
            " ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)
        )
        await press(pilot, "escape")
        seen["back"] = type(app.screen).__name__

    drive(data, steps)
    assert lines_of(seen["pipeline"]) == [
        ["Stage", "Prob.", "Deals", "Total", "Weighted"],
        ["Prospecting", "10%", "1", "$1,000.00", "$100.00"],
        ["Qualifying", "25%", "1", "€3,000.00", "€750.00"],
        ["Presenting", "50%", "1", "$2,000.00", "$1,600.00"],
        ["Closing", "75%", "0"],
        ["total", "EUR", "1", "€3,000.00", "€750.00"],
        ["total", "USD", "2", "$3,000.00", "$1,700.00"],
    ]
    forecast = lines_of(seen["forecast"])
    assert forecast[0] == ["Close", "Deals", "weighted", "EUR", "weighted", "USD"]
    assert forecast[1] == ["overdue", "1", "€750.00", "█" * 12]
    assert forecast[2] == ["2026-11", "0"]
    assert forecast[3] == ["2026-12", "1", "$1,600.00", "█" * 12]
    assert [row[0] for row in forecast[4:8]] == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert forecast[8] == ["no", "close", "date", "1", "$100.00", "▊"]
    assert len(forecast) == 9
    assert lines_of(seen["win-rate"]) == [
        ["by", "count", "66.7%", "2", "won,", "1", "lost"],
        ["by", "value", "63.6%", "$14,000.00", "won", "of", "$22,000.00", "(USD)"],
    ]
    assert lines_of(seen["velocity"]) == [
        ["Cur.", "Open", "Avg", "won", "value", "Win", "rate", "Cycle", "days", "Velocity"],
        ["EUR", "1"],
        ["USD", "2", "$7,000.00", "66.7%", "22.0", "$424.24", "/", "day"],
    ]
    assert seen["stale-title"] == "Stale deals (1; tab, enter opens one)"
    assert seen["stale"] == "11 Cat idea Prospecting Cat $1,000.00 34/14 d"
    assert lines_of(seen["dark"]) == [["#3", "Cat", "1", "open", "deal", "silent", "never"]]
    assert seen["back"] == "BoardScreen"


def test_enter_opens_the_stale_deal_and_the_palette_opens_the_dashboard(data: Any) -> None:  # noqa: F811
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "ctrl+p")
        await pilot.press(*"Reports")
        await asyncio.sleep(0.3)
        await press(pilot, "enter")
        seen.append(type(app.screen).__name__)
        await press(pilot, "enter")
        seen.append(shown(app, "#details-title"))

    drive(data, steps)
    assert seen == ["DashboardScreen", "deal #11 Cat idea"]


def test_the_dashboard_follows_changes_made_elsewhere(data: Any, crm: Any) -> None:  # noqa: F811
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        result = crm("--db", str(data.path), "move", "11", "won")
        assert result.exit_code == 0
        await asyncio.sleep(1.5)
        await press(pilot)
        seen.append(shown(app, "#dash-win-rate").splitlines()[0])
        seen.append(shown(app, "#dash-stale-title"))

    drive(data, steps, watch=True)
    assert seen[0].split() == ["by", "count", "75.0%", "3", "won,", "1", "lost"]
    assert seen[1] == "Stale deals (none)"


def test_an_empty_database_has_a_dashboard_too(db: Any) -> None:
    seen: dict[str, str] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        for name in ("pipeline", "forecast", "win-rate", "velocity", "stale-title", "dark",
                     "sources", "customers"):  # fmt: skip
            seen[name] = shown(app, f"#dash-{name}")

    drive(db, steps)
    assert seen["pipeline"].splitlines()[-1].strip() == "no open deals"
    assert seen["forecast"].splitlines()[-1].strip() == "no open deals"
    assert seen["win-rate"].split() == ["by", "count", "—", "0", "won,", "0", "lost"]
    assert seen["velocity"].splitlines()[-1].strip() == "no deals"
    assert seen["stale-title"] == "Stale deals (none)"
    assert seen["dark"] == "nobody"
    assert seen["sources"].splitlines()[-1].strip() == "no contacts"
    assert seen["customers"].split() == [
        "churn",
        "since",
        "2026-10-24:",
        "0",
        "of",
        "0",
        "customers",
    ]


def test_the_dashboard_shows_the_week_in_review_and_the_losses(data: Any) -> None:  # noqa: F811
    seen: dict[str, str] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        for name in ("activity-title", "activity", "lost-title", "lost"):
            seen[name] = shown(app, f"#dash-{name}")

    drive(data, steps)
    # now Monday 11-23: this week and the four before it, starting on Mondays
    assert seen["activity-title"] == (
        "The week in review: 2026-11-23 to 2026-11-29, against the 4 weeks before"
    )
    assert lines_of(seen["activity"]) == [
        ["week", "of", "Oct", "26", "Nov", "02", "Nov", "09", "Nov", "16", "this", "week",
         "avg", "vs", "avg"],
        ["calls", "0", "0", "0", "1", "0", "0.25", "-0.25"],  # Ben, 11-20
        *([kind, "0", "0", "0", "0", "0", "0", "0"]
          for kind in ("emails", "meetings", "messages", "notes")),  # Ann's note is of 08-01
        # Ben audit 11-01 (a Sunday: the week of 10-26), Euro deal 11-20
        ["deals", "created", "1", "0", "0", "1", "0", "0.5", "-0.5"],
        ["deals", "moved", "0", "0", "1", "0", "0", "0.25", "-0.25"],  # Ben audit to Presenting
        ["deals", "won", "0", "0", "0", "0", "0", "0", "0"],  # the wins are of October
        ["deals", "lost", "0", "0", "0", "0", "0", "0", "0"],  # and the loss too
        ["follow-ups", "done", "0", "0", "0", "0", "0", "0", "0"],
        ["follow-ups", "overdue", "0", "0", "0", "0", "0", "0", "0"],
    ]  # fmt: skip
    assert seen["lost-title"] == "Lost deals (1), by reason and by the stage they were lost in"
    # Ben app, $8,000, lost in Qualifying without a reason
    assert lines_of(seen["lost"]) == [
        ["Reason", "Deals", "Value"],
        ["(no", "reason)", "1", "$8,000.00"],
        [],
        ["Lost", "in", "stage", "Deals", "Value"],
        ["Prospecting", "0"],
        ["Qualifying", "1", "$8,000.00"],
        ["Presenting", "0"],
        ["Closing", "0"],
    ]


def test_the_dashboard_shows_acquisition_cost_and_recurring_revenue(data: Any, crm: Any) -> None:  # noqa: F811
    for args in (
        ("spend", "add", "referral", "2000", "--month", "2026-10"),
        ("spend", "add", "inbound", "500", "--currency", "EUR", "--month", "2026-11"),
        ("spend", "add", "referral", "300", "--currency", "EUR", "--month", "2026-11"),
        ("edit", "ann retainer", "--recurring", "monthly"),
    ):
        assert crm("--db", str(data.path), *args).exit_code == 0
    seen: dict[str, str] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        for name in ("sources", "customers-title", "customers"):
            seen[name] = shown(app, f"#dash-{name}")

    drive(data, steps)
    assert lines_of(seen["sources"]) == [
        ["Source", "New", "Spend", "CAC", "CLV", "CLV:CAC"],
        # Cat, Dan, Eve and Fay have no source; Eve and Fay are customers who won nothing
        ["(none)", "0", "—", "—", "—"],
        # Ben's spend buys no new customer: no CAC
        ["inbound", "0", "€500.00", "—", "—", "—"],
        # Ann, first won on 10-01, the source's one new customer: €300 and $2,000 for her, a
        # line per currency; her $10,000 + $4,000 (one month of the retainer) over the
        # source's one customer; 14,000 / 2,000
        ["referral", "1", "€300.00", "€300.00", "—", "—"],
        ["$2,000.00", "$2,000.00", "$14,000.00", "7.0"],
    ]
    assert seen["customers-title"] == "Customers (3): lifetime value and recurring revenue"
    assert lines_of(seen["customers"]) == [
        ["Cur.", "Lifetime", "value", "Average", "MRR", "ARR", "Recurring"],
        # Ann, Eve and Fay: $14,000 / 3; Ann's retainer: $4,000 a month, x 12 a year
        ["USD", "$14,000.00", "$4,666.67", "$4,000.00", "$48,000.00", "1"],
        # 30 days back: Ann, Dan and Fay were customers; Dan left on 11-10
        ["churn", "since", "2026-10-24:", "1", "of", "3", "customers", "(33.3%)"],
        [],
        ["#", "Top", "customers", "Won", "Lifetime", "value", "MRR"],
        ["#1", "Ann", "2", "$14,000.00", "$4,000.00"],
    ]
