"""`crm sequence add|list|show|delete|start|stop`: timed steps scheduled as follow-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, QUIET_NEW

if TYPE_CHECKING:
    from tinycrm.domain.sequences import RunView

sequence_app = typer.Typer(
    help="Sequences of follow-ups: add, list, show, delete, start, stop.", no_args_is_help=True
)


@sequence_app.command("add")
def sequence_add(
    name: str = typer.Argument(..., help="A name for the sequence, e.g. Onboarding."),
    step: list[str] = typer.Option(
        [], "--step", "-s", help='A step: "<N>d <kind>: <title>", e.g. "3d email: case study".'
    ),
    business_days: bool = typer.Option(
        False, "--business-days", help="Count Monday to Friday only."
    ),
    as_json: bool = JSON,
    quiet: bool = QUIET_NEW,
) -> None:
    """Add a sequence: steps some days after its start, each a call, email, meeting, message
    or note.

    Example: crm sequence add Onboarding --step "0d call: intro" --step "3d email: case study"
    --step "7d call: check in" --business-days
    """
    from tinycrm.core import sequences

    now = state.now()
    with state.database().transaction(now=now) as session:
        made = sequences.add_sequence(session, name, step, now, business_days)
        data = sequences.sequence_dict(session, made)
    if as_json:
        render.print_json(data)
        return
    if quiet:
        render.say(str(data["id"]))
        return
    days = "business days" if data["business_days"] else "days"
    render.say(f"Added sequence {data['name']} ({len(data['steps'])} steps, in {days})")


@sequence_app.command("list")
def sequence_list(as_json: bool = JSON) -> None:
    """List the sequences: their steps and active runs. Example: crm sequence list"""
    from tinycrm.core import sequences

    with state.database(write=False).snapshot() as session:
        rows = sequences.sequence_rows(session)
    if as_json:
        render.print_json(rows)
        return
    shown = [{**row, "days": "business" if row["business_days"] else "calendar"} for row in rows]
    columns = [("name", "Sequence"), ("steps", "Steps"), ("days", "Days"),
               ("active_runs", "Active runs")]  # fmt: skip
    render.table(shown, columns, title="sequences")


@sequence_app.command("show")
def sequence_show(
    name: str = typer.Argument(..., help="The sequence's name."), as_json: bool = JSON
) -> None:
    """Show a sequence's steps, and its runs with their contact, status and next step.

    Example: crm sequence show Onboarding
    """
    from tinycrm.core import sequences

    with state.database(write=False).snapshot() as session:
        data = sequences.sequence_dict(session, sequences.get_sequence(session, name))
    if as_json:
        render.print_json(data)
        return
    days = "business days" if data["business_days"] else "days"
    render.say(f"sequence {data['name']} (in {days})")
    steps = [
        {"position": s["position"], "day": f"day {s['day']}", "what": f"{s['kind']}: {s['title']}"}
        for s in data["steps"]
    ]
    render.table(steps, [("position", "#"), ("day", "When"), ("what", "Step")], title="steps")
    if data["runs"]:
        render.say("")
        rows = [_run_row(run, len(data["steps"])) for run in data["runs"]]
        columns = [("id", "Run"), ("contact", "Contact"), ("deal", "Deal"),
                   ("started", "Started"), ("status", "Status"), ("next", "Next step")]  # fmt: skip
        render.table(rows, columns, title="runs")


def _local_day(value: str | None) -> str:
    """The seller's local day of a follow-up's due time as JSON writes it (an all-day
    follow-up is due at its local midnight, which may be another day in UTC)."""
    if not value:
        return ""
    from datetime import datetime

    from tinycrm.domain import dates

    return state.calendar().show_day(
        datetime.fromisoformat(value).astimezone(dates.local_tz()).date()
    )


def _run_row(run: RunView, steps: int) -> dict[str, Any]:
    status = run["status"]
    if run["stop_reason"]:
        status += f" ({run['stop_reason']})"
    following = run["next_step"]
    shown = ""
    if following is not None:
        shown = f"{following['step']}/{steps} {following['title']}, {_local_day(following['due'])}"
    return {
        "id": run["id"],
        "contact": run["contact"]["name"] if run["contact"] else "",
        "deal": run["deal"]["name"] if run["deal"] else "",
        "started": render.day(run["started"]),
        "status": status,
        "next": shown,
    }


@sequence_app.command("delete")
def sequence_delete(name: str = typer.Argument(..., help="The sequence's name.")) -> None:
    """Delete a sequence: its active runs stop and their open follow-ups are cancelled (the
    done ones stay); `crm undo` brings it all back. Example: crm sequence delete Onboarding
    """
    from tinycrm.core import sequences

    now = state.now()
    with state.database().transaction(now=now) as session:
        sequence = sequences.get_sequence(session, name)
        stopped = sequences.delete_sequence(session, sequence, now)
    render.say_lines([f"Deleted sequence {sequence.name}", *(run.said() for run in stopped)])


@sequence_app.command("start")
def sequence_start(
    name: str = typer.Argument(..., help="The sequence's name."),
    ref: str = typer.Argument(..., help="The contact, or a deal (then its contact)."),
    at: str | None = typer.Option(None, "--at", help="The start day (default: today)."),
    keep_on_reply: bool = typer.Option(
        False, "--keep-on-reply", help="Keep going when the contact replies."
    ),
    as_json: bool = JSON,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only the run's id."),
) -> None:
    """Start a sequence on a contact or a deal: each step becomes an all-day follow-up on its
    day. A reply from the contact (an inbound interaction) stops the rest, unless
    --keep-on-reply.

    Examples: crm sequence start Onboarding jane; crm sequence start Onboarding "acme website"
    --at "next mon"
    """
    from tinycrm.core import followups, refs, sequences
    from tinycrm.domain import dates
    from tinycrm.store.models import Contact, Deal

    now = state.now()
    cal = state.calendar()
    tz = dates.local_tz()
    day = dates.parse_day(at, now, tz, cal) if at else now.astimezone(tz).date()
    with state.database().transaction(now=now) as session:
        sequence = sequences.get_sequence(session, name)
        hit = refs.resolve_first(session, ref, ("contact", "deal"))
        on_contact = session.get(Contact, hit.id) if hit.kind == "contact" else None
        on_deal = session.get(Deal, hit.id) if hit.kind == "deal" else None
        contact, deal = sequences.contact_and_deal(session, on_contact, on_deal)
        run, made = sequences.start(
            session, sequence, contact, deal, day, now, keep_on_reply=keep_on_reply, tz=tz
        )
        data = sequences.run_dict(session, run, sequence)
        follow_ups = [followups.follow_up_dict(session, fu) for fu in made]
    if as_json:
        render.print_json({**data, "follow_ups": follow_ups})
        return
    if quiet:
        render.say(str(run.id))
        return
    about = f" (deal #{deal.id} {deal.title})" if deal else ""
    lines = [f"Started sequence {sequence.name} for {contact.name}{about}: run #{run.id}"]
    for position, fu in enumerate(follow_ups, start=1):
        when = _local_day(fu["due"])
        lines.append(f"  {position}/{len(made)} {when:<12} #{fu['id']} {fu['title']}")
    render.say_lines(lines)


@sequence_app.command("stop")
def sequence_stop(
    first: str = typer.Argument(..., metavar="NAME", help="The sequence (or the contact)."),
    second: str | None = typer.Argument(
        None, metavar="[CONTACT|DEAL]", help="The contact, or a deal (then its contact)."
    ),
) -> None:
    """Stop a sequence for a contact (or, given a contact alone, all of their sequences):
    the open follow-ups it scheduled are cancelled, the done ones stay.

    Examples: crm sequence stop Onboarding jane; crm sequence stop jane
    """
    import shlex

    from tinycrm.core import refs, sequences
    from tinycrm.errors import NotFoundError, UsageError
    from tinycrm.store.models import Contact, Deal

    now = state.now()
    name, ref = (first, second) if second is not None else (None, first)
    with state.database().transaction(now=now) as session:
        sequence = sequences.get_sequence(session, name) if name is not None else None
        try:
            hit = refs.resolve_first(session, ref, ("contact", "deal"))
        except NotFoundError:
            if name is None and sequences.find_sequence(session, ref) is not None:
                raise UsageError(
                    f"{ref} is a sequence; name the contact too",
                    hint=f"crm sequence stop {shlex.quote(ref)} CONTACT",
                ) from None
            raise
        on_contact = session.get(Contact, hit.id) if hit.kind == "contact" else None
        on_deal = session.get(Deal, hit.id) if hit.kind == "deal" else None
        contact, _deal = sequences.contact_and_deal(session, on_contact, on_deal)
        stopped = sequences.stop(session, contact, now, sequence)
    render.say_lines([run.said() for run in stopped])
