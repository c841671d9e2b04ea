"""Importing companies: match by UUID, domain, then name; create, update or merge."""

from __future__ import annotations

from sqlalchemy import select

from tinycrm.io.matching import Context, Record, queue_update
from tinycrm.io.records import Action, CompanyIn
from tinycrm.io.records import fold_key as fold
from tinycrm.store import history
from tinycrm.store.models import CompanyTag

COMPANY_FIELDS = ("name", "domain", "industry", "size", "notes")


class CompanyImport:
    """Matches file companies to existing ones (by UUID, domain, then name)."""

    def __init__(self, ctx: Context, policy: str) -> None:
        self.ctx = ctx
        self.batch = ctx.batch
        self.policy = policy
        self.records: dict[int, Record] = {}

    def add(self, rec: CompanyIn) -> Action:
        """Decide what to do with one row and queue it."""
        ctx = self.ctx
        found = ctx.company_uuids.get(rec.uuid) if rec.uuid else None
        why = "same UUID"
        if found is None and rec.domain:
            found, why = ctx.company_by_domain.get(rec.domain), f"same domain {rec.domain}"
        if found is None:
            found, why = ctx.company_by_key.get(fold(rec.name)), "same name"
        if found is None:
            cid = self.batch.new_id("company")
            cuuid = (
                rec.uuid
                if rec.uuid and rec.uuid not in ctx.company_uuids
                else self.batch.new_uuid()
            )
            row = ctx.company_row(cid, cuuid, rec.name)
            row.update(
                domain=rec.domain,
                industry=rec.industry,
                size=rec.size,
                notes=rec.notes,
                custom=rec.custom or None,
            )
            self.batch.create("company", row)
            ctx.company_by_key[row["name_key"]] = cid
            ctx.company_uuids[cuuid] = cid
            if rec.domain:
                ctx.company_by_domain[rec.domain] = cid
            record = Record(cid, True, row, rec.line)
            self.records[cid] = record
            self._tags(record, rec)
            return Action(rec.line, "create", rec.name, cid)
        record = self.records.get(found) or self._load(found)
        where = f"line {record.line}" if record.is_new else f"company #{found}"
        target = f"{where} {record.row['name']}"
        if self.policy == "skip":
            return Action(rec.line, "skip", rec.name, found, why, target)
        overwrite = self.policy == "update"
        changed = False
        for key in COMPANY_FIELDS:
            value = getattr(rec, key)
            if value is None or value == record.row[key]:
                continue
            if overwrite or record.row[key] in (None, ""):
                record.row[key] = value
                changed = True
        if changed:
            record.row["name_key"] = fold(record.row["name"])
        if self._tags(record, rec):
            changed = True
        if not changed:
            return Action(rec.line, "skip", rec.name, found, why, target)
        if not record.is_new:
            record.row["updated_at"] = self.batch.now_event
            record.changed = True
        return Action(rec.line, "update", rec.name, found, why, target)

    def _load(self, cid: int) -> Record:
        values = history.recorded(self.ctx.conn, "company", cid)
        record = Record(cid, False, dict(values), 0, original=values)
        record.tag_ids = set(
            self.ctx.conn.execute(
                select(CompanyTag.tag_id).where(CompanyTag.company_id == cid)
            ).scalars()
        )
        self.records[cid] = record
        return record

    def _tags(self, record: Record, rec: CompanyIn) -> bool:
        added = False
        for name in rec.tags:
            tid = self.ctx.tag_id(name)
            if tid not in record.tag_ids:
                self.batch.create("company_tag", {"company_id": record.id, "tag_id": tid})
                record.tag_ids.add(tid)
                added = True
        return added

    def finish(self) -> None:
        """Queue one update per existing company that changed."""
        for record in self.records.values():
            if not record.is_new and record.changed:
                queue_update(self.batch, "company", record)
