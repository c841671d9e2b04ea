"""What an import matches against: the records that exist, loaded once, and the records
it is about to create or change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from tinycrm.errors import UsageError
from tinycrm.io.records import DUPLICATE_POLICIES, ImportReport
from tinycrm.io.records import fold_key as fold
from tinycrm.store.models import Company, Tag

if TYPE_CHECKING:
    from sqlmodel import Session

    from tinycrm.store.bulk import Batch


@dataclass(frozen=True)
class ImportOptions:
    """How an import treats duplicates, bad rows and bad cells (`strict`: a cell that cannot
    be read refuses its row, instead of being left out of it)."""

    on_duplicate: str = "skip"
    dry_run: bool = False
    skip_bad: bool = False
    currency: str = "USD"
    strict: bool = False

    def __post_init__(self) -> None:
        if self.on_duplicate not in DUPLICATE_POLICIES:
            raise UsageError(
                f"--on-duplicate takes skip, update or merge, not {self.on_duplicate!r}"
            )


class Record:
    """A contact or company as the import sees it: new, or loaded to be changed."""

    __slots__ = ("addresses", "changed", "dates", "email_keys", "has_primary_uid", "id", "is_new",
                 "kept_lines", "line", "original", "phone_keys", "row", "tag_ids", "uids",
                 "urls")  # fmt: skip

    def __init__(
        self,
        record_id: int,
        is_new: bool,
        row: dict[str, Any],
        line: int,
        original: dict[str, Any] | None = None,
    ) -> None:
        self.id = record_id
        self.is_new = is_new
        self.row = row
        self.line = line
        self.original = original
        self.email_keys: set[str] = set()
        self.phone_keys: set[str] = set()
        self.urls: set[str] = set()
        self.tag_ids: set[int] = set()
        self.uids: set[str] = set()
        self.has_primary_uid = False
        self.changed = False
        # a contact's addresses (their parts), dates (kind, value) and vCard lines kept
        self.addresses: set[tuple[Any, ...]] = set()
        self.dates: set[tuple[str, str]] = set()
        self.kept_lines: set[str] = set()


class Context:
    """What exists already, loaded once, and the shared bits (companies, tags) of a batch."""

    def __init__(self, session: Session, batch: Batch, report: ImportReport) -> None:
        self.conn = conn = session.connection()
        self.batch = batch
        self.report = report
        self.company_by_key: dict[str, int] = {}
        self.company_by_domain: dict[str, int] = {}
        self.company_uuids: dict[str, int | None] = {}
        for cid, key, domain, cuuid, deleted in conn.execute(
            select(
                Company.id, Company.name_key, Company.domain, Company.uuid, Company.deleted_at
            ).order_by(col(Company.id).desc())
        ):
            self.company_uuids[cuuid] = None if deleted else cid
            if deleted is None:
                self.company_by_key[key] = cid
                if domain:
                    self.company_by_domain[domain] = cid
        self.tag_by_name: dict[str, int] = {
            name: tid for name, tid in conn.execute(select(Tag.name, Tag.id))
        }
        self._company_names: dict[str, int] = {}

    def company_id(self, name: str | None) -> int | None:
        """Return the id of the company called `name`, queueing it for creation if new."""
        if not name:
            return None
        found = self._company_names.get(name)
        if found is not None:
            return found
        key = fold(name)
        found = self.company_by_key.get(key)
        if found is None:
            found = self.batch.new_id("company")
            self.batch.create("company", self.company_row(found, self.batch.new_uuid(), name))
            self.company_by_key[key] = found
        self._company_names[name] = found
        return found

    def company_row(self, cid: int, cuuid: str, name: str) -> dict[str, Any]:
        """Return a new company's row with only its name set."""
        now = self.batch.now_event
        return {
            "id": cid,
            "uuid": cuuid,
            "name": name,
            "name_key": fold(name),
            "domain": None,
            "industry": None,
            "size": None,
            "notes": None,
            "custom": None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }

    def tag_id(self, name: str) -> int:
        """Return the id of a tag, queueing it for creation if new."""
        found = self.tag_by_name.get(name)
        if found is None:
            found = self.batch.new_id("tag")
            self.batch.create("tag", {"id": found, "name": name})
            self.tag_by_name[name] = found
        return found


def queue_update(batch: Batch, table: str, record: Record) -> None:
    """Queue one update event for a loaded record, with only the columns that changed."""
    assert record.original is not None
    before = {}
    after = {}
    for key, value in record.row.items():
        if record.original.get(key) != value:
            before[key] = record.original.get(key)
            after[key] = value
    batch.update(table, record.id, before, after)
