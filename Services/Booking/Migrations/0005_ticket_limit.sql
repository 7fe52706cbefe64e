-- The organizer's ticket limit for the event (the most places one buyer may hold or own of it),
-- from EventPublished and every applied EventUpdated; NULL: none. A hold is capped at the lower
-- of it and Booking:MaxUnitsPerBuyer. The catalog keeps the limit's bounds; booking only refuses
-- a limit that would sell nothing.
ALTER TABLE events ADD COLUMN ticket_limit integer CHECK (ticket_limit > 0);
