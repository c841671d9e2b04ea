"""`crm delete`, `restore`, `trash`, `forget` and `merge`: the end of a record's life; and
`crm duplicates`, which finds the records to merge."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON, QUIET_IDS, RECORD_KIND, kinds_for

YES = typer.Option(False, "--yes", "-y", help="Do it without asking (for scripts).")


def delete(
    ref: str = typer.Argument(..., help="An id (#12), an email, or part of a name or title."),
    yes: bool = YES,
    kind: str | None = RECORD_KIND,
) -> None:
    """Move a contact, company or deal to the trash (crm restore brings it back).

    Examples: crm delete jane; crm delete 12 --kind deal --yes
    """
    from tinycrm.core import refs, trash

    kinds = kinds_for(kind)
    db = state.database()
    with db.snapshot() as session:
        hit = refs.resolve(session, ref, kinds)
    render.confirm(f"Move {hit} to the trash?", yes)
    with db.transaction() as session:
        trash.delete(session, f"#{hit.id}", state.now(), (hit.kind,))
    render.say(f"Moved {hit} to the trash (crm restore {hit.id} --kind {hit.kind})")


def restore(
    ref: str = typer.Argument(..., help="A trashed record: id, email, or part of its name."),
    kind: str | None = RECORD_KIND,
) -> None:
    """Take a contact, company or deal out of the trash.

    Example: crm restore jane
    """
    from tinycrm.core import trash

    db = state.database()
    with db.transaction() as session:
        hit = trash.restore(session, ref, state.now(), kinds_for(kind))
    render.say(f"Restored {hit}")


def trash(
    as_json: bool = JSON,
    quiet: bool = QUIET_IDS,
) -> None:
    """List what is in the trash, most recently deleted first.

    Example: crm trash --json
    """
    from tinycrm.core import trash as trash_core
    from tinycrm.domain import dates

    with state.database(write=False).snapshot() as session:
        found = trash_core.list_trash(session)
    if as_json:
        render.print_json([t.as_dict() for t in found])
    elif quiet:
        for t in found:
            render.say(str(t.id))
    else:
        cal = state.calendar()
        rows = [
            {
                "kind": t.kind,
                "id": t.id,
                "name": t.label,
                "deleted": dates.show(t.deleted_at, calendar=cal),
            }
            for t in found
        ]
        columns = [("kind", "Kind"), ("id", "#"), ("name", "Name"), ("deleted", "Deleted")]
        render.table(rows, columns, title="records in the trash")


def forget(
    contact: str = typer.Argument(..., help="The contact: id, email or part of the name."),
    yes: bool = YES,
) -> None:
    """Erase a person everywhere, history included; this cannot be undone.

    Their emails, phones, web addresses, tags, interactions and follow-ups go too; their
    deals stay, without the link to them. Use it when someone asks to be forgotten.

    Example: crm forget jane@acme.com --yes
    """
    from tinycrm.core import privacy

    db = state.database()
    with db.snapshot() as session:
        found = privacy.find_contact(session, contact)
        found_id, label = found.id, f"contact #{found.id} {found.name}"
    render.confirm(f"Erase {label} and all their history? This cannot be undone.", yes)
    with db.transaction() as session:
        person = privacy.find_contact(session, f"#{found_id}")
        done = privacy.forget(session, person, state.now())
    warning = privacy.clean_up(db)
    if warning is not None:
        render.warn(warning)
    render.say(
        f"Forgot contact #{done.contact_id}: {done.rows} rows and {done.events} history "
        f"entries erased, {done.deals_unlinked} deal(s) kept without the link, "
        f"{done.redacted} mention(s) elsewhere replaced by {privacy.REDACTED}"
    )


def merge(
    keep: str = typer.Argument(..., help="The record to keep: id, email or part of the name."),
    duplicate: str = typer.Argument(..., help="The duplicate, merged into the first and removed."),
    yes: bool = YES,
    kind: str | None = typer.Option(None, "--kind", "-k", help="contact or company."),
) -> None:
    """Merge a duplicate contact (or company) into another; one undo step.

    Every email, phone, web address, tag, interaction, deal and follow-up of the duplicate
    moves to the kept contact; its empty fields are filled from the duplicate.

    Example: crm merge "jane doe" "j. doe" --yes
    """
    from tinycrm.core import merge as merging
    from tinycrm.errors import UsageError

    kinds: tuple[str, ...] = ("contact", "company")
    if kind is not None:
        key = kind.strip().lower()
        if key not in kinds:
            raise UsageError(f"not a kind to merge: {kind!r}", hint="use contact or company")
        kinds = (key,)
    db = state.database()
    with db.snapshot() as session:
        first, second = merging.resolve_pair(session, keep, duplicate, kinds)
    render.confirm(f"Merge {second} into {first}? {second} will be removed.", yes)
    with db.transaction() as session:
        done = merging.merge(session, f"#{first.id}", f"#{second.id}", state.now(), (first.kind,))
    filled = f"; filled {', '.join(done.filled)}" if done.filled else ""
    render.say(
        f"Merged {done.kind} #{done.removed_id} {done.removed_label} into "
        f"#{done.kept_id} {done.kept_label} ({done.moved} records moved{filled})"
    )


def duplicates(
    kind: str | None = typer.Option(None, "--kind", "-k", help="contact or company."),
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Pairs shown (0: all)."),
    as_json: bool = JSON,
) -> None:
    """List likely duplicate contacts and companies, each pair with why and its merge line.

    Same email, same phone, same name (case and accents aside), the words of a name around a
    comma ("Smith, Jan" and "Jan Smith"), a first name as an initial ("J. Smith"); for
    companies, same name or same domain. Nothing is merged: run the merge line you agree
    with.

    Example: crm duplicates; crm duplicates --kind company --json
    """
    from tinycrm.core import duplicates as finding
    from tinycrm.errors import UsageError

    kinds: tuple[str, ...] = finding.KINDS
    if kind is not None:
        key = kind.strip().lower()
        if key not in kinds:
            raise UsageError(f"not a kind of duplicate: {kind!r}", hint="use contact or company")
        kinds = (key,)
    with state.database(write=False).snapshot() as session:
        pairs = finding.duplicates(session, kinds)
    if limit:
        pairs = pairs[:limit]
    if as_json:
        render.print_json(pairs)
        return
    if not pairs:
        render.say("No likely duplicates.")
        return
    lines = []
    for pair in pairs:
        keep, other = pair["keep"], pair["duplicate"]
        lines.append(
            f"{pair['kind']} #{keep['id']} {keep['name']} / #{other['id']} {other['name']}: "
            + "; ".join(pair["reasons"])
        )
        lines.append(f"  {pair['merge']}")
    with render.paged():
        render.say("\n".join(lines))  # one text to make safe: a pair is two lines of thousands
