"""`crm board` and `crm demo`: the full-screen board, on your data or on a demo pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tinycrm.cli import render, state

if TYPE_CHECKING:
    from tinycrm.tui.app import CrmApp


def board(
    pipeline: str | None = typer.Option(
        None, "--pipeline", "-p", help="Pipeline to show (default: the default one)."
    ),
) -> None:
    """Open the full-screen pipeline board (press ? inside for every key).

    Example: crm board; crm board --pipeline partners
    """
    from tinycrm.core import pipelines
    from tinycrm.tui.app import CrmApp

    db = state.database()
    if pipeline:
        with db.snapshot() as session:
            pipelines.get_pipeline(session, pipeline)
    run(CrmApp(db, pipeline))


def run(app: CrmApp) -> None:
    """Run the board; a crash is one error line and exit code 1, never a traceback."""
    from tinycrm.errors import TinyCrmError

    app.run()
    if app.return_code:
        what = f": {app.crash}" if app.crash is not None else ""
        raise TinyCrmError(f"the board stopped after an unexpected error{what}")


def demo(
    reset: bool = typer.Option(False, "--reset", help="Throw the demo data away and make it anew."),
    no_board: bool = typer.Option(
        False, "--no-board", help="Only load the demo data and print the database's path."
    ),
) -> None:
    """Open the board on a demo pipeline, kept in its own database (never yours).

    The first run fills it with seeded contacts, deals and follow-ups placed around today;
    later runs reuse it unless --reset. Try it with: crm --db "$(crm demo --no-board)" list deals
    """
    from tinycrm import paths
    from tinycrm.core import demo as demo_data

    path = paths.demo_db()
    db, filled = demo_data.demo_database(path, state.now(), reset=reset)
    if no_board:
        render.say(str(path))
        db.dispose()
        return
    if filled:
        render.say(f"Loaded the demo data into {path}")
    from tinycrm.tui.app import CrmApp

    run(CrmApp(db, hooks=False))  # the demo's made-up deals are no news for your hooks
