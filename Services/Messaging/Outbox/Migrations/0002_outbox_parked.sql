-- Parked rows (failed_at set: the broker refused them for good) are few and wait for a person:
-- the operators' list and the parked-rows gauge read them here, not through the whole table.
CREATE INDEX outbox_parked ON outbox (id) WHERE failed_at IS NOT NULL;
