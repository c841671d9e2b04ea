"""The board's queries without the TUI: columns, totals per currency, follow-up states,
stale deals, timelines, the demo data, and `crm demo`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import table_rows
from tinycrm.core import (
    agenda,
    board,
    cardmoves,
    contacts,
    deals,
    followups,
    interactions,
    timeline,
)
from tinycrm.domain.dates import When
from tinycrm.errors import ValidationError

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def add_deal(db: Any, title: str, value: str, currency: str = "USD", days_ago: int = 0) -> int:
    with db.transaction() as s:
        deal = deals.add_deal(
            s, title, now=NOW - timedelta(days=days_ago), currency=currency, value=value
        )
        assert deal.id is not None
        return deal.id


def test_columns_total_each_currency_apart_with_weighted_value(db: Any) -> None:
    add_deal(db, "A", "1000")
    add_deal(db, "B", "3000")
    add_deal(db, "C", "500", "EUR")
    with db.snapshot() as s:
        data = board.load_board(s, NOW)
    first = data.columns[0]
    assert [c.name for c in data.columns] == ["Prospecting", "Qualifying", "Presenting", "Closing"]
    assert first.totals == [
        board.Total("EUR", 1, 50000, 5000),
        board.Total("USD", 2, 400000, 40000),
    ]
    assert data.columns[1].totals == []


def test_a_deals_own_probability_weighs_its_value(db: Any) -> None:
    deal_id = add_deal(db, "A", "1000")
    with db.transaction() as s:
        deals.update_deal(s, deals.get_deal(s, deal_id), {"probability": 90}, NOW)
    with db.snapshot() as s:
        assert board.load_board(s, NOW).columns[0].totals[0].weighted == 90000


def test_days_in_stage_and_stale_follow_the_stage_threshold(db: Any) -> None:
    old = add_deal(db, "Old", "1", days_ago=20)
    fresh = add_deal(db, "Fresh", "1", days_ago=3)
    with db.snapshot() as s:
        data = board.load_board(s, NOW)
    cards = {c.id: c for c in data.columns[0].cards}
    assert (cards[old].days_in_stage, cards[old].stale) == (20, True)
    assert (cards[fresh].days_in_stage, cards[fresh].stale) == (3, False)
    with db.transaction() as s:
        interactions.log_interaction(s, "note", "called", now=NOW, deal=deals.get_deal(s, old))
    with db.snapshot() as s:
        assert not board.load_board(s, NOW).card(old).stale  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("due", "all_day", "state"),
    [
        (NOW - timedelta(hours=1), False, "overdue"),
        (NOW + timedelta(hours=2), False, "today"),
        (datetime(2026, 11, 23, tzinfo=UTC), True, "today"),
        (datetime(2026, 11, 22, tzinfo=UTC), True, "overdue"),
        (NOW + timedelta(days=3), False, "later"),
    ],
)
def test_follow_up_state_of_a_card(db: Any, due: datetime, all_day: bool, state: str) -> None:
    deal_id = add_deal(db, "A", "1")
    with db.transaction() as s:
        followups.add_follow_up(
            s, "call", When(due, all_day), now=NOW, deal=deals.get_deal(s, deal_id)
        )
    with db.snapshot() as s:
        card = board.load_board(s, NOW).card(deal_id)
    assert card is not None and card.follow_up == state


def test_a_snoozed_all_day_follow_up_is_late_on_a_card_as_on_the_agenda(db: Any) -> None:
    from tinycrm.core import agenda
    from tinycrm.domain.dates import local_tz

    deal_id = add_deal(db, "A", "1")
    with db.transaction() as s:
        fu = followups.add_follow_up(
            s, "call", When(datetime(2026, 11, 23, tzinfo=UTC), True), now=NOW,
            deal=deals.get_deal(s, deal_id),
        )  # fmt: skip
        followups.snooze(s, fu, NOW + timedelta(hours=1), NOW)  # to 11:00 today
    later = NOW + timedelta(hours=2)  # 12:00: the snooze has passed
    with db.snapshot() as s:
        card = board.load_board(s, later).card(deal_id)
        (item,) = agenda.agenda(s, later, tz=local_tz())
    assert card is not None and card.follow_up == "overdue" and not card.next_all_day
    assert (item.bucket, item.all_day) == ("overdue", False)


def test_sorting_by_follow_up_and_filtering(db: Any) -> None:
    a = add_deal(db, "Alpha", "1")
    b = add_deal(db, "Beta", "1")
    add_deal(db, "Gamma", "1")
    with db.transaction() as s:
        followups.add_follow_up(
            s, "x", When(NOW - timedelta(days=1), False), now=NOW, deal=deals.get_deal(s, b)
        )
        followups.add_follow_up(
            s, "y", When(NOW + timedelta(days=1), False), now=NOW, deal=deals.get_deal(s, a)
        )
    with db.snapshot() as s:
        ordered = board.load_board(s, NOW, sort="follow-up").columns[0].cards
        assert [c.title for c in ordered] == ["Beta", "Alpha", "Gamma"]
        assert [c.title for c in board.load_board(s, NOW, text="gam").columns[0].cards] == ["Gamma"]
        with pytest.raises(ValidationError):
            board.load_board(s, NOW, sort="colour")


def test_closed_deals_show_for_thirty_days(db: Any) -> None:
    recent = add_deal(db, "Recent", "1")
    old = add_deal(db, "Old", "1")
    with db.transaction() as s:
        deals.close_deal(s, deals.get_deal(s, recent), "won", NOW - timedelta(days=2))
        deals.close_deal(s, deals.get_deal(s, old), "lost", NOW - timedelta(days=40), "price")
    with db.snapshot() as s:
        data = board.load_board(s, NOW)
    assert [c.id for c in data.closed.cards] == [recent]
    assert all(not col.cards for col in data.columns)


def test_closed_deals_total_won_and_lost_apart_by_currency(db: Any) -> None:
    ids = [add_deal(db, "A", "1000"), add_deal(db, "B", "3000"), add_deal(db, "C", "500", "EUR")]
    with db.transaction() as s:
        for deal_id, status in zip(ids, ["won", "lost", "won"], strict=True):
            deals.close_deal(s, deals.get_deal(s, deal_id), status, NOW - timedelta(days=1))
    with db.snapshot() as s:
        closed = board.load_board(s, NOW).closed
    assert closed.outcomes == [
        board.Outcome("won", "EUR", 1, 50000),
        board.Outcome("won", "USD", 1, 100000),
        board.Outcome("lost", "USD", 1, 300000),
    ]


def test_days_in_stage_count_midnights(db: Any) -> None:
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert board.days_between(late, NOW, UTC) == 1  # yesterday evening: one day this morning
    assert board.days_between(NOW - timedelta(hours=9), NOW, UTC) == 0


def test_a_loaded_board_follows_the_clock_without_reading(db: Any) -> None:
    deal_id = add_deal(db, "A", "1")
    with db.transaction() as s:
        due = When(NOW + timedelta(hours=2), all_day=False)
        followups.add_follow_up(s, "call", due, now=NOW, deal=deals.get_deal(s, deal_id))
    with db.snapshot() as s:
        data = board.load_board(s, NOW)
    card = data.card(deal_id)
    assert card is not None and (card.follow_up, card.days_in_stage) == ("today", 0)
    assert board.next_change(data, NOW) == NOW + timedelta(hours=2)  # before midnight
    assert board.bring_up_to_date(data, NOW + timedelta(hours=1)) == set()
    later = NOW + timedelta(hours=2)
    # within a day, only the cards whose moment came since the last update are looked at
    assert board.bring_up_to_date(data, later, since=later) == set()
    assert board.bring_up_to_date(data, later, since=NOW) == {data.columns[0].key}
    card = data.card(deal_id)
    assert card is not None and card.follow_up == "overdue"
    midnight = datetime(2026, 11, 24, tzinfo=UTC)
    assert board.next_change(data, later) == midnight
    board.bring_up_to_date(data, midnight)
    card = data.card(deal_id)
    assert card is not None and card.days_in_stage == 1
    fourteen = NOW + timedelta(days=14)  # the first stage is stale after 14 days
    assert board.next_change(data, fourteen - timedelta(hours=1)) == fourteen
    board.bring_up_to_date(data, fourteen)
    card = data.card(deal_id)
    assert card is not None and card.stale


def test_neighbour_stage_stops_at_the_ends(db: Any) -> None:
    deal_id = add_deal(db, "A", "1")
    with db.snapshot() as s:
        deal = deals.get_deal(s, deal_id)
        assert board.neighbour_stage(s, deal, -1) is None
        right = board.neighbour_stage(s, deal, 1)
        assert right is not None and right.name == "Qualifying"


def test_the_due_check_honours_snoozes(db: Any) -> None:
    deal_id = add_deal(db, "A", "1")
    with db.transaction() as s:
        fu = followups.add_follow_up(
            s,
            "call",
            When(NOW - timedelta(hours=1), False),
            now=NOW,
            deal=deals.get_deal(s, deal_id),
        )
        fu_id = fu.id
    long_ago = NOW - timedelta(days=3650)
    with db.snapshot() as s:
        assert agenda.falling_due(s, long_ago, NOW) == [(fu_id, "call")]
        assert agenda.next_due(s, NOW) is None
    with db.transaction() as s:
        followups.snooze(s, followups.get_follow_up(s, fu_id), NOW + timedelta(hours=1), NOW)  # type: ignore[arg-type]
    with db.snapshot() as s:
        assert agenda.falling_due(s, long_ago, NOW) == []
        assert agenda.next_due(s, NOW) == NOW + timedelta(hours=1)


def test_the_due_check_reads_what_changes_made_due_and_nothing_else(db: Any) -> None:
    deal_id = add_deal(db, "A", "1")
    with db.snapshot() as s:
        start = agenda.last_change(s)
    with db.transaction() as s:
        fu = followups.add_follow_up(
            s,
            "call",
            When(NOW - timedelta(hours=1), False),
            now=NOW,
            deal=deals.get_deal(s, deal_id),
        )
        assert fu.id is not None
        fu_id = fu.id
    with db.snapshot() as s:
        made_due, seen = agenda.changed_due(s, start, NOW)
        assert made_due == [(fu_id, "call")]
        assert agenda.changed_due(s, seen, NOW) == ([], seen)
    with db.transaction() as s:
        followups.get_follow_up(s, fu_id).title = "call back"
    with db.snapshot() as s:
        made_due, seen = agenda.changed_due(s, seen, NOW)
        assert made_due == []  # a new title is no news
    with db.transaction() as s:
        fu = followups.get_follow_up(s, fu_id)
        followups.snooze(s, fu, NOW + timedelta(hours=1), NOW)
    with db.snapshot() as s:
        assert agenda.changed_due(s, seen, NOW)[0] == []  # snoozed past now


def test_timeline_lists_interactions_moves_follow_ups_and_edits(db: Any) -> None:
    deal_id = add_deal(db, "A", "1")
    later = NOW + timedelta(hours=1)
    with db.transaction(now=later) as s:
        deal = deals.get_deal(s, deal_id)
        deals.move_to(s, deal, "qualifying", later)
        interactions.log_interaction(s, "call", "called", now=later, deal=deal)
    with db.transaction(now=later) as s:  # an edit of its own, named as `crm edit` names it
        deals.update_deal(s, deals.get_deal(s, deal_id), {"title": "A2"}, later)
    with db.snapshot() as s:
        entries = timeline.timeline(s, "deal", deal_id)
    texts = [(timeline.label(e), e["summary"]) for e in entries]
    assert ("stage", "Prospecting -> Qualifying") in texts
    assert ("call", "called") in texts
    assert ("edit", "edit deal #1 A") in texts
    edit = next(e for e in entries if e["type"] == "edit")
    assert edit["changes"] == ["title: A -> A2"]
    assert texts[-1] == ("stage", "created in Prospecting")


def test_log_interaction_refuses_an_unknown_kind_and_an_empty_summary(db: Any) -> None:
    with db.transaction() as s:
        jane = contacts.add_contact(s, "Jane", now=NOW)
    with pytest.raises(ValidationError), db.transaction() as s:
        interactions.log_interaction(s, "fax", "hi", now=NOW, contact=jane)
    with pytest.raises(ValidationError), db.transaction() as s:
        interactions.log_interaction(s, "note", "  ", now=NOW, contact=jane)


def test_count_contacts_matches_the_filter(db: Any) -> None:
    from tinycrm.core import listing
    from tinycrm.core.listing import ListFilter

    with db.transaction() as s:
        contacts.add_contact(s, "Jane Doe", now=NOW)
        contacts.add_contact(s, "John Roe", now=NOW)
    with db.snapshot() as s:
        assert listing.count_contacts(s, ListFilter()) == 2
        assert listing.count_contacts(s, ListFilter(text="jane")) == 1


def test_crm_demo_loads_a_seeded_pipeline_apart_from_the_users_database(
    crm: Any, hermetic: Path
) -> None:
    result = crm("demo", "--no-board")
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == hermetic / "demo.db"
    assert not (hermetic / "tinycrm.db").exists()
    counts = table_rows(
        path,
        "SELECT (SELECT count(*) FROM contact), (SELECT count(*) FROM deal WHERE status='open'),"
        " (SELECT count(*) FROM deal WHERE status!='open'),"
        " (SELECT count(DISTINCT stage_id) FROM deal WHERE status='open'),"
        " (SELECT count(*) FROM interaction)",
    )
    assert counts == [(32, 24, 4, 4, 32)]
    titles = table_rows(path, "SELECT title FROM deal ORDER BY id")
    # run again: reused as is; with --reset: made anew, the same
    (first,) = table_rows(path, "SELECT min(id) FROM deal WHERE status = 'open'")[0]
    crm("--db", str(path), "move", str(first), "won")
    assert crm("demo", "--no-board").exit_code == 0
    assert table_rows(path, "SELECT status FROM deal WHERE id=?", first) == [("won",)]
    assert crm("demo", "--reset", "--no-board").exit_code == 0
    assert table_rows(path, "SELECT status FROM deal WHERE id=?", first) == [("open",)]
    assert table_rows(path, "SELECT title FROM deal ORDER BY id") == titles


def test_demo_agenda_has_overdue_today_and_upcoming(crm: Any) -> None:
    from tinycrm.core import open_db

    path = Path(crm("demo", "--no-board").stdout.strip())
    db = open_db(path)
    with db.snapshot() as reader:
        buckets = {i.bucket for i in agenda.agenda(reader, NOW)}
    db.dispose()
    assert buckets == {"overdue", "today", "upcoming"}


def test_board_with_an_unknown_pipeline_is_a_one_line_error(crm: Any) -> None:
    result = crm("board", "--pipeline", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no pipeline called 'nope'")


def test_board_filter_matches_percent_and_underscore_as_typed(db: Any) -> None:
    """The board's filter words are plain text: `_` and `%` are not wildcards, nor dropped."""
    for title in ("Deal 50% off", "Deal 500", "Web_site", "Website"):
        add_deal(db, title, "100")

    def titles(text: str) -> list[str]:
        with db.snapshot() as s:
            shown = board.load_board(s, NOW, text=text)
        return sorted(c.title for column in shown.columns for c in column.cards)

    assert titles("50%") == ["Deal 50% off"]
    assert titles("web_") == ["Web_site"]


