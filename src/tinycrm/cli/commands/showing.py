"""`crm show`: one contact, company or deal with everything tinycrm knows about it: a
contact's or a company's whole record (core.records), a deal's fields and stage history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, RECORD_KIND, kinds_for


def show(
    ref: str = typer.Argument(..., help="An id (#12), an email, or part of a name or title."),
    kind: str | None = RECORD_KIND,
    as_json: bool = JSON,
) -> None:
    """Show a contact, company or deal.

    A contact or a company comes with its deals, its next step, its open follow-ups and its
    last interactions (a contact also with its keep-in-touch state).

    Examples: crm show jane; crm show "acme website"; crm show 12 --kind deal
    """
    from tinycrm.core import records, refs

    with state.database(write=False).snapshot() as session:
        hit = refs.resolve(session, ref, kinds_for(kind))
        data = records.record(session, hit.kind, hit.id, state.now())
    if as_json:
        render.print_json(data)
    else:
        with render.paged():
            _print(data)


def _when(value: str | None) -> str:
    from datetime import datetime

    from tinycrm.domain import dates

    if not value:
        return ""
    return dates.show(datetime.fromisoformat(value))


def _section(heading: str, lines: list[str]) -> None:
    """Print a part of a record under its heading, after a blank line (nothing when empty)."""
    if lines:
        render.say_lines(["", heading, *(f"  {line}" for line in lines)])


def _record_parts(data: Mapping[str, Any]) -> None:
    """Print a contact's or a company's deals, follow-ups and last interactions."""
    from tinycrm.domain import record_lines as lines

    company = data["kind"] == "company"
    deals = data["deals"]
    if any(deals["counts"].values()):
        _section(
            lines.deals_heading(deals["counts"]),
            [lines.deal_line(d, company) for d in deals["open"] + deals["recently_closed"]],
        )
    shown = data["follow_ups"]
    more = data["open_follow_ups"] - len(shown)
    _section(
        f"Open follow-ups ({data['open_follow_ups']})",
        [f"{lines.follow_up_when(f):<20} {lines.follow_up_text(f, company)}" for f in shown]
        + ([f"... and {more} more: crm timeline shows them"] if more > 0 else []),
    )
    _section(
        "Last interactions",
        [
            f"{lines.interaction_when(i)}  {lines.interaction_what(i):<13} "
            f"{lines.interaction_text(i, company)}"
            for i in data["interactions"]
        ],
    )


def _next_step(data: Mapping[str, Any]) -> str | None:
    from tinycrm.domain import record_lines as lines

    step = data["next_step"]
    if step is None:
        return None
    return f"{lines.follow_up_when(step)}  {lines.follow_up_text(step, data['kind'] == 'company')}"


def _print(data: Mapping[str, Any]) -> None:
    from tinycrm.domain import record_lines

    kind = data["kind"]
    if kind == "contact":
        emails = [
            f"{e['email']}" + (f" ({e['label']})" if e["label"] else "") for e in data["emails"]
        ]
        phones = [
            f"{p['phone']}" + (f" ({p['label']})" if p["label"] else "") for p in data["phones"]
        ]
        render.fields(
            [
                ("nickname", data["nickname"]),
                ("title", data["title"]),
                ("company", data["company"]["name"] if data["company"] else None),
                ("email", emails),
                ("phone", phones),
                ("web", [u["url"] for u in data["urls"]]),
                ("address", record_lines.address_lines(data["addresses"])),
                *[record_lines.date_line(d) for d in data["dates"]],
                ("photo", "yes" if data["photo"] else None),
                ("lifecycle", data["lifecycle"]),
                ("source", data["source"]),
                ("tags", data["tags"]),
                ("notes", data["notes"]),
                *[(k, v) for k, v in sorted(data["custom"].items())],
                ("added", _when(data["created_at"])),
                ("next step", _next_step(data)),
                (
                    "keep in touch",
                    record_lines.keep_in_touch(touch) if (touch := data["keep_in_touch"]) else None,
                ),
            ],
            title=f"contact #{data['id']} {data['name']}",
        )
        _record_parts(data)
    elif kind == "company":
        render.fields(
            [
                ("domain", data["domain"]),
                ("industry", data["industry"]),
                ("size", data["size"]),
                ("address", record_lines.address_lines(data["addresses"])),
                ("people", [f"#{p['id']} {p['name']}" for p in data["contacts"]]),
                ("tags", data["tags"]),
                ("notes", data["notes"]),
                ("added", _when(data["created_at"])),
                ("next step", _next_step(data)),
            ],
            title=f"company #{data['id']} {data['name']}",
        )
        _record_parts(data)
    else:
        from tinycrm.domain import labels

        render.fields(
            [
                ("stage", labels.stage(data["stage"], data["pipeline"])),
                ("status", labels.deal_status(data["status"], data["lost_reason"])),
                (
                    "value",
                    labels.deal_value(data["value_minor"], data["currency"], data["recurring"]),
                ),
                (
                    "probability",
                    f"{data['probability']}%" if data["probability"] is not None else None,
                ),
                ("contact", data["contact"]["name"] if data["contact"] else None),
                ("company", data["company"]["name"] if data["company"] else None),
                ("close", data["expected_close"]),
                ("qualified", record_lines.qualified(data["qualification"])),
                ("closed", _when(data["closed_at"])),
                ("in stage since", _when(data["stage_entered_at"])),
                ("tags", data["tags"]),
                ("notes", data["notes"]),
            ],
            title=f"deal #{data['id']} {data['title']}",
        )
        history = data.get("stage_history") or []
        if history:
            render.say("")
            render.say("Stage history")
            for change in history:
                step = (
                    f"{change['from']} -> {change['to']}"
                    if change["from"]
                    else f"created in {change['to']}"
                )
                render.say(f"  {_when(change['at'])}  {step}")
