-- Deals (对接): a broker's record taking one achievement and one demand towards a contract,
-- with its timeline of events. One open deal per (demand, achievement) pair.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE deals (
    id INTEGER PRIMARY KEY NOT NULL,
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    achievement_id BIGINT NOT NULL REFERENCES achievements (id),
    broker_id BIGINT NOT NULL REFERENCES users (id),
    stage TEXT NOT NULL,
    version INTEGER NOT NULL,
    lost_reason TEXT,
    next_follow_up DATE,
    match_json TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX deals_open_pair ON deals (demand_id, achievement_id)
    WHERE stage NOT IN ('signed', 'lost');
CREATE INDEX deals_broker ON deals (broker_id, stage);
CREATE INDEX deals_achievement ON deals (achievement_id);
CREATE INDEX deals_follow_up ON deals (next_follow_up);

CREATE TABLE deal_events (
    id INTEGER PRIMARY KEY NOT NULL,
    deal_id BIGINT NOT NULL REFERENCES deals (id),
    actor_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX deal_events_deal ON deal_events (deal_id);
