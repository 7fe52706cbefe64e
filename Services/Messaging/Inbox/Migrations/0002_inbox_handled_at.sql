-- The retention purge deletes the inbox's oldest rows (Messaging:Retention:Inbox) without
-- reading the whole table. Rows are only ever inserted, so this costs one index entry per
-- handled event and nothing more.
CREATE INDEX inbox_handled_at ON inbox (handled_at);
