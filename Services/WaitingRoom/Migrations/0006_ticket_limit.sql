-- Booking's last word on the most one buyer may take of the event (its ticket limit within
-- booking's own cap), kept with its last count of the places left. Until the event's first holds
-- are seen, a tick reckons each admitted buyer may take that many, not one: a queue that admits a
-- buyer a place at the opening lets in about twice the buyers the places serve, and they race for
-- the last of them (docs/adr/0010-waiting-room.md).
ALTER TABLE queues ADD COLUMN ticket_limit integer;
