"""`crm undo`, `crm redo` and `crm history`: whole commands, what they changed, and stepping
back and forth through them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, RECORD_KIND, kinds_for

if TYPE_CHECKING:
    from tinycrm.domain.rows import HistoryEvent


def undo(
    steps: int = typer.Argument(1, min=1, help="How many commands to undo."),
) -> None:
    """Undo the last command that changed something (from the CLI or the board).

    With N, the last N commands, all or none: if fewer than N can be undone, nothing is.
    Example: crm undo; crm undo 3
    """
    from tinycrm.store import history

    with state.database().transaction() as session:
        done = history.undo_steps(session, state.now(), steps)
    for group in done:
        render.say(f"Undid: {group.summary or 'a change'} ({group.changes} changes)")


def redo(
    steps: int = typer.Argument(1, min=1, help="How many undone commands to re-apply."),
) -> None:
    """Re-apply what `crm undo` took back, the command undone last first.

    A new change after an undo ends what can be redone. With N, all or none: if fewer than N
    can be redone, nothing is.
    Example: crm redo; crm redo 2
    """
    from tinycrm.store import history

    with state.database().transaction() as session:
        done = history.redo_steps(session, state.now(), steps)
    for group in done:
        render.say(f"Redid: {group.summary or 'a change'} ({group.changes} changes)")


def history(
    ref: str | None = typer.Argument(None, help="Only this contact, company or deal."),
    kind: str | None = RECORD_KIND,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show at most N entries."),
    as_json: bool = JSON,
) -> None:
    """List the commands that changed something, newest first; with REF, that record's changes.

    Examples: crm history; crm history --limit 5 --json; crm history jane
    """
    from tinycrm.core import events, refs

    with state.database(write=False).snapshot() as session:
        if ref is None:
            groups = events.list_groups(session, limit=limit)
        else:
            hit = refs.resolve(session, ref, kinds_for(kind))
            evs = events.record_events(session, hit.kind, hit.id, limit=limit)
            names = events.tag_names(session, evs)
            found = [events.event_dict(ev, names) for ev in evs]
    if ref is None:
        if as_json:
            render.print_json(groups)
            return
        rows = [
            {
                "when": _when(g["at"]),
                "summary": g["summary"] or "",
                "origin": g["origin"],
                "changes": g["changes"],
                "undone": "undone" if g["undone"] else "",
            }
            for g in groups
        ]
        columns = [("when", "When"), ("summary", "Command"), ("origin", "From"),
                   ("changes", "Changes"), ("undone", "")]  # fmt: skip
        render.table(rows, columns, title="changes yet")
        return
    if as_json:
        render.print_json(found)
        return
    render.say(f"{hit.kind} #{hit.id} {hit.label}")
    rows = [
        {
            "when": _when(e["at"]),
            "summary": (e["summary"] or "") + (" (undone)" if e["undone"] else ""),
            "change": _change(e),
        }
        for e in found
    ]
    # an update that only moved the record's updated time says nothing on its own
    rows = [row for row in rows if row["change"]]
    render.table(rows, [("when", "When"), ("summary", "Command"), ("change", "Change")], "changes")


def _when(value: str | None) -> str:
    from datetime import datetime

    from tinycrm.domain import dates

    return dates.show(datetime.fromisoformat(value), calendar=state.calendar()) if value else ""


def _short(value: Any) -> str:
    text = "(empty)" if value is None or value == "" else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _change(event: HistoryEvent) -> str:
    """Describe one event in words: what was created, removed, or changed from what to what."""
    from tinycrm.core.events import QUIET_COLUMNS

    entity = str(event["entity"]).replace("_", " ")
    row = event["after"] or event["before"] or {}
    detail = row.get("email") or row.get("phone") or row.get("url") or ""
    if event["entity"].endswith("_tag"):
        entity, detail = "tag", str(event.get("tag") or "")
    if event["action"] == "create":
        return f"added {entity} {detail}".strip()
    if event["action"] == "delete":
        return f"removed {entity} {detail}".strip()
    before, after = event["before"] or {}, event["after"] or {}
    parts = [
        f"{key}: {_short(before.get(key))} -> {_short(after.get(key))}"
        for key in sorted(after)
        if key not in QUIET_COLUMNS
    ]
    return "; ".join(parts)
