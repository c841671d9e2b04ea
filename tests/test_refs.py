"""How a typed name reaches one record, as a user meets it: suggestions when nothing
matches, whole words before prefixes, and the kind the options fit when names of several
kinds match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import snapshot_of


def refused(crm: Any, db_path: Path, *args: str) -> Any:
    """Run crm, expect a one-line refusal that changes nothing, and return the result."""
    before = snapshot_of(db_path)
    result = crm(*args)
    assert result.exit_code == 1, (args, result.exit_code, result.output)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert snapshot_of(db_path) == before
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("log", "Jane Deo", "call", "talked budget"),
        ("follow-up", "Jane Deo", "Call back", "--due", "fri"),
    ],
)
def test_log_and_follow_up_suggest_a_near_name(crm: Any, jane: Path, args: tuple[str, ...]):
    result = refused(crm, jane, *args)
    assert "no contact or deal matches 'Jane Deo'" in result.stderr
    assert "hint: did you mean: Jane Doe?" in result.stderr


def test_log_suggests_a_near_deal_title(crm: Any, jane: Path):
    result = refused(crm, jane, "log", "acme webiste", "call", "hi")
    assert "hint: did you mean: Acme website?" in result.stderr


def test_log_names_a_follow_up_id_for_what_it_is(crm: Any, jane: Path):
    assert crm("follow-up", "jane", "Call", "--due", "fri").exit_code == 0
    result = refused(crm, jane, "log", "#3", "call", "hi")
    assert "hint: #3 is a follow-up" in result.stderr


def test_log_without_a_near_name_still_says_where_to_look(crm: Any, jane: Path):
    result = refused(crm, jane, "log", "zzqx", "call", "hi")
    assert "hint: crm list contacts; crm list deals" in result.stderr


@pytest.fixture
def bens(crm: Any, db_path: Path) -> Path:
    """Anna Bennett (#1), Ben Ode (#2) and Reuben Marsh (#3)."""
    for name in ("Anna Bennett", "Ben Ode", "Reuben Marsh"):
        assert crm("add", "contact", name).exit_code == 0
    return db_path


def test_a_whole_word_wins_over_a_prefix(crm: Any, bens: Path):
    result = crm("show", "ben", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"name": "Ben Ode"' in result.stdout
    assert crm("tag", "Ben", "vip").stdout.startswith("Tagged contact #2 Ben Ode")


def test_a_prefix_wins_over_letters_inside_a_word(crm: Any, bens: Path):
    assert crm("add", "contact", "Omar Khan").exit_code == 0
    assert crm("tag", "mar", "vip").stdout.startswith("Tagged contact #3 Reuben Marsh")
    assert crm("add", "contact", "Mark Bennington").exit_code == 0
    result = refused(crm, bens, "tag", "mar", "vip")
    assert "'mar' matches several: contact #3 Reuben Marsh; contact #5 Mark" in result.stderr


def test_two_whole_word_matches_are_still_ambiguous(crm: Any, bens: Path):
    assert crm("add", "contact", "Ben Smith").exit_code == 0
    result = refused(crm, bens, "tag", "ben", "vip")
    first = result.stderr.splitlines()[0]
    assert "Ben Ode" in first
    assert "Ben Smith" in first
    assert "Bennett" not in first


def test_every_word_counts_whole(crm: Any, bens: Path):
    assert crm("add", "contact", "Ben Odell").exit_code == 0
    assert crm("tag", "ben ode", "vip").stdout.startswith("Tagged contact #2 Ben Ode")
    assert crm("tag", "ode ben", "vip").stdout.startswith("Tagged contact #2 Ben Ode")


@pytest.fixture
def gym(crm: Any, db_path: Path) -> Path:
    """Company #1 Green Gym, its contact #2 Green Gym Desk and its deal #3 Green Gym renewal."""
    assert crm("add", "company", "Green Gym").exit_code == 0
    assert crm("add", "contact", "Green Gym Desk", "--company", "#1").exit_code == 0
    assert crm("add", "deal", "Green Gym renewal", "--company", "#1").exit_code == 0
    return db_path


def test_edit_takes_the_kind_its_options_fit(crm: Any, gym: Path):
    result = crm("edit", "green gym", "--value", "4.5k")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Updated deal #3 Green Gym renewal: ")
    assert crm("edit", "green gym", "--domain", "greengym.com").stdout.startswith(
        "Updated company #1 Green Gym: "
    )
    assert crm("edit", "green gym", "--email", "desk@greengym.com").stdout.startswith(
        "Updated contact #2 Green Gym Desk: "
    )
    result = crm("edit", "green gym", "--close", "2026-12-31", "--probability", "60")
    assert result.stdout.startswith("Updated deal #3 Green Gym renewal: ")


def test_edit_with_options_several_kinds_fit_says_which_matched(crm: Any, gym: Path):
    result = refused(crm, gym, "edit", "gym", "--title", "Front desk")
    first, hint = result.stderr.splitlines()
    assert "contact #2 Green Gym Desk; deal #3 Green Gym renewal" in first
    assert "company" not in first
    assert hint == "hint: use the id (e.g. #12) or --kind contact|deal"


def test_edit_with_options_every_kind_fits_keeps_the_name_it_equals(crm: Any, gym: Path):
    result = crm("edit", "green gym", "--notes", "pays late")
    assert result.stdout.startswith("Updated company #1 Green Gym: ")
