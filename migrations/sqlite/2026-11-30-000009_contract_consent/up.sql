-- Contracts by consent and registration by the registry (认定登记).
-- `consent`: awaiting_seller | awaiting_buyer | awaiting_both | confirmed | declined; each
-- side's confirmation is kept with who and when. `registration_no` is assigned by the
-- registry on registration (null until then); `verified_*` are the figures the registry
-- verified (核定). `stat_*` are what statistics count for the contract (status none |
-- confirmed | registered, and its amounts), kept by the contracts slice in the same
-- transaction as every change, so rollups subtract the old and add the new exactly once.
-- SQLite cannot drop NOT NULL in place, so both contract tables are rebuilt.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE contracts_new (
    id INTEGER PRIMARY KEY NOT NULL,
    registration_no TEXT,
    kind TEXT NOT NULL,
    sub_kind TEXT,
    seller_org_id BIGINT NOT NULL REFERENCES orgs (id),
    buyer_org_id BIGINT NOT NULL REFERENCES orgs (id),
    seller_region TEXT NOT NULL,
    buyer_region TEXT NOT NULL,
    seller_kind TEXT NOT NULL,
    deal_id BIGINT REFERENCES deals (id),
    achievement_id BIGINT REFERENCES achievements (id),
    demand_id BIGINT REFERENCES demands (id),
    broker_id BIGINT REFERENCES users (id),
    signed_on DATE NOT NULL,
    amount_fen BIGINT NOT NULL,
    tech_amount_fen BIGINT NOT NULL,
    total_amount_fen BIGINT NOT NULL,
    total_tech_amount_fen BIGINT NOT NULL,
    chain TEXT NOT NULL,
    field TEXT NOT NULL,
    registration_status TEXT NOT NULL,
    registered_on DATE,
    registration_comment TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    consent TEXT NOT NULL,
    seller_confirmed_by BIGINT REFERENCES users (id),
    seller_confirmed_at TIMESTAMP,
    buyer_confirmed_by BIGINT REFERENCES users (id),
    buyer_confirmed_at TIMESTAMP,
    declined_by BIGINT REFERENCES users (id),
    declined_at TIMESTAMP,
    decline_reason TEXT,
    registration_requested_by BIGINT REFERENCES users (id),
    registration_requested_at TIMESTAMP,
    registered_by BIGINT REFERENCES users (id),
    verified_amount_fen BIGINT,
    verified_tech_amount_fen BIGINT,
    stat_status TEXT NOT NULL,
    stat_amount_fen BIGINT NOT NULL,
    stat_tech_amount_fen BIGINT NOT NULL
);
INSERT INTO contracts_new
SELECT id, CASE WHEN registration_status = 'registered' THEN registration_no END, kind, sub_kind,
    seller_org_id, buyer_org_id, seller_region, buyer_region, seller_kind, deal_id,
    achievement_id, demand_id, broker_id, signed_on, amount_fen, tech_amount_fen,
    total_amount_fen, total_tech_amount_fen, chain, field, registration_status, registered_on,
    registration_comment, created_by, created_at, updated_at,
    'confirmed', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    CASE WHEN registration_status = 'registered' THEN total_amount_fen END,
    CASE WHEN registration_status = 'registered' THEN total_tech_amount_fen END,
    CASE WHEN registration_status = 'registered' THEN 'registered' ELSE 'confirmed' END,
    total_amount_fen, total_tech_amount_fen
FROM contracts;

CREATE TABLE contract_amendments_new (
    id INTEGER PRIMARY KEY NOT NULL,
    contract_id BIGINT NOT NULL REFERENCES contracts_new (id),
    amount_delta_fen BIGINT NOT NULL,
    tech_amount_delta_fen BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    consent TEXT NOT NULL,
    seller_confirmed_by BIGINT REFERENCES users (id),
    seller_confirmed_at TIMESTAMP,
    buyer_confirmed_by BIGINT REFERENCES users (id),
    buyer_confirmed_at TIMESTAMP,
    declined_by BIGINT REFERENCES users (id),
    declined_at TIMESTAMP,
    decline_reason TEXT
);
INSERT INTO contract_amendments_new
SELECT id, contract_id, amount_delta_fen, tech_amount_delta_fen, reason, created_by, created_at,
    'confirmed', NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM contract_amendments;

DROP TABLE contract_amendments;
DROP TABLE contracts;
ALTER TABLE contracts_new RENAME TO contracts;
ALTER TABLE contract_amendments_new RENAME TO contract_amendments;

CREATE UNIQUE INDEX contracts_registration_no ON contracts (registration_no);
CREATE INDEX contracts_signed_on ON contracts (signed_on);
CREATE INDEX contracts_seller ON contracts (seller_org_id);
CREATE INDEX contracts_buyer ON contracts (buyer_org_id);
CREATE INDEX contracts_broker ON contracts (broker_id);
CREATE INDEX contracts_achievement ON contracts (achievement_id);
CREATE INDEX contracts_stat ON contracts (stat_status, signed_on);
CREATE INDEX contract_amendments_contract ON contract_amendments (contract_id);

-- The registry's running numbers: one row per (year, registry point), incremented in the
-- registering transaction, so numbers are consecutive with no gaps or duplicates.
CREATE TABLE registry_sequences (
    id INTEGER PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    point TEXT NOT NULL,
    last_seq BIGINT NOT NULL
);
CREATE UNIQUE INDEX registry_sequences_key ON registry_sequences (year, point);

-- Rollup statuses are now the statistical status (confirmed | registered): rebuilt from
-- the contracts at start-up.
DELETE FROM turnover_rollups;
