"""Dates people type: a table of inputs at a fixed now, DST days, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinycrm.domain import dates, recurrence
from tinycrm.errors import ValidationError

# Monday 2026-11-23, 10:00 UTC (the suite's fixed now)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def _day(text: str, now: datetime = NOW) -> tuple[date, bool]:
    when = dates.parse_when(text, now, UTC)
    return when.day(UTC), when.all_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-23"),
        ("Today", "2026-11-23"),
        ("tomorrow", "2026-11-24"),
        ("yesterday", "2026-11-22"),
        # today is Monday: a weekday name means today when it is that day
        ("mon", "2026-11-23"),
        ("monday", "2026-11-23"),
        ("tue", "2026-11-24"),
        ("fri", "2026-11-27"),
        ("friday", "2026-11-27"),
        ("on fri", "2026-11-27"),
        ("this fri", "2026-11-27"),
        ("sun", "2026-11-29"),
        # next = that day in next week (weeks start on Monday)
        ("next mon", "2026-11-30"),
        ("next fri", "2026-12-04"),
        ("next sunday", "2026-12-06"),
        # this week and next week: their first day (weeks start on Monday by default)
        ("this week", "2026-11-23"),
        ("next week", "2026-11-30"),
        ("in 3 days", "2026-11-26"),
        ("in 1 day", "2026-11-24"),
        ("in 2 weeks", "2026-12-07"),
        ("in a week", "2026-11-30"),
        ("in 1 month", "2026-12-23"),
        ("in 1 year", "2027-11-23"),
        ("+3d", "2026-11-26"),
        ("+2w", "2026-12-07"),
        ("+1m", "2026-12-23"),
        ("3d", "2026-11-26"),
        ("dec 1", "2026-12-01"),
        ("1 dec", "2026-12-01"),
        ("december 1", "2026-12-01"),
        ("December 1st", "2026-12-01"),
        ("1st of december", "2026-12-01"),
        ("dec 1 2027", "2027-12-01"),
        # a month-day already past this year means next year's; today's is today
        ("nov 1", "2027-11-01"),
        ("jan 15", "2027-01-15"),
        ("nov 23", "2026-11-23"),
        ("feb 29", "2028-02-29"),
        ("2026-12-01", "2026-12-01"),
        ("2026-11-23", "2026-11-23"),
    ],
)
def test_days_people_type(text: str, expected: str) -> None:
    assert _day(text) == (date.fromisoformat(expected), True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3pm", "2026-11-23T15:00"),
        ("3:30pm", "2026-11-23T15:30"),
        ("3:30 pm", "2026-11-23T15:30"),
        ("15:30", "2026-11-23T15:30"),
        ("noon", "2026-11-23T12:00"),
        # a time alone that has passed today means tomorrow
        ("9am", "2026-11-24T09:00"),
        ("at 10am", "2026-11-24T10:00"),
        ("midnight", "2026-11-24T00:00"),
        ("tomorrow 3pm", "2026-11-24T15:00"),
        ("tomorrow at 9:15", "2026-11-24T09:15"),
        ("10am tomorrow", "2026-11-24T10:00"),
        ("fri 3:30pm", "2026-11-27T15:30"),
        ("next tue 10am", "2026-12-01T10:00"),
        ("today 9am", "2026-11-23T09:00"),
        ("dec 1 at noon", "2026-12-01T12:00"),
        ("1 dec, 12am", "2026-12-01T00:00"),
        ("in 3 days at 4pm", "2026-11-26T16:00"),
        ("2026-12-01 15:30", "2026-12-01T15:30"),
        ("2026-12-01T15:30", "2026-12-01T15:30"),
        ("2026-12-01T15:30:00+01:00", "2026-12-01T14:30"),
        ("2026-12-01T15:30Z", "2026-12-01T15:30"),
        ("2h", "2026-11-23T12:00"),
        ("in 2 hours", "2026-11-23T12:00"),
        ("+2h", "2026-11-23T12:00"),
        ("in 30 min", "2026-11-23T10:30"),
        ("in an hour", "2026-11-23T11:00"),
        ("now", "2026-11-23T10:00"),
    ],
)
def test_times_people_type(text: str, expected: str) -> None:
    when = dates.parse_when(text, NOW, UTC)
    assert when.all_day is False
    assert when.at == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blah",
        "in 3 dayz",
        "in 3",
        "3",
        "13pm",
        "0am",
        "25:00",
        "12:60",
        "feb 30",
        "dec 32",
        "2026-13-01",
        "2026-02-30",
        "fri fri",
        "next",
        "next weeks",
        "on week",
        "tomorrow 3pm 4pm",
        "in 2 hours 3pm",
        "3 mon",
        "the 3rd",
        "12/01/2026",
        "-2d",
        "in 99999999 days",
        "dec 1 99999",
        "0001-01-01",
    ],
)
def test_anything_not_read_exactly_is_an_error_with_examples(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        dates.parse_when(text, NOW, UTC)
    assert caught.value.hint is not None
    assert "next tue 10am" in caught.value.hint


def test_in_three_days_is_never_the_third_of_the_month() -> None:
    # the fuzzy reading of dateutil would give 2026-11-03
    assert _day("in 3 days") == (date(2026, 11, 26), True)


def test_in_one_month_from_the_31st_of_january_is_the_end_of_february() -> None:
    jan31 = datetime(2027, 1, 31, 12, tzinfo=UTC)
    assert _day("in 1 month", jan31) == (date(2027, 2, 28), True)
    assert _day("+1m", jan31) == (date(2027, 2, 28), True)
    assert _day("in 1 month", datetime(2028, 1, 31, 12, tzinfo=UTC))[0] == date(2028, 2, 29)


def test_a_local_wall_time_maps_to_the_right_utc_on_either_side_of_a_dst_change() -> None:
    before = datetime(2026, 10, 20, 10, tzinfo=UTC)
    # Paris leaves summer time on Sunday 2026-10-25
    sat = dates.parse_when("oct 24 10am", before, PARIS)
    sun = dates.parse_when("oct 25 10am", before, PARIS)
    assert sat.at == datetime(2026, 10, 24, 8, tzinfo=UTC)
    assert sun.at == datetime(2026, 10, 25, 9, tzinfo=UTC)
    assert sun.describe(PARIS) == "Sun 2026-10-25 10:00"
    # the all-day Sunday starts at local midnight, still summer time then
    assert dates.parse_when("sun", before, PARIS).at == datetime(2026, 10, 24, 22, tzinfo=UTC)
    # New York: 1:30am happens twice on 2026-11-01; the first (EDT) is meant
    ny = dates.parse_when("2026-11-01 01:30", before, NEW_YORK)
    assert ny.at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_a_time_skipped_by_spring_forward_moves_forward_by_the_gap() -> None:
    when = dates.parse_when("2027-03-28 02:30", NOW, PARIS)
    assert when.at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert when.describe(PARIS) == "Sun 2027-03-28 03:30"


def test_local_times_follow_the_zone_across_dst_not_a_fixed_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")
    tz = dates.local_tz()
    summer = datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(tz)
    winter = datetime(2026, 12, 1, 12, tzinfo=UTC).astimezone(tz)
    assert (summer.utcoffset(), winter.utcoffset()) == (timedelta(hours=2), timedelta(hours=1))


def test_the_echo_names_the_weekday_and_the_time() -> None:
    assert dates.parse_when("fri 10am", NOW, UTC).describe(UTC) == "Fri 2026-11-27 10:00"
    assert dates.parse_when("fri", NOW, UTC).describe(UTC) == "Fri 2026-11-27"


def test_parse_day_refuses_a_time() -> None:
    assert dates.parse_day("fri", NOW, UTC) == date(2026, 11, 27)
    with pytest.raises(ValidationError):
        dates.parse_day("fri 3pm", NOW, UTC)


@pytest.mark.parametrize(
    ("text", "days"),
    [("30d", 30), ("30", 30), ("2w", 14), ("3m", 90), ("1y", 365), ("every 10 days", 10)],
)
def test_cadences(text: str, days: int) -> None:
    assert dates.parse_days(text) == days


@pytest.mark.parametrize("text", ["off", "OFF", "never"])
def test_cadence_off(text: str) -> None:
    assert dates.parse_days(text) is None


@pytest.mark.parametrize("text", ["2h", "soon", "-3d", "99999999d", ""])
def test_bad_cadences(text: str) -> None:
    with pytest.raises(ValidationError):
        dates.parse_days(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("week", "FREQ=WEEKLY"),
        ("2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("every 3 months", "FREQ=MONTHLY;INTERVAL=3"),
        ("monthly", "FREQ=MONTHLY"),
        ("1 day", "FREQ=DAILY"),
        ("year", "FREQ=YEARLY"),
    ],
)
def test_every(text: str, rule: str) -> None:
    assert recurrence.every_to_rrule(text) == rule


@pytest.mark.parametrize("text", ["2 hours", "fortnight", "0 weeks", ""])
def test_bad_every(text: str) -> None:
    with pytest.raises(ValidationError):
        recurrence.every_to_rrule(text)


# ---- properties ---------------------------------------------------------------------------

TOKENS = [
    "in", "next", "this", "on", "at", "today", "tomorrow", "fri", "mon", "dec", "feb", "1",
    "31", "29", "3", "+2w", "2h", "3pm", "15:30", "noon", "days", "weeks", "month", "a", ",",
    "2026-12-01", "T", ":", "am", "pm", "st", "of", "2027", "99999", "-", "+", "0",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(8999, 12, 31)))
def test_any_iso_date_round_trips(day: date) -> None:
    for tz in (UTC, PARIS):
        when = dates.parse_when(day.isoformat(), NOW, tz)
        assert when.all_day
        assert when.day(tz) == day
    assert dates.parse_day(day.isoformat(), NOW, UTC) == day


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(8999, 12, 30)).map(
        lambda d: d.replace(second=0, microsecond=0)
    )
)
def test_any_iso_time_round_trips(moment: datetime) -> None:
    when = dates.parse_when(moment.isoformat(sep=" ", timespec="minutes"), NOW, UTC)
    assert (when.at, when.all_day) == (moment.replace(tzinfo=UTC), False)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(st.sampled_from(TOKENS), max_size=5).map(" ".join)))
def test_parse_raises_nothing_but_validation_errors(text: str) -> None:
    try:
        when = dates.parse_when(text, NOW, PARIS)
    except ValidationError:
        return
    assert when.at.tzinfo is not None


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=1000),
    st.sampled_from(["days", "weeks", "months", "hours"]),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
)
def test_relative_offsets_are_monotonic(n: int, unit: str, base: datetime) -> None:
    now = base.replace(tzinfo=UTC)
    first = dates.parse_when(f"in {n} {unit}", now, PARIS).at
    second = dates.parse_when(f"in {n + 1} {unit}", now, PARIS).at
    assert first <= second
    assert (
        dates.parse_when(f"in {n} {unit}", now, PARIS).at
        >= dates.parse_when("today", now, PARIS).at
    )


@settings(deadline=None)  # the first example imports the ORM models
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_times_are_stored_and_shown_as_the_views_show_them(naive: datetime) -> None:
    from tinycrm.core.views import iso

    moment = naive.replace(tzinfo=UTC)
    stored = dates.to_stored(moment)
    assert datetime.fromisoformat(stored).replace(tzinfo=UTC) == moment
    assert dates.stored_iso(stored) == iso(moment)
    # a time written in another form (by hand, by an older tool) still reads exactly
    assert dates.stored_iso(naive.isoformat()) == iso(moment)


def test_storing_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        dates.to_stored(datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # something that happened: a time alone is today's, even once it has passed
        ("8am", "2026-11-23T08:00"),
        ("at 9:30", "2026-11-23T09:30"),
        ("yesterday 4pm", "2026-11-22T16:00"),
        ("4pm yesterday", "2026-11-22T16:00"),
        ("2h ago", "2026-11-23T08:00"),
        ("an hour ago", "2026-11-23T09:00"),
        ("30 min ago", "2026-11-23T09:30"),
        ("last fri 3pm", "2026-11-20T15:00"),
        ("fri 3pm", "2026-11-20T15:00"),
    ],
)
def test_past_moments_people_type(text: str, expected: str) -> None:
    when = dates.parse_when(text, NOW, UTC, past=True)
    assert when.all_day is False
    assert when.at == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days ago", "2026-11-20"),
        ("a week ago", "2026-11-16"),
        ("2 months ago", "2026-09-23"),
        ("1 year ago", "2025-11-23"),
        ("yesterday", "2026-11-22"),
        ("last fri", "2026-11-20"),
        ("last sunday", "2026-11-22"),
        ("last week", "2026-11-16"),
        # a weekday or a month-day alone is the last such day, today included
        ("fri", "2026-11-20"),
        ("mon", "2026-11-23"),
        ("dec 1", "2025-12-01"),
        ("nov 23", "2026-11-23"),
        ("nov 1", "2026-11-01"),
    ],
)
def test_past_days_people_type(text: str, expected: str) -> None:
    when = dates.parse_when(text, NOW, UTC, past=True)
    assert (when.day(UTC), when.all_day) == (date.fromisoformat(expected), True)


def test_ago_and_last_read_the_same_when_not_in_the_past() -> None:
    assert _day("3 days ago") == (date(2026, 11, 20), True)
    assert _day("last fri") == (date(2026, 11, 20), True)
    # a time alone for a follow-up keeps its rule: the next such time
    assert dates.parse_when("8am", NOW, UTC).at == datetime(2026, 11, 24, 8, tzinfo=UTC)


def test_last_weekday_that_could_be_two_days_is_an_error_naming_both() -> None:
    saturday = datetime(2026, 11, 28, 10, tzinfo=UTC)
    with pytest.raises(ValidationError) as caught:
        dates.parse_when("last fri", saturday, UTC, past=True)
    assert caught.value.message == (
        "'last fri' could be Fri 2026-11-27 (the last fri) or Fri 2026-11-20 (the fri of last week)"
    )
    assert caught.value.hint == "write the day, e.g. 2026-11-27, or 1 day ago"
    # weeks from Sunday: on a Monday, the last Sunday is yesterday, last week's is 8 days ago
    sunday_weeks = dates.Calendar(week_start=6)
    with pytest.raises(ValidationError, match="could be"):
        dates.parse_when("last sun", NOW, UTC, sunday_weeks, past=True)
    assert dates.parse_when("last sat", NOW, UTC, sunday_weeks, past=True).day(UTC) == date(
        2026, 11, 21
    )


@pytest.mark.parametrize(
    "text", ["3 dayz ago", "ago", "in 3 days ago", "99999999 days ago", "last"]
)
def test_past_forms_that_cannot_be_read_are_errors(text: str) -> None:
    with pytest.raises(ValidationError):
        dates.parse_when(text, NOW, UTC, past=True)
