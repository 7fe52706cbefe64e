-- A hold sent with an Idempotency-Key in one round trip too (docs/adr/0022-a-hold-in-one-round-trip.md).
-- Until this migration such a hold was four: the key's claim, take_hold with its outbox row, the
-- answer's record and the commit, with the buyer's lock and the claimed units' row locks held
-- between them. request_hold claims the key, takes the hold and records what take_hold came to,
-- and booking sends it in the same batch as without a key.

-- What a hold key's first answer was: the hold, its expiry, and take_hold's attempt as jsonb
-- (to_jsonb of a hold_attempt), from which booking builds the answer as it did the first time.
ALTER TABLE idempotency_keys
    ADD COLUMN hold_id uuid,
    ADD COLUMN hold_expires_at timestamptz,
    ADD COLUMN hold_attempt jsonb;

-- Keys recorded before this migration kept booking's JSON answer in body; their replay now reads
-- the attempt, so it is made from that answer (a HoldView: holdId, expiresAt, currency, units).
UPDATE idempotency_keys
   SET hold_id = (answer ->> 'holdId')::uuid,
       hold_expires_at = (answer ->> 'expiresAt')::timestamptz,
       hold_attempt = jsonb_build_object(
           'verdict', 'taken',
           'currency', answer -> 'currency',
           'sections', jsonb_path_query_array(answer, '$.units[*].section'),
           'row_labels', jsonb_path_query_array(answer, '$.units[*].row'),
           'seats', jsonb_path_query_array(answer, '$.units[*].seat'),
           'tier_ids', jsonb_path_query_array(answer, '$.units[*].tierId'),
           'prices', jsonb_path_query_array(answer, '$.units[*].price')),
       location = NULL,
       body = NULL
  FROM (SELECT buyer_id, key, convert_from(body, 'UTF8')::jsonb AS answer
          FROM idempotency_keys WHERE location LIKE '../../holds/%' AND body IS NOT NULL) AS recorded
 WHERE idempotency_keys.buyer_id = recorded.buyer_id AND idempotency_keys.key = recorded.key;

-- A hold as booking's POST .../holds asks for it. Without a key (idempotency_key null) it is
-- take_hold. With one, the key is claimed first: a key this buyer sent before answers with the
-- first hold (verdict 'replayed', earlier_hold_id and earlier_expires_at set) when the request is
-- the same, and 'key-reused' when it is not; a request still running with the same key is waited
-- for (the insert waits on its row), so two retries never take two holds. A new key is kept only
-- with a hold: a refusal deletes it in the same transaction, so the request may be sent again.
-- The fingerprints are compared plainly: a buyer's keys are read only by that buyer's requests.
CREATE FUNCTION request_hold(
    idempotency_key text, fingerprint bytea,
    new_hold_id uuid, for_event uuid, buyer text, tier_wanted uuid, quantity integer,
    wanted_sections text[], wanted_rows text[], wanted_seats integer[],
    taken_at timestamptz, expires timestamptz, admitted boolean,
    max_units integer, max_abandoned integer, abandoned_since timestamptz,
    OUT attempt hold_attempt, OUT earlier_hold_id uuid, OUT earlier_expires_at timestamptz)
LANGUAGE plpgsql
AS $$
DECLARE
    earlier record;
BEGIN
    IF idempotency_key IS NOT NULL THEN
        INSERT INTO idempotency_keys (buyer_id, key, request_hash) VALUES (buyer, idempotency_key, fingerprint)
        ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT k.request_hash, k.hold_id, k.hold_expires_at, k.hold_attempt INTO earlier
              FROM idempotency_keys k WHERE k.buyer_id = buyer AND k.key = idempotency_key;
            IF earlier.request_hash = fingerprint AND earlier.hold_attempt IS NOT NULL THEN
                attempt := jsonb_populate_record(NULL::hold_attempt, earlier.hold_attempt);
                attempt.verdict := 'replayed';
                earlier_hold_id := earlier.hold_id;
                earlier_expires_at := earlier.hold_expires_at;
            ELSE
                attempt.verdict := 'key-reused';
            END IF;
            RETURN;
        END IF;
    END IF;

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
