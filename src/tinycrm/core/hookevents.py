"""The events a saved change made, read from what its transaction recorded, and the runs of
the seller's hook commands for them (see docs/hooks.md; `core.hooks` attaches them).

The events come from the committed transaction's `event` rows: a contact created, a deal
whose stage or status changed, a follow-up that became done, an interaction created. Undo
and redo record no rows of their own, so they run no hook. `crm remind` adds `follow_up_due`
for each follow-up it reminded of (`Hooks.reminded`).

All events of one name in one change go to one run of each of its commands, one line of
JSON per event, so an import of a thousand contacts runs a hook once, not a thousand times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from tinycrm.config.hooks import HookSettings
    from tinycrm.domain.notices import Reminder
    from tinycrm.store.db import Database

# The tables whose recorded changes can make an event (a stage's: the name of one removed).
WATCHED = ("contact", "deal", "follow_up", "interaction", "stage")
SAVED = "the change is saved"


@dataclass(frozen=True)
class Fired:
    """One event: its name, the record it is about (kind and id), when, and what else the
    event tells (a move's stages, the occurrence a reminder was for)."""

    event: str
    kind: str  # the key the record goes under: contact, deal, follow_up or interaction
    record_id: int
    at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def derive(rows: Sequence[Any]) -> list[Fired]:
    """Return the events that recorded changes make, in the order they were made.

    Each row has `entity`, `entity_id`, `action`, `before`, `after` and `at`, as the event
    table holds them. A deal's move names its stages by id here (`stage_ids`), with the names
    of those the same change removed (`removed_stages`: a stage removed with its deals moved
    on), which can no longer be looked up."""
    removed = {
        int(row.entity_id): (row.before or {}).get("name")
        for row in rows
        if row.entity == "stage" and row.action == "delete"
    }
    fired: list[Fired] = []
    for row in rows:
        entity, action, at = row.entity, row.action, row.at
        before, after = row.before or {}, row.after or {}
        record_id = int(row.entity_id)
        if action == "create" and entity == "contact":
            fired.append(Fired("contact_added", "contact", record_id, at))
        elif action == "create" and entity == "interaction":
            fired.append(Fired("interaction_logged", "interaction", record_id, at))
        elif action == "update" and entity == "follow_up" and after.get("status") == "done":
            fired.append(Fired("follow_up_done", "follow_up", record_id, at))
        elif action == "update" and entity == "deal":
            if "stage_id" in after and before.get("stage_id") != after["stage_id"]:
                ids = (before.get("stage_id"), after["stage_id"])
                gone = {i: removed[i] for i in ids if i in removed}
                stages = {"stage_ids": ids, "removed_stages": gone}
                fired.append(Fired("deal_moved", "deal", record_id, at, stages))
            if after.get("status") == "won":
                fired.append(Fired("deal_won", "deal", record_id, at))
            elif after.get("status") == "lost":
                fired.append(Fired("deal_lost", "deal", record_id, at))
    return fired


def _recorded(session: Session, group_id: str) -> list[Any]:
    """The committed group's rows that can make an event, oldest first."""
    from sqlmodel import col, select

    from tinycrm.store.models import Event

    statement = (
        select(Event.entity, Event.entity_id, Event.action, Event.before, Event.after, Event.at)
        .where(Event.group_id == group_id, col(Event.entity).in_(WATCHED))
        .order_by(col(Event.id))
    )
    return list(session.exec(statement))


def _record(session: Session, fired: Fired) -> dict[str, Any] | None:
    """The record as its `--json` view shows it, or None when it is gone (or in the trash)
    by the end of the change."""
    from tinycrm.store.models import Contact, Deal, FollowUp, Interaction

    model = {"contact": Contact, "deal": Deal, "follow_up": FollowUp}.get(fired.kind, Interaction)
    found: Any = session.get(model, fired.record_id)
    if found is None or found.deleted_at is not None:
        return None
    if fired.kind == "contact":
        from tinycrm.core.views import contact_dict

        return dict(contact_dict(session, found))
    if fired.kind == "deal":
        from tinycrm.core.views import deal_dict

        return dict(deal_dict(session, found))
    if fired.kind == "follow_up":
        from tinycrm.core.followups import follow_up_dict

        return dict(follow_up_dict(session, found))
    from tinycrm.core.interactions import interaction_dict

    return dict(interaction_dict(session, found))


def payload(session: Session, fired: Fired) -> dict[str, Any] | None:
    """The JSON object a hook reads for one event (docs/hooks.md), or None when its record
    is gone."""
    from tinycrm.domain.dates import iso
    from tinycrm.store.models import Stage

    record = _record(session, fired)
    if record is None:
        return None
    out: dict[str, Any] = {"event": fired.event, "at": iso(fired.at), fired.kind: record}
    if fired.event == "deal_lost":
        out["reason"] = record["lost_reason"]  # as saved, whether or not this change set it
    extra = dict(fired.extra)
    if "stage_ids" in extra:
        removed: dict[int, str] = extra.pop("removed_stages")
        names = []
        for stage_id in extra.pop("stage_ids"):
            stage = session.get(Stage, stage_id) if stage_id else None
            names.append(stage.name if stage else removed.get(stage_id))
        out["from_stage"], out["to_stage"] = names
    return {**out, **extra}


@dataclass
class Hooks:
    """The seller's hook commands, attached to one database; `report` says a failure (one
    line: on stderr from the command line, a notification on the board)."""

    db: Database
    settings: HookSettings
    report: Callable[[str], None]

    def __call__(self, group_id: str) -> None:
        """Run the hooks of the events a committed change recorded."""

        def events(session: Session) -> list[Fired]:
            return [f for f in derive(_recorded(session, group_id)) if self._wanted(f)]

        self._fire(events, SAVED)

    def reminded(self, reminders: Sequence[Reminder], now: datetime) -> None:
        """Run the `follow_up_due` hooks for the follow-ups `crm remind` reminded of (each
        event says the occurrence it was due at)."""
        from tinycrm.domain.dates import iso

        if not self.settings.commands("follow_up_due"):
            return
        fired = [
            Fired("follow_up_due", "follow_up", r.id, now, {"due": iso(r.due)})
            for r in reminders
            if r.kind == "follow-up"
        ]
        if fired:
            self._fire(lambda session: fired, "the reminder is recorded")

    def _wanted(self, fired: Fired) -> bool:
        return bool(self.settings.commands(fired.event))

    def _fire(self, events: Callable[[Session], list[Fired]], kept: str) -> None:
        """Describe the events (read in one snapshot) and run their hooks. Nothing is raised
        from here: the change is saved, and the command that made it has succeeded."""
        try:
            with self.db.snapshot() as session:
                fired = events(session)
                found = [payload(session, f) for f in fired] if fired else []
            self._run([p for p in found if p is not None], kept)
        except Exception as error:  # the database cannot be read now, a disk is full…
            self.report(f"hooks not run: {error}; {kept}")

    def _run(self, payloads: list[dict[str, Any]], kept: str) -> None:
        """Run each event's commands once, with all its events as lines of JSON."""
        import json
        import os

        from tinycrm.domain.text import json_safe
        from tinycrm.system import hooks as running

        by_event: dict[str, list[dict[str, Any]]] = {}
        for item in payloads:
            by_event.setdefault(item["event"], []).append(item)
        for event, items in by_event.items():
            # json_safe: no line separator but the newline, whatever a name holds
            text = "".join(json_safe(json.dumps(item, ensure_ascii=False)) + "\n" for item in items)
            env = {
                **os.environ,
                "TINYCRM_EVENT": event,
                "TINYCRM_EVENTS": str(len(items)),
                "TINYCRM_DB": os.path.abspath(self.db.path),  # a hook may work elsewhere
            }
            for command in self.settings.commands(event):
                failed = running.run(command, text.encode(), env, self.settings.timeout)
                if failed is not None:
                    self.report(f"hook {event} ({_named(command)}) failed: {failed}; {kept}")


def _named(command: str) -> str:
    """How a failure names a command: its first word (the rest may hold a webhook's token)."""
    from tinycrm.domain.text import visible

    return visible(command.split(maxsplit=1)[0])
