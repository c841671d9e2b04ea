"""`crm move`: push a deal to another stage, or close it as won or lost."""

from __future__ import annotations

import sys

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON


def _lost_reasons(incomplete: str) -> list[str]:
    """Complete --reason with the suggested reasons of [deals] lost_reasons."""
    from tinycrm.domain.text import starting_with
    from tinycrm.errors import TinyCrmError

    try:
        return starting_with(state.settings().deals.lost_reasons, incomplete)
    except TinyCrmError:  # a config file that cannot be read completes nothing
        return []


def _at_terminal() -> bool:
    """Tell whether a person is at a terminal to be asked."""
    return sys.stdin.isatty()


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
    as_json: bool = JSON,
) -> None:
    """Move a deal to a stage, or mark it won or lost.

    A deal lost without --reason, when [deals] lost_reasons are set, asks for one on a
    terminal (naming them); elsewhere the hint names them.

    Examples: crm move 12 present; crm move 12 won; crm move "acme site" lost --reason price
    """
    from tinycrm.core import deals, followups, refs, views
    from tinycrm.domain import dates
    from tinycrm.domain.text import fold
    from tinycrm.domain.values import CLOSED

    db = state.database()
    settings = state.settings().deals
    suggested = settings.lost_reasons if reason is None and fold(target) == "lost" else ()
    if suggested and _at_terminal():
        reason = _ask_reason(suggested)
        suggested = ()
    after_win = None
    with db.transaction() as session:
        the_deal = refs.resolve_deal(session, deal)
        was = the_deal.status
        where = deals.move_to(session, the_deal, target, state.now(), reason)
        data = views.deal_dict(session, the_deal, with_history=False)
        if where == "won":
            fu = followups.after_win(session, the_deal, state.now(), settings)
            if fu is not None:
                due = dates.describe(fu.due_at, True, calendar=state.calendar())
                after_win = f"Follow-up #{fu.id} {fu.title} due {due}"
            else:
                after_win = f"Schedule a check-in: {followups.check_in_hint(the_deal)}"
    if as_json:
        render.print_json(data)
    elif where in CLOSED:
        why = f" ({data['lost_reason']})" if data["lost_reason"] else ""
        render.say(f"Deal #{data['id']} {data['title']} is {where}{why}")
        if suggested:
            sys.stderr.write(
                render.shown(
                    f"hint: no reason given; the suggested ones are {', '.join(suggested)} "
                    f"(crm undo, then crm move {data['id']} lost --reason REASON)"
                )
                + "\n"
            )
        if after_win:
            render.say(after_win)
    elif was in CLOSED:
        render.say(f"Reopened deal #{data['id']} {data['title']} in {where} (it was {was})")
    else:
        render.say(f"Moved deal #{data['id']} {data['title']} to {where}")
