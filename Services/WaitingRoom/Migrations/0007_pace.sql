-- The pace the ticker admits at, as a share of the queue's rate (docs/adr/0010-waiting-room.md,
-- "Paced by booking's answers"): it starts low at the opening, rises a step at every tick booking
-- answers quickly and halves at every tick it answers slowly, so a rate set above what the
-- machine serves does not let in a burst the holds then queue behind. 1 for queues ticked before.
ALTER TABLE queues ADD COLUMN pace double precision NOT NULL DEFAULT 1;
