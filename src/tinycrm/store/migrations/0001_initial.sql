-- The first schema: people, organisations, the pipeline, follow-ups, interactions and history.
-- Times are UTC, written as 'YYYY-MM-DD HH:MM:SS.ffffff'; dates as 'YYYY-MM-DD'.

CREATE TABLE company (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    domain VARCHAR,
    industry VARCHAR,
    size VARCHAR,
    notes VARCHAR,
    custom JSON,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE INDEX ix_company_name_key ON company (name_key);
CREATE INDEX ix_company_domain ON company (domain);

CREATE TABLE contact (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    name_key VARCHAR NOT NULL,
    title VARCHAR,
    company_id INTEGER REFERENCES company (id) ON DELETE SET NULL,
    lifecycle VARCHAR NOT NULL DEFAULT 'lead',
    source VARCHAR,
    notes VARCHAR,
    custom JSON,
    keep_in_touch_days INTEGER,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE INDEX ix_contact_name_key ON contact (name_key);
CREATE INDEX ix_contact_company_id ON contact (company_id);
CREATE INDEX ix_contact_lifecycle ON contact (lifecycle);
CREATE INDEX ix_contact_source ON contact (source);
CREATE INDEX ix_contact_created_at ON contact (created_at);
CREATE INDEX ix_contact_updated_at ON contact (updated_at);

CREATE TABLE contact_email (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    email VARCHAR NOT NULL,
    email_key VARCHAR NOT NULL,
    label VARCHAR,
    is_primary BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX ix_contact_email_contact_id ON contact_email (contact_id);
CREATE INDEX ix_contact_email_email_key ON contact_email (email_key);

CREATE TABLE contact_phone (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    phone VARCHAR NOT NULL,
    phone_key VARCHAR NOT NULL,
    label VARCHAR,
    is_primary BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX ix_contact_phone_contact_id ON contact_phone (contact_id);
CREATE INDEX ix_contact_phone_phone_key ON contact_phone (phone_key);

CREATE TABLE contact_url (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    url VARCHAR NOT NULL,
    label VARCHAR,
    is_primary BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX ix_contact_url_contact_id ON contact_url (contact_id);

CREATE TABLE tag (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE
);

CREATE TABLE contact_tag (
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX ix_contact_tag_tag_id ON contact_tag (tag_id);

CREATE TABLE company_tag (
    company_id INTEGER NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    PRIMARY KEY (company_id, tag_id)
);
CREATE INDEX ix_company_tag_tag_id ON company_tag (tag_id);

CREATE TABLE pipeline (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    name VARCHAR NOT NULL UNIQUE,
    is_default BOOLEAN NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE stage (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    pipeline_id INTEGER NOT NULL REFERENCES pipeline (id) ON DELETE CASCADE,
    name VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    probability INTEGER NOT NULL,
    stale_days INTEGER,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX ix_stage_pipeline_id ON stage (pipeline_id, position);

CREATE TABLE deal (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    title VARCHAR NOT NULL,
    title_key VARCHAR NOT NULL,
    contact_id INTEGER REFERENCES contact (id) ON DELETE SET NULL,
    company_id INTEGER REFERENCES company (id) ON DELETE SET NULL,
    pipeline_id INTEGER NOT NULL REFERENCES pipeline (id),
    stage_id INTEGER NOT NULL REFERENCES stage (id),
    value INTEGER,
    currency VARCHAR(3) NOT NULL,
    expected_close DATE,
    probability INTEGER,
    status VARCHAR NOT NULL DEFAULT 'open',
    lost_reason VARCHAR,
    closed_at DATETIME,
    stage_entered_at DATETIME NOT NULL,
    notes VARCHAR,
    custom JSON,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE INDEX ix_deal_title_key ON deal (title_key);
CREATE INDEX ix_deal_contact_id ON deal (contact_id);
CREATE INDEX ix_deal_company_id ON deal (company_id);
CREATE INDEX ix_deal_stage_status ON deal (stage_id, status);
CREATE INDEX ix_deal_status_updated ON deal (status, updated_at);
CREATE INDEX ix_deal_expected_close ON deal (expected_close);

CREATE TABLE deal_tag (
    deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag (id) ON DELETE CASCADE,
    PRIMARY KEY (deal_id, tag_id)
);
CREATE INDEX ix_deal_tag_tag_id ON deal_tag (tag_id);

CREATE TABLE stage_change (
    id INTEGER PRIMARY KEY,
    deal_id INTEGER NOT NULL REFERENCES deal (id) ON DELETE CASCADE,
    from_stage_id INTEGER REFERENCES stage (id) ON DELETE SET NULL,
    to_stage_id INTEGER REFERENCES stage (id) ON DELETE SET NULL,
    at DATETIME NOT NULL
);
CREATE INDEX ix_stage_change_deal_id ON stage_change (deal_id, at);
CREATE INDEX ix_stage_change_to_stage ON stage_change (to_stage_id);

CREATE TABLE follow_up (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    contact_id INTEGER REFERENCES contact (id) ON DELETE CASCADE,
    deal_id INTEGER REFERENCES deal (id) ON DELETE CASCADE,
    title VARCHAR NOT NULL,
    due_at DATETIME NOT NULL,
    all_day BOOLEAN NOT NULL DEFAULT 0,
    rrule VARCHAR,
    priority BOOLEAN NOT NULL DEFAULT 0,
    status VARCHAR NOT NULL DEFAULT 'open',
    snoozed_until DATETIME,
    notified_at DATETIME,
    notified_for DATETIME,
    completed_at DATETIME,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE INDEX ix_follow_up_contact_id ON follow_up (contact_id);
CREATE INDEX ix_follow_up_deal_id ON follow_up (deal_id);
CREATE INDEX ix_follow_up_open_due ON follow_up (due_at) WHERE status = 'open';

CREATE TABLE interaction (
    id INTEGER PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL UNIQUE,
    contact_id INTEGER REFERENCES contact (id) ON DELETE CASCADE,
    deal_id INTEGER REFERENCES deal (id) ON DELETE SET NULL,
    kind VARCHAR NOT NULL,
    direction VARCHAR,
    occurred_at DATETIME NOT NULL,
    summary VARCHAR NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE INDEX ix_interaction_contact_at ON interaction (contact_id, occurred_at);
CREATE INDEX ix_interaction_deal_at ON interaction (deal_id, occurred_at);

CREATE TABLE segment (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    filters JSON NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE event (
    id INTEGER PRIMARY KEY,
    group_id VARCHAR(36) NOT NULL,
    origin VARCHAR NOT NULL,
    at DATETIME NOT NULL,
    entity VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    before JSON,
    after JSON,
    summary VARCHAR,
    undone_at DATETIME
);
CREATE INDEX ix_event_group_id ON event (group_id);
CREATE INDEX ix_event_entity ON event (entity, entity_id);
