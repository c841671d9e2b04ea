"""`crm show`: one contact, company or deal with everything tinycrm knows about it."""

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

    Examples: crm show jane; crm show "acme website"; crm show 12 --kind deal
    """
    from tinycrm.core import refs, views

    with state.database(write=False).snapshot() as session:
        hit = refs.resolve(session, ref, kinds_for(kind))
        data = views.describe(session, hit.kind, hit.id)
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


def _addresses(found: list[Any]) -> list[str]:
    from tinycrm.domain.parts import address_line

    return [address_line(a) + (f" ({a['label']})" if a["label"] else "") for a in found]


def _print(data: Mapping[str, Any]) -> None:
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
                ("address", _addresses(data["addresses"])),
                *[(d["label"] or d["kind"], d["date"]) for d in data["dates"]],
                ("photo", "yes" if data["photo"] else None),
                ("lifecycle", data["lifecycle"]),
                ("source", data["source"]),
                ("tags", data["tags"]),
                ("notes", data["notes"]),
                *[(k, v) for k, v in sorted(data["custom"].items())],
                ("added", _when(data["created_at"])),
            ],
            title=f"contact #{data['id']} {data['name']}",
        )
    elif kind == "company":
        render.fields(
            [
                ("domain", data["domain"]),
                ("industry", data["industry"]),
                ("size", data["size"]),
                ("address", _addresses(data["addresses"])),
                ("people", [f"#{p['id']} {p['name']}" for p in data["contacts"]]),
                ("tags", data["tags"]),
                ("notes", data["notes"]),
                ("added", _when(data["created_at"])),
            ],
            title=f"company #{data['id']} {data['name']}",
        )
    else:
        from tinycrm.domain import labels
        from tinycrm.domain.money import format_money

        render.fields(
            [
                ("stage", labels.stage(data["stage"], data["pipeline"])),
                ("status", labels.deal_status(data["status"], data["lost_reason"])),
                ("value", format_money(data["value_minor"], data["currency"])),
                (
                    "probability",
                    f"{data['probability']}%" if data["probability"] is not None else None,
                ),
                ("contact", data["contact"]["name"] if data["contact"] else None),
                ("company", data["company"]["name"] if data["company"] else None),
                ("close", data["expected_close"]),
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
