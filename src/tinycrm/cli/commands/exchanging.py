"""`crm import csv|vcard|json FILE` and `crm export csv|vcard|ical|json`: portability."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

import_app = typer.Typer(
    help="Import contacts, companies, deals, interactions or follow-ups (CSV), contacts (vCard) "
    "or a whole tinycrm export (JSON).",
    no_args_is_help=True,
)
export_app = typer.Typer(
    help="Export contacts, companies, deals, interactions, follow-ups (CSV), contacts (vCard), "
    "follow-ups (iCalendar) or everything (JSON).",
    no_args_is_help=True,
)

KIND = typer.Option(
    "contacts", "--kind", "-k", help="contacts, companies, deals, interactions or follow-ups."
)
ON_DUPLICATE = typer.Option(
    "skip",
    "--on-duplicate",
    help="What to do with a row that is an existing record (same UID or email, or contacts: "
    "the same full name and company): skip, update (overwrite with the file's non-empty "
    "fields) or merge (fill empty fields, add new emails, phones, tags).",
)
DRY_RUN = typer.Option(
    False,
    "--dry-run",
    help="List each row, what it matched and why, and the possible duplicates; write nothing "
    "(exit 1 if a row cannot be read).",
)
SKIP_BAD = typer.Option(False, "--skip-bad", help="Import the good rows even if some are bad.")
STRICT = typer.Option(
    False,
    "--strict",
    help="Refuse a row with a cell that cannot be read (an email, a date...), instead of "
    "importing the row without that value.",
)
OUTPUT = typer.Option(
    None, "--output", "-o", help="Write to this file (default, or -: standard output)."
)
SHOWN_LIKENESSES = 50  # possible duplicates listed in the summary; --json has them all
TAG = typer.Option([], "--tag", help="Only records with this tag (repeatable: all must match).")


def _progress() -> tuple[Any, Any]:
    """Return (callback, stopper) for a progress bar on a terminal, or (None, no-op)."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "p" not in bar:
            if total < 5000:
                return
            bar["p"] = Progress(console=Console(stderr=True), transient=True)
            bar["p"].start()
            bar["t"] = bar["p"].add_task("importing", total=total)
        bar["p"].update(bar["t"], completed=done)

    def stop() -> None:
        if "p" in bar:
            bar["p"].stop()

    return update, stop


def _show(report: Any, as_json: bool) -> None:
    """Print an import report: rows on a dry run, a summary, possible duplicates, bad rows
    on stderr."""
    if as_json:
        render.print_json(report.as_dict())
        return
    for problem in report.problems:
        sys.stderr.write(f"line {problem.line}: {render.shown(problem.reason)}\n")
    if report.dry_run:
        for a in report.actions:
            render.say(a.describe())
    created, updated, skipped = report.count("create"), report.count("update"), report.count("skip")
    bad = len(report.problems)
    tail = f", {bad} bad row{'s' if bad != 1 else ''} skipped" if bad else ""
    dropped = len(report.dropped)
    left_out = f", {dropped} value{'s' if dropped != 1 else ''} left out" if dropped else ""
    where = f"{report.source} ({report.layout} layout)" if report.layout else report.source
    if report.dry_run:
        render.say(
            f"Dry run of {where}: would create {created}, update {updated}, skip {skipped}"
            f"{tail.replace(' skipped', '')}{left_out}; nothing was written"
        )
    else:
        render.say(
            f"Imported {report.kind} from {where}: {created} created, {updated} updated, "
            f"{skipped} skipped{tail}{left_out}"
        )
    if report.undated_closed:
        n, lines = len(report.undated_closed), ", ".join(map(str, report.undated_closed[:10]))
        more = ", …" if n > 10 else ""
        render.say(
            f"{n} won or lost deal{'s' if n != 1 else ''} without a close date before today,"
            f" dated at the import: line{'s' if n != 1 else ''} {lines}{more}"
        )
    if report.dropped:
        render.say(
            f"{dropped} value{'s' if dropped != 1 else ''} left out, the rest of the row"
            " imported (--strict refuses such rows instead):"
        )
        for note in report.dropped:
            render.say(f"  {render.shown(note.describe())}")
    if report.possible:
        n = len(report.possible)
        render.say(
            f"{n} possible duplicate{'s' if n != 1 else ''}, not merged"
            " (`crm merge KEEP OTHER` joins two contacts that are one person):"
        )
        for likeness in report.possible[:SHOWN_LIKENESSES]:
            render.say(f"  {likeness.describe(report.dry_run)}")
        if n > SHOWN_LIKENESSES:
            render.say(f"  and {n - SHOWN_LIKENESSES} more (--json lists them all)")
    if report.ignored_columns:
        sys.stderr.write(f"ignored {report.ignored_what}: {', '.join(report.ignored_columns)}\n")
    if report.kept_verbatim:
        n = len(report.kept_verbatim)
        render.say(
            f"kept {n} propert{'ies' if n != 1 else 'y'} as written (exported back as they"
            f" came): {', '.join(report.kept_verbatim)}"
        )


