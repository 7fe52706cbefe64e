-- The organizer's creation quota counts the events they created within a window
-- (Extensions/OrganizerQuotas.cs); venues have venues_by_organizer (organizer_id, created_at).
CREATE INDEX events_created_by_organizer ON events (organizer_id, created_at);
