-- An event's waiting room (docs/adr/0010-waiting-room.md), as the organizer's settings resolve
-- (defaults filled in). Without one, waiting_room is false and the other columns are NULL. Flat
-- columns rather than a document, so the database keeps the same bounds as the API.
ALTER TABLE events
    ADD COLUMN waiting_room        boolean     NOT NULL DEFAULT false,
    ADD COLUMN prequeue_opens_at   timestamptz,
    ADD COLUMN admit_per_second    integer     CHECK (admit_per_second BETWEEN 1 AND 10000),
    ADD COLUMN max_admitted        integer     CHECK (max_admitted BETWEEN 1 AND 1000000),
    ADD COLUMN admission_minutes   integer     CHECK (admission_minutes BETWEEN 1 AND 120),
    ADD COLUMN proof_of_work_bits  integer     CHECK (proof_of_work_bits BETWEEN 0 AND 24),
    ADD CONSTRAINT events_waiting_room_whole CHECK (CASE WHEN waiting_room
        THEN prequeue_opens_at IS NOT NULL AND prequeue_opens_at <= sale_opens_at
             AND (admit_per_second IS NOT NULL OR max_admitted IS NOT NULL)
             AND admission_minutes IS NOT NULL AND proof_of_work_bits IS NOT NULL
        ELSE num_nulls(prequeue_opens_at, admit_per_second, max_admitted, admission_minutes, proof_of_work_bits) = 5
    END);
