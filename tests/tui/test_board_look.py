"""What the board shows a seller at a glance: signs in colour on the selected card, signs and
days that follow the clock, won and lost totals, headers and cards that fit in terminal cells,
a footer that always shows the way elsewhere, columns that scroll, readable contrast, and
guidance when there is nothing to show."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from rich.cells import cell_len
from rich.color import Color

from tests.tui.conftest import NOW, settle

Steps = Callable[[Any, Any], Awaitable[None]]


def drive(db: Any, steps: Steps, size: tuple[int, int] = (120, 40)) -> None:
    """Run the board on `db` at `size` and let `steps(pilot, app)` look at it."""
    from tinycrm.tui.app import CrmApp

    app = CrmApp(db, watch=False)

    async def run() -> None:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await steps(pilot, app)

    asyncio.run(run())


def screen_text(app: Any) -> list[str]:
    """Return the lines of the terminal as a person sees them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def card_lines(app: Any, column: str, index: int) -> list[str]:
    """Return the three lines of text of card `index` in a column (its key, e.g. "closed")."""
    from tinycrm.tui.widgets.cards import CARD_HEIGHT

    cards = app.screen.query_one(f"#cards-{column}")
    top = index * CARD_HEIGHT - int(cards.scroll_y)
    return ["".join(s.text for s in cards.render_line(top + y)) for y in range(CARD_HEIGHT - 1)]


def header(app: Any, column: str) -> list[str]:
    """Return the lines of a column's header."""
    content = app.screen.query_one(f"#col-{column} .column-header").content
    return str(content).splitlines()


def key_of(app: Any, index: int) -> str:
    """Return the key of the board's column `index` (0: the first stage)."""
    data = app.screen.board
    keys: list[str] = [c.key for c in [*data.columns, data.closed]]
    return keys[index]


def add_deal(db: Any, title: str, value: str, **fields: Any) -> int:
    from tinycrm.core import deals

    with db.transaction() as s:
        deal = deals.add_deal(s, title, now=NOW, currency=fields.pop("currency", "USD"),
                              value=value, **fields)  # fmt: skip
        assert deal.id is not None
        return deal.id


# -- colour ----------------------------------------------------------------------------


def test_the_selected_card_keeps_the_colour_of_its_sign_and_stale_days(board_db: Any) -> None:
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        cards = app.screen.focused
        card = cards.selected  # the oldest deal in Prospecting: overdue and stale
        assert (card.follow_up, card.stale) == ("overdue", True)
        seen["cursor"] = cards.get_component_rich_style("cards--cursor").bgcolor
        seen["overdue"] = cards.get_component_rich_style("cards--overdue").color
        seen["stale"] = cards.get_component_rich_style("cards--stale").color
        seen["title"] = list(cards.render_line(0))
        seen["value"] = list(cards.render_line(2))

    drive(board_db, steps)
    sign = next(s for s in seen["title"] if "▲" in s.text)
    days = next(s for s in seen["value"] if "d!" in s.text)
    assert sign.style.color == seen["overdue"] and sign.style.bgcolor == seen["cursor"]
    assert days.style.color == seen["stale"] and days.style.bgcolor == seen["cursor"]


def _luminance(color: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color.get_truecolor()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: Color, two: Color) -> float:
    """Return the WCAG contrast ratio of two colours."""
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
def test_every_colour_that_means_something_reads_at_4_5_to_1(board_db: Any, theme: str) -> None:
    ratios: dict[str, float] = {}

    async def steps(pilot: Any, app: Any) -> None:
        app.theme = theme
        await settle(pilot)
        cards = app.screen.focused
        card = cards.rich_style.bgcolor
        cursor = cards.get_component_rich_style("cards--cursor").bgcolor
        for part in ("title", "meta", "overdue", "today", "later", "none", "stale", "won", "lost",
                     "yes", "no", "unknown"):  # fmt: skip
            color = cards.get_component_rich_style(f"cards--{part}").color
            ratios[part] = contrast(color, card)
            ratios[f"{part} on the selected card"] = contrast(color, cursor)
        head = app.screen.query_one(".column-header").rich_style
        ratios["column header"] = contrast(head.color, head.bgcolor)
        status = app.screen.query_one("#board-status").rich_style
        ratios["status line"] = contrast(status.color, status.bgcolor)

    drive(board_db, steps)
    assert {k: round(v, 2) for k, v in ratios.items() if v < 4.5} == {}


# -- the clock -------------------------------------------------------------------------


