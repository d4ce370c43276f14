-- Open challenges (揭榜挂帅): applications by universities and institutes, the owner's
-- decisions, and milestones of each selected application against which the bounty is paid.
-- One application per org and challenge. A milestone's amount_fen is fixed when it is
-- created, so the amounts of one winner's milestones add up to exactly the bounty once
-- their shares reach 10,000 basis points.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE challenge_applications (
    id INTEGER PRIMARY KEY NOT NULL,
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    applicant_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    proposal TEXT NOT NULL,
    achievement_id BIGINT REFERENCES achievements (id),
    team TEXT NOT NULL,
    budget_fen BIGINT,
    decision_comment TEXT,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX challenge_applications_one_per_org ON challenge_applications (demand_id, org_id);
CREATE INDEX challenge_applications_org ON challenge_applications (org_id);

CREATE TABLE challenge_milestones (
    id INTEGER PRIMARY KEY NOT NULL,
    demand_id BIGINT NOT NULL REFERENCES demands (id),
    application_id BIGINT NOT NULL REFERENCES challenge_applications (id),
    title TEXT NOT NULL,
    due_on DATE NOT NULL,
    share_bp INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    report TEXT,
    review_comment TEXT,
    submissions INTEGER NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP,
    reviewed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX challenge_milestones_demand ON challenge_milestones (demand_id);
CREATE INDEX challenge_milestones_application ON challenge_milestones (application_id);
