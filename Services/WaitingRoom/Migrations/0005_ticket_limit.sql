-- The event's ticket limit as the catalog carries it (EventPublished, EventUpdated; null: the
-- organizer set none). Before the queue has seen any hold of the event, the tick takes it as the
-- places each admitted buyer may take, rather than one each (docs/adr/0010-waiting-room.md).
ALTER TABLE queues ADD COLUMN ticket_limit integer;
