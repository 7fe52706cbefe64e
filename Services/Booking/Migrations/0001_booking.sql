-- Booking's own copy of what it sells, built from the catalog's EventPublished: events, their
-- price tiers, and one row per sellable seat or general-admission place (a unit).
CREATE TABLE events (
    event_id        uuid        PRIMARY KEY,
    -- The catalog's version of the event: an older change arriving late is ignored.
    version         integer     NOT NULL,
    organizer_id    text        NOT NULL,
    name            text        NOT NULL,
    currency        text        NOT NULL,
    status          text        NOT NULL,
    starts_at       timestamptz NOT NULL,
    sale_opens_at   timestamptz NOT NULL,
    sale_closes_at  timestamptz NOT NULL
);

CREATE TABLE tiers (
    tier_id   uuid          PRIMARY KEY,
    event_id  uuid          NOT NULL REFERENCES events,
    name      text          NOT NULL,
    price     numeric(12,2) NOT NULL,
    capacity  integer       NOT NULL
);
CREATE INDEX tiers_by_event ON tiers (event_id);

-- A unit is free when order_id is null and it is not held (held_until null or past). A hold
-- claims units by setting hold_id and held_until under a row lock; a paid order sets order_id,
-- once, for good. The unique index on tickets.unit_id backs this up: one ticket per unit.
CREATE TABLE units (
    unit_id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid        NOT NULL REFERENCES events,
    tier_id     uuid        NOT NULL REFERENCES tiers,
    section     text        NOT NULL,
    -- Null for a general-admission place; seat is then the place's number in its area.
    row_label   text,
    seat        integer     NOT NULL,
    hold_id     uuid,
    held_until  timestamptz,
    order_id    uuid,
    UNIQUE NULLS NOT DISTINCT (event_id, section, row_label, seat)
);
-- The claim's scan: only unsold units, in id order, so it does not slow down as seats sell.
CREATE INDEX units_for_sale ON units (event_id, tier_id, unit_id) WHERE order_id IS NULL;
CREATE INDEX units_by_hold ON units (hold_id) WHERE hold_id IS NOT NULL;

CREATE TABLE holds (
    hold_id     uuid          PRIMARY KEY,
    event_id    uuid          NOT NULL REFERENCES events,
    buyer_id    text          NOT NULL,
    units       integer       NOT NULL,
    amount      numeric(12,2) NOT NULL,
    status      text          NOT NULL CHECK (status IN ('active', 'released', 'expired', 'ordered', 'confirmed', 'cancelled')),
    created_at  timestamptz   NOT NULL,
    expires_at  timestamptz   NOT NULL
);
CREATE INDEX holds_by_buyer ON holds (buyer_id, event_id);
CREATE INDEX holds_expiring ON holds (expires_at) WHERE status = 'active';

CREATE TABLE orders (
    order_id       uuid          PRIMARY KEY,
    -- One order per hold, whatever a client retries.
    hold_id        uuid          NOT NULL UNIQUE REFERENCES holds,
    event_id       uuid          NOT NULL REFERENCES events,
    buyer_id       text          NOT NULL,
    amount         numeric(12,2) NOT NULL,
    currency       text          NOT NULL,
    units          integer       NOT NULL,
    status         text          NOT NULL CHECK (status IN ('pending-payment', 'confirmed', 'cancelled', 'refunded')),
    cancel_reason  text,
    charge_id      text,
    created_at     timestamptz   NOT NULL,
    -- When the hold expires: a payment later than this (plus a grace period) cannot confirm it.
    pay_by         timestamptz   NOT NULL,
    updated_at     timestamptz   NOT NULL
);
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at DESC);
CREATE INDEX orders_pending ON orders (pay_by) WHERE status = 'pending-payment';

CREATE TABLE tickets (
    ticket_id      uuid        PRIMARY KEY,
    order_id       uuid        NOT NULL REFERENCES orders,
    event_id       uuid        NOT NULL REFERENCES events,
    unit_id        bigint      NOT NULL UNIQUE REFERENCES units,
    buyer_id       text        NOT NULL,
    seat           text        NOT NULL,
    code           text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    checked_in_at  timestamptz,
    checked_in_by  text
);
CREATE INDEX tickets_by_order ON tickets (order_id);

-- The first successful answer to a request sent with an Idempotency-Key, per buyer; a retry with
-- the same key and request gets it again, one with another request gets 422.
CREATE TABLE idempotency_keys (
    buyer_id      text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    location      text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (buyer_id, key)
);

-- The key that signs ticket codes when none is configured (Booking:TicketSigningKey): created
-- once by the first replica that needs it, then shared by all.
CREATE TABLE ticket_keys (
    key_id       text        PRIMARY KEY,
    private_key  bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
