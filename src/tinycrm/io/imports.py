"""Writing imported contacts, companies and deals: match what exists, then create, update
or merge, in one transaction and one undo step, written in bulk (no ORM objects)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tinycrm.io.matching import Context, ImportOptions
from tinycrm.io.records import BadRowsError, CompanyIn, ContactIn, DealIn, ImportReport
from tinycrm.store.bulk import Batch

if TYPE_CHECKING:
    from tinycrm.store.db import Database

Progress = Callable[[int, int], None]
__all__ = [
    "ImportOptions", "Progress", "import_activities", "import_companies", "import_contacts",
    "import_deals",
]  # fmt: skip


def _run(
    db: Database,
    kind: str,
    records: Sequence[Any],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None,
    make: Callable[[Context, str], Any],
) -> ImportReport:
    """Check for bad rows, then match and queue every record, then write it all or nothing
    (a dry run only reads)."""
    door = db.snapshot() if options.dry_run else db.transaction(origin="import", now=now)
    with door as session:
        batch = Batch(session, now=now)
        ctx = Context(session, batch, report)
        importer = make(ctx, options.on_duplicate)
        total = len(records)
        step = max(1, total // 100)
        for n, rec in enumerate(records, start=1):
            action = importer.add(rec)
            if action is not None:
                report.actions.append(action)
            if progress is not None and (n % step == 0 or n == total):
                progress(n, 2 * total)
        importer.finish()
        summary = (
            f"import {report.source}: {report.count('create')} {kind} created,"
            f" {report.count('update')} updated"
        )
        if report.problems and not options.skip_bad:
            raise BadRowsError(
                report.problems, options.dry_run, report if options.dry_run else None
            )
        if options.dry_run:
            return report
        if progress is not None:
            report_progress = progress
            batch.write(summary, lambda done: report_progress(total + int(done * total), 2 * total))
        else:
            batch.write(summary)
    return report


def import_contacts(
    db: Database,
    records: Sequence[ContactIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import contacts read from a file into the database (or only plan it, on a dry run).

    Raises BadRowsError when the report has problems and bad rows are not to be skipped.
    """
    from tinycrm.io.contactimports import ContactImport

    return _run(db, "contacts", records, report, options, now, progress, ContactImport)


def import_companies(
    db: Database,
    records: Sequence[CompanyIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import companies read from a file (matched by UUID, domain, then name)."""
    from tinycrm.io.companyimports import CompanyImport

    return _run(db, "companies", records, report, options, now, progress, CompanyImport)


def import_deals(
    db: Database,
    records: Sequence[DealIn],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import deals read from a file (matched by UUID, then title and company)."""
    from tinycrm.io.dealimports import DealImport

    def make(ctx: Context, policy: str) -> DealImport:
        return DealImport(ctx, policy, options.currency, report)

    return _run(db, "deals", records, report, options, now, progress, make)


def import_activities(
    db: Database,
    kind: str,
    records: Sequence[Any],
    report: ImportReport,
    options: ImportOptions,
    now: datetime,
    progress: Progress | None = None,
) -> ImportReport:
    """Import interactions or follow-ups (`kind`), about contacts and deals already here."""
    from tinycrm.io.activities import ActivityImport

    table = "interaction" if kind == "interactions" else "follow_up"

    def make(ctx: Context, _policy: str) -> ActivityImport:
        return ActivityImport(ctx, table)

    return _run(db, kind, records, report, options, now, progress, make)
