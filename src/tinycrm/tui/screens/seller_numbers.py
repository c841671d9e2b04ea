"""The reports screen's text for what a customer costs and is worth: lead sources with their
acquisition cost beside their lifetime value, and customers with their recurring revenue;
and the renderers of amounts and rates that every text of the screen shares.

Each figure comes from the report function `crm report sources` or `crm report customers`
uses; a line holds one currency, as money is never added across currencies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinycrm.domain.figures import CustomersReport, Money, SourceRow, SourcesReport

SOURCE = 14
AMOUNT = 13


def money(amount: Mapping[str, Any] | None) -> str:
    """Render a report amount ({currency, value_minor}) for people; blank for none."""
    from tinycrm.domain.money import format_money

    if amount is None:
        return ""
    return format_money(amount["value_minor"], amount["currency"])


def percent(rate: float | None) -> str:
    """Render a fraction as a percentage; blank when there was nothing to divide by."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def _by_currency(amounts: list[Money]) -> dict[str, Money]:
    return {a["currency"]: a for a in amounts}


def _source_lines(row: SourceRow) -> list[str]:
    """A source's lines: one per currency of its spend or lifetime value (one line when it has
    neither), its name and new customers on the first; "—" where a cost cannot be told, as
    the command shows it."""
    spend, cac = _by_currency(row["spend"]), _by_currency(row["cac"])
    value = _by_currency(row["lifetime_value"])
    ratio = {r["currency"]: f"{r['ratio']:.1f}" for r in row["clv_cac"]}
    currencies = sorted(spend.keys() | value.keys()) or [""]
    lines = []
    for i, cur in enumerate(currencies):
        name, new = ((row["source"] or "(none)")[:SOURCE], str(row["new_customers"]))
        if i:
            name, new = "", ""
        lines.append(
            f"  {name:<{SOURCE}} {new:>4} {money(spend.get(cur)):>{AMOUNT}} "
            f"{money(cac.get(cur)) or '—':>{AMOUNT}} {money(value.get(cur)) or '—':>{AMOUNT}} "
            f"{ratio.get(cur, '—'):>7}"
        )
    return lines


def sources_text(report: SourcesReport) -> str:
    """Per lead source: new customers, spend, cost per new customer (CAC), lifetime value per
    customer (CLV) and CLV:CAC, a line per currency."""
    lines = [
        f"  {'Source':<{SOURCE}} {'New':>4} {'Spend':>{AMOUNT}} {'CAC':>{AMOUNT}} "
        f"{'CLV':>{AMOUNT}} {'CLV:CAC':>7}"
    ]
    for row in report["rows"]:
        lines += _source_lines(row)
    if not report["rows"]:
        lines.append("  no contacts")
    return "\n".join(lines)


def customers_text(report: CustomersReport) -> str:
    """Customers' lifetime value (total and average per customer) and recurring revenue (MRR,
    ARR and the customers paying it) per currency, churn, then the top customers with their
    own MRR."""
    value = {v["currency"]: v for v in report["lifetime_value"]}
    recurring = {r["currency"]: r for r in report["recurring"]}
    currencies = sorted(value.keys() | recurring.keys())
    lines = []
    if currencies:
        lines.append(
            f"  {'Cur.':<4} {'Lifetime value':>15} {'Average':>{AMOUNT}} {'MRR':>{AMOUNT}} "
            f"{'ARR':>14} {'Recurring':>10}"
        )
    for cur in currencies:
        v, r = value.get(cur), recurring.get(cur)
        average = money(v["average_per_customer"]) if v else ""
        mrr, arr = (money(r["mrr"]), money(r["arr"])) if r else ("", "")
        payers = str(r["customers"]) if r else ""
        lines.append(
            f"  {cur:<4} {money(v):>15} {average:>{AMOUNT}} {mrr:>{AMOUNT}} {arr:>14} "
            f"{payers:>10}".rstrip()
        )
    churn = report["churn"]
    rate = f" ({percent(churn['rate'])})" if churn["rate"] is not None else ""
    lines.append(
        f"  churn since {churn['since']}: {churn['churned']} of "
        f"{churn['customers_at_start']} customers{rate}"
    )
    if report["top"]:
        lines += [
            "",
            f"  {'#':<6} {'Top customers':<28} {'Won':>4} {'Lifetime value':>15} {'MRR':>{AMOUNT}}",
        ]
    for t in report["top"]:
        lines.append(
            f"  #{t['id']:<5} {t['name'][:28]:<28} {t['deals']:>4} "
            f"{money(t['lifetime_value']):>15} {money(t['mrr']):>{AMOUNT}}".rstrip()
        )
    return "\n".join(lines)
