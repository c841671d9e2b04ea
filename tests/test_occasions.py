"""Contacts' kept dates on the agenda: the calendar rules (29 February, the turn of the year,
the years counted only when known, the local day) and `crm agenda`'s lines and JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tinycrm.core.agenda import dates
from tinycrm.core.occasions import occasions
from tinycrm.domain.yearly import falls_on, month_day_spans, next_on, years_at


def test_29_february_falls_on_28_february_in_a_year_without_one() -> None:
    assert falls_on(2, 29, 2027) == date(2027, 2, 28)
    assert falls_on(2, 29, 2028) == date(2028, 2, 29)
    assert next_on(2, 29, date(2027, 3, 1)) == date(2028, 2, 29)
    # a range holding 28 February of a year without a 29th reads the stored 29th too
    assert month_day_spans(date(2027, 2, 28), date(2027, 2, 28)) == [(2, 28, 29)]
    assert month_day_spans(date(2028, 2, 28), date(2028, 2, 28)) == [(2, 28, 28)]


def test_a_range_over_the_new_year_reads_both_ends() -> None:
    assert month_day_spans(date(2026, 12, 30), date(2027, 1, 2)) == [(1, 1, 2), (12, 30, 31)]
    assert len(month_day_spans(date(2026, 1, 1), date(2027, 1, 1))) == 12


def test_years_are_counted_only_when_the_year_is_kept() -> None:
    assert years_at("1985-04-12", date(2026, 4, 12)) == 41
    assert years_at("--04-12", date(2026, 4, 12)) is None


def _contact(crm: Any, name: str, *options: str) -> int:
    result = crm("add", "contact", name, *options, "--json")
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def test_dates_over_the_turn_of_the_year_with_their_years(crm: Any, db: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-12-31")
    _contact(crm, "Ann Lee", "--anniversary", "2016-01-01")
    _contact(crm, "Bo Day", "--birthday", "--01-02", "--date", "contract signed: 2023-01-02")
    with db.snapshot() as session:
        found = occasions(session, date(2026, 12, 31), date(2027, 1, 2))
    assert [(o.on.isoformat(), o.title) for o in found] == [
        ("2026-12-31", "birthday · Jan Smith turns 41"),
        ("2027-01-01", "anniversary · Ann Lee, 11 years"),
        ("2027-01-02", "birthday · Bo Day"),
        ("2027-01-02", "contract signed · Bo Day, 4 years"),
    ]


def test_a_leap_day_birthday_is_shown_on_28_february(crm: Any, db: Any) -> None:
    _contact(crm, "Leap Ling", "--birthday", "2000-02-29")
    with db.snapshot() as session:
        in_2027 = occasions(session, date(2027, 2, 27), date(2027, 3, 1))
        in_2028 = occasions(session, date(2028, 2, 28), date(2028, 2, 28))
        on_29th = occasions(session, date(2028, 2, 29), date(2028, 3, 1))
    assert [(o.on, o.years) for o in in_2027] == [(date(2027, 2, 28), 27)]
    assert in_2028 == []
    assert [(o.on, o.years) for o in on_29th] == [(date(2028, 2, 29), 28)]


def test_a_date_still_to_come_is_not_shown_before_its_year(crm: Any, db: Any) -> None:
    _contact(crm, "Future Wed", "--anniversary", "2027-06-01")
    with db.snapshot() as session:
        assert occasions(session, date(2026, 6, 1), date(2026, 6, 1)) == []
        [wedding] = occasions(session, date(2027, 6, 1), date(2027, 6, 1))
    assert wedding.title == "anniversary · Future Wed"  # the day itself counts no years


def test_the_agenda_reads_the_local_day(crm: Any, db: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-24")
    # 23:30 UTC on 23 November is already 24 November in Auckland
    now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    with db.snapshot() as session:
        utc = dates(session, now, 0, ZoneInfo("UTC"))
        auckland = dates(session, now, 0, ZoneInfo("Pacific/Auckland"))
    assert utc == []
    assert [(o.title, bucket) for o, bucket in auckland] == [
        ("birthday · Jan Smith turns 41", "today")
    ]


def test_a_trashed_contact_has_no_dates_on_the_agenda(crm: Any, db: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-23")
    assert crm("delete", "jan", "--kind", "contact", "--yes").exit_code == 0
    with db.snapshot() as session:
        assert occasions(session, date(2026, 11, 23), date(2026, 11, 23)) == []


def test_crm_agenda_shows_dates_in_their_days(crm: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-23")
    _contact(crm, "Ann Lee", "--anniversary", "2016-11-25", "--date", "met: --11-29")
    crm("follow-up", "jan", "call", "--due", "2026-11-24 15:00")
    result = crm("agenda")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Today",
        "  Mon 2026-11-23       birthday · Jan Smith turns 41",
        "Next 7 days",
        "  Tue 2026-11-24 15:00 #3 call - Jan Smith",
        "  Wed 2026-11-25       anniversary · Ann Lee, 10 years",
        "  Sun 2026-11-29       met · Ann Lee",
    ]
    rows = json.loads(crm("agenda", "--json").stdout)
    assert rows[0] == {
        "kind": "date",
        "bucket": "today",
        "id": rows[0]["id"],
        "title": "birthday · Jan Smith turns 41",
        "due": "2026-11-23T00:00:00Z",
        "all_day": True,
        "date_kind": "birthday",
        "label": None,
        "date": "1985-11-23",
        "on": "2026-11-23",
        "years": 41,
        "contact": {"id": 1, "name": "Jan Smith"},
        "deal": None,
    }
    assert [row["kind"] for row in rows] == ["date", "follow-up", "date", "date"]


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        ("agenda.date_kinds", "", []),
        ("agenda.date_kinds", "birthday", ["birthday · Jan Smith turns 41"]),
        ("agenda.date_days", "1", ["birthday · Jan Smith turns 41"]),
    ],
)
def test_settings_choose_the_kinds_and_the_days_shown(
    crm: Any, setting: str, value: str, shown: list[str]
) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-23", "--anniversary", "2016-11-25")
    assert crm("config", "set", setting, value).exit_code == 0
    rows = json.loads(crm("agenda", "--json").stdout)
    assert [row["title"] for row in rows] == shown


def test_the_agenda_shows_dates_no_further_than_its_days(crm: Any) -> None:
    _contact(crm, "Jan Smith", "--birthday", "1985-11-25")
    assert crm("agenda", "--days", "1", "--json").stdout.strip() == "[]"
    assert len(json.loads(crm("agenda", "--days", "2", "--json").stdout)) == 1
