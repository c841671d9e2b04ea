-- Reminders that an interrupted run gives back, and that undo and redo do not repeat.
--
-- One row per occurrence (a follow-up's due or snooze time, a contact's keep-in-touch day) that a
-- `crm remind` run has claimed or finished. `claimed_until` is a lease: the run that claimed the
-- occurrence delivers it until then; a run killed before it finished leaves the lease to expire,
-- and a later run takes the occurrence again (the channels that had it are in reminder_delivery).
-- `reminded_at` is set once every channel has it. The rows are keyed by the record's uuid, which
-- undo, redo and upgrades keep, and the history never records or restores them, so a follow-up
-- that undo takes away and redo brings back is not reminded again.
CREATE TABLE IF NOT EXISTS reminder_occurrence (
    record_uuid TEXT NOT NULL,
    due TEXT NOT NULL,
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    claimed_until TEXT,
    claimed_by TEXT,
    reminded_at TEXT,
    PRIMARY KEY (record_uuid, due)
);

-- A channel's delivery note names the record's uuid too, so that a note left by a run that
-- stopped is never taken for another record's (notes written before this have none).
ALTER TABLE reminder_delivery ADD COLUMN record_uuid TEXT;
