-- Indexes behind the list filters: created and updated ranges on companies and deals.
-- (Contacts already have theirs; tags, interactions and events are indexed by the first schema.)

CREATE INDEX ix_company_created_at ON company (created_at);
CREATE INDEX ix_company_updated_at ON company (updated_at);
CREATE INDEX ix_deal_created_at ON deal (created_at);
CREATE INDEX ix_deal_updated_at ON deal (updated_at);
