"""`crm log` (record a call, email, meeting, message or note) and `crm timeline`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, QUIET_NEW, RECORD_KIND, kinds_for

if TYPE_CHECKING:
    from tinycrm.domain.rows import TimelineEntry


def log(
    ref: str = typer.Argument(..., help="The contact (or a deal: then its contact)."),
    kind: str = typer.Argument(..., help="call, email, meeting, message or note."),
    summary: str = typer.Argument(..., help="What happened, in a line."),
    at: str | None = typer.Option(None, "--at", help="When (default: now), e.g. 2026-11-20."),
    deal: str | None = typer.Option(None, "--deal", help="The deal it was about."),
    out: bool = typer.Option(False, "--out", help="You reached out."),
    in_: bool = typer.Option(False, "--in", help="They reached out."),
    as_json: bool = JSON,
    quiet: bool = QUIET_NEW,
) -> None:
    """Log an interaction with a contact. One they started (--in: a reply) stops the
    sequences running on them, except those started with --keep-on-reply.

    Examples: crm log jane call "talked budget" --out; crm log "acme website" meeting "demo"
    --at 2026-11-20; crm log jane email "sent the proposal" --deal "acme website"
    """
    from tinycrm.core import interactions, refs, runs
    from tinycrm.domain import dates
    from tinycrm.errors import UsageError
    from tinycrm.store.models import Contact, Deal

    if out and in_:
        raise UsageError("give --out or --in, not both")
    direction = "out" if out else "in" if in_ else None
    the_kind = interactions.check_kind(kind)
    now = state.now()
    cal = state.calendar()
    when = interactions.when_it_happened(at, now, calendar=cal)
    db = state.database()
    with db.transaction(now=now) as session:
        hit = refs.resolve_first(session, ref, ("contact", "deal"))
        contact: Contact | None = None
        the_deal: Deal | None = None
        if hit.kind == "deal":
            the_deal = refs.resolve_deal(session, f"#{hit.id}")
            if deal is not None and refs.resolve_deal(session, deal).id != hit.id:
                raise UsageError("the record is a deal; --deal names another deal")
            contact = session.get(Contact, the_deal.contact_id) if the_deal.contact_id else None
        else:
            contact = refs.resolve_contact(session, f"#{hit.id}")
            the_deal = refs.resolve_deal(session, deal) if deal else None
        item = interactions.log_interaction(
            session,
            the_kind,
            summary,
            now=now,
            at=when,
            contact=contact,
            deal=the_deal,
            direction=direction,
        )
        data = interactions.interaction_dict(session, item)
        stopped = runs.stopped_by_reply(session)
    about = f" about deal #{data['deal']['id']}" if data["deal"] else ""
    with_whom = f" with {contact.name}" if contact else ""
    render.record(
        data,
        as_json,
        quiet,
        f"Logged {the_kind}{with_whom}{about} at {dates.show(when, calendar=cal)}"
        f" (interaction #{data['id']})",
    )
    if stopped and not (as_json or quiet):
        render.say_lines(stopped)


def _when(value: str | None) -> str:
    from datetime import datetime

    from tinycrm.domain import dates

    return dates.show(datetime.fromisoformat(value), calendar=state.calendar()) if value else ""


def _about(entry: TimelineEntry) -> str:
    parts = []
    contact, deal = entry.get("contact"), entry.get("deal")
    if contact:
        parts.append(contact["name"] or "")
    if deal:
        parts.append(f"deal #{deal['id']} {deal['title']}")
    if entry.get("fields"):
        parts.append(", ".join(entry.get("fields", [])))
    return "; ".join(p for p in parts if p)


def timeline(
    ref: str = typer.Argument(..., help="A contact, company or deal."),
    kind: str | None = RECORD_KIND,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most N entries."),
    as_json: bool = JSON,
) -> None:
    """Show what happened with a contact, company or deal, newest first: interactions, stage
    changes, follow-ups and edits.

    Examples: crm timeline jane; crm timeline "acme website" --limit 10 --json
    """
    from tinycrm.core import refs
    from tinycrm.core import timeline as timelines

    with state.database(write=False).snapshot() as session:
        hit = refs.resolve(session, ref, kinds_for(kind))
        entries = timelines.timeline(session, hit.kind, hit.id, limit=limit)
    if as_json:
        render.print_json(entries)
        return
    rows = [
        {
            "when": _when(e["at"]),
            "what": timelines.label(e),
            "summary": e["summary"],
            "about": _about(e),
        }
        for e in entries
    ]
    with render.paged():
        render.say(f"{hit.kind} #{hit.id} {hit.label}")
        render.table(
            rows,
            [("when", "When"), ("what", "What"), ("summary", "Summary"), ("about", "About")],
            title="entries",
        )
