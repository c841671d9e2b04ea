-- The channels that already delivered a reminder in a run where another channel failed. The
-- run gives the reminder back so the next run tries again; these rows make that retry go only
-- to the channels it has not reached, instead of repeating it on the ones that worked.
-- `due` is the occurrence reminded of, as stored; rows go once every channel has delivered.
CREATE TABLE IF NOT EXISTS reminder_delivery (
    kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    due TEXT NOT NULL,
    channel TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (kind, record_id, due, channel)
);
