-- An event's ticket limit: the most places one buyer may hold or own of it, as the organizer
-- sets it (1 to 10, the API's bounds); NULL: none of the organizer's, booking's own cap applies.
ALTER TABLE events
    ADD COLUMN ticket_limit integer CHECK (ticket_limit BETWEEN 1 AND 10);
