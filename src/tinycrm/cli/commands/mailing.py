"""`crm mail CONTACT` (write in $EDITOR, send, log) and `crm mail import PATH…` (email from a
Maildir, an mbox, `.eml` files or stdin logged as interactions with the contacts it was from
or to)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

# Skipped messages named one per line on stderr (--json lists them all).
SKIPPED_SHOWN = 20


class MailGroup(TyperGroup):
    """`crm mail`: a first word that is not one of its commands (nor an option) is the
    contact to write to, so `crm mail jane` is `crm mail send jane`."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["send", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=MailGroup,
    subcommand_metavar="CONTACT|COMMAND [ARGS]...",
    help="Write to a contact (crm mail CONTACT: $EDITOR, send, log it) or log email you have "
    "(crm mail import PATH…: a Maildir, an mbox, .eml files, or - for stdin).",
    no_args_is_help=True,
)


@app.command("send")
def send(
    ref: str = typer.Argument(..., help="The contact to write to (a name, an email or #id)."),
    deal: str | None = typer.Option(
        None, "--deal", help="The deal it is about (default: the contact's one open deal)."
    ),
    subject: str = typer.Option("", "--subject", "-s", help="The subject (editable in the draft)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the message; send nothing, log nothing."
    ),
) -> None:
    """Write to a contact in $EDITOR, send it (reminders' sendmail or SMTP server) and log it
    as an outbound email with its Message-ID. `crm mail CONTACT` is the same.

    Examples: crm mail jane --subject "The proposal"; crm mail jane --deal "acme website";
    crm mail jane --dry-run
    """
    from tinycrm.core import forms, interactions, outbox
    from tinycrm.domain.dates import local_tz
    from tinycrm.errors import TinyCrmError

    settings = state.settings()
    sender = outbox.sender_of(settings)
    if not dry_run:
        outbox.check_delivery(settings)
    now = state.now()
    db = state.database()
    with db.snapshot() as session:
        to = outbox.recipient(session, ref, deal)
    saved = forms.run_editor(
        outbox.draft_text(to.name, to.address, subject, settings.mail.signature)
    )
    if saved is None:
        raise TinyCrmError("the editor exited with an error; nothing was sent")
    draft = outbox.read_draft(saved)
    msg = outbox.compose(draft, sender, now, local_tz())
    if dry_run:
        sys.stdout.write(msg.as_string())
        return
    outbox.send(msg, settings)
    with db.transaction(now=now) as session:
        data = interactions.interaction_dict(session, outbox.log_sent(session, to, msg, draft, now))
    about = f" about deal #{data['deal']['id']} {data['deal']['title']}" if data["deal"] else ""
    render.say(
        f"Sent to {msg['To']}; logged email with {to.name}{about} (interaction #{data['id']})"
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
    from tinycrm.core import outbox
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
    report = maillog.import_mail(
        state.database(),
        letters,
        seller=outbox.own_addresses(state.settings()),
        now=state.now(),
        new_leads=new_leads,
        dry_run=dry_run,
    )
    if as_json:
        render.print_json(report.view())
        return
    render.say(report.line())
    if report.stopped:
        render.say_lines(report.stopped)
    for where, why in report.skipped[:SKIPPED_SHOWN]:
        render.warn(f"skipped {where}: {why}")
    if len(report.skipped) > SKIPPED_SHOWN:
        render.warn(f"… and {len(report.skipped) - SKIPPED_SHOWN} more skipped (--json lists them)")
