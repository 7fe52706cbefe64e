-- A hold sent with an Idempotency-Key in one round trip too (docs/adr/0022-a-hold-in-one-round-trip.md).
-- Until this migration such a hold was four: the key's claim, take_hold with its outbox row, the
-- answer's record and the commit, with the buyer's lock and the claimed units' row locks held
-- across the last three. request_hold claims the key, takes the hold and records what take_hold came to,
-- and booking sends it in the same batch as without a key.

-- What a hold key's first answer was: the hold, its expiry, and take_hold's attempt as jsonb
-- (to_jsonb of a hold_attempt), from which booking builds the answer as it did the first time.
-- A key recorded before this migration, or by a replica of an older build during a rolling
-- deployment, has booking's JSON answer in body instead: request_hold replays that as it is.
ALTER TABLE idempotency_keys
    ADD COLUMN hold_id uuid,
    ADD COLUMN hold_expires_at timestamptz,
    ADD COLUMN hold_attempt jsonb;

-- A hold as booking's POST .../holds asks for it. Without a key (idempotency_key null) it is
-- take_hold. With one, the key is claimed first: a key this buyer sent before answers with the
-- first hold when the request is the same (verdict 'replayed' with earlier_hold_id and
-- earlier_expires_at, or 'replayed-body' with earlier_body, the JSON answer an older build
-- recorded) and 'key-reused' when it is not; a request still running with the same key is waited
-- for (the insert waits on its row), so two retries never take two holds. A new key is kept only
-- with a hold: a refusal deletes it in the same transaction, so the request may be sent again.
-- The fingerprints are compared plainly: a buyer's keys are read only by that buyer's requests.
CREATE FUNCTION request_hold(
    idempotency_key text, fingerprint bytea,
    new_hold_id uuid, for_event uuid, buyer text, tier_wanted uuid, quantity integer,
    wanted_sections text[], wanted_rows text[], wanted_seats integer[],
    taken_at timestamptz, expires timestamptz, admitted boolean,
    max_units integer, max_abandoned integer, abandoned_since timestamptz,
    OUT attempt hold_attempt, OUT earlier_hold_id uuid, OUT earlier_expires_at timestamptz, OUT earlier_body bytea)
LANGUAGE plpgsql
AS $$
DECLARE
    earlier record;
BEGIN
    -- Until the key is claimed or found: one the retention purge deleted between the two is claimed anew.
    WHILE idempotency_key IS NOT NULL LOOP
        INSERT INTO idempotency_keys (buyer_id, key, request_hash) VALUES (buyer, idempotency_key, fingerprint)
        ON CONFLICT DO NOTHING;
        EXIT WHEN FOUND;
        SELECT k.request_hash, k.hold_id, k.hold_expires_at, k.hold_attempt, k.body INTO earlier
          FROM idempotency_keys k WHERE k.buyer_id = buyer AND k.key = idempotency_key;
        CONTINUE WHEN NOT FOUND;
        IF earlier.request_hash IS DISTINCT FROM fingerprint THEN
            attempt.verdict := 'key-reused';
        ELSIF earlier.hold_attempt IS NOT NULL THEN
            attempt := jsonb_populate_record(NULL::hold_attempt, earlier.hold_attempt);
            attempt.verdict := 'replayed';
            earlier_hold_id := earlier.hold_id;
            earlier_expires_at := earlier.hold_expires_at;
        ELSIF earlier.body IS NOT NULL THEN
            attempt.verdict := 'replayed-body';
            earlier_body := earlier.body;
        ELSE
            -- Never committed: a key is kept only with its answer.
            RAISE EXCEPTION 'request_hold: the key of buyer % has no answer recorded', buyer;
        END IF;
        RETURN;
    END LOOP;

    attempt := take_hold(new_hold_id, for_event, buyer, tier_wanted, quantity, wanted_sections, wanted_rows, wanted_seats,
                         taken_at, expires, admitted, max_units, max_abandoned, abandoned_since);
    IF idempotency_key IS NULL THEN
        RETURN;
    END IF;
    IF attempt.verdict = 'taken' THEN
        UPDATE idempotency_keys k SET hold_id = new_hold_id, hold_expires_at = expires, hold_attempt = to_jsonb(attempt)
         WHERE k.buyer_id = buyer AND k.key = idempotency_key;
    ELSE
        DELETE FROM idempotency_keys k WHERE k.buyer_id = buyer AND k.key = idempotency_key;
    END IF;
END
$$;
