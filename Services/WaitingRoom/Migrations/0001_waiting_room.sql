-- The waiting room (docs/adr/0010-waiting-room.md): one queue per published event, learnt from
-- catalog.events, and the buyers' places in it. Admission is metered on the queue's row.

CREATE TABLE queues (
    event_id          uuid             PRIMARY KEY,
    -- The catalog's version of the event: changes apply in this order, older ones are ignored.
    version           integer          NOT NULL,
    -- The event's status as the catalog names it: published, on-sale, closed, cancelled.
    status            text             NOT NULL,
    sale_opens_at     timestamptz      NOT NULL,
    sale_closes_at    timestamptz      NOT NULL,
    -- When the event's status became closed or cancelled here: a closed queue is still shown for a while.
    closed_at         timestamptz,
    -- Whether the event sells through a waiting room (its WaitingRoomSettings are not null); the settings follow.
    enabled           boolean          NOT NULL,
    prequeue_opens_at timestamptz      NOT NULL,
    admit_per_second  integer,
    max_admitted      integer,
    admission_minutes integer          NOT NULL,
    proof_of_work_bits integer         NOT NULL,
    -- Set by the opening tick under the row's lock: joins after it are late. prequeue_count is frozen then.
    shuffled_at       timestamptz,
    prequeue_count    bigint           NOT NULL DEFAULT 0,
    -- Arrivals after the opening: a late place's rank is 2^62 plus its number.
    late_joins        bigint           NOT NULL DEFAULT 0,
    -- The metering: the highest rank offered so far (-1: none), places offered at least once, the
    -- unspent credit (offers allowed, capped at one interval's worth) and when it was last added to.
    served_through    bigint           NOT NULL DEFAULT -1,
    admitted_total    bigint           NOT NULL DEFAULT 0,
    credit            double precision NOT NULL DEFAULT 0,
    last_tick_at      timestamptz,
    -- Booking's availability at the last tick that could ask: nothing free in any tier.
    sold_out          boolean          NOT NULL DEFAULT false,
    abandoned_total   bigint           NOT NULL DEFAULT 0
);

CREATE TABLE places (
    event_id             uuid        NOT NULL REFERENCES queues (event_id),
    -- The buyer's token subject: one place per account and event.
    buyer_id             text        NOT NULL,
    rank                 bigint      NOT NULL,
    prequeue             boolean     NOT NULL,
    joined_at            timestamptz NOT NULL,
    -- The last time the buyer polled (gateway reports, admission requests): a place silent for the
    -- abandon window is not offered.
    last_seen_at         timestamptz NOT NULL,
    -- The current offer of admission; withdrawn (NULL again) when nobody claims it in the window.
    offered_at           timestamptz,
    -- The first offer ever made to the place: admitted_total counts a place once however often it is offered.
    first_offered_at     timestamptz,
    -- The claim: set once, with the admission's expiry.
    claimed_at           timestamptz,
    admission_expires_at timestamptz,
    PRIMARY KEY (event_id, buyer_id),
    CONSTRAINT places_rank_unique UNIQUE (event_id, rank)
);

-- The ticker's pick: the lowest ranks neither offered nor claimed; also counts the waiting.
CREATE INDEX places_waiting ON places (event_id, rank) WHERE offered_at IS NULL AND claimed_at IS NULL;

-- Offers by age: withdrawing the abandoned ones, counting the recent ones (the measured rate) and
-- the unclaimed ones (the MaxAdmitted cap).
CREATE INDEX places_offered ON places (event_id, offered_at) WHERE offered_at IS NOT NULL;

-- Valid admissions, for the MaxAdmitted cap.
CREATE INDEX places_admitted ON places (event_id, admission_expires_at) WHERE claimed_at IS NOT NULL;
