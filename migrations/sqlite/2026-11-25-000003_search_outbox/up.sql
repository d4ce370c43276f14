-- The transactional outbox of the search indexes: a row says "bring document `doc_id` of
-- `index_name` in line with the database". Written in the same transaction as the change;
-- drained by the search worker, which leases rows by moving `available_at` forward.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    index_name TEXT NOT NULL,
    doc_id BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    available_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX search_outbox_available ON search_outbox (available_at, id);
