-- Monthly turnover rollups per single dimension, kept in the same transaction as every
-- contract, amendment and registration. `dim` is '' for the plain total. Turnover
-- requests grouped by time and at most one of these dimensions, over whole months, read
-- these rows instead of the contracts.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE turnover_rollups (
    id INTEGER PRIMARY KEY NOT NULL,
    basis TEXT NOT NULL,
    month TEXT NOT NULL,
    status TEXT NOT NULL,
    dim TEXT NOT NULL,
    value TEXT NOT NULL,
    contracts BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    tech_amount_fen BIGINT NOT NULL
);
CREATE UNIQUE INDEX turnover_rollups_key ON turnover_rollups (basis, dim, status, month, value);
