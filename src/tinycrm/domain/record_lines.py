"""How the parts of a record read for people, written once for `crm show` and the board's
details screens: a line per deal, follow-up and interaction, the deals' counts, the
keep-in-touch state, the addresses and the dates, a deal's qualification."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from tinycrm.domain import dates

if TYPE_CHECKING:
    from tinycrm.domain.record_rows import (
        DealCounts,
        DealLine,
        FollowUpLine,
        InteractionLine,
        KeepInTouch,
    )
    from tinycrm.domain.rows import AddressEntry, DateEntry, Qualification


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def deals_heading(counts: DealCounts) -> str:
    """Head a record's deals with how many it has: "Deals: 2 open, 1 won, 0 lost"."""
    return f"Deals: {counts['open']} open, {counts['won']} won, {counts['lost']} lost"


def deal_line(deal: DealLine, with_contact: bool = False) -> str:
    """One deal: "#12 Acme website  Presenting  $5,000.00  close 2026-12-31"; a closed one
    says how it ended and when ("won 2026-11-02"); `with_contact` names its contact."""
    from tinycrm.domain import labels

    parts = [f"#{deal['id']} {deal['title']}"]
    if deal["status"] == "open":
        parts.append(deal["stage"] or "")
    else:
        closed = _moment(deal["closed_at"])
        parts.append(f"{deal['status']} {dates.show(closed)[:10]}".strip())
    parts.append(labels.deal_value(deal["value_minor"], deal["currency"], deal["recurring"]))
    if deal["status"] == "open" and deal["expected_close"]:
        parts.append(f"close {deal['expected_close']}")
    if with_contact and deal["contact"]:
        parts.append(deal["contact"]["name"])
    return "  ".join(part for part in parts if part)


def follow_up_when(follow_up: FollowUpLine, tz: tzinfo | None = None) -> str:
    """When a follow-up is next due, as the agenda says it: "Fri 2026-11-27 10:00", or the
    day alone for a whole day."""
    due = _moment(follow_up["due"])
    return dates.describe(due, follow_up["all_day"], tz) if due else ""


def follow_up_text(follow_up: FollowUpLine, with_contact: bool = False) -> str:
    """What a follow-up is: "#7 ! send proposal (repeats) - Acme website (overdue)": its
    sequence step ("[Onboarding 2/4]"), its deal, and (`with_contact`) its contact."""
    flag = "! " if follow_up["priority"] else ""
    repeat = " (repeats)" if follow_up["rrule"] else ""
    repeat += " (snoozed)" if follow_up["snoozed"] else ""
    step = follow_up["sequence"]
    repeat += f" [{step['label']}]" if step else ""
    about = []
    if with_contact and follow_up["contact"]:
        about.append(follow_up["contact"]["name"])
    if follow_up["deal"]:
        about.append(follow_up["deal"]["title"])
    suffix = f" - {', '.join(about)}" if about else ""
    late = " (overdue)" if follow_up["overdue"] else ""
    return f"#{follow_up['id']} {flag}{follow_up['title']}{repeat}{suffix}{late}"


def interaction_when(item: InteractionLine, tz: tzinfo | None = None) -> str:
    """When an interaction happened, to the minute in local time."""
    return dates.show(_moment(item["occurred_at"]), tz)


def interaction_what(item: InteractionLine) -> str:
    """What kind of interaction it was, and which way: "call (out)", "note"."""
    arrow = {"in": " (in)", "out": " (out)"}.get(item["direction"] or "", "")
    return f"{item['kind']}{arrow}"


def interaction_text(item: InteractionLine, with_contact: bool = False) -> str:
    """An interaction's summary, with its deal and (`with_contact`) its contact."""
    about = []
    if with_contact and item["contact"]:
        about.append(item["contact"]["name"])
    if item["deal"]:
        about.append(item["deal"]["title"])
    return item["summary"] + (f" - {', '.join(about)}" if about else "")


def keep_in_touch(state: KeepInTouch, tz: tzinfo | None = None) -> str:
    """A contact's cadence and its next touch: "every 30 days, next Thu 2026-12-31 (last
    touch 2026-12-01)"; "due since …" once it is due."""
    last = _moment(state["last_interaction_at"])
    due = _moment(state["due"])
    when = dates.describe(due, True, tz) if due else ""
    next_touch = f"due since {when}" if state["is_due"] else f"next {when}"
    touched = f"last touch {dates.show(last, tz)[:10]}" if last else "no touch yet"
    return f"every {state['every_days']} days, {next_touch} ({touched})"


def address_lines(addresses: list[AddressEntry]) -> list[str]:
    """An address a line, its parts joined by commas, its label after it."""
    from tinycrm.domain.parts import address_line

    return [address_line(a) + (f" ({a['label']})" if a["label"] else "") for a in addresses]


def date_line(entry: DateEntry) -> tuple[str, str]:
    """A date as a field: its label (or kind: birthday, anniversary) and the date as kept."""
    return entry["label"] or entry["kind"], entry["date"]


def qualified(answers: Qualification) -> str:
    """A deal's qualification as its page shows it: "3/4 (budget, authority, need; timing
    not known)", "0/4 (nothing known yet)"."""
    from tinycrm.domain.qualification import summary

    return summary(answers).removeprefix("qualified ")
