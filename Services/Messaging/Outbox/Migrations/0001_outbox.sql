-- The transactional outbox: rows written in the same transaction as the business change they
-- announce, published to Kafka by the relay. Published rows are kept (published_at set) so an
-- auditor can match what was sent against what consumers handled.
CREATE TABLE outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    uuid        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    key           text        NOT NULL,
    type          text        NOT NULL,
    payload       bytea       NOT NULL,
    traceparent   text,
    tracestate    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    -- Set when the broker refused the row for good (too large, not allowed): not retried.
    failed_at     timestamptz,
    last_error    text
);
-- The relay's work list stays small however many rows were published.
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL AND failed_at IS NULL;
