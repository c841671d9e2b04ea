"""`crm config` and the settings schema: get, set, unset, list, path; bad values refused."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tinycrm import config
from tinycrm.config import files


def _file(home: Path) -> Path:
    return home / "config.toml"


def test_set_get_unset_round_trip(crm: Any, hermetic: Path) -> None:
    r = crm("config", "set", "general.default_currency", "eur")
    assert (r.exit_code, r.stdout) == (0, "general.default_currency = EUR\n")
    assert crm("config", "get", "general.default_currency").stdout == "EUR\n"
    assert tomllib.loads(_file(hermetic).read_text()) == {"general": {"default_currency": "EUR"}}
    # other commands see it through the settings object
    crm("add", "deal", "Acme website", "--value", "5k")
    assert json.loads(crm("show", "acme website", "--json").stdout)["currency"] == "EUR"
    r = crm("config", "unset", "general.default_currency")
    assert r.stdout == "general.default_currency is back to its default (USD)\n"
    assert crm("config", "get", "general.default_currency").stdout == "USD\n"
    assert tomllib.loads(_file(hermetic).read_text()) == {}


def test_lists_and_numbers_are_typed_in_the_file(crm: Any, hermetic: Path) -> None:
    assert crm("config", "set", "reminders.channels", "stdout, Desktop,stdout").exit_code == 0
    assert crm("config", "set", "deals.lost_reasons", 'price,timing,"no" budget').exit_code == 0
    assert crm("config", "set", "pipeline.stale_days", "21").exit_code == 0
    assert crm("config", "set", "general.week_start", "sun").exit_code == 0
    data = tomllib.loads(_file(hermetic).read_text())
    assert data == {
        "reminders": {"channels": ["stdout", "desktop"]},
        "deals": {"lost_reasons": ["price", "timing", '"no" budget']},
        "pipeline": {"stale_days": 21},
        "general": {"week_start": "sunday"},
    }
    assert json.loads(crm("config", "get", "reminders.channels", "--json").stdout) == [
        "stdout",
        "desktop",
    ]
    settings = config.load()
    assert settings.get("pipeline.stale_days") == 21
    assert settings.get("deals.won_follow_up_days") == 0
    assert settings.general.week_start == "sunday"


def test_list_shows_every_known_key_and_where_it_comes_from(crm: Any) -> None:
    crm("config", "set", "reminders.email_to", "me@example.com")
    rows = json.loads(crm("config", "list", "--json").stdout)
    assert [r["key"] for r in rows] == sorted(config.SCHEMA)
    by_key = {r["key"]: r for r in rows}
    assert by_key["reminders.email_to"] == {
        "key": "reminders.email_to",
        "value": ["me@example.com"],
        "set": True,
        "help": "addresses for email reminders",
    }
    assert by_key["general.date_format"]["set"] is False
    assert "me@example.com" in crm("config", "list").stdout


def test_path_prints_the_config_file(crm: Any, hermetic: Path) -> None:
    assert crm("config", "path").stdout == f"{_file(hermetic)}\n"


@pytest.mark.parametrize(
    ("args", "code", "first_line"),
    [
        (
            ("set", "general.default_currency", "euro"),
            1,
            "error: bad value for general.default_currency: 'euro'",
        ),
        (
            ("set", "general.week_start", "someday"),
            1,
            "error: bad value for general.week_start: 'someday'",
        ),
        (
            ("set", "general.date_format", "YYYY"),
            1,
            "error: bad value for general.date_format: 'YYYY'",
        ),
        (
            ("set", "pipeline.stale_days", "two"),
            1,
            "error: pipeline.stale_days must be a whole number, not 'two'",
        ),
        (
            ("set", "pipeline.stale_days", "--", "-1"),
            1,
            "error: bad value for pipeline.stale_days: -1",
        ),
        (
            ("set", "reminders.channels", "stdout,pigeon"),
            1,
            "error: bad value for reminders.channels: ['stdout', 'pigeon']",
        ),
        (("set", "reminders.email_to", "me"), 1, "error: bad value for reminders.email_to: ['me']"),
        (("set", "general.colour", "blue"), 1, "error: no setting called 'general.colour'"),
        (("get", "nope"), 1, "error: no setting called 'nope'"),
        (("unset", "nope"), 1, "error: no setting called 'nope'"),
    ],
)
def test_bad_values_are_refused_with_the_reason_and_the_file_is_unchanged(
    crm: Any, hermetic: Path, args: tuple[str, ...], code: int, first_line: str
) -> None:
    crm("config", "set", "general.week_start", "monday")
    before = _file(hermetic).read_bytes()
    r = crm("config", *args)
    assert r.exit_code == code
    lines = r.stderr.splitlines()
    assert lines[0] == first_line
    assert lines[1].startswith("hint: ")
    assert _file(hermetic).read_bytes() == before


def test_a_broken_config_file_is_reported_not_overwritten(crm: Any, hermetic: Path) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    _file(hermetic).write_text("[general\nweek_start = 'x'\n")
    r = crm("config", "set", "general.week_start", "friday")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {_file(hermetic)} is not valid TOML")
    assert _file(hermetic).read_text() == "[general\nweek_start = 'x'\n"


def test_the_writer_keeps_unknown_keys_and_escapes_strings(hermetic: Path) -> None:
    data: dict[str, Any] = {
        "version": 1,
        "general": {"date_format": '%d/%m "quoted" \\ tab\there', "week_start": "monday"},
        "custom section": {"flag": True, "names": ["a", "b\nc"]},
    }
    text = files.dumps(data)
    assert tomllib.loads(text) == data
    path = files.write(data, hermetic / "c.toml")
    assert tomllib.loads(path.read_text()) == data
    assert config.set_value("general.week_start", "tue", path) == "tuesday"
    assert tomllib.loads(path.read_text())["custom section"] == data["custom section"]


def test_a_bad_value_written_by_hand_is_reported_with_the_way_out(crm: Any, hermetic: Path) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    _file(hermetic).write_text('[general]\nweek_start = "someday"\n')
    r = crm("list", "deals")
    assert r.exit_code == 1
    first, hint = r.stderr.splitlines()
    assert first == (
        f"error: {_file(hermetic)}: bad value for general.week_start: 'someday'"
        " (use a day of the week: monday, tuesday, wednesday, thursday, friday, saturday, sunday)"
    )
    key = "general.week_start"
    assert hint == f"hint: fix it with crm config set {key} VALUE, or crm config unset {key}"
    assert crm("config", "unset", "general.week_start").exit_code == 0
    assert crm("list", "deals").exit_code == 0


def test_scoring_rules_are_settings(crm: Any, hermetic: Path) -> None:
    assert crm("config", "get", "scoring.lifecycle.prospect").stdout == "15\n"
    assert crm("config", "get", "scoring.source.partner").stdout == "0\n"  # unlisted: 0 points
    assert crm("config", "set", "scoring.source.partner", "25").stdout == (
        "scoring.source.partner = 25\n"
    )
    assert crm("config", "set", "scoring.decay.max", "40").exit_code == 0
    assert crm("config", "set", "--", "scoring.tags.former vip", "-5").exit_code == 0
    assert tomllib.loads(_file(hermetic).read_text()) == {
        "scoring": {"source": {"partner": 25}, "decay": {"max": 40}, "tags": {"former vip": -5}}
    }
    settings = config.load().scoring
    assert settings.source == {
        "referral": 20,
        "inbound": 15,
        "event": 10,
        "outbound": 5,
        "partner": 25,
    }
    assert (settings.decay.points, settings.decay.per, settings.decay.most) == (5, 30, 40)
    rows = {r["key"]: r for r in json.loads(crm("config", "list", "--json").stdout)}
    assert rows["scoring.source.partner"] == {
        "key": "scoring.source.partner",
        "value": 25,
        "set": True,
        "help": "points for contacts from partner",
    }
    assert rows["scoring.lifecycle.lead"]["set"] is False
    assert crm("config", "unset", "scoring.source.partner").stdout == (
        "scoring.source.partner is back to its default (0)\n"
    )
    assert crm("config", "unset", "scoring.decay.max").exit_code == 0
    assert tomllib.loads(_file(hermetic).read_text()) == {"scoring": {"tags": {"former vip": -5}}}


def test_a_scoring_rule_is_checked_like_any_setting(crm: Any) -> None:
    r = crm("config", "set", "scoring.interactions.per", "0")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: bad value for scoring.interactions.per: 0")
    r = crm("config", "set", "scoring.ranking.points", "3")
    assert r.exit_code == 1
    assert "scoring.lifecycle.NAME" in r.stderr


def test_the_file_may_write_point_tables_inline(crm: Any, hermetic: Path) -> None:
    hermetic.mkdir(parents=True, exist_ok=True)
    _file(hermetic).write_text("[scoring]\nlifecycle = { Prospect = 20 }\n")
    assert crm("config", "get", "scoring.lifecycle.prospect").stdout == "20\n"
    _file(hermetic).write_text("[scoring]\nsource = 3\n")
    r = crm("config", "get", "scoring.source.referral")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {_file(hermetic)}: [scoring] source must be a table")
    _file(hermetic).write_text("[scoring]\ndecay = 3\n")
    r = crm("config", "get", "scoring.decay.per")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"error: {_file(hermetic)}: [scoring] decay must be a table")


def test_the_writer_writes_sub_tables() -> None:
    data: dict[str, Any] = {"scoring": {"decay": {"per": 7}, "tags": {"a b": 1}}, "x": {"y": {}}}
    assert files.dumps(data).endswith(
        '[scoring]\n\n[scoring.decay]\nper = 7\n\n[scoring.tags]\n"a b" = 1\n\n[x]\n\n[x.y]\n'
    )
    assert tomllib.loads(files.dumps(data)) == data
