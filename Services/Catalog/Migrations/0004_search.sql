-- The bill's text search (`q`: text anywhere in the event's or the venue's name, any letter case)
-- is an ILIKE '%text%', which no b-tree serves: every search read every event. Trigram indexes
-- serve it, on each name; the query asks each index on its own and joins the two lists of ids,
-- because an OR across the join would leave the planner no index to use. pg_trgm is a trusted
-- extension (PostgreSQL 13+): a database's owner may create it, no superuser needed. On Azure
-- Database for PostgreSQL it must be allow-listed (`azure.extensions`).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX events_name_search ON events USING gin (name gin_trgm_ops);
CREATE INDEX venues_name_search ON venues USING gin (name gin_trgm_ops);
CREATE INDEX events_by_venue ON events (venue_id);
