-- Reports and lead scores read each contact's latest and recent interactions; an index on
-- live (not trashed) interactions answers both without reading the rows themselves.

CREATE INDEX ix_interaction_live_contact_at ON interaction (contact_id, occurred_at)
    WHERE deleted_at IS NULL;

-- Churn reads the lifecycle changes of contacts from the history.
CREATE INDEX ix_event_contact_lifecycle ON event (at)
    WHERE entity = 'contact' AND action = 'update';
