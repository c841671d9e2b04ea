"""`crm score` and `crm segment …`: a contact's lead score, and saved filters."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import BANT, JSON, QUALIFIED, qualification, value_bounds

segment_app = typer.Typer(help="Saved filters: save, list, show, delete.", no_args_is_help=True)


def score(
    ref: str = typer.Argument(..., help="The contact: id, #id, email or part of the name."),
    as_json: bool = JSON,
) -> None:
    """Explain a contact's lead score, rule by rule.

    The rules are in config.toml [scoring]. Example: crm score jane
    """
    from tinycrm.core import refs, scoring

    rules = scoring.rules_from(state.settings().scoring)
    with state.database(write=False).snapshot() as session:
        hit = refs.resolve(session, ref, ("contact",))
        data = scoring.explain(session, hit.id, rules, state.now())
    if as_json:
        render.print_json(data)
        return
    render.say(f"Score of contact #{data['id']} {data['name']}: {data['score']}")
    for line in data["lines"]:
        render.say(f"  {line['points']:>+4}  {line['rule']}: {line['detail']}")


# --- segments -------------------------------------------------------------------------------


@segment_app.command("save")
def segment_save(
    name: str = typer.Argument(..., help="A name for the segment, e.g. hot."),
    tag: list[str] = typer.Option([], "--tag", help="Contacts with this tag (repeatable)."),
    lifecycle: str | None = typer.Option(None, "--lifecycle", help="lead, prospect, …"),
    source: str | None = typer.Option(None, "--source", help="Lead source."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    contact_name: str | None = typer.Option(None, "--name", help="Contact name contains."),
    pipeline_name: str | None = typer.Option(None, "--pipeline", help="Deals of a pipeline."),
    stage: str | None = typer.Option(None, "--stage", help="Deals in a stage."),
    status: str | None = typer.Option(None, "--status", help="Deals open, won or lost."),
    min_value: str | None = typer.Option(None, "--min-value", help="Deals worth at least."),
    max_value: str | None = typer.Option(None, "--max-value", help="Deals worth at most."),
    qualified: int | None = QUALIFIED,
    bant: str | None = BANT,
    replace: bool = typer.Option(False, "--replace", help="Overwrite a segment of that name."),
    as_json: bool = JSON,
) -> None:
    """Save filters under a name, for `--segment NAME` in lists and reports.

    Examples: crm segment save hot --tag vip --lifecycle prospect;
    crm segment save ready --status open --qualified 3
    """
    from tinycrm.core import listing, segments

    flt = listing.ListFilter(
        tags=tuple(tag),
        lifecycle=lifecycle,
        source=source,
        company=company,
        text=contact_name,
        pipeline=pipeline_name,
        stage=stage,
        status=status,
        **value_bounds(min_value, max_value),
        **qualification(qualified, bant),
    )
    with state.database().transaction(now=state.now()) as s:
        saved = segments.save_segment(s, name, flt, state.now(), replace)
        data = segments.segment_dict(s, saved.name)
    if as_json:
        render.print_json(data)
    else:
        render.say(f"Saved segment {data['name']}: {_describe(data['filters'])}")


def _describe(filters: dict[str, Any]) -> str:
    parts = []
    for key, value in filters.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts)


@segment_app.command("list")
def segment_list(as_json: bool = JSON) -> None:
    """List saved segments. Example: crm segment list"""
    from tinycrm.core import segments

    with state.database(write=False).snapshot() as session:
        data = segments.segment_dicts(session)
    if as_json:
        render.print_json(data)
        return
    rows = [{"name": d["name"], "filters": _describe(d["filters"])} for d in data]
    render.table(rows, [("name", "Segment"), ("filters", "Filters")], title="segments")


@segment_app.command("show")
def segment_show(
    name: str = typer.Argument(..., help="The segment's name."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Contacts shown."),
    as_json: bool = JSON,
) -> None:
    """Show a segment's filters, how many contacts and deals it holds, and its contacts.

    Example: crm segment show hot
    """
    from tinycrm.core import listing, segments

    with state.database(write=False).snapshot() as session:
        seg = segments.segment_dict(session, name)
        flt = segments.filter_from_json(seg["filters"])
        counts = segments.count(session, flt)
        people = listing.list_contacts(
            session,
            listing.ListFilter(),
            listing.Page(limit=limit),
            where=segments.contact_condition(session, flt),
        )
        data = {**seg, **counts, "first_contacts": people}
    if as_json:
        render.print_json(data)
        return
    render.fields(
        [("filters", _describe(seg["filters"])), ("contacts", str(counts["contacts"])),
         ("deals", str(counts["deals"]))],
        title=f"segment {data['name']}",
    )  # fmt: skip
    render.say("")
    columns = [("id", "#"), ("name", "Name"), ("company", "Company"), ("email", "Email"),
               ("lifecycle", "Lifecycle"), ("tags", "Tags")]  # fmt: skip
    render.table(people, columns, title="contacts")


@segment_app.command("delete")
def segment_delete(name: str = typer.Argument(..., help="The segment's name.")) -> None:
    """Delete a segment; its contacts and deals are not touched. Example: crm segment delete hot"""
    from tinycrm.core import segments

    with state.database().transaction(now=state.now()) as s:
        seg = segments.delete_segment(s, name)
    render.say(f"Deleted segment {seg.name}")
