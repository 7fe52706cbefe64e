-- Check-in scans refused because the staff member does not work the ticket's event: the audit
-- trail of someone scanning tickets of events they were not given (a lost or borrowed scanner,
-- an insider checking codes). Kept with the other audit rows; nothing reads it in the sale path.
CREATE TABLE check_in_refusals (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refused_at  timestamptz NOT NULL,
    staff_id    text        NOT NULL,
    ticket_id   uuid        NOT NULL,
    event_id    uuid        NOT NULL
);
CREATE INDEX check_in_refusals_by_staff ON check_in_refusals (staff_id, refused_at);
