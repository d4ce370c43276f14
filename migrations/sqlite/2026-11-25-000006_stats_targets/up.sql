-- Yearly turnover targets set by the exchange.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE stats_targets (
    id INTEGER PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX stats_targets_year ON stats_targets (year);
