"""The labels both faces show: report amounts, rates, a deal's stage and status."""

from __future__ import annotations

from tinycrm.domain import labels


def test_an_amount_is_money_and_nothing_is_blank() -> None:
    assert labels.amount({"currency": "USD", "value_minor": 123456}) == "$1,234.56"
    assert labels.amount(None) == ""


def test_compact_money_drops_zero_cents_only() -> None:
    assert labels.compact_money(500000, "USD") == "$5,000"
    assert labels.compact_money(500050, "USD") == "$5,000.50"
    assert labels.compact_money(500000, "CHF") == "5,000 CHF"


def test_a_rate_is_a_percentage_with_one_decimal() -> None:
    assert labels.percent(0.3333) == "33.3%"
    assert labels.percent(None) == ""


def test_a_stage_names_its_pipeline_and_a_lost_deal_its_reason() -> None:
    assert labels.stage("Proposal", "Sales") == "Proposal (Sales)"
    assert labels.deal_status("lost", "price") == "lost (price)"
    assert labels.deal_status("lost", None) == "lost"
    assert labels.deal_status("won", "price") == "won"
