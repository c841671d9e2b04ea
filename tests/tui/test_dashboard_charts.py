"""The reports screen's charts: the forecast by month, the funnel and the win rate over time,
read as a seller sees them, on the hand-counted dataset of tests/test_reports.py (now
2026-11-23) and on the demo.

The dataset's figures: the only open deal with a close date in the coming months is Ben audit
($2,000 at 80 %, 2026-12-10: $1,600 weighted; the EUR deal is overdue, Cat idea has no date);
the Sales funnel reached 6, 5, 3, 2 and 2 won, one lost in Qualifying; in October 2026 two
deals were won and one lost, and nothing closed in any other month.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.cells import cell_len

from tests.test_reports import (
    NOW,
    data,  # noqa: F401  (the dataset fixture)
)
from tests.tui.test_board_workflows import drive, press, shown
from tinycrm.tui.widgets.charts import short_amount


def chart(app: Any, name: str) -> list[str]:
    """The lines of a chart of the reports screen, as shown (trailing spaces dropped)."""
    content = app.screen.query_one(f"#chart-{name}").content
    return [line.rstrip() for line in content.plain.splitlines()]


def words(lines: list[str]) -> list[list[str]]:
    return [line.split() for line in lines]


def charts_of(db: Any, size: tuple[int, int] = (120, 40), watch: bool = False) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        for name in ("forecast", "funnel", "win-rate"):
            seen[name] = chart(app, name)
        seen["width"] = app.screen.query_one("#chart-forecast").content_size.width

    drive(db, steps, size=size, watch=watch)
    return seen


def test_the_forecast_chart_has_money_on_its_axis_and_a_column_per_month(data: Any) -> None:  # noqa: F811
    forecast = charts_of(data)["forecast"]
    assert forecast[0] == "USD, weighted"  # the EUR deal is overdue: no EUR month to draw
    assert forecast[1].split() == ["$1.6k", "┤", "██████"]
    assert forecast[4].split() == ["$800", "┤", "██████"]
    assert forecast[7].split() == ["$0", "└" + "─" * 48]
    months, years, amounts = words(forecast[8:11])
    assert months == ["Nov", "Dec", "Jan", "Feb", "Mar", "Apr"]
    assert years == ["2026", "2027"]
    assert amounts == ["·", "$1.6k", "·", "·", "·", "·"]
    december = forecast[8].index("Dec") - 2
    bars = [line[december : december + 8] for line in forecast[1:7]]
    assert bars == [" ██████"] * 6  # the biggest month: the whole height
    assert len(forecast) == 11


def test_the_funnel_shows_each_stage_with_its_figures(data: Any) -> None:  # noqa: F811
    funnel = charts_of(data)["funnel"]
    assert funnel[0].split() == ["Stage", "Reached", "Lost", "Conversion"]
    figures = [[w for w in line.split() if "█" not in w] for line in funnel[1:]]
    assert figures == [
        ["Prospecting", "6", "0", "83.3%", "to", "Qualifying"],
        ["Qualifying", "5", "1", "60.0%", "to", "Presenting"],
        ["Presenting", "3", "0", "66.7%", "to", "Closing"],
        ["Closing", "2", "0", "100.0%", "to", "won"],
        ["Won", "2", "33.3%", "overall"],
    ]
    bars = [line.count("█") for line in funnel[1:]]
    assert bars == sorted(bars, reverse=True) and bars[0] > bars[-1] > 0


def test_the_funnel_is_the_pipeline_the_board_shows(data: Any) -> None:  # noqa: F811
    from tinycrm.core import deals, pipelines

    with data.transaction(now=NOW) as s:
        pipelines.create_pipeline(s, "採用", NOW, ["面接", "Offer"])
        deals.add_deal(s, "Hire", now=NOW, currency="USD", pipeline="採用", stage="Offer")
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "p", "r")
        seen.append([shown(app, "#dash-funnel-title"), *chart(app, "funnel")])

    drive(data, steps)
    title, head, interview, offer, won = seen[0]
    assert title == "Funnel of the 採用 pipeline (deals that reached each stage)"
    assert interview.split() == ["面接", "█" * 48, "1", "0", "100.0%", "to", "Offer"]
    assert offer.split() == ["Offer", "█" * 48, "1", "0", "0.0%", "to", "won"]
    assert won.split() == ["Won", "0", "0.0%", "overall"]
    # Wide characters count as two cells: the bars start in the same column.
    assert cell_len(interview[: interview.index("█")]) == offer.index("█") == head.index("  ") + 2


def test_the_win_rate_chart_has_every_month_and_its_counts(data: Any) -> None:  # noqa: F811
    trend = charts_of(data)["win-rate"]
    assert trend[0].split() == ["100%", "┤"]
    assert trend[2].split() == ["50%", "┤", "███"]
    assert trend[4].split()[0] == "0%"
    months, years, won, lost, rate = words(trend[5:10])
    assert months == ["Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                      "Oct", "Nov"]  # fmt: skip
    assert years == ["2025", "2026"]
    assert won == ["won", *["·"] * 10, "2", "·"]
    assert lost == ["lost", *["·"] * 10, "1", "·"]
    assert rate == ["rate", *["·"] * 10, "67%", "·"]
    october = trend[5].index("Oct")
    assert [line[october : october + 3] for line in trend[0:4]] == ["", "▅▅▅", "███", "███"]


def test_an_empty_database_says_what_will_appear(db: Any) -> None:
    seen = charts_of(db)
    assert seen["forecast"] == [
        "No open deal is expected to close in the next 6 months — give a deal an expected "
        "close date to see it here"
    ]
    assert seen["funnel"] == [
        "No deals in the Sales pipeline yet — the funnel appears when you add one"
    ]
    assert seen["win-rate"] == [
        "No closed deals yet — the win rate appears after your first won or lost deal"
    ]


def test_several_currencies_sit_side_by_side_when_wide_and_one_above_the_other_when_not(
    board_db: Any,
) -> None:
    wide = charts_of(board_db, (120, 40))
    assert wide["forecast"][0].split() == ["EUR,", "weighted", "USD,", "weighted"]
    assert wide["forecast"][1].split() == ["€12.5k", "┤", "██████", "$62.6k", "┤", "██████"]
    small = charts_of(board_db, (80, 24))
    heads = [line for line in small["forecast"] if line.endswith(", weighted")]
    assert heads == ["EUR, weighted", "USD, weighted"]
    assert small["forecast"][1].split()[0] == "€12.5k"
    assert small["forecast"].index("USD, weighted") == 10  # 4 rows high on a small terminal
    for chart_lines in (small["forecast"], small["funnel"], small["win-rate"]):
        assert max(len(line) for line in chart_lines) <= small["width"]


def test_the_charts_are_drawn_again_when_the_terminal_is_resized(board_db: Any) -> None:
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        seen.append(chart(app, "forecast"))
        await pilot.resize_terminal(80, 24)
        await press(pilot)
        seen.append(chart(app, "forecast"))
        await pilot.resize_terminal(120, 40)
        await press(pilot)
        seen.append(chart(app, "forecast"))
        await pilot.resize_terminal(120, 24)  # as wide, lower: the same width, fewer rows
        await press(pilot)
        seen.append(chart(app, "forecast"))

    drive(board_db, steps)
    wide, small, wide_again, wide_low = seen
    assert wide[0].split() == ["EUR,", "weighted", "USD,", "weighted"]
    assert small[0] == "EUR, weighted" and small[10] == "USD, weighted"
    assert wide_again == wide
    assert len(wide) == 11 and len(wide_low) == 9
    assert wide_low[0] == wide[0]


def test_the_charts_follow_changes_made_elsewhere(data: Any, crm: Any) -> None:  # noqa: F811
    seen: list[list[str]] = []

    async def steps(pilot: Any, app: Any) -> None:
        await press(pilot, "r")
        result = crm("--db", str(data.path), "move", "11", "won")
        assert result.exit_code == 0
        await asyncio.sleep(1.5)
        await press(pilot)
        seen.append(chart(app, "win-rate"))
        seen.append(chart(app, "funnel"))

    drive(data, steps, watch=True)
    trend, funnel = seen
    assert trend[7].split()[-2:] == ["2", "1"]  # October's won, then November's
    assert trend[9].split()[-2:] == ["67%", "100%"]
    assert funnel[-1].split()[-3:] == ["3", "50.0%", "overall"]


def test_amounts_on_an_axis_are_short() -> None:
    assert [
        short_amount(minor, currency)
        for minor, currency in [
            (0, "USD"), (95_000, "USD"), (99_960, "USD"), (6_262_500, "USD"),
            (195_000, "EUR"), (3_050_000_000, "USD"), (5_000, "JPY"), (123_456_789, "CHF"),
            (-250_000, "EUR"),
        ]
    ] == ["$0", "$950", "$1k", "$62.6k", "€2k", "$30.5M", "¥5k", "1.2M", "-€2.5k"]  # fmt: skip
