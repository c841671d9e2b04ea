"""`crm move`: push a deal to another stage, or close it as won or lost."""

from __future__ import annotations

import sys

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, NO_NEXT


def _lost_reasons(incomplete: str) -> list[str]:
    """Complete --reason with the suggested reasons of [deals] lost_reasons."""
    from tinycrm.domain.text import starting_with
    from tinycrm.errors import TinyCrmError

    try:
        return starting_with(state.settings().deals.lost_reasons, incomplete)
    except TinyCrmError:  # a config file that cannot be read completes nothing
        return []


def _at_terminal() -> bool:
    """Tell whether a person is at a terminal to be asked (the rule the next step's question
    follows too)."""
    from tinycrm.cli import nextstep

    return nextstep.interactive()


def _ask_reason(reasons: tuple[str, ...]) -> str:
    """Ask on the terminal why the deal was lost, naming the suggested reasons (any text is
    taken; Enter gives none)."""
    answer = typer.prompt(
        f"Why was it lost? ({', '.join(reasons)}; Enter for none)",
        default="",
        show_default=False,
    )
    return str(answer)


def move(
    deal: str = typer.Argument(..., help="The deal: id, #id or part of its title."),
    target: str = typer.Argument(..., help="A stage (any unambiguous prefix), won or lost."),
    reason: str | None = typer.Option(
        None,
        "--reason",
        "-r",
        help="Why it was lost (completes [deals] lost_reasons; any text is taken).",
        autocompletion=_lost_reasons,
    ),
    no_next: bool = NO_NEXT,
    as_json: bool = JSON,
) -> None:
    """Move a deal to a stage, or mark it won or lost.

    A win makes the deal's contact a customer; closing a deal cancels or keeps its open
    follow-ups, as deals.close_follow_ups says. On a terminal, a stage move and a win ask
    for the next step (a follow-up about the deal); --no-next doesn't ask. A deal lost
    without --reason, when [deals] lost_reasons are set, asks for one on a terminal (naming
    them); elsewhere the hint names them.

    Examples: crm move 12 present; crm move 12 won; crm move "acme site" lost --reason price
    """
    from tinycrm.core import closing, followups, refs, views
    from tinycrm.domain import dates
    from tinycrm.domain.text import fold
    from tinycrm.domain.values import CLOSED, DealStatus

    db = state.database()
    settings = state.settings().deals
    suggested = settings.lost_reasons if reason is None and fold(target) == "lost" else ()
    if suggested and not as_json and _at_terminal():
        reason = _ask_reason(suggested)
        suggested = ()
    lines: list[str] = []
    with db.transaction() as session:
        the_deal = refs.resolve_deal(session, deal)
        moved = closing.move_to(session, the_deal, target, state.now(), reason, settings)
        data = views.deal_dict(session, the_deal, with_history=False)
        done = moved.closed
        if done is not None:
            lines.append(closing.closed_said(done))
            said = closing.follow_ups_said(done)
            if said:
                lines.append(said)
        if done is not None and done.status == DealStatus.WON:
            fu = done.check_in
            if fu is not None:
                due = dates.describe(fu.due_at, True, calendar=state.calendar())
                lines.append(f"Follow-up #{fu.id} {fu.title} due {due}")
            else:
                lines.append(f"Schedule a check-in: {followups.check_in_hint(the_deal)}")
    if as_json:
        render.print_json(data)
        return
    name = f"deal #{data['id']} {data['title']}"
    if moved.was in CLOSED and done is None:
        kept = moved.still_customer
        stays = f"; {kept.name} stays a customer" if kept is not None else ""
        lines.append(f"Reopened {name} in {moved.where} (it was {moved.was}){stays}")
    elif done is None:
        lines.append(f"Moved {name} to {moved.where}")
    render.say_lines(lines)
    if suggested and done is not None and done.status == DealStatus.LOST:
        sys.stderr.write(
            render.shown(
                f"hint: no reason given; the suggested ones are {', '.join(suggested)} "
                f"(crm undo, then crm move {data['id']} lost --reason REASON)"
            )
            + "\n"
        )
    if not no_next and moved.where != DealStatus.LOST:
        from tinycrm.cli import nextstep

        if nextstep.interactive():
            name = f"#{data['id']} {data['title']}"
            nextstep.offer(name, deal_id=data["id"], contact_id=None)
