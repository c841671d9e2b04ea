"""Follow-ups from the command line: schedule, agenda, done (with recurrence), snooze, cancel,
keep in touch, and the check-in after a won deal."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import snapshot_of, table_rows


def _due(db_path: Path, fid: int) -> tuple[Any, ...]:
    return table_rows(
        db_path, "SELECT due_at, all_day, snoozed_until, status FROM follow_up WHERE id = ?", fid
    )[0]


def test_follow_up_echoes_the_date_it_understood(crm: Any, jane: Path, db_path: Path) -> None:
    r = crm("follow-up", "jane", "send proposal", "--due", "next tue 10am", "--deal", "acme")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Follow-up #3 send proposal (Jane Doe) due Tue 2026-12-01 10:00\n"
    assert table_rows(
        db_path, "SELECT contact_id, deal_id, title, due_at, all_day, status FROM follow_up"
    ) == [(1, 2, "send proposal", "2026-12-01 10:00:00.000000", 0, "open")]


def test_a_day_alone_is_all_day_and_a_deal_can_be_the_reference(
    crm: Any, jane: Path, db_path: Path
) -> None:
    r = crm("follow-up", "acme website", "check budget", "--due", "fri", "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["due"], data["all_day"]) == ("2026-11-27T00:00:00Z", True)
    assert data["deal"]["title"] == "Acme website"
    assert data["contact"]["name"] == "Jane Doe"


def test_an_unreadable_date_is_an_error_and_writes_nothing(
    crm: Any, jane: Path, db_path: Path
) -> None:
    before = snapshot_of(db_path)
    r = crm("follow-up", "jane", "call", "--due", "in 3 dayz")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: cannot read the date 'in 3 dayz'\nhint: write it like")
    assert "Traceback" not in r.stderr
    assert snapshot_of(db_path) == before


def test_an_id_means_the_contact_even_when_a_deal_has_it_too(
    crm: Any, jane: Path, db_path: Path
) -> None:
    assert crm("follow-up", "1", "call", "--due", "fri").exit_code == 0
    # contact #1, linked to her one open deal (#2)
    assert table_rows(db_path, "SELECT contact_id, deal_id FROM follow_up") == [(1, 2)]
    missing = crm("follow-up", "nobody", "call", "--due", "fri")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no contact or deal matches 'nobody'")


def test_every_and_rrule(crm: Any, jane: Path, db_path: Path) -> None:
    assert crm("follow-up", "jane", "a", "--due", "fri", "--every", "2 weeks").exit_code == 0
    r = crm("follow-up", "jane", "b", "--due", "dec 7", "--rrule", "FREQ=MONTHLY;BYDAY=1MO")
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT rrule FROM follow_up ORDER BY id") == [
        ("FREQ=WEEKLY;INTERVAL=2",),
        ("FREQ=MONTHLY;BYDAY=1MO",),
    ]
    both = crm("follow-up", "jane", "c", "--due", "fri", "--every", "week", "--rrule", "FREQ=DAILY")
    assert both.exit_code == 2
    bad = crm("follow-up", "jane", "d", "--due", "fri", "--rrule", "FREQ=SOMETIMES")
    assert bad.exit_code == 1 and "not a recurrence rule" in bad.stderr


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;UNTIL=20270301T000000Z",
        "FREQ=DAILY;UNTIL=20261130",
        "RRULE:FREQ=WEEKLY;COUNT=1",
    ],
)
def test_valid_rules_are_taken(crm: Any, jane: Path, db_path: Path, rule: str) -> None:
    r = crm("follow-up", "jane", "call", "--due", "fri 9am", "--rrule", rule)
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT rrule FROM follow_up") == [(rule.removeprefix("RRULE:"),)]


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be a whole number, 1 or more"),
        ("FREQ=WEEKLY;COUNT=-1", "COUNT must be a whole number, 1 or more"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number, 1 or more"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270301T000000Z", "COUNT and UNTIL cannot both be given"),
    ],
)
def test_rules_the_standard_refuses_are_refused(
    crm: Any, jane: Path, db_path: Path, rule: str, why: str
) -> None:
    r = crm("follow-up", "jane", "call", "--due", "fri", "--rrule", rule)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: not a recurrence rule: {rule!r} ({why})")
    assert table_rows(db_path, "SELECT count(*) FROM follow_up") == [(0,)]


def test_a_utc_until_ends_the_repeats_at_that_moment(crm: Any, jane: Path, db_path: Path) -> None:
    rule = "FREQ=WEEKLY;UNTIL=20261208T000000Z"
    crm("follow-up", "jane", "weekly call", "--due", "2026-11-24 09:00", "--rrule", rule)
    r = crm("done", "3")
    assert r.stdout == "Done: #3 weekly call; next occurrence Tue 2026-12-01 09:00\n"
    r = crm("done", "3")  # Tuesday 2026-12-08 09:00 is after UNTIL
    assert r.stdout == "Done: #3 weekly call\n"
    assert _due(db_path, 3)[3] == "done"


def test_done_on_a_recurring_follow_up_follows_the_rule_not_today(
    crm: Any, jane: Path, db_path: Path
) -> None:
    # weekly, three weeks overdue: the next occurrence is the week after the due one
    crm("follow-up", "jane", "weekly call", "--due", "2026-11-02 09:00", "--every", "week")
    r = crm("done", "3")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Done: #3 weekly call; next occurrence Mon 2026-11-09 09:00\n"
    assert _due(db_path, 3) == ("2026-11-09 09:00:00.000000", 0, None, "open")
    # first Monday of the month
    crm("follow-up", "jane", "report", "--due", "2026-12-07", "--rrule", "FREQ=MONTHLY;BYDAY=1MO")
    crm("done", "4")
    assert _due(db_path, 4)[0] == "2027-01-04 00:00:00.000000"


def test_a_rule_that_has_ended_closes_the_follow_up(crm: Any, jane: Path, db_path: Path) -> None:
    crm("follow-up", "jane", "twice", "--due", "fri", "--rrule", "FREQ=WEEKLY;COUNT=2")
    crm("done", "3")
    assert _due(db_path, 3)[3] == "open"
    crm("done", "3")
    assert _due(db_path, 3)[3] == "done"
    again = crm("done", "3")
    assert again.exit_code == 1 and "already done" in again.stderr


def test_done_next_closes_and_schedules_in_one_undo_step(
    crm: Any, jane: Path, db_path: Path
) -> None:
    crm("follow-up", "jane", "send proposal", "--due", "today", "--deal", "acme")
    r = crm("done", "3", "--next", "fri", "send contract")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Done: #3 send proposal",
        "Follow-up #4 send contract due Fri 2026-11-27",
    ]
    assert table_rows(db_path, "SELECT id, status, contact_id, deal_id FROM follow_up") == [
        (3, "done", 1, 2),
        (4, "open", 1, 2),
    ]
    assert crm("undo").exit_code == 0
    assert table_rows(db_path, "SELECT id, status FROM follow_up") == [(3, "open")]


def test_done_next_with_a_bad_date_changes_nothing(crm: Any, jane: Path, db_path: Path) -> None:
    crm("follow-up", "jane", "send proposal", "--due", "today")
    before = snapshot_of(db_path)
    r = crm("done", "3", "--next", "someday", "send contract")
    assert r.exit_code == 1
    assert snapshot_of(db_path) == before


def test_snooze(crm: Any, jane: Path, db_path: Path) -> None:
    crm("follow-up", "jane", "call", "--due", "today 11am")
    r = crm("snooze", "3", "2h")
    assert (r.exit_code, r.stdout) == (0, "Snoozed #3 call until Mon 2026-11-23 12:00\n")
    # a day alone keeps the follow-up's time of day
    r = crm("snooze", "3", "tomorrow")
    assert r.stdout == "Snoozed #3 call until Tue 2026-11-24 11:00\n"
    r = crm("snooze", "3", "next mon 9am")
    assert r.stdout == "Snoozed #3 call until Mon 2026-11-30 09:00\n"
    assert _due(db_path, 3)[2] == "2026-11-30 09:00:00.000000"
    assert crm("agenda", "--days", "7").stdout.splitlines() == [
        "Next 7 days",
        "  Mon 2026-11-30 09:00 #3 call (snoozed) - Jane Doe, Acme website [Prospecting]",
    ]
    past = crm("snooze", "3", "yesterday")
    assert past.exit_code == 1 and "future" in past.stderr


def test_a_snoozed_all_day_follow_up_shows_one_way(crm: Any, jane: Path) -> None:
    crm("follow-up", "jane", "call", "--due", "today")
    # snoozed to the start of a day, it stays all day: in the echo, the agenda and the history
    r = crm("snooze", "3", "tomorrow midnight")
    assert r.stdout == "Snoozed #3 call until Tue 2026-11-24\n"
    assert "  Tue 2026-11-24       #3 call (snoozed) - Jane Doe" in crm("agenda").stdout
    history = json.loads(crm("history", "--json").stdout)
    assert history[0]["summary"] == "snooze follow-up #3 call until Tue 2026-11-24"
    # snoozed to a time of day, it is timed from then on, everywhere
    r = crm("snooze", "3", "tomorrow 3pm")
    assert r.stdout == "Snoozed #3 call until Tue 2026-11-24 15:00\n"
    assert "  Tue 2026-11-24 15:00 #3 call (snoozed) - Jane Doe" in crm("agenda").stdout
    history = json.loads(crm("history", "--json").stdout)
    assert history[0]["summary"] == "snooze follow-up #3 call until Tue 2026-11-24 15:00"


def test_cancel_and_unknown_ids(crm: Any, jane: Path, db_path: Path) -> None:
    crm("follow-up", "jane", "call", "--due", "today")
    assert crm("cancel", "3").stdout == "Cancelled #3 call\n"
    assert _due(db_path, 3)[3] == "cancelled"
    assert crm("snooze", "3", "2h").exit_code == 1
    missing = crm("done", "99")
    assert (missing.exit_code, missing.stderr) == (
        1,
        "error: no follow-up #99\nhint: crm agenda lists them\n",
    )


def _interaction(db: Any, contact_id: int, at: datetime) -> None:
    from tinycrm.store.models import Interaction

    with db.transaction(summary="log") as session:
        session.add(
            Interaction(
                uuid=str(uuid.uuid4()),
                contact_id=contact_id,
                kind="call",
                occurred_at=at,
                summary="talked",
                created_at=at,
                updated_at=at,
            )
        )


def test_agenda_buckets_and_keep_in_touch(crm: Any, jane: Path, db: Any) -> None:
    # about Jane alone, and about her deal
    crm("follow-up", "jane", "late", "--due", "2026-11-20", "--no-deal")
    crm("follow-up", "jane", "this morning", "--due", "today 9am", "--priority", "--no-deal")
    crm("follow-up", "jane", "all day today", "--due", "today", "--no-deal")
    crm("follow-up", "acme", "friday", "--due", "fri 3pm")
    crm("follow-up", "jane", "far away", "--due", "2027-03-01")
    bob = json.loads(crm("add", "contact", "Bob Roe", "--json").stdout)["id"]
    assert crm("keep-in-touch", "bob", "2w").exit_code == 0
    _interaction(db, bob, datetime(2026, 11, 1, 12, tzinfo=UTC))
    r = crm("agenda")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Overdue",
        "  Sun 2026-11-15       keep in touch with Bob Roe (every 14 days)",
        "  Fri 2026-11-20       #3 late - Jane Doe",
        "  Mon 2026-11-23 09:00 #4 ! this morning - Jane Doe",
        "Today",
        "  Mon 2026-11-23       #5 all day today - Jane Doe",
        "Next 7 days",
        "  Fri 2026-11-27 15:00 #6 friday - Jane Doe, Acme website [Prospecting]",
    ]


def test_agenda_json_and_days(crm: Any, jane: Path, db: Any) -> None:
    crm("follow-up", "jane", "late", "--due", "2026-11-20")
    crm("follow-up", "acme", "friday", "--due", "fri 3pm")
    crm("follow-up", "jane", "far away", "--due", "2027-03-01")
    rows = json.loads(crm("agenda", "--json").stdout)
    assert [(r["id"], r["bucket"]) for r in rows] == [(3, "overdue"), (4, "upcoming")]
    assert rows[1]["deal"] == {"id": 2, "title": "Acme website", "stage": "Prospecting"}
    assert len(json.loads(crm("agenda", "--days", "200", "--json").stdout)) == 3
    today_only = json.loads(crm("agenda", "--days", "0", "--json").stdout)
    assert [r["id"] for r in today_only] == [3]


def test_keep_in_touch_is_reset_by_an_interaction(crm: Any, jane: Path, db: Any) -> None:
    r = crm("keep-in-touch", "jane", "30d")
    assert (
        r.stdout == "Keep in touch with #1 Jane Doe every 30 days; next touch due Wed 2026-12-23\n"
    )
    assert not [r for r in json.loads(crm("agenda", "--json").stdout) if r["kind"] != "follow-up"]
    _interaction(db, 1, datetime(2026, 10, 1, 12, tzinfo=UTC))
    touch = [r for r in json.loads(crm("agenda", "--json").stdout) if r["kind"] == "keep-in-touch"]
    assert [(t["id"], t["bucket"], t["due"]) for t in touch] == [
        (1, "overdue", "2026-10-31T00:00:00Z")
    ]
    _interaction(db, 1, datetime(2026, 11, 20, 12, tzinfo=UTC))
    touch = [r for r in json.loads(crm("agenda", "--json").stdout) if r["kind"] == "keep-in-touch"]
    assert touch == []
    assert crm("keep-in-touch", "jane", "off").stdout.startswith("No keep-in-touch reminders")
    assert crm("keep-in-touch", "jane", "soon").exit_code == 1


def test_winning_a_deal_offers_a_check_in(crm: Any, jane: Path, db_path: Path) -> None:
    r = crm("move", "acme", "won")
    assert r.exit_code == 0, r.stderr
    hint = r.stdout.splitlines()[1]
    assert hint == (
        "Schedule a check-in: crm follow-up 1 'check in after the win: Acme website' "
        '--deal 2 --due "in 30 days"'
    )
    assert table_rows(db_path, "SELECT count(*) FROM follow_up") == [(0,)]


def test_winning_creates_the_check_in_when_configured(
    crm: Any, jane: Path, db_path: Path, hermetic: Path
) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    (hermetic / "config.toml").write_text("[deals]\nwon_follow_up_days = 14\n")
    r = crm("move", "acme", "won")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == (
        "Follow-up #3 check in after the win: Acme website due Mon 2026-12-07"
    )
    assert table_rows(db_path, "SELECT contact_id, deal_id, all_day FROM follow_up") == [(1, 2, 1)]
    # one undo takes back the win and its check-in
    crm("undo")
    assert table_rows(db_path, "SELECT count(*) FROM follow_up") == [(0,)]


def test_recurrence_keeps_the_local_time_across_dst(db: Any) -> None:
    from tinycrm.core import contacts, followups
    from tinycrm.domain import dates

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 10, 20, 8, tzinfo=UTC)
    with db.transaction(summary="t") as session:
        jane = contacts.add_contact(session, "Jane", now=now)
        when = dates.parse_when("fri 9am", now, paris)  # Fri 2026-10-23, summer time
        fu = followups.add_follow_up(
            session, "weekly", when, now=now, contact=jane, rrule="FREQ=WEEKLY"
        )
        followups.complete(session, fu, now, paris)
        assert fu.due_at == datetime(2026, 10, 30, 8, tzinfo=UTC)  # 09:00 in winter time
        assert dates.describe(fu.due_at, False, paris) == "Fri 2026-10-30 09:00"


# --- a follow-up about a contact with one open deal is about that deal -------------------------


def test_a_follow_up_for_a_contact_with_one_open_deal_is_linked_to_it(
    crm: Any, jane: Path, db_path: Path
) -> None:
    r = crm("follow-up", "jane", "send proposal", "--due", "fri")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [
        "Follow-up #3 send proposal (Jane Doe) due Fri 2026-11-27",
        "Linked to #2 Acme website, the one open deal of Jane Doe",
    ]
    assert table_rows(db_path, "SELECT contact_id, deal_id FROM follow_up") == [(1, 2)]
    # scripts get the id or the JSON alone, the deal in it
    assert crm("follow-up", "jane", "call", "--due", "fri", "-q").stdout == "4\n"
    data = json.loads(crm("follow-up", "jane", "write", "--due", "fri", "--json").stdout)
    assert data["deal"]["id"] == 2


def test_no_deal_leaves_it_about_the_contact_alone(crm: Any, jane: Path, db_path: Path) -> None:
    r = crm("follow-up", "jane", "birthday card", "--due", "fri", "--no-deal")
    assert r.stdout == "Follow-up #3 birthday card (Jane Doe) due Fri 2026-11-27\n"
    assert table_rows(db_path, "SELECT deal_id FROM follow_up") == [(None,)]
    r = crm("follow-up", "jane", "x", "--due", "fri", "--no-deal", "--deal", "acme")
    assert r.exit_code == 2
    assert "--deal or --no-deal" in r.stderr


def test_with_two_open_deals_it_is_not_linked_and_says_how(
    crm: Any, jane: Path, db_path: Path
) -> None:
    crm("add", "deal", "Acme hosting", "--contact", "jane")
    crm("add", "deal", "Acme old", "--contact", "jane")
    crm("move", "acme old", "lost")  # a closed deal is not a candidate
    r = crm("follow-up", "jane", "send proposal", "--due", "fri")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == (
        "Not linked to a deal: Jane Doe has 2 open deals (#2 Acme website, #3 Acme hosting);"
        " --deal links one"
    )
    assert table_rows(db_path, "SELECT deal_id FROM follow_up") == [(None,)]


def test_a_contact_without_open_deals_gets_a_plain_follow_up(
    crm: Any, jane: Path, db_path: Path
) -> None:
    crm("move", "acme", "lost")
    r = crm("follow-up", "jane", "check in", "--due", "fri")
    assert r.stdout == "Follow-up #3 check in (Jane Doe) due Fri 2026-11-27\n"
