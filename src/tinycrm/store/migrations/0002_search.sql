-- Full-text search over contacts, companies, deals, interactions and follow-ups (FTS5),
-- kept current by triggers so every writer (the ORM, bulk imports, undo) updates it.

CREATE VIRTUAL TABLE search_index USING fts5(
    kind UNINDEXED,
    record_id UNINDEXED,
    title,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER contact_search_ai AFTER INSERT ON contact BEGIN
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 1, 'contact', new.id, new.name,
            coalesce(new.title, '') || ' ' || coalesce(new.notes, '') || ' ' || coalesce(new.source, ''));
END;
CREATE TRIGGER contact_search_au AFTER UPDATE OF name, title, notes, source ON contact BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 1, 'contact', new.id, new.name,
            coalesce(new.title, '') || ' ' || coalesce(new.notes, '') || ' ' || coalesce(new.source, ''));
END;
CREATE TRIGGER contact_search_ad AFTER DELETE ON contact BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 1;
END;

CREATE TRIGGER company_search_ai AFTER INSERT ON company BEGIN
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 2, 'company', new.id, new.name,
            coalesce(new.domain, '') || ' ' || coalesce(new.industry, '') || ' ' || coalesce(new.notes, ''));
END;
CREATE TRIGGER company_search_au AFTER UPDATE OF name, domain, industry, notes ON company BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 2, 'company', new.id, new.name,
            coalesce(new.domain, '') || ' ' || coalesce(new.industry, '') || ' ' || coalesce(new.notes, ''));
END;
CREATE TRIGGER company_search_ad AFTER DELETE ON company BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 2;
END;

CREATE TRIGGER deal_search_ai AFTER INSERT ON deal BEGIN
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 3, 'deal', new.id, new.title,
            coalesce(new.notes, '') || ' ' || coalesce(new.lost_reason, ''));
END;
CREATE TRIGGER deal_search_au AFTER UPDATE OF title, notes, lost_reason ON deal BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 3;
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 3, 'deal', new.id, new.title,
            coalesce(new.notes, '') || ' ' || coalesce(new.lost_reason, ''));
END;
CREATE TRIGGER deal_search_ad AFTER DELETE ON deal BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 3;
END;

CREATE TRIGGER interaction_search_ai AFTER INSERT ON interaction BEGIN
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 4, 'interaction', new.id, new.kind, new.summary);
END;
CREATE TRIGGER interaction_search_au AFTER UPDATE OF kind, summary ON interaction BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 4, 'interaction', new.id, new.kind, new.summary);
END;
CREATE TRIGGER interaction_search_ad AFTER DELETE ON interaction BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 4;
END;

CREATE TRIGGER follow_up_search_ai AFTER INSERT ON follow_up BEGIN
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 5, 'follow-up', new.id, new.title, '');
END;
CREATE TRIGGER follow_up_search_au AFTER UPDATE OF title ON follow_up BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 5;
    INSERT INTO search_index (rowid, kind, record_id, title, body)
    VALUES (new.id * 8 + 5, 'follow-up', new.id, new.title, '');
END;
CREATE TRIGGER follow_up_search_ad AFTER DELETE ON follow_up BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 8 + 5;
END;

-- Index what an earlier version already holds.
INSERT INTO search_index (rowid, kind, record_id, title, body)
SELECT id * 8 + 1, 'contact', id, name,
       coalesce(title, '') || ' ' || coalesce(notes, '') || ' ' || coalesce(source, '') FROM contact;
INSERT INTO search_index (rowid, kind, record_id, title, body)
SELECT id * 8 + 2, 'company', id, name,
       coalesce(domain, '') || ' ' || coalesce(industry, '') || ' ' || coalesce(notes, '') FROM company;
INSERT INTO search_index (rowid, kind, record_id, title, body)
SELECT id * 8 + 3, 'deal', id, title, coalesce(notes, '') || ' ' || coalesce(lost_reason, '') FROM deal;
INSERT INTO search_index (rowid, kind, record_id, title, body)
SELECT id * 8 + 4, 'interaction', id, kind, summary FROM interaction;
INSERT INTO search_index (rowid, kind, record_id, title, body)
SELECT id * 8 + 5, 'follow-up', id, title, '' FROM follow_up;
