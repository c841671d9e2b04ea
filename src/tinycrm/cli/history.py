"""`crm undo` and `crm redo`: step back through whole commands."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state


def register(app: typer.Typer) -> None:
    """Add `undo` and `redo` to the root app."""
    app.command("undo")(undo)
    app.command("redo")(redo)


def undo(
    steps: int = typer.Argument(1, min=1, help="How many commands to undo."),
) -> None:
    """Undo the last command that changed something (from the CLI or the board).

    Example: crm undo; crm undo 3
    """
    from tinycrm.core import history

    db = state.database()
    for _ in range(steps):
        with db.transaction(summary="undo") as session:
            done = history.undo(session, state.now())
        render.say(f"Undid: {done.summary or 'a change'} ({done.changes} changes)")


def redo(
    steps: int = typer.Argument(1, min=1, help="How many undone commands to re-apply."),
) -> None:
    """Re-apply what `crm undo` took back, if nothing changed since.

    Example: crm redo
    """
    from tinycrm.core import history

    db = state.database()
    for _ in range(steps):
        with db.transaction(summary="redo") as session:
            done = history.redo(session, state.now())
        render.say(f"Redid: {done.summary or 'a change'} ({done.changes} changes)")