def _run_import(work: Any, as_json: bool) -> None:
    from tinycrm.io.records import BadRowsError

    update, stop = _progress() if not as_json else (None, lambda: None)
    try:
        report = work(update)
    except BadRowsError as error:
        stop()
        if error.report is not None:
            _show(error.report, as_json)
        else:
            for problem in error.problems:
                sys.stderr.write(f"line {problem.line}: {render.shown(problem.reason)}\n")
        raise
    stop()
    _show(report, as_json)


def _options(on_duplicate: str, dry_run: bool, skip_bad: bool, strict: bool = False) -> Any:
    from tinycrm.io.imports import ImportOptions

    return ImportOptions(
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        skip_bad=skip_bad,
        currency=state.settings().general.default_currency,
        strict=strict,
    )


@import_app.command("csv")
def import_csv(
    file: Path = typer.Argument(..., help="The CSV file (-: standard input)."),
    kind: str = KIND,
    mapping: list[str] = typer.Option(
        [], "--map", help="'Column=field' to say where a column goes (repeatable)."
    ),
    on_duplicate: str = ON_DUPLICATE,
    dry_run: bool = DRY_RUN,
    skip_bad: bool = SKIP_BAD,
    strict: bool = STRICT,
    as_json: bool = JSON,
) -> None:
    """Import a CSV export of Google Contacts, Outlook, HubSpot, Pipedrive, LinkedIn or plain.

    Example: crm import csv contacts.csv --dry-run; crm import csv deals.csv --kind deals
    """
    from tinycrm.io.csvfiles import import_csv as run
    from tinycrm.io.sources import given

    file = given(file)
    options = _options(on_duplicate, dry_run, skip_bad, strict)
    db = state.database()
    _run_import(
        lambda progress: run(
            db, file, kind=kind, maps=mapping, options=options, now=state.now(), progress=progress
        ),
        as_json,
    )


@import_app.command("vcard")
def import_vcard(
    path: Path = typer.Argument(
        ..., help="A .vcf file, or a folder of .vcf files (-: standard input)."
    ),
    on_duplicate: str = typer.Option(
        "update",
        "--on-duplicate",
        help="What to do with a card that is an existing contact (same UID or email, or the "
        "same full name and company): update (the default: overwrite with the card's "
        "non-empty fields), merge (fill empty fields) or skip.",
    ),
    dry_run: bool = DRY_RUN,
    skip_bad: bool = SKIP_BAD,
    as_json: bool = JSON,
) -> None:
    """Import contacts from vCards (2.1, 3.0, 4.0); matched by UID, email, name and company.

    Example: crm import vcard contacts.vcf; crm import vcard ~/.contacts/work/
    """
    from tinycrm.io.sources import given
    from tinycrm.io.vcards import import_vcards

    path = given(path)
    options = _options(on_duplicate, dry_run, skip_bad)
    db = state.database()
    _run_import(
        lambda progress: import_vcards(
            db, path, options=options, now=state.now(), progress=progress
        ),
        as_json,
    )


@import_app.command("json")
def import_json(
    file: Path = typer.Argument(
        ..., help="A file written by `crm export json` (-: standard input)."
    ),
) -> None:
    """Restore a whole tinycrm export into an empty database.

    Example: crm --db restored.db import json backup.json
    """
    from tinycrm.io.archives import restore
    from tinycrm.io.sources import given

    file = given(file)
    counts = restore(state.database(), file)
    total = sum(counts.values())
    render.say(f"Restored {total} rows from {file.name} into {state.database().path}")


