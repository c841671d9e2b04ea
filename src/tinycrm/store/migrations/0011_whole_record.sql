-- The whole customer record: a contact's name in parts, its postal addresses and dates, every
-- type of an email, phone or web address, and the vCard properties nothing maps, so that a
-- card imported from another address book is written back with nothing lost.
--
-- Existing rows keep every value: the new columns start empty (NULL), and an export of a
-- contact without them writes what it wrote before.

-- The parts of the name (vCard N: family; given; additional; prefix; suffix) and the N value
-- exactly as a card gave it (still escaped), which an export writes back unchanged.
ALTER TABLE contact ADD COLUMN given_name VARCHAR;
ALTER TABLE contact ADD COLUMN family_name VARCHAR;
ALTER TABLE contact ADD COLUMN middle_name VARCHAR;
ALTER TABLE contact ADD COLUMN name_prefix VARCHAR;
ALTER TABLE contact ADD COLUMN name_suffix VARCHAR;
ALTER TABLE contact ADD COLUMN nickname VARCHAR;
ALTER TABLE contact ADD COLUMN vcard_n VARCHAR;
-- The photo: a data: URI (media type and base64 data) or the URI a card pointed to.
ALTER TABLE contact ADD COLUMN photo VARCHAR;

-- Every vCard TYPE of an email, phone or web address, lower-case and comma-separated in the
-- order written ("home,fax"); the label stays what a person reads (a custom label such as
-- Apple's X-ABLabel, else the first type). vcard_group is the group ("item1") it was written
-- in, so what the group ties to it (a label, a verbatim line) stays tied on export.
ALTER TABLE contact_email ADD COLUMN types VARCHAR;
ALTER TABLE contact_email ADD COLUMN vcard_group VARCHAR;
ALTER TABLE contact_phone ADD COLUMN types VARCHAR;
ALTER TABLE contact_phone ADD COLUMN vcard_group VARCHAR;
ALTER TABLE contact_url ADD COLUMN types VARCHAR;
ALTER TABLE contact_url ADD COLUMN vcard_group VARCHAR;

-- Postal addresses of contacts and of companies (vCard ADR: PO box; extended; street;
-- locality; region; postcode; country), each with a label and its types; one is primary.
CREATE TABLE IF NOT EXISTS contact_address (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    label VARCHAR,
    types VARCHAR,
    po_box VARCHAR,
    extended VARCHAR,
    street VARCHAR,
    locality VARCHAR,
    region VARCHAR,
    postcode VARCHAR,
    country VARCHAR,
    is_primary BOOLEAN NOT NULL DEFAULT 0,
    vcard_group VARCHAR
);
CREATE INDEX IF NOT EXISTS ix_contact_address_contact_id ON contact_address (contact_id);

CREATE TABLE IF NOT EXISTS company_address (
    id INTEGER PRIMARY KEY,
    company_id INTEGER NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    label VARCHAR,
    types VARCHAR,
    po_box VARCHAR,
    extended VARCHAR,
    street VARCHAR,
    locality VARCHAR,
    region VARCHAR,
    postcode VARCHAR,
    country VARCHAR,
    is_primary BOOLEAN NOT NULL DEFAULT 0,
    vcard_group VARCHAR
);
CREATE INDEX IF NOT EXISTS ix_company_address_company_id ON company_address (company_id);

-- A contact's dates: kind is birthday, anniversary or other (with a label). value is the
-- date in ISO 8601, with its year ('1985-04-12') or without one ('--04-12'): a date with no
-- year never gets one invented. month and day are the same date as numbers, to query by.
-- written is the value as a card wrote it ('19850412', '--0412'), which an export writes back.
CREATE TABLE IF NOT EXISTS contact_date (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    kind VARCHAR NOT NULL,
    label VARCHAR,
    value VARCHAR NOT NULL,
    month INTEGER NOT NULL,
    day INTEGER NOT NULL,
    written VARCHAR,
    vcard_group VARCHAR
);
CREATE INDEX IF NOT EXISTS ix_contact_date_contact_id ON contact_date (contact_id);
CREATE INDEX IF NOT EXISTS ix_contact_date_month_day ON contact_date (month, day);

-- The vCard properties a contact came with that nothing above maps, each one content line
-- exactly as written (unfolded, with its group and parameters), in the card's order; an
-- export writes them back. name is the property's name, to report what was kept.
CREATE TABLE IF NOT EXISTS contact_property (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    line VARCHAR NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_contact_property_contact_id ON contact_property (contact_id);