def test_a_sign_turns_overdue_and_days_roll_over_as_the_clock_moves(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinycrm.core import deals, followups
    from tinycrm.domain.dates import When
    from tinycrm.tui.screens.board import TICK_SECONDS

    deal_id = add_deal(db, "Soon", "100")
    with db.transaction() as s:
        due = When(NOW + timedelta(minutes=30), all_day=False)
        followups.add_follow_up(s, "call", due, now=NOW, deal=deals.get_deal(s, deal_id))
    seen: list[list[str]] = []

    def set_clock(moment: datetime) -> None:
        monkeypatch.setenv("TINYCRM_NOW", moment.isoformat())

    async def steps(pilot: Any, app: Any) -> None:
        key = key_of(app, 0)
        seen.append(card_lines(app, key, 0))
        set_clock(NOW + timedelta(minutes=31))
        await pilot.pause(TICK_SECONDS + 0.3)
        seen.append(card_lines(app, key, 0))
        set_clock(datetime(2026, 11, 24, 0, 1, tzinfo=NOW.tzinfo))  # just after midnight
        await pilot.pause(TICK_SECONDS + 0.3)
        seen.append(card_lines(app, key, 0))

    drive(db, steps)
    assert seen[0][0].rstrip().endswith("●") and seen[0][2].rstrip().endswith(" 0d")
    assert seen[1][0].rstrip().endswith("▲")  # the follow-up fell due
    assert seen[2][2].rstrip().endswith(" 1d")  # a new day in the stage


# -- figures ---------------------------------------------------------------------------


def test_the_won_lost_column_totals_won_and_lost_deals_not_a_weighted_value(
    board_db: Any,
) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.extend(header(app, "closed"))

    drive(board_db, steps)
    assert seen == ["Won / lost (30 d)", "4 deals", "2 won $21k", "2 lost $43k"]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_headers_abbreviate_totals_and_never_cut_them(db: Any, size: tuple[int, int]) -> None:
    add_deal(db, "Big", "5198564", currency="EUR")
    add_deal(db, "Mid", "68500")
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.extend(header(app, key_of(app, 0)))

    drive(db, steps, size)
    assert seen[1] in ("2 deals", "2 deals · 10%")  # the probability moves here when narrow
    assert seen[2] in ("€5.2M w €520k", "€5.2M")
    assert seen[3].startswith("$68.5k")
    assert not any("…" in line for line in seen[1:])
    if size[0] == 120:
        assert seen[2:] == ["€5.2M w €520k", "$68.5k w $6.9k"]


def test_a_lost_reason_too_long_for_the_card_ends_in_an_ellipsis(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        closed = app.screen.board.closed.cards
        index = next(
            i for i, c in enumerate(closed) if (c.lost_reason or "").startswith("no budget")
        )
        seen.extend(card_lines(app, "closed", index))

    drive(board_db, steps, (80, 24))
    assert "lost: n" in seen[2] and seen[2].rstrip().endswith("…")


# -- the footer ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_footer_always_shows_the_way_to_the_other_screens_help_and_quit(
    board_db: Any, size: tuple[int, int]
) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.extend(screen_text(app)[-2:])

    drive(board_db, steps, size)
    footer = "\n".join(seen)
    for key in ("c Contacts", "a Agenda", "r Reports", "? Keys", "q Quit"):
        assert key in footer
    assert "Stage on" in footer  # and the board's own keys below


# -- sizes -----------------------------------------------------------------------------


def ten_stages(db: Any) -> list[int]:
    """Make a ten-stage pipeline the default one, with a deal in each stage."""
    from tinycrm.core import pipelines

    names = [f"Stage {n}" for n in range(1, 11)]
    with db.transaction() as s:
        pipe = pipelines.create_pipeline(s, "Long", NOW, names)
        pipelines.set_default(s, pipe, NOW)
    return [add_deal(db, f"Deal in {name}", "1000", stage=name) for name in names]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_a_ten_stage_pipeline_scrolls_sideways_to_the_selected_column(
    db: Any, size: tuple[int, int]
) -> None:
    ids = ten_stages(db)
    seen: dict[str, Any] = {}

    async def steps(pilot: Any, app: Any) -> None:
        from tinycrm.tui.widgets.columns import StageColumn

        holder = app.screen.query_one("#columns")
        columns = list(app.screen.query(StageColumn))
        seen["widths"] = [c.outer_size.width for c in columns]
        seen["last shown at first"] = holder.region.contains_region(columns[-2].region)
        for _ in range(9):
            await pilot.press("right")
        await settle(pilot)
        seen["shown"] = holder.region.contains_region(app.screen.focused.parent.region)
        seen["selected"] = app.screen.selected_id
        seen["title"] = card_lines(app, key_of(app, 9), 0)[0]

    drive(db, steps, size)
    assert len(seen["widths"]) == 11 and min(seen["widths"]) >= 16
    assert not seen["last shown at first"]
    assert seen["shown"] and seen["selected"] == ids[-1]
    assert f"#{ids[-1]} Deal in" in seen["title"]


NAMES = ["山田太郎株式会社", "ＦＵＬＬＷＩＤＴＨ", "🚀 Rocket Co"]  # noqa: RUF001


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_wide_characters_keep_the_cards_aligned(db: Any, size: tuple[int, int]) -> None:
    from tinycrm.core import contacts

    for name in NAMES:
        with db.transaction() as s:
            person = contacts.add_contact(s, name, now=NOW, company=name)
        add_deal(db, f"{name} {name}", "1000", contact=person)
    seen: list[tuple[int, list[str]]] = []

    async def steps(pilot: Any, app: Any) -> None:
        cards = app.screen.query_one(f"#cards-{key_of(app, 0)}")
        for index in range(len(NAMES)):
            seen.append(
                (cards.scrollable_content_region.width, card_lines(app, key_of(app, 0), index))
            )

    drive(db, steps, size)
    for width, lines in seen:
        assert [cell_len(line) for line in lines] == [width] * 3
        assert "…" in lines[0] and lines[0].rstrip()[-1] in "▲●○·"


# -- nothing to show -------------------------------------------------------------------


def test_an_empty_board_says_how_to_add_a_deal(db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        seen.append("\n".join(screen_text(app)))

    drive(db, steps)
    assert "No deals yet — press n to add one" in seen[0]


def test_a_filter_that_matches_nothing_says_how_to_clear_it(board_db: Any) -> None:
    seen: list[str] = []

    async def steps(pilot: Any, app: Any) -> None:
        await pilot.press("slash", "x", "y", "z")
        await settle(pilot)
        seen.append("\n".join(screen_text(app)))
        await pilot.press("escape")
        await settle(pilot)
        seen.append("\n".join(screen_text(app)))

    drive(board_db, steps)
    assert "No deal matches 'xyz' — esc clears the filter" in seen[0]
    assert "No deal matches" not in seen[1]
