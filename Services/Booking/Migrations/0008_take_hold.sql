-- A hold in one round trip (docs/adr/0022-a-hold-in-one-round-trip.md). take_hold makes every
-- check of a hold and its claim under the buyer's advisory lock, and records the hold when the
-- claim took what was asked; booking sends it with the HoldCreated outbox row in one batch, which
-- PostgreSQL runs as one implicit transaction. A refusal leaves every row as it was.

-- The one definition of a free unit: not sold, and not held or held only until before at_time.
-- Plain SQL, so PostgreSQL inlines it and a partial index on order_id IS NULL still applies.
CREATE FUNCTION unit_is_free(order_id uuid, held_until timestamptz, at_time timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT order_id IS NULL AND (held_until IS NULL OR held_until < at_time) $$;

-- The most units one buyer may hold or own of an event: the organizer's ticket limit when set,
-- else booking's cap (Booking:MaxUnitsPerBuyer), and never more than the cap.
CREATE FUNCTION buyer_limit(ticket_limit integer, cap integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT least(coalesce(ticket_limit, cap), cap) $$;

-- What take_hold came to. verdict is 'taken' or the refusal: event-not-found, admission-required,
-- sale-not-open, too-many-abandoned, over-buyer-limit, unknown-tier, sold-out, contended,
-- unknown-places, places-taken. The other fields are set as far as the checks got:
--   held, buyer_limit: units the buyer has on the event, and the most they may;
--   abandoned: when each of their holds given up within the window was taken, oldest first;
--   available: free units of the tier (sold-out, contended);
--   sections .. prices: the units claimed (taken), in unit order; for a refusal by seats, the
--   named places found, with free saying which were.
CREATE TYPE hold_attempt AS (
    verdict       text,
    event_status  text,
    currency      text,
    buyer_limit   integer,
    held          integer,
    abandoned     timestamptz[],
    available     integer,
    sections      text[],
    row_labels    text[],
    seats         integer[],
    tier_ids      uuid[],
    prices        numeric[],
    free          boolean[]);

-- Takes a hold of quantity units of tier_wanted, or of the named places (wanted_sections,
-- wanted_rows, wanted_seats; tier_wanted null). taken_at is booking's clock, the one every
-- expiry is compared with.
CREATE FUNCTION take_hold(
    new_hold_id uuid, for_event uuid, buyer text, tier_wanted uuid, quantity integer,
    wanted_sections text[], wanted_rows text[], wanted_seats integer[],
    taken_at timestamptz, expires timestamptz, admitted boolean,
    max_units integer, max_abandoned integer, abandoned_since timestamptz)
RETURNS hold_attempt
LANGUAGE plpgsql
AS $$
DECLARE
    attempt hold_attempt;
    sale record;
    wanted integer := coalesce(quantity, cardinality(wanted_sections));
    start bigint;
    low bigint := 0;
    high bigint := 9223372036854775807;
    claimed integer;
    pass integer;
    more record;
    unit_ids bigint[];
    was_holds uuid[];
    was_untils timestamptz[];
BEGIN
    IF wanted IS NULL OR wanted < 1 OR (tier_wanted IS NULL) = (wanted_sections IS NULL) OR expires IS NULL OR expires <= taken_at THEN
        RAISE EXCEPTION 'take_hold: ask for a quantity of a tier or for named places, at least one, until after taken_at';
    END IF;
    -- A buyer's holds on one event are taken one at a time, so the cap cannot be raced.
    PERFORM pg_advisory_xact_lock(hashtextextended(buyer || '/' || for_event::text, 0));

    -- The event, its tier's price and what the buyer has of it, in one statement made once the
    -- lock is held: its snapshot sees the buyer's previous hold.
    SELECT e.status, e.currency, e.sale_opens_at, e.sale_closes_at, e.waiting_room, e.ticket_limit, t.price, b.held, b.abandoned
      INTO sale
      FROM events e
      LEFT JOIN tiers t ON t.tier_id = tier_wanted AND t.event_id = e.event_id
      CROSS JOIN LATERAL (
          SELECT coalesce(sum(h.units) FILTER (WHERE h.status IN ('ordered', 'confirmed') OR (h.status = 'active' AND h.expires_at > taken_at)), 0)::integer AS held,
                 coalesce(array_agg(h.created_at ORDER BY h.created_at) FILTER (
                     WHERE h.created_at > abandoned_since
                       AND (h.status IN ('released', 'expired') OR (h.status = 'active' AND h.expires_at <= taken_at))), '{}') AS abandoned
          FROM holds h WHERE h.buyer_id = buyer AND h.event_id = e.event_id) AS b
     WHERE e.event_id = for_event;
    IF NOT FOUND THEN
        attempt.verdict := 'event-not-found';
        RETURN attempt;
    END IF;
    attempt.event_status := sale.status;
    attempt.currency := sale.currency;

    -- Before the sale's own checks: without an admission, the answer is the queue.
    IF sale.waiting_room AND NOT admitted THEN
        attempt.verdict := 'admission-required';
        RETURN attempt;
    END IF;

    IF NOT (sale.status = 'on-sale' AND taken_at >= sale.sale_opens_at AND taken_at < sale.sale_closes_at) THEN
        attempt.verdict := 'sale-not-open';
        RETURN attempt;
    END IF;

    attempt.buyer_limit := buyer_limit(sale.ticket_limit, max_units);
    attempt.held := sale.held;
    attempt.abandoned := sale.abandoned;
    IF cardinality(attempt.abandoned) >= max_abandoned THEN
        attempt.verdict := 'too-many-abandoned';
        RETURN attempt;
    END IF;
    IF attempt.held + wanted > attempt.buyer_limit THEN
        attempt.verdict := 'over-buyer-limit';
        RETURN attempt;
    END IF;

    IF tier_wanted IS NOT NULL THEN
        IF sale.price IS NULL THEN
            attempt.verdict := 'unknown-tier';
            RETURN attempt;
        END IF;

        -- Never-held units first (a small index), then units whose hold lapsed but was not
        -- released yet. FOR UPDATE SKIP LOCKED: buyers racing for a tier never wait for each
        -- other, and PostgreSQL re-checks the WHERE on each row it locks. The never-held units
        -- are taken from a random point among them up, then from the lowest up to that point:
        -- claimers that all started at the lowest would each step past every unit the others
        -- are claiming. One statement makes the three passes; each pass's scan runs only in its
        -- pass (its condition on the pass is a one-time filter).
        SELECT (SELECT u.unit_id FROM units u WHERE u.event_id = for_event AND u.tier_id = tier_wanted AND u.hold_id IS NULL AND u.order_id IS NULL
                ORDER BY u.unit_id LIMIT 1),
               (SELECT u.unit_id FROM units u WHERE u.event_id = for_event AND u.tier_id = tier_wanted AND u.hold_id IS NULL AND u.order_id IS NULL
                ORDER BY u.unit_id DESC LIMIT 1)
          INTO low, high;
        start := coalesce(low + floor(random() * (high - low + 1))::bigint, 0);
        low := start;
        high := 9223372036854775807;
        claimed := 0;
        pass := 1;
        LOOP
            WITH never_held AS (
                SELECT u.unit_id, u.hold_id, u.held_until FROM units u
                WHERE pass < 3 AND u.event_id = for_event AND u.tier_id = tier_wanted AND u.hold_id IS NULL AND u.order_id IS NULL
                  AND u.unit_id >= low AND u.unit_id < high
                ORDER BY u.unit_id LIMIT wanted - claimed
                FOR UPDATE SKIP LOCKED),
            lapsed AS (
                SELECT u.unit_id, u.hold_id, u.held_until FROM units u
                WHERE pass = 3 AND u.event_id = for_event AND u.tier_id = tier_wanted AND u.order_id IS NULL AND u.held_until < taken_at
                ORDER BY u.unit_id LIMIT wanted - claimed
                FOR UPDATE SKIP LOCKED),
            picked AS (SELECT * FROM never_held UNION ALL SELECT * FROM lapsed),
            taken AS (
                UPDATE units u SET hold_id = new_hold_id, held_until = expires
                FROM picked WHERE u.unit_id = picked.unit_id
                -- What each unit had before: a short claim puts it back as it was.
                RETURNING u.unit_id, u.section, u.row_label, u.seat, picked.hold_id AS was_hold, picked.held_until AS was_until)
            SELECT count(*)::integer AS n, array_agg(t.unit_id ORDER BY t.unit_id) AS ids, array_agg(t.section ORDER BY t.unit_id) AS sections,
                   array_agg(t.row_label ORDER BY t.unit_id) AS row_labels, array_agg(t.seat ORDER BY t.unit_id) AS seats,
                   array_agg(t.was_hold ORDER BY t.unit_id) AS was_holds, array_agg(t.was_until ORDER BY t.unit_id) AS was_untils
              INTO more FROM taken t;
            claimed := claimed + more.n;
            unit_ids := unit_ids || more.ids;
            was_holds := was_holds || more.was_holds;
            was_untils := was_untils || more.was_untils;
            attempt.sections := attempt.sections || more.sections;
            attempt.row_labels := attempt.row_labels || more.row_labels;
            attempt.seats := attempt.seats || more.seats;
            EXIT WHEN claimed = wanted OR pass = 3;
            pass := pass + 1;
            -- The second pass: from the lowest up to the random point.
            high := start;
            low := 0;
        END LOOP;

        IF claimed < wanted THEN
            -- Fewer than asked: what it took goes back as it was (a lapsed hold's units keep
            -- their hold, whose order may still be paid in its grace period). Either the tier is
            -- sold out, or other buyers' claims have the rest locked and may still roll back;
            -- counting without locks (their changes are not visible yet) tells which.
            IF claimed > 0 THEN
                UPDATE units u SET hold_id = was.hold_id, held_until = was.held_until
                  FROM unnest(unit_ids, was_holds, was_untils) AS was(unit_id, hold_id, held_until)
                 WHERE u.unit_id = was.unit_id;
            END IF;
            SELECT count(*)::integer INTO attempt.available FROM units u
             WHERE u.event_id = for_event AND u.tier_id = tier_wanted AND unit_is_free(u.order_id, u.held_until, taken_at);
            attempt.verdict := CASE WHEN attempt.available >= wanted THEN 'contended' ELSE 'sold-out' END;
            attempt.sections := NULL;
            attempt.row_labels := NULL;
            attempt.seats := NULL;
            RETURN attempt;
        END IF;

        IF pass > 1 THEN
            -- Claimed in more than one pass: the answer lists the units in unit order all the same.
            SELECT array_agg(c.section ORDER BY c.unit_id), array_agg(c.row_label ORDER BY c.unit_id), array_agg(c.seat ORDER BY c.unit_id)
              INTO attempt.sections, attempt.row_labels, attempt.seats
              FROM unnest(unit_ids, attempt.sections, attempt.row_labels, attempt.seats) AS c(unit_id, section, row_label, seat);
        END IF;
        attempt.tier_ids := array_fill(tier_wanted, ARRAY[wanted]);
        attempt.prices := array_fill(sale.price, ARRAY[wanted]);
    ELSE
        -- Named places, all or none: locked in unit order (two buyers naming the same places
        -- never deadlock), then claimed only if every one was found and free.
        SELECT array_agg(l.unit_id ORDER BY l.unit_id), array_agg(l.section ORDER BY l.unit_id), array_agg(l.row_label ORDER BY l.unit_id),
               array_agg(l.seat ORDER BY l.unit_id), array_agg(l.tier_id ORDER BY l.unit_id), array_agg(l.price ORDER BY l.unit_id), array_agg(l.free ORDER BY l.unit_id)
          INTO unit_ids, attempt.sections, attempt.row_labels, attempt.seats, attempt.tier_ids, attempt.prices, attempt.free
          FROM (SELECT u.unit_id, u.section, u.row_label, u.seat, u.tier_id, t.price, unit_is_free(u.order_id, u.held_until, taken_at) AS free
                FROM units u
                JOIN tiers t ON t.tier_id = u.tier_id
                JOIN unnest(wanted_sections, wanted_rows, wanted_seats) AS w(section, row_label, seat)
                  ON u.section = w.section AND u.row_label IS NOT DISTINCT FROM w.row_label AND u.seat = w.seat
                WHERE u.event_id = for_event
                ORDER BY u.unit_id
                FOR UPDATE OF u) AS l;
        IF coalesce(cardinality(attempt.sections), 0) < wanted THEN
            attempt.verdict := 'unknown-places';
            RETURN attempt;
        END IF;
        IF false = ANY(attempt.free) THEN
            attempt.verdict := 'places-taken';
            RETURN attempt;
        END IF;

        UPDATE units u SET hold_id = new_hold_id, held_until = expires WHERE u.unit_id = ANY(unit_ids);
        attempt.free := NULL;
    END IF;

    INSERT INTO holds (hold_id, event_id, buyer_id, units, amount, status, created_at, expires_at)
    VALUES (new_hold_id, for_event, buyer, wanted, (SELECT sum(p) FROM unnest(attempt.prices) AS p), 'active', taken_at, expires);
    attempt.verdict := 'taken';
    RETURN attempt;
END
$$;
