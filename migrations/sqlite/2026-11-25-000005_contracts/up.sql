-- Technology contracts (技术合同), their amendments, and idempotency keys for creation.
-- Amounts are integer fen. `amount_fen`/`tech_amount_fen` are as signed and never change;
-- `total_*` are the signed amounts plus every amendment, kept in the same transaction.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY NOT NULL,
    registration_no TEXT NOT NULL,
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
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX contracts_registration_no ON contracts (registration_no);
CREATE INDEX contracts_signed_on ON contracts (signed_on);
CREATE INDEX contracts_seller ON contracts (seller_org_id);
CREATE INDEX contracts_buyer ON contracts (buyer_org_id);
CREATE INDEX contracts_broker ON contracts (broker_id);
CREATE INDEX contracts_achievement ON contracts (achievement_id);

CREATE TABLE contract_amendments (
    id INTEGER PRIMARY KEY NOT NULL,
    contract_id BIGINT NOT NULL REFERENCES contracts (id),
    amount_delta_fen BIGINT NOT NULL,
    tech_amount_delta_fen BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contract_amendments_contract ON contract_amendments (contract_id);

CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_json TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX idempotency_keys_user_key ON idempotency_keys (user_id, idem_key);
