-- Listings: achievements (成果), demands (技术需求, incl. 揭榜挂帅 challenges), their status
-- history, and the yearly hundred-achievements pool.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).
-- List-valued fields (keywords, IP items, modes, inventors) are JSON text: they are read
-- whole with their row and searched through the search index, never joined on.

CREATE TABLE achievements (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    details TEXT NOT NULL,
    contact TEXT NOT NULL,
    keywords TEXT NOT NULL,
    chain TEXT NOT NULL,
    field TEXT NOT NULL,
    trl INTEGER NOT NULL,
    stage TEXT NOT NULL,
    ip_items TEXT NOT NULL,
    transfer_modes TEXT NOT NULL,
    price_min_fen BIGINT,
    price_max_fen BIGINT,
    inventors TEXT NOT NULL,
    region TEXT NOT NULL,
    review_comment TEXT,
    submitted_at TIMESTAMP,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX achievements_org_status ON achievements (org_id, status);
CREATE INDEX achievements_status_submitted ON achievements (status, submitted_at);
CREATE INDEX achievements_status_published ON achievements (status, published_at);

CREATE TABLE demands (
    id INTEGER PRIMARY KEY NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    indicators TEXT NOT NULL,
    contact TEXT NOT NULL,
    keywords TEXT NOT NULL,
    chain TEXT NOT NULL,
    field TEXT NOT NULL,
    trl_min INTEGER NOT NULL,
    budget_min_fen BIGINT,
    budget_max_fen BIGINT,
    cooperation_modes TEXT NOT NULL,
    region TEXT NOT NULL,
    valid_until DATE NOT NULL,
    bottleneck BOOLEAN NOT NULL,
    challenge_bounty_fen BIGINT,
    challenge_apply_by DATE,
    challenge_criteria TEXT,
    challenge_max_winners INTEGER,
    review_comment TEXT,
    submitted_at TIMESTAMP,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX demands_org_status ON demands (org_id, status);
CREATE INDEX demands_status_submitted ON demands (status, submitted_at);
CREATE INDEX demands_status_published ON demands (status, published_at);

CREATE TABLE status_changes (
    id INTEGER PRIMARY KEY NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id BIGINT,
    comment TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX status_changes_entity ON status_changes (entity, entity_id);

CREATE TABLE pool_entries (
    id INTEGER PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    achievement_id BIGINT NOT NULL REFERENCES achievements (id),
    key_project BOOLEAN NOT NULL,
    note TEXT,
    added_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX pool_entries_year_achievement ON pool_entries (year, achievement_id);
CREATE INDEX pool_entries_achievement ON pool_entries (achievement_id);
