-- A charge's fate is decided when it is recorded, in the same INSERT: whether it succeeds or is
-- declined, and when it completes. Until then it is 'processing'; from completes_at on, whoever
-- reads it (the charging request itself, a retry with its key, a look-up, the list, the sweep)
-- completes it with that outcome. So a charge whose process died, or whose completing statement
-- failed, between the two steps completes all the same, as a real PSP finishes what it started.
ALTER TABLE charges ADD COLUMN outcome text CHECK (outcome IN ('succeeded', 'declined'));
ALTER TABLE charges ADD COLUMN completes_at timestamptz;

-- Charges recorded before this script: a completed one was decided as it ended. One left
-- 'processing' by a process that died had no recorded fate: it gets the stand-in's default
-- outcome, made, due at once, and the next read or the sweep completes it.
UPDATE charges SET outcome = CASE WHEN status = 'declined' THEN 'declined' ELSE 'succeeded' END,
                   completes_at = coalesce(completed_at, created_at);

ALTER TABLE charges ALTER COLUMN outcome SET NOT NULL;
ALTER TABLE charges ALTER COLUMN completes_at SET NOT NULL;
ALTER TABLE charges ADD CHECK (completes_at >= created_at);
-- A completed charge ended as it was decided.
ALTER TABLE charges ADD CHECK (status = 'processing' OR status = outcome);

-- The charges due to be completed: what a read and the sweep look for.
CREATE INDEX charges_processing ON charges (completes_at) WHERE status = 'processing';
-- The list for reconciliation: a window of creation times, paged in id order.
CREATE INDEX charges_by_created_at ON charges (created_at, id);
