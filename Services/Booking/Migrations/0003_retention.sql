-- The retention purge (Booking:Retention) deletes old rows without reading whole tables.
-- Idempotency keys by the time they were claimed: a key is written once and its answer filled in
-- by an update of other columns, so this costs one index entry per key.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
-- Holds that ended without an order, by when their time ran out. A hold enters it once, when it
-- is released or expires; active and ordered holds are never in it.
CREATE INDEX holds_ended ON holds (expires_at) WHERE status IN ('released', 'expired');
