-- Indexes found by the benchmarks at 100,000 contacts (see docs/performance.md).

-- Deals of a status by value ("the biggest open deals"): the first page is read in index
-- order instead of sorting every open deal.
CREATE INDEX ix_deal_status_value ON deal (status, value);
