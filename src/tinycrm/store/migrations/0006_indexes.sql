-- Indexes found by the benchmarks at 100,000 contacts (see docs/performance.md).

-- Deals of a status by value ("the biggest open deals"): the first page is read in index
-- order instead of sorting every open deal.
CREATE INDEX IF NOT EXISTS ix_deal_status_value ON deal (status, value);

-- A contact's or a company's open deals: with (status, value) above, an index on the owner
-- alone let SQLite pick the status index for "this contact's open deals" and read every open
-- deal once per contact; with the owner and the status together it reads only theirs.
DROP INDEX IF EXISTS ix_deal_contact_id;
CREATE INDEX IF NOT EXISTS ix_deal_contact_status ON deal (contact_id, status);
DROP INDEX IF EXISTS ix_deal_company_id;
CREATE INDEX IF NOT EXISTS ix_deal_company_status ON deal (company_id, status);
