-- Booking's HoldCreated events, consumed by the waiting room: when the queue first learned that an
-- admitted buyer holds places, and how many places the buyer's holds took in all. Until then, a
-- claimed admission counts as a buyer still on the way to a hold; the places per buyer that have
-- held estimate what each buyer on the way will take (docs/adr/0010-waiting-room.md).
ALTER TABLE places ADD COLUMN held_at timestamptz;
ALTER TABLE places ADD COLUMN held_units integer NOT NULL DEFAULT 0;

-- The tick counts the claims whose holds are not seen yet, and reads the recent claim-to-hold times.
CREATE INDEX places_claimed ON places (event_id, claimed_at) WHERE claimed_at IS NOT NULL;
CREATE INDEX places_held ON places (event_id, held_at) WHERE held_at IS NOT NULL;
