-- One payment per order, keyed by the order id (which is also the charge's idempotency key at
-- the provider, so the order can never be charged twice).
CREATE TABLE payments (
    order_id     uuid          PRIMARY KEY,
    -- Null when the order was cancelled before its OrderPlaced was handled.
    buyer_id     text,
    amount       numeric(12,2),
    currency     text,
    pay_by       timestamptz,
    status       text          NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled', 'refunded')),
    charge_id    text,
    refund_id    text,
    last_error   text,
    created_at   timestamptz   NOT NULL,
    updated_at   timestamptz   NOT NULL
);
