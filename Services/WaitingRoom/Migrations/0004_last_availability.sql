-- Booking's last count of the places left in an event, and when the tick got it: while booking
-- does not answer in time, the tick caps its offers by that count, less the buyers on their way
-- and the holds seen since (docs/adr/0010-waiting-room.md), rather than not at all.
ALTER TABLE queues ADD COLUMN places_left bigint;
ALTER TABLE queues ADD COLUMN places_left_at timestamptz;
