-- A buyer's lists are read a page at a time (GET /orders, GET /tickets: ?limit=&after=), each page
-- from where the last one ended, in the order the index keeps: a page reads only its own rows.
-- Orders newest first, ties by id (the old index had no tie-break, so a page could not resume
-- exactly after two orders of the same instant).
DROP INDEX orders_by_buyer;
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at DESC, order_id DESC);
-- Tickets had no index on the buyer at all: listing them read the whole table.
CREATE INDEX tickets_by_buyer ON tickets (buyer_id, issued_at, seat, ticket_id);
