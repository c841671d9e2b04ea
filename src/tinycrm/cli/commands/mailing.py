"""`crm mail import PATH…`: email from a Maildir, an mbox, `.eml` files or stdin logged as
interactions with the contacts it was from or to."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

# Skipped messages named one per line on stderr (--json lists them all).
SKIPPED_SHOWN = 20

app = typer.Typer(
    help="Log email as interactions: crm mail import PATH… (a Maildir, an mbox, .eml files, "
    "or - for one message on stdin).",
    no_args_is_help=True,
)


@app.command("import")
def import_mail(
    paths: list[str] = typer.Argument(
        ..., help="Maildirs, mbox files, .eml files or folders of them; - reads stdin."
    ),
    new_leads: bool = typer.Option(
        False, "--new-leads", help="Add strangers as lead contacts and log their messages too."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be logged; write nothing."
    ),
    as_json: bool = JSON,
) -> None:
    """Log each message from or to a known contact as an email interaction, once (its
    Message-ID is kept): out when you sent it (mail.addresses, reminders.email_from), in when
    the contact did; attached to the contact's one open deal. Strangers are listed.

    Examples: crm mail import ~/Mail/INBOX; crm mail import sent.mbox --new-leads;
    crm mail import - < message.eml
    """
    from tinycrm.errors import UsageError
    from tinycrm.io import mail, maillog

    if paths.count("-") > 1:
        raise UsageError("stdin (-) can be read once")
    letters: list[mail.Letter] = []
    for path in paths:
        if path == "-":
            letters += mail.read_stdin(sys.stdin.buffer.read())
        else:
            letters += mail.read_path(Path(path).expanduser())
    settings = state.settings()
    seller = list(settings.mail.addresses)
    if settings.reminders.email_from:
        seller.append(settings.reminders.email_from)
    report = maillog.import_mail(
        state.database(),
        letters,
        seller=seller,
        now=state.now(),
        new_leads=new_leads,
        dry_run=dry_run,
    )
    if as_json:
        render.print_json(report.view())
        return
    render.say(report.line())
    for where, why in report.skipped[:SKIPPED_SHOWN]:
        render.warn(f"skipped {where}: {why}")
    if len(report.skipped) > SKIPPED_SHOWN:
        render.warn(f"… and {len(report.skipped) - SKIPPED_SHOWN} more skipped (--json lists them)")