@pytest.mark.parametrize("own", [None, 90])
def test_a_move_shown_before_it_is_saved_is_what_the_save_reads_back(
    db: Any, own: int | None
) -> None:
    """`moved_card` is the card as `deals.move_deal` leaves it (the stage's probability, or
    the deal's own); once saved, placing the deal again changes no column. A change that
    was not shown (the value) still does."""
    deal_id = add_deal(db, "A", "1000", days_ago=3)
    add_deal(db, "B", "2000", days_ago=5)
    if own is not None:
        with db.transaction() as s:
            deals.update_deal(s, deals.get_deal(s, deal_id), {"probability": own}, NOW)
    with db.snapshot() as s:
        data = board.load_board(s, NOW)
    card, target = data.card(deal_id), data.columns[1]
    assert card is not None and target.probability is not None
    moved = cardmoves.moved_card(card, target, NOW)
    assert cardmoves.put_card(data, moved) == {data.columns[0].key, target.key}
    shown_totals = target.totals
    with db.transaction(now=NOW) as s:
        deal = deals.get_deal(s, deal_id)
        stage = board.neighbour_stage(s, deal, 1)
        assert stage is not None and stage.id == target.stage_id
        deals.move_deal(s, deal, stage, NOW)
    with db.snapshot() as s:
        assert cardmoves.place_cards(s, data, [deal_id], NOW) == set()
        assert target.totals == shown_totals == board.load_board(s, NOW).columns[1].totals
    weighted = 1000_00 * (own if own is not None else target.probability) // 100
    assert shown_totals[0].weighted == weighted
    with db.transaction(now=NOW) as s:
        deals.update_deal(s, deals.get_deal(s, deal_id), {"value": 150000}, NOW)
    with db.snapshot() as s:
        assert cardmoves.place_cards(s, data, [deal_id], NOW) == {target.key}
    assert target.totals[0].value == 1500_00
