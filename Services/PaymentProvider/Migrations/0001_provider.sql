-- What the provider was asked to charge, one row per Idempotency-Key. The unique key, not a check
-- in code, is what keeps one key from charging twice: across replicas, concurrent retries and
-- restarts. Rows are never deleted; they are what an auditor reconciles Payments against.
CREATE TABLE charges (
    id               uuid          PRIMARY KEY,
    idempotency_key  text          NOT NULL UNIQUE,
    -- SHA-256 of the canonical request (amount, currency, reference): a retry with the same key
    -- must be the same request, and the request itself need not be kept to tell.
    request_hash     bytea         NOT NULL,
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    currency         text          NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- The caller's own reference (an order id). The stand-in takes no card data at all.
    reference        text          NOT NULL,
    -- 'processing' from the moment the provider starts (so a concurrent duplicate waits for the
    -- outcome instead of charging again) until it has an outcome.
    status           text          NOT NULL CHECK (status IN ('processing', 'succeeded', 'declined')),
    created_at       timestamptz   NOT NULL,
    completed_at     timestamptz,
    -- The sum of this charge's refunds, kept here so that a refund checks the remainder under the
    -- charge's row lock; it can never exceed what was charged.
    refunded_amount  numeric(12,2) NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    CHECK ((status = 'processing') = (completed_at IS NULL)),
    CHECK (refunded_amount = 0 OR status = 'succeeded')
);

-- Money given back, one row per Idempotency-Key, for the same reasons as charges. A charge's
-- refunds add up to its refunded_amount: both are written in one transaction.
CREATE TABLE refunds (
    id               uuid          PRIMARY KEY,
    idempotency_key  text          NOT NULL UNIQUE,
    -- SHA-256 of the canonical request (charge key, amount or "remaining").
    request_hash     bytea         NOT NULL,
    charge_id        uuid          NOT NULL REFERENCES charges,
    amount           numeric(12,2) NOT NULL CHECK (amount > 0),
    created_at       timestamptz   NOT NULL
);
CREATE INDEX refunds_by_charge ON refunds (charge_id);