def _write(text: str, output: Path | None) -> None:
    """Write an export to its file, or to standard output (no -o, or -o -) and nothing else."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from tinycrm.io.files import write_file

    write_file(output, text)


@export_app.command("csv")
def export_csv(
    kind: str = KIND,
    output: Path | None = OUTPUT,
    tag: list[str] = TAG,
    lifecycle: str | None = typer.Option(None, "--lifecycle", help="Contacts: lifecycle."),
    source: str | None = typer.Option(None, "--source", help="Contacts: lead source."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    name: str | None = typer.Option(None, "--name", help="Name (or deal title) contains."),
    stage: str | None = typer.Option(None, "--stage", help="Deals: stage name or prefix."),
    status: str | None = typer.Option(None, "--status", help="Deals: open, won or lost."),
    pipeline: str | None = typer.Option(None, "--pipeline", help="Deals: pipeline name."),
) -> None:
    """Export contacts, companies, deals, interactions or follow-ups as CSV (stable columns).

    The filters are those of crm list, for contacts, companies and deals.
    Example: crm export csv --kind deals --status open -o deals.csv
    """
    import io as stringio

    from tinycrm.core.listing import ListFilter
    from tinycrm.io.csvfiles import write_csv
    from tinycrm.io.exports import export_rows

    flt = ListFilter(tags=tuple(tag), lifecycle=lifecycle, source=source, company=company,
                     text=name, stage=stage, status=status, pipeline=pipeline)  # fmt: skip
    rows = export_rows(state.database(write=False), kind, flt)
    buffer = stringio.StringIO()
    write_csv(kind, rows, buffer)
    _write(buffer.getvalue(), output)


@export_app.command("vcard")
def export_vcard(
    output: Path | None = OUTPUT,
    folder: Path | None = typer.Option(
        None, "--dir", help="Write one UID.vcf per contact into this folder (khard, vdirsyncer)."
    ),
    version: str = typer.Option("3.0", "--version", help="vCard version: 3.0 or 4.0."),
    tag: list[str] = TAG,
    lifecycle: str | None = typer.Option(None, "--lifecycle", help="Only this lifecycle."),
    company: str | None = typer.Option(None, "--company", help="Company name contains."),
    name: str | None = typer.Option(None, "--name", help="Name contains."),
) -> None:
    """Export contacts as vCards: one file, or a folder with one file per contact.

    Example: crm export vcard -o contacts.vcf; crm export vcard --dir ~/.contacts/crm
    """
    from tinycrm.core.listing import ListFilter
    from tinycrm.errors import UsageError
    from tinycrm.io.vcardwrite import export_vcards

    if folder is not None and str(folder) == "-":
        raise UsageError("--dir takes a folder; write the cards to standard output with -o -")
    flt = ListFilter(tags=tuple(tag), lifecycle=lifecycle, company=company, text=name)
    result = export_vcards(state.database(write=False), flt, version=version, folder=folder)
    if folder is not None:
        gone = (
            f"; removed {result.removed} it wrote before for contacts no longer here"
            if result.removed
            else ""
        )
        render.say(f"Wrote {result.count} vCards to {folder}{gone}")
    else:
        _write(result.text, output)


@export_app.command("ical")
def export_ical(
    output: Path | None = OUTPUT,
    as_events: bool = typer.Option(
        False, "--as-events", help="Write events (VEVENT) instead of to-dos (VTODO)."
    ),
    include_closed: bool = typer.Option(
        False, "--all", help="Include done and cancelled follow-ups."
    ),
) -> None:
    """Export follow-ups as an iCalendar file with stable UIDs (re-importing updates).

    Example: crm export ical -o followups.ics; crm export ical --as-events
    """
    from tinycrm.io.calendars import export_calendar

    text = export_calendar(
        state.database(write=False), as_events=as_events, include_closed=include_closed
    )
    _write(text, output)


@export_app.command("json")
def export_json(output: Path | None = OUTPUT) -> None:
    """Export everything (every table, history included) as one versioned JSON document.

    Example: crm export json -o backup.json
    """
    from tinycrm.io.archives import dump

    _write(dump(state.database(write=False), now=state.now()), output)
