-- Ids that are never given twice, and a redo stack.
--
-- id_sequence holds the next id of each counter: 'record' is shared by contacts, companies,
-- deals and follow-ups (an id names one record of any kind), every other table has its own.
-- Each counter starts above the highest id its tables hold or their history ever named, so
-- the id of a record that was undone, deleted, merged or forgotten is not given again.
-- Existing records keep their ids: a number that two kinds already share is reported as
-- ambiguous (with both records) instead of being renumbered behind the seller's back.
CREATE TABLE IF NOT EXISTS id_sequence (
    name TEXT PRIMARY KEY,
    next_id INTEGER NOT NULL
);

INSERT OR REPLACE INTO id_sequence (name, next_id)
SELECT 'record', 1 + max(
    coalesce((SELECT max(id) FROM contact), 0),
    coalesce((SELECT max(id) FROM company), 0),
    coalesce((SELECT max(id) FROM deal), 0),
    coalesce((SELECT max(id) FROM follow_up), 0),
    coalesce((SELECT max(CAST(entity_id AS INTEGER)) FROM event
              WHERE entity IN ('contact', 'company', 'deal', 'follow_up')
              AND entity_id NOT LIKE '%/%'), 0),
    -- tag links are keyed 'record/tag'
    coalesce((SELECT max(CAST(substr(entity_id, 1, instr(entity_id, '/') - 1) AS INTEGER))
              FROM event WHERE entity IN ('contact_tag', 'company_tag', 'deal_tag')), 0)
);

INSERT OR REPLACE INTO id_sequence (name, next_id)
SELECT t.name, 1 + max(t.top, coalesce((
    SELECT max(CAST(e.entity_id AS INTEGER)) FROM event e
    WHERE e.entity = t.name AND e.entity_id NOT LIKE '%/%'), 0))
FROM (
    SELECT 'contact_email' AS name, coalesce((SELECT max(id) FROM contact_email), 0) AS top
    UNION ALL SELECT 'contact_phone', coalesce((SELECT max(id) FROM contact_phone), 0)
    UNION ALL SELECT 'contact_url', coalesce((SELECT max(id) FROM contact_url), 0)
    UNION ALL SELECT 'tag', max(coalesce((SELECT max(id) FROM tag), 0), coalesce((
        SELECT max(CAST(substr(entity_id, instr(entity_id, '/') + 1) AS INTEGER)) FROM event
        WHERE entity IN ('contact_tag', 'company_tag', 'deal_tag')), 0))
    UNION ALL SELECT 'pipeline', coalesce((SELECT max(id) FROM pipeline), 0)
    UNION ALL SELECT 'stage', coalesce((SELECT max(id) FROM stage), 0)
    UNION ALL SELECT 'stage_change', coalesce((SELECT max(id) FROM stage_change), 0)
    UNION ALL SELECT 'interaction', coalesce((SELECT max(id) FROM interaction), 0)
    UNION ALL SELECT 'segment', coalesce((SELECT max(id) FROM segment), 0)
) AS t;

INSERT OR REPLACE INTO id_sequence (name, next_id)
SELECT 'event', 1 + coalesce((SELECT max(id) FROM event), 0);

-- The commands that `crm redo` can re-apply, the one undone last on top (highest position).
-- Any new change empties it: what an undo abandoned can never be redone. An upgraded
-- database keeps what the earlier release could redo: the undone commands newer than every
-- kept change (undo took them back newest first, so the oldest of them is on top).
CREATE TABLE IF NOT EXISTS redo_stack (
    position INTEGER PRIMARY KEY,
    group_id TEXT NOT NULL UNIQUE
);

INSERT INTO redo_stack (position, group_id)
SELECT row_number() OVER (ORDER BY min(id) DESC), group_id
FROM event
WHERE undone_at IS NOT NULL AND origin != 'system'
GROUP BY group_id
HAVING min(id) > coalesce((SELECT max(id) FROM event WHERE undone_at IS NULL), 0);
