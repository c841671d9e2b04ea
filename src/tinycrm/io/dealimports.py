"""Importing deals: find the pipeline and stage by name, link or create the contact and
company, and queue the deal with its first stage change."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from tinycrm.domain.text import fold
from tinycrm.domain.values import DealStatus, Lifecycle
from tinycrm.io.records import Action, ContactIn, DealIn, ImportReport, Problem
from tinycrm.store import history
from tinycrm.store.models import Deal, Pipeline, Stage

if TYPE_CHECKING:
    from tinycrm.io.matching import Context


def _find(names: list[tuple[int, str]], text: str) -> list[int]:
    """Return the ids whose name is `text` (any case, accents), else those it begins."""
    key = fold(text)
    exact = [i for i, n in names if fold(n) == key]
    return exact or [i for i, n in names if fold(n).startswith(key)]


class DealImport:
    """Matches file deals to existing ones (by UUID, then title) and queues the changes."""

    def __init__(self, ctx: Context, policy: str, currency: str, report: ImportReport) -> None:
        from tinycrm.io.contactimports import ContactImport

        self.ctx = ctx
        self.conn = ctx.conn
        self.batch = ctx.batch
        self.policy = policy
        self.currency = currency
        self.report = report
        self.contacts = ContactImport(ctx, "skip", link_by_name=True)
        conn = self.conn
        self.pipelines: list[tuple[int, str]] = [
            (pid, name)
            for pid, name in conn.execute(
                select(Pipeline.id, Pipeline.name).order_by(
                    col(Pipeline.is_default).desc(), Pipeline.id
                )
            )
        ]
        self.stages: dict[int, list[tuple[int, str]]] = {}
        for sid, pid, name in conn.execute(
            select(Stage.id, Stage.pipeline_id, Stage.name).order_by(
                Stage.pipeline_id, Stage.position
            )
        ):
            self.stages.setdefault(pid, []).append((sid, name))
        self.by_uuid: dict[str, int | None] = {}
        self.by_title: dict[str, int] = {}
        for did, duuid, key, deleted in conn.execute(
            select(Deal.id, Deal.uuid, Deal.title_key, Deal.deleted_at).order_by(
                col(Deal.id).desc()
            )
        ):
            self.by_uuid[duuid] = None if deleted else did
            if deleted is None:
                self.by_title[key] = did
        self.records: dict[int, tuple[int, bool, dict[str, Any], dict[str, Any] | None]] = {}

    def _problem(self, line: int, reason: str) -> None:
        self.report.problems.append(Problem(line, reason))

    def _place(self, rec: DealIn) -> tuple[int, int] | None:
        """Return (pipeline id, stage id) for a row, or record why there is none."""
        if not self.pipelines:
            self._problem(rec.line, "there is no pipeline to put deals in")
            return None
        pipeline_id = self.pipelines[0][0]
        if rec.pipeline:
            found = _find(self.pipelines, rec.pipeline)
            if len(found) != 1:
                self._problem(rec.line, f"no single pipeline called {rec.pipeline!r}")
                return None
            pipeline_id = found[0]
        stages = self.stages.get(pipeline_id, [])
        if not stages:
            self._problem(rec.line, "the pipeline has no stages")
            return None
        if not rec.stage:
            return pipeline_id, stages[0][0]
        found = _find(stages, rec.stage)
        if len(found) != 1:
            names = ", ".join(n for _, n in stages)
            self._problem(rec.line, f"no single stage called {rec.stage!r} (stages: {names})")
            return None
        return pipeline_id, found[0]

    def _contact_id(self, rec: DealIn) -> int | None:
        if not rec.contact and not rec.contact_email:
            return None
        name = rec.contact or (rec.contact_email or "")
        emails: list[tuple[str, str | None]] = (
            [(rec.contact_email, None)] if rec.contact_email else []
        )
        person = ContactIn(rec.line, name, emails=emails, company=rec.company)
        action = self.contacts.add(person)
        return action.record_id if action is not None else None

    def add(self, rec: DealIn) -> Action | None:
        """Decide what to do with one row and queue it."""
        place = self._place(rec)
        if place is None:
            return None
        found = self.by_uuid.get(rec.uuid) if rec.uuid else None
        why = "same UUID"
        if found is None:
            found, why = self.by_title.get(fold(rec.title)), "same title"
        contact_id = self._contact_id(rec)
        company_id = self.ctx.company_id(rec.company)
        if found is None:
            return self._create(rec, place, contact_id, company_id)
        did, is_new, row, _original = self.records.get(found) or self._load(found)
        target = f"{'an earlier line' if is_new else f'deal #{did}'} {row['title']}"
        if self.policy == "skip":
            return Action(rec.line, "skip", rec.title, did, why, target)
        incoming = {
            "title": rec.title,
            "value": rec.value,
            "currency": rec.currency,
            "expected_close": rec.expected_close.isoformat() if rec.expected_close else None,
            "probability": rec.probability,
            "recurring": rec.recurring,
            "budget": rec.budget,
            "authority": rec.authority,
            "need": rec.need,
            "timing": rec.timing,
            "notes": rec.notes,
            "contact_id": contact_id,
            "company_id": company_id,
        }
        changed = False
        for key, value in incoming.items():
            if value is None or value == row[key]:
                continue
            if self.policy == "update" or row[key] in (None, ""):
                row[key] = value
                changed = True
        if not changed:
            return Action(rec.line, "skip", rec.title, did, why, target)
        row["title_key"] = fold(row["title"])
        if not is_new:
            row["updated_at"] = self.batch.now_event
        return Action(rec.line, "update", rec.title, did, why, target)

    def _create(
        self, rec: DealIn, place: tuple[int, int], contact_id: int | None, company_id: int | None
    ) -> Action:
        batch = self.batch
        did = batch.new_id("deal")
        duuid = rec.uuid if rec.uuid and rec.uuid not in self.by_uuid else batch.new_uuid()
        now = batch.now_event
        status = rec.status or "open"
        closed_at = self._closed_at(rec) if status != "open" else None
        row: dict[str, Any] = {
            "id": did,
            "uuid": duuid,
            "title": rec.title,
            "title_key": fold(rec.title),
            "contact_id": contact_id,
            "company_id": company_id,
            "pipeline_id": place[0],
            "stage_id": place[1],
            "value": rec.value,
            "currency": rec.currency or self.currency,
            "expected_close": rec.expected_close.isoformat() if rec.expected_close else None,
            "probability": rec.probability,
            "recurring": rec.recurring,
            "budget": rec.budget,
            "authority": rec.authority,
            "need": rec.need,
            "timing": rec.timing,
            "status": status,
            "lost_reason": rec.lost_reason if status == "lost" else None,
            "closed_at": closed_at,
            "stage_entered_at": now,
            "notes": rec.notes,
            "custom": rec.custom or None,
            "created_at": now,
            "updated_at": now,
            "deleted_at": None,
        }
        batch.create("deal", row)
        if status == DealStatus.WON and contact_id is not None:
            self._make_customer(contact_id)
        batch.create(
            "stage_change",
            {
                "id": batch.new_id("stage_change"),
                "deal_id": did,
                "from_stage_id": None,
                "to_stage_id": place[1],
                "at": now,
            },
        )
        for name in rec.tags:
            batch.create("deal_tag", {"deal_id": did, "tag_id": self.ctx.tag_id(name)})
        self.by_uuid[duuid] = did
        self.by_title.setdefault(row["title_key"], did)
        self.records[did] = (did, True, row, None)
        return Action(rec.line, "create", rec.title, did)

    def _closed_at(self, rec: DealIn) -> str:
        """When a won or lost deal of the file closed: the start of its close date's local
        day; without a close date (or with one after the import), the import's time, and
        the report counts it."""
        from tinycrm.domain.dates import local_tz
        from tinycrm.store.bulk import event_time

        if rec.expected_close is not None:
            moment = datetime.combine(rec.expected_close, time(0), local_tz())
            if moment <= self.batch.now:
                return event_time(moment)
        self.report.undated_closed.append(rec.line)
        return self.batch.now_event

    def _make_customer(self, contact_id: int) -> None:
        """Make a won deal's contact a customer, as a win does (`core.closing`): a contact
        new in this import is created a customer, one already here is updated (an update
        event, as every lifecycle change is recorded)."""
        record = self.contacts.records.get(contact_id)
        if record is None or record.row["lifecycle"] == Lifecycle.CUSTOMER:
            return
        record.row["lifecycle"] = Lifecycle.CUSTOMER
        if not record.is_new:
            record.row["updated_at"] = self.batch.now_event
            record.changed = True

    def _load(self, did: int) -> tuple[int, bool, dict[str, Any], dict[str, Any] | None]:
        values = history.recorded(self.conn, "deal", did)
        entry = (did, False, dict(values), values)
        self.records[did] = entry
        return entry

    def finish(self) -> None:
        """Queue one update per existing deal that changed, and the contacts made for deals."""
        self.contacts.finish()
        for did, is_new, row, original in self.records.values():
            if is_new or original is None:
                continue
            before = {k: original[k] for k in row if original[k] != row[k]}
            after = {k: row[k] for k in before}
            self.batch.update("deal", did, before, after)
