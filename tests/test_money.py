"""Amounts people type become exact minor units, or an error."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import table_rows
from tinycrm.domain.money import (
    exponent,
    format_money,
    parse_money,
    short_money,
    to_decimal_text,
)
from tinycrm.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("5000", "USD", 500_000),
        ("5,000", "USD", 500_000),
        ("5000.50", "USD", 500_050),
        ("5k", "USD", 500_000),
        ("5K", "EUR", 500_000),
        ("1.2m", "USD", 120_000_000),
        ("1,234,567.89", "USD", 123_456_789),
        ("12000", "JPY", 12_000),
        ("0", "USD", 0),
    ],
)
def test_amounts_are_read_exactly(text: str, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    "text", ["5k?", "", "abc", "5,00", "1.2.3", "-5", "5kk", "5 dollars", "1.234", "12,34"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_money(text, "USD")


def test_more_decimals_than_the_currency_has_is_refused() -> None:
    with pytest.raises(ValidationError, match="decimals"):
        parse_money("10.5", "JPY")
    with pytest.raises(ValidationError):
        parse_money("0.001", "USD")


def test_format() -> None:
    assert format_money(500_050, "USD") == "$5,000.50"
    assert format_money(12_000, "JPY") == "¥12,000"
    assert format_money(100, "CHF") == "1.00 CHF"


@given(minor=st.integers(min_value=-(10**15), max_value=10**15), currency=st.sampled_from(
    ["USD", "JPY", "BHD", "EUR"]))  # fmt: skip
def test_decimal_text_is_the_exact_decimal_of_the_minor_units(minor: int, currency: str) -> None:
    exp = exponent(currency)
    assert to_decimal_text(minor, currency) == f"{Decimal(minor) / (10**exp):.{exp}f}"
    assert Decimal(to_decimal_text(minor, currency) or "") * 10**exp == minor


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (75000, "USD", "$750"),
        (99950, "USD", "$1k"),  # $999.50 rounds to a thousand
        (750000, "USD", "$7.5k"),
        (2500000, "EUR", "€25k"),
        (6850000, "USD", "$68.5k"),
        (68100000, "USD", "$681k"),
        (99996000, "USD", "$1M"),  # 999,960 is a million once rounded, not "1000k"
        (519856400, "EUR", "€5.2M"),
        (3050000000, "USD", "$30.5M"),
        (6850000, "CHF", "68.5k CHF"),
        (1200000, "JPY", "¥1.2M"),  # no minor unit
        (-750000, "USD", "-$7.5k"),
        (0, "USD", "$0"),
        (10**17, "USD", "$1000T"),
    ],
)
def test_short_money_abbreviates_without_cutting(minor: int, currency: str, shown: str) -> None:
    assert short_money(minor, currency) == shown


@pytest.mark.parametrize("code", ["XYZ", "ABC", "usx"])
def test_three_letters_outside_iso_4217_are_not_a_currency(
    crm: Any, db_path: Path, code: str
) -> None:
    crm("add", "contact", "Jane Doe")
    r = crm("add", "deal", "Acme website", "--currency", code)
    assert r.exit_code != 0
    assert f"error: not a currency code: {code.upper()!r}" in r.stderr
    assert "crm list currencies" in r.stderr
    assert table_rows(db_path, "SELECT count(*) FROM deal") == [(0,)]


def test_a_near_miss_is_offered_the_codes_it_is_close_to(crm: Any) -> None:
    r = crm("add", "deal", "Acme website", "--currency", "UDS")
    assert r.exit_code != 0
    assert "hint: did you mean USD or UZS? " in r.stderr
    assert crm("add", "deal", "Acme website").exit_code == 0
    r = crm("edit", "acme website", "--currency", "EUD")
    assert r.exit_code != 0 and "hint: did you mean EUR or AUD? " in r.stderr


def test_every_iso_code_is_accepted_and_listed(crm: Any) -> None:
    from tinycrm.domain.money import CURRENCIES, check_currency

    assert len(CURRENCIES) == len(set(CURRENCIES)) > 150
    assert all(check_currency(code.lower()) == code for code in CURRENCIES)
    r = crm("list", "currencies", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert {"code": "JPY", "decimals": 0} in rows and {"code": "CHF", "decimals": 2} in rows
    assert "KWD" in crm("list", "currencies").stdout


def test_the_default_currency_setting_is_checked_the_same_way(crm: Any) -> None:
    r = crm("config", "set", "general.default_currency", "XYZ")
    assert r.exit_code != 0 and "not a currency code: 'XYZ'" in r.stderr
    assert crm("config", "get", "general.default_currency").stdout == "USD\n"
    assert crm("config", "set", "general.default_currency", "chf").exit_code == 0


def test_a_stored_code_outside_the_list_still_loads_and_shows(crm: Any, db_path: Path) -> None:
    assert crm("add", "deal", "Old deal", "--value", "5k").exit_code == 0
    conn = sqlite3.connect(db_path)  # as an older tinycrm could have stored it
    with conn:
        conn.execute("UPDATE deal SET currency = 'XYZ'")
    conn.close()
    r = crm("list", "deals")
    assert r.exit_code == 0 and "5,000.00 XYZ" in r.stdout
    data = json.loads(crm("list", "deals", "--json").stdout)
    assert data[0]["currency"] == "XYZ"
    r = crm("edit", "old deal", "--value", "6k")  # the value changes, the code is kept
    assert r.exit_code == 0, r.stderr
    assert table_rows(db_path, "SELECT value, currency FROM deal") == [(600_000, "XYZ")]
