-- Reminders: keep-in-touch reminders are sent once per occurrence (like follow-ups'
-- notified_for), and the reminder queries stay indexed.

ALTER TABLE contact ADD COLUMN touch_notified_for DATETIME;
CREATE INDEX ix_contact_keep_in_touch ON contact (keep_in_touch_days)
    WHERE keep_in_touch_days IS NOT NULL;
CREATE INDEX ix_follow_up_open_snoozed ON follow_up (snoozed_until)
    WHERE status = 'open' AND snoozed_until IS NOT NULL;
