-- The catalog before migrations existed had a single events table that nothing could write to
-- (rows were only ever inserted by hand); it is replaced, not converted.
DROP TABLE IF EXISTS events;

CREATE TABLE venues (
    id            uuid        PRIMARY KEY,
    organizer_id  text        NOT NULL,
    name          text        NOT NULL,
    city          text        NOT NULL,
    address       text        NOT NULL DEFAULT '',
    capacity      integer     NOT NULL CHECK (capacity > 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venues_by_organizer ON venues (organizer_id, created_at);

CREATE TABLE sections (
    venue_id  uuid     NOT NULL REFERENCES venues ON DELETE CASCADE,
    position  integer  NOT NULL,
    name      text     NOT NULL,
    kind      text     NOT NULL CHECK (kind IN ('seated', 'general-admission')),
    capacity  integer  NOT NULL CHECK (capacity > 0),
    PRIMARY KEY (venue_id, position)
);
-- Exact names; the service refuses names equal ignoring case before they get here (and its
-- comparison, not lower() under the server's locale, is the one that decides).
CREATE UNIQUE INDEX sections_by_name ON sections (venue_id, name);

-- A seated section's rows; the seats of a row are numbered 1..seats.
CREATE TABLE seat_rows (
    venue_id          uuid     NOT NULL,
    section_position  integer  NOT NULL,
    position          integer  NOT NULL,
    label             text     NOT NULL,
    seats             integer  NOT NULL CHECK (seats > 0),
    PRIMARY KEY (venue_id, section_position, position),
    FOREIGN KEY (venue_id, section_position) REFERENCES sections ON DELETE CASCADE
);

CREATE TABLE events (
    id              uuid        PRIMARY KEY,
    organizer_id    text        NOT NULL,
    venue_id        uuid        NOT NULL REFERENCES venues,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    starts_at       timestamptz NOT NULL,
    sale_opens_at   timestamptz NOT NULL,
    sale_closes_at  timestamptz NOT NULL,
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status          text        NOT NULL CHECK (status IN ('draft', 'published', 'on-sale', 'closed', 'cancelled')),
    version         integer     NOT NULL DEFAULT 1,
    -- Set once, when the event first became public: a draft cancelled before it stays private.
    published_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (sale_opens_at < sale_closes_at AND sale_closes_at <= starts_at)
);
CREATE INDEX events_listed ON events (starts_at, id) WHERE status IN ('published', 'on-sale');
CREATE INDEX events_by_organizer ON events (organizer_id, starts_at);

CREATE TABLE price_tiers (
    event_id  uuid          NOT NULL REFERENCES events ON DELETE CASCADE,
    id        uuid          NOT NULL,
    position  integer       NOT NULL,
    name      text          NOT NULL,
    price     numeric(12,2) NOT NULL CHECK (price >= 0),
    sections  text[]        NOT NULL,
    PRIMARY KEY (event_id, id)
);
