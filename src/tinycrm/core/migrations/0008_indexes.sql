-- Indexes found by the benchmarks at 100,000 contacts (see docs/performance.md).

-- Open follow-ups that are snoozed, by the time they fall due again: with the partial index
-- on open follow-ups' due time, "due before T" (due or snoozed) becomes two index searches
-- instead of a walk over every open follow-up.
CREATE INDEX ix_follow_up_open_snoozed ON follow_up (snoozed_until)
    WHERE status = 'open' AND snoozed_until IS NOT NULL;

-- Deals of a status by value ("the biggest open deals"): the first page is read in index
-- order instead of sorting every open deal.
CREATE INDEX ix_deal_status_value ON deal (status, value);
