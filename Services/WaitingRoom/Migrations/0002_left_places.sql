-- A buyer whose status poll was answered "sold out" is not expected to ask again (that answer
-- names no next poll): the place is out of line from then until its buyer asks again (a poll, a
-- stream, an admission request), so places that come back go to buyers still there, not to
-- offers nobody claims (docs/adr/0010-waiting-room.md).
ALTER TABLE places ADD COLUMN left_at timestamptz;

-- The ticker's pick skips the places whose buyers left; so does the waiting count.
DROP INDEX places_waiting;
CREATE INDEX places_waiting ON places (event_id, rank) WHERE offered_at IS NULL AND claimed_at IS NULL AND left_at IS NULL;
