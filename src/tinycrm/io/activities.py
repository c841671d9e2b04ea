"""Interactions and follow-ups in CSV files: a row read exactly (times, statuses, rules), the
contact and deal it names resolved exactly (an id, an email, a whole name or title; never a
guess), and queued in bulk like the other imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from tinycrm.domain.dates import at_local, local_tz
from tinycrm.domain.values import FOLLOW_UP_STATUSES, INTERACTION_KINDS
from tinycrm.errors import ValidationError
from tinycrm.io.csvcells import Cells, RowError, message_id, uuid_value
from tinycrm.io.records import Action, Problem
from tinycrm.io.records import fold_key as fold
from tinycrm.store.models import Contact, ContactEmail, Deal, FollowUp, Interaction

if TYPE_CHECKING:
    from tinycrm.io.matching import Context

_TRUE = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


@dataclass(slots=True)
class InteractionIn:
    """An interaction read from a file."""

    line: int
    contact: str | None = None
    deal: str | None = None
    kind: str = ""
    direction: str | None = None
    at: datetime | None = None
    summary: str = ""
    message_id: str | None = None  # the email's Message-ID, when it was logged from mail
    uuid: str | None = None


@dataclass(slots=True)
class FollowUpIn:
    """A follow-up read from a file."""

    line: int
    contact: str | None = None
    deal: str | None = None
    title: str = ""
    due: datetime | None = None
    all_day: bool = False
    recurrence: str | None = None
    status: str = "open"
    snoozed_until: datetime | None = None
    priority: bool = False
    completed_at: datetime | None = None
    uuid: str | None = None


def moment(value: str) -> tuple[datetime, bool]:
    """Read an ISO date and time (`2026-12-01T15:30:00Z`; without an offset, local time) or
    an ISO date (its local midnight); return it in UTC and whether it was a day alone."""
    text = value.strip()
    try:
        if len(text) == 10:
            return at_local(date.fromisoformat(text), time(0), local_tz()), True
        found = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(
            f"cannot read the time {value!r} (write it as 2026-12-01T15:30:00Z or 2026-12-01)"
        ) from None
    if found.tzinfo is None:
        return at_local(found.date(), found.time(), local_tz()), False
    return found.astimezone(UTC), False


def _time(value: str) -> datetime:
    return moment(value)[0]


def _yes_no(value: str) -> bool:
    found = _TRUE.get(value.strip().lower())
    if found is None:
        raise RowError(f"not yes or no: {value!r} (true, false, yes, no, 1 or 0)")
    return found


def _direction(value: str) -> str | None:
    from tinycrm.core.interactions import check_direction

    try:
        return check_direction(value)
    except ValidationError as exc:
        raise RowError(exc.message + " (in or out)") from None


def interaction_from_row(cells: Cells, now: datetime) -> InteractionIn:
    """Read one row as an interaction; its kind, time and summary are needed, and it must
    have happened."""
    from tinycrm.core.interactions import check_kind

    rec = InteractionIn(cells.line)
    for field, _label, value in cells:
        if field == "kind":
            try:
                rec.kind = check_kind(value)
            except ValidationError as exc:
                cells.refuse(f"{exc.message} ({', '.join(INTERACTION_KINDS)})", value)
        elif field == "when":
            try:
                rec.at = _time(value)
            except RowError as exc:
                cells.refuse(str(exc), value)
        elif field == "direction":
            rec.direction = cells.read(value, _direction)
        elif field == "message_id":
            rec.message_id = cells.read(value, message_id)
        elif field == "uuid":
            rec.uuid = cells.read(value, uuid_value)
        else:
            setattr(rec, field, value)
    if not rec.summary.strip():
        raise RowError("no summary")
    if not rec.kind:
        raise RowError("no kind (call, email, meeting, message or note)")
    if rec.at is None:
        raise RowError("no time (when)")
    if rec.at > now:
        raise RowError("when is in the future; an interaction is something that happened")
    if not rec.contact and not rec.deal:
        raise RowError("no contact and no deal")
    rec.summary = rec.summary.strip()
    _check(rec.summary, "interaction summary", multi_line=True)
    _check_about(rec)
    return rec


def _check(value: str | None, what: str, multi_line: bool = False) -> None:
    """Refuse the row if a text holds a control character (as everywhere: domain.text)."""
    from tinycrm.domain.text import check_text

    if value is None:
        return
    try:
        check_text(value, what, multi_line)
    except ValidationError as exc:
        raise RowError(exc.message) from None


def _check_about(rec: InteractionIn | FollowUpIn) -> None:
    _check(rec.contact, "contact")
    _check(rec.deal, "deal")


def follow_up_from_row(cells: Cells) -> FollowUpIn:
    """Read one row as a follow-up; its title and due time are needed."""
    from tinycrm.core.followups import check_rrule

    rec = FollowUpIn(cells.line)
    all_day: bool | None = None
    day_alone = False
    due_text = ""
    rule: tuple[str, str] | None = None  # the text and its column, read once due is known
    for field, _label, value in cells:
        if field == "due":
            due_text = value
            try:
                rec.due, day_alone = moment(value)
            except RowError as exc:
                cells.refuse(str(exc), value)
        elif field == "all_day":
            all_day = cells.read(value, _yes_no)
        elif field == "recurrence":
            rule = (value, cells.column)
        elif field == "status":
            status = value.strip().lower()
            if status not in FOLLOW_UP_STATUSES:
                cells.refuse(f"not a follow-up status: {value!r} (open, done or cancelled)", value)
            rec.status = status
        elif field in ("snoozed_until", "completed_at"):
            setattr(rec, field, cells.read(value, _time))
        elif field == "priority":
            rec.priority = bool(cells.read(value, _yes_no))
        elif field == "uuid":
            rec.uuid = cells.read(value, uuid_value)
        else:
            setattr(rec, field, value)
    if not rec.title.strip():
        raise RowError("no title")
    if rec.due is None:
        raise RowError("no due time (due)")
    if not rec.contact and not rec.deal:
        raise RowError("no contact and no deal")
    rec.title = rec.title.strip()
    _check(rec.title, "follow-up title")
    _check_about(rec)
    rec.all_day = day_alone if all_day is None else all_day
    if rec.all_day and rec.due.astimezone(local_tz()).time() != time(0):
        raise RowError(f"an all-day follow-up is due on a day, not at a time: {due_text!r}")
    if rule is not None:
        text, cells.column = rule
        due = rec.due

        def recurrence(value: str) -> str:
            try:
                return check_rrule(value, due)
            except ValidationError as exc:
                raise RowError(exc.message) from None

        rec.recurrence = cells.read(text, recurrence)
    return rec


class References:
    """The live contacts and deals a row may name, resolved exactly: `#12` or `12` (an id),
    an email (a contact's, any case), or a whole name or title (any case or accents). A name
    that several have, or that nobody has, is the row's problem, never a guess."""

    def __init__(self, ctx: Context) -> None:
        conn = ctx.conn
        self.contact_ids: set[int] = set()
        self.contact_names: dict[str, list[int]] = {}
        for cid, key in conn.execute(
            select(Contact.id, Contact.name_key).where(col(Contact.deleted_at).is_(None))
        ):
            self.contact_ids.add(cid)
            self.contact_names.setdefault(key, []).append(cid)
        self.emails: dict[str, int] = {
            key: cid
            for key, cid in conn.execute(select(ContactEmail.email_key, ContactEmail.contact_id))
            if cid in self.contact_ids
        }
        self.deal_contact: dict[int, int | None] = {}
        self.deal_titles: dict[str, list[int]] = {}
        for did, key, contact_id in conn.execute(
            select(Deal.id, Deal.title_key, Deal.contact_id).where(col(Deal.deleted_at).is_(None))
        ):
            self.deal_contact[did] = contact_id
            self.deal_titles.setdefault(key, []).append(did)

    def contact(self, text: str) -> int:
        """Return the id of the contact `text` names, or raise RowError."""
        found = _by_id(text, self.contact_ids)
        if found is None and "@" in text:
            email = self.emails.get(text.strip().lower())
            found = [email] if email is not None else []
        if found is None:
            found = self.contact_names.get(fold(text), [])
        return _one(found, text, "contact", "give its email or #id")

    def deal(self, text: str) -> int:
        """Return the id of the deal `text` names, or raise RowError."""
        found = _by_id(text, set(self.deal_contact))
        if found is None:
            found = self.deal_titles.get(fold(text), [])
        return _one(found, text, "deal", "give its #id")

    def about(self, contact: str | None, deal: str | None) -> tuple[int | None, int | None]:
        """Return (contact id, deal id) of a row; a deal alone brings its contact."""
        contact_id = self.contact(contact) if contact else None
        deal_id = self.deal(deal) if deal else None
        if deal_id is not None:
            owner = self.deal_contact[deal_id]
            if contact_id is None:
                contact_id = owner
            elif owner not in (None, contact_id):
                raise RowError(f"deal #{deal_id} {deal!r} belongs to another contact (#{owner})")
        return contact_id, deal_id


def _by_id(text: str, known: set[int]) -> list[int] | None:
    raw = text.strip().removeprefix("#")
    if not raw.isdecimal() or len(raw) > 18:
        return None
    return [int(raw)] if int(raw) in known else []


def _one(found: list[int], text: str, what: str, hint: str) -> int:
    if len(found) == 1:
        return found[0]
    if not found:
        raise RowError(f"no {what} is {text!r}")
    ids = ", ".join(f"#{i}" for i in found[:5])
    raise RowError(f"{text!r} names more than one {what} ({ids}); {hint}")


class ActivityImport:
    """Queues interactions or follow-ups. A row is one already here when it has its UUID, or,
    without a UUID, names the same contact, deal, time and text: it is skipped. So is an
    interaction whose Message-ID its contact already has (in the trash too, or on an earlier
    row): a message is logged once per contact, as mail import logs it."""

    def __init__(self, ctx: Context, table: str) -> None:
        self.ctx = ctx
        self.batch = ctx.batch
        self.table = table
        self.refs = References(ctx)
        model: Any = Interaction if table == "interaction" else FollowUp
        self.uuids: set[str] = set()
        self.seen: dict[tuple[Any, ...], int] = {}
        text_column = model.summary if table == "interaction" else model.title
        time_column = model.occurred_at if table == "interaction" else model.due_at
        for rid, ruuid, contact_id, deal_id, text, at, deleted in ctx.conn.execute(
            select(
                model.id, model.uuid, model.contact_id, model.deal_id, text_column,
                time_column, model.deleted_at,
            )
        ):  # fmt: skip
            self.uuids.add(ruuid)
            if deleted is None:
                self.seen[(contact_id, deal_id, text, _utc(at))] = rid
                self.seen[("uuid", ruuid)] = rid
        # (contact id, Message-ID) -> the interaction that has it, and how to name it
        self.messages: dict[tuple[int, str], tuple[int, str]] = {}
        if table == "interaction":
            for rid, contact_id, mid in ctx.conn.execute(
                select(Interaction.id, Interaction.contact_id, Interaction.message_id).where(
                    col(Interaction.message_id).is_not(None),
                    col(Interaction.contact_id).is_not(None),
                )
            ):
                self.messages[(contact_id, mid)] = (rid, f"interaction #{rid}")

    def add(self, rec: InteractionIn | FollowUpIn) -> Action | None:
        """Resolve a row's contact and deal, then queue it, or skip it if it is here."""
        try:
            contact_id, deal_id = self.refs.about(rec.contact, rec.deal)
        except RowError as exc:
            self.ctx.report.problems.append(Problem(rec.line, str(exc)))
            return None
        if isinstance(rec, InteractionIn):
            text, at, label = rec.summary, rec.at, f"{rec.kind}: {rec.summary}"
        else:
            text, at, label = rec.title, rec.due, rec.title
        assert at is not None
        key = (contact_id, deal_id, text, at)
        if rec.uuid:  # a row with its UUID is that record, or a new one
            found, why = self.seen.get(("uuid", rec.uuid)), "same UUID"
        else:
            found, why = self.seen.get(key), "same contact, deal, time and text"
        if found is not None:
            what = self.table.replace("_", "-")
            return Action(rec.line, "skip", label, found, why, f"{what} #{found}")
        message = self._message(rec, contact_id)
        if message is not None:
            return message
        rid = self.batch.new_id(self.table)
        ruuid = rec.uuid if rec.uuid and rec.uuid not in self.uuids else self.batch.new_uuid()
        self.uuids.add(ruuid)
        now = self.batch.now_event
        row: dict[str, Any] = {"id": rid, "uuid": ruuid, "contact_id": contact_id,
                               "deal_id": deal_id}  # fmt: skip
        if isinstance(rec, InteractionIn):
            row.update(kind=rec.kind, direction=rec.direction, occurred_at=_event(at),
                       summary=rec.summary, message_id=rec.message_id)  # fmt: skip
            if rec.message_id is not None and contact_id is not None:
                self.messages[(contact_id, rec.message_id)] = (rid, f"line {rec.line}")
        else:
            row.update(
                title=rec.title, due_at=_event(at), all_day=rec.all_day, rrule=rec.recurrence,
                priority=rec.priority, status=rec.status,
                snoozed_until=_event(rec.snoozed_until), notified_at=None, notified_for=None,
                completed_at=_event(rec.completed_at),
            )  # fmt: skip
        row.update(created_at=now, updated_at=now, deleted_at=None)
        self.batch.create(self.table, row)
        self.seen[key] = rid
        return Action(rec.line, "create", label, rid)

    def _message(self, rec: InteractionIn | FollowUpIn, contact_id: int | None) -> Action | None:
        """The skip of an interaction whose contact already has its Message-ID (the database
        holds one message once per contact), else None."""
        if not isinstance(rec, InteractionIn) or rec.message_id is None or contact_id is None:
            return None
        found = self.messages.get((contact_id, rec.message_id))
        if found is None:
            return None
        why = f"same contact and Message-ID {rec.message_id}"
        return Action(rec.line, "skip", f"{rec.kind}: {rec.summary}", found[0], why, found[1])

    def finish(self) -> None:
        """Nothing is changed in place: rows here already are skipped."""


def _utc(value: Any) -> datetime:
    moment_ = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment_.replace(tzinfo=UTC) if moment_.tzinfo is None else moment_.astimezone(UTC)


def _event(moment_: datetime | None) -> str | None:
    """A time in the form history records it."""
    from tinycrm.store.bulk import event_time

    return event_time(moment_) if moment_ is not None else None
