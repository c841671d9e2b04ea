-- The vCard UIDs a contact was known by in other address books (Apple, Google, khard), kept
-- exactly as written so that an export writes each card back under its own UID and file name
-- and a re-import matches the same contact. A contact made in tinycrm has none: its UUID is
-- its UID. A merge moves the removed contact's UIDs onto the kept one; the primary one is the
-- UID its card is written under.
CREATE TABLE IF NOT EXISTS contact_uid (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    uid VARCHAR NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_contact_uid_contact_id ON contact_uid (contact_id);
CREATE INDEX IF NOT EXISTS ix_contact_uid_uid ON contact_uid (uid);
