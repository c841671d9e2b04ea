-- The CRM comes to the seller: mail logged by itself, sequences of follow-ups, money spent on
-- finding customers, a deal's qualification and its recurring value.
--
-- Existing rows keep every value: the new columns start empty (NULL), which means what it
-- meant before (a deal qualified on nothing, a one-off value; an interaction not from mail).

-- The Message-ID of an email logged from a mailbox, so that importing it again logs nothing.
-- One message is logged once for each known contact it was from or to.
ALTER TABLE interaction ADD COLUMN message_id VARCHAR;
CREATE UNIQUE INDEX IF NOT EXISTS ix_interaction_contact_message
    ON interaction (contact_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_interaction_message_id
    ON interaction (message_id) WHERE message_id IS NOT NULL;

-- A sequence: named steps, each a follow-up some days after the start (business days when
-- business_days is set: Saturdays and Sundays are not counted).
CREATE TABLE IF NOT EXISTS sequence (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    business_days BOOLEAN NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_sequence_uuid ON sequence (uuid);
CREATE INDEX IF NOT EXISTS ix_sequence_name_key ON sequence (name_key);

-- One step: its place in the sequence (1, 2, …), its offset in days from the start, the kind
-- of touch (call, email, meeting, message or note) and what to do.
CREATE TABLE IF NOT EXISTS sequence_step (
    id INTEGER PRIMARY KEY,
    sequence_id INTEGER NOT NULL REFERENCES sequence (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    offset_days INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    title VARCHAR NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_sequence_step_sequence_id ON sequence_step (sequence_id);

-- A sequence started on a contact (and a deal): status is active, stopped or finished;
-- stop_reason says why it stopped (a reply, by hand). keep_on_reply keeps it going when the
-- contact replies.
CREATE TABLE IF NOT EXISTS sequence_run (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR NOT NULL,
    sequence_id INTEGER NOT NULL REFERENCES sequence (id),
    contact_id INTEGER REFERENCES contact (id),
    deal_id INTEGER REFERENCES deal (id),
    status VARCHAR NOT NULL DEFAULT 'active',
    keep_on_reply BOOLEAN NOT NULL DEFAULT 0,
    started_at DATETIME NOT NULL,
    stopped_at DATETIME,
    stop_reason VARCHAR,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_sequence_run_uuid ON sequence_run (uuid);
CREATE INDEX IF NOT EXISTS ix_sequence_run_contact_id ON sequence_run (contact_id);
CREATE INDEX IF NOT EXISTS ix_sequence_run_deal_id ON sequence_run (deal_id);

-- The follow-ups a run scheduled name the run and the step they come from.
ALTER TABLE follow_up ADD COLUMN sequence_run_id INTEGER REFERENCES sequence_run (id);
ALTER TABLE follow_up ADD COLUMN sequence_step_id INTEGER REFERENCES sequence_step (id);
CREATE INDEX IF NOT EXISTS ix_follow_up_sequence_run_id
    ON follow_up (sequence_run_id) WHERE sequence_run_id IS NOT NULL;

-- Money spent on finding customers: per lead source and month ('2026-11'), in minor units
-- of its currency, with an optional note.
CREATE TABLE IF NOT EXISTS spend (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    source_key VARCHAR NOT NULL,
    month VARCHAR NOT NULL,
    amount INTEGER NOT NULL,
    currency VARCHAR NOT NULL,
    note VARCHAR,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_spend_uuid ON spend (uuid);
CREATE INDEX IF NOT EXISTS ix_spend_source_month ON spend (source_key, month);

-- A deal's qualification (BANT): budget, authority, need and timing, each 'yes' or 'no';
-- NULL is not known yet.
ALTER TABLE deal ADD COLUMN budget VARCHAR;
ALTER TABLE deal ADD COLUMN authority VARCHAR;
ALTER TABLE deal ADD COLUMN need VARCHAR;
ALTER TABLE deal ADD COLUMN timing VARCHAR;

-- A recurring deal: its value is per month ('monthly') or per year ('yearly'); NULL is a
-- one-off value.
ALTER TABLE deal ADD COLUMN recurring VARCHAR;
