-- The inbox: one row per integration event a consumer handled, written in the same transaction
-- as the handler's effect. A redelivered event finds its row and changes nothing. Rows are kept
-- so an auditor can match every relayed outbox event against what its consumers handled.
CREATE TABLE inbox (
    consumer    text        NOT NULL,
    message_id  uuid        NOT NULL,
    type        text        NOT NULL,
    handled_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
