-- How far the reconciliation sweep has got: every provider charge created before settled_until
-- has been matched against its payments row, and refunded when its order did not keep it. One
-- row, shared by the replicas (one sweeps at a time, under an advisory lock) and kept across
-- restarts. It starts at the beginning, so the first sweep looks at every charge there is.
CREATE TABLE reconciliation_cursor (
    id             boolean      PRIMARY KEY DEFAULT true CHECK (id),
    settled_until  timestamptz  NOT NULL,
    -- When a sweep last finished, for a person wondering whether it runs.
    swept_at       timestamptz
);

INSERT INTO reconciliation_cursor (settled_until) VALUES ('1970-01-01T00:00:00Z');
