"""`crm qualify`: a deal's qualification (BANT): budget, authority, need and timing."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

_ANSWER = "yes, no or unknown (y, n too)."


def qualify(
    deal: str = typer.Argument(..., help="The deal: id, #id or part of its title."),
    budget: str | None = typer.Option(None, "--budget", help=f"Can they pay? {_ANSWER}"),
    authority: str | None = typer.Option(
        None, "--authority", help=f"Does the contact decide? {_ANSWER}"
    ),
    need: str | None = typer.Option(None, "--need", help=f"Do they need it? {_ANSWER}"),
    timing: str | None = typer.Option(None, "--timing", help=f"Will they buy soon? {_ANSWER}"),
    as_json: bool = JSON,
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only the deal's id."),
) -> None:
    """Record a deal's qualification (BANT); with no option, show it.

    Each criterion is yes, no or unknown (not known yet); the ones not given keep their
    answers. Examples: crm qualify "acme website" --budget yes --need yes;
    crm qualify 12 --timing no; crm qualify 12
    """
    from tinycrm.core import qualify as qualifying
    from tinycrm.core import refs
    from tinycrm.domain.qualification import read_answer, summary, yes_count

    given = {"budget": budget, "authority": authority, "need": need, "timing": timing}
    answers = {name: read_answer(name, text) for name, text in given.items() if text is not None}
    db = state.database(write=bool(answers))
    if answers:
        with db.transaction(now=state.now()) as session:
            found = refs.resolve_deal(session, deal)
            now = qualifying.qualify(session, found, answers, state.now())
            deal_id, title = found.id, found.title
    else:
        with db.snapshot() as session:
            found = refs.resolve_deal(session, deal)
            now = qualifying.qualification_of(found)
            deal_id, title = found.id, found.title
    if as_json:
        render.print_json(
            {"id": deal_id, "title": title, "qualification": now, "qualified": yes_count(now)}
        )
        return
    render.say(str(deal_id) if quiet else f"Deal #{deal_id} {title}: {summary(now)}")
