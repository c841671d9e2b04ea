"""`crm move`: push a deal to another stage, or close it as won or lost."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON


def move(
    deal: str = typer.Argument(..., help="The deal: id, #id or part of its title."),
    target: str = typer.Argument(..., help="A stage (any unambiguous prefix), won or lost."),
    reason: str | None = typer.Option(None, "--reason", "-r", help="Why it was lost."),
    as_json: bool = JSON,
) -> None:
    """Move a deal to a stage, or mark it won or lost.

    Examples: crm move 12 present; crm move 12 won; crm move "acme site" lost --reason price
    """
    from tinycrm.core import deals, followups, refs, views
    from tinycrm.domain import dates
    from tinycrm.domain.values import CLOSED

    db = state.database()
    settings = state.settings().deals
    after_win = None
    with db.transaction() as session:
        the_deal = refs.resolve_deal(session, deal)
        was = the_deal.status
        where = deals.move_to(session, the_deal, target, state.now(), reason)
        data = views.deal_dict(session, the_deal, with_history=False)
        if where == "won":
            fu = followups.after_win(session, the_deal, state.now(), settings)
            if fu is not None:
                after_win = f"Follow-up #{fu.id} {fu.title} due {dates.describe(fu.due_at, True)}"
            else:
                after_win = f"Schedule a check-in: {followups.check_in_hint(the_deal)}"
    if as_json:
        render.print_json(data)
    elif where in CLOSED:
        why = f" ({data['lost_reason']})" if data["lost_reason"] else ""
        render.say(f"Deal #{data['id']} {data['title']} is {where}{why}")
        if after_win:
            render.say(after_win)
    elif was in CLOSED:
        render.say(f"Reopened deal #{data['id']} {data['title']} in {where} (it was {was})")
    else:
        render.say(f"Moved deal #{data['id']} {data['title']} to {where}")
