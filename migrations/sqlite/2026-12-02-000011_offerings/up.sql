-- Prices set the way the law asks (促进科技成果转化法 art. 18): offerings of published
-- achievements, listed (挂牌) or by auction (拍卖), with their bids; agreed prices made public
-- (协议定价公示) with objections; and the scheduler's due jobs that close offerings.
-- Times are UTC. Money in fen.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE offerings (
    id INTEGER PRIMARY KEY NOT NULL,
    achievement_id BIGINT NOT NULL REFERENCES achievements (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    transfer_mode TEXT NOT NULL,
    price_fen BIGINT,
    reserve_price_fen BIGINT,
    increment_fen BIGINT NOT NULL,
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    initial_closes_at TIMESTAMP NOT NULL,
    terms TEXT NOT NULL,
    best_bid_id BIGINT,
    best_amount_fen BIGINT,
    bid_count BIGINT NOT NULL,
    extensions INTEGER NOT NULL,
    winner_org_id BIGINT REFERENCES orgs (id),
    contract_id BIGINT REFERENCES contracts (id),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One open offering per achievement (listed, auction, or a listed sale's run-off).
CREATE UNIQUE INDEX offerings_one_open ON offerings (achievement_id) WHERE status IN ('open', 'runoff');
CREATE INDEX offerings_status_closes ON offerings (status, closes_at);

CREATE TABLE offering_bids (
    id INTEGER PRIMARY KEY NOT NULL,
    offering_id BIGINT NOT NULL REFERENCES offerings (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    bidder_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- One intent per org at a listed price; never two bids of one offering at one amount
-- (bids are serialised by the offering's row lock; this index is the last line).
CREATE UNIQUE INDEX offering_bids_one_intent ON offering_bids (offering_id, org_id) WHERE kind = 'intent';
CREATE UNIQUE INDEX offering_bids_one_amount ON offering_bids (offering_id, amount_fen) WHERE kind = 'bid';
CREATE INDEX offering_bids_offering ON offering_bids (offering_id, id);

ALTER TABLE contracts ADD COLUMN offering_id BIGINT REFERENCES offerings (id);

CREATE TABLE publicities (
    id INTEGER PRIMARY KEY NOT NULL,
    achievement_id BIGINT NOT NULL REFERENCES achievements (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    buyer_org_id BIGINT NOT NULL REFERENCES orgs (id),
    price_fen BIGINT NOT NULL,
    transfer_mode TEXT NOT NULL,
    days INTEGER NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX publicities_match ON publicities (achievement_id, buyer_org_id);
CREATE INDEX publicities_ends ON publicities (ends_at);

CREATE TABLE publicity_objections (
    id INTEGER PRIMARY KEY NOT NULL,
    publicity_id BIGINT NOT NULL REFERENCES publicities (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    answered_by BIGINT REFERENCES users (id),
    answered_at TIMESTAMP,
    resolution TEXT,
    closed_by BIGINT REFERENCES users (id),
    closed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX publicity_objections_publicity ON publicity_objections (publicity_id, status);

-- Due jobs of the scheduler: one row per (kind, ref_id); a job is claimed and run in one
-- transaction (FOR UPDATE SKIP LOCKED on PostgreSQL), so it fires once across servers.
CREATE TABLE scheduled_jobs (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX scheduled_jobs_one ON scheduled_jobs (kind, ref_id);
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at);
