-- A user's saved searches: the query parameters of GET /api/v1/achievements or
-- GET /api/v1/demands (a JSON list of [name, value] pairs, checked by the same parser).
-- last_alert_at: when its owner was last told of new matches (at most one alert an hour).
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    last_alert_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_searches_of_user ON saved_searches (user_id, id);
CREATE INDEX saved_searches_of_kind ON saved_searches (kind, id);

-- Listings a saved search matched: one row per (search, listing), so a listing that
-- matches again after a change is not announced twice; notified_at is set when the
-- (batched) alert that told of it was emitted.
CREATE TABLE saved_search_hits (
    id INTEGER PRIMARY KEY NOT NULL,
    saved_search_id BIGINT NOT NULL REFERENCES saved_searches (id),
    listing_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    notified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saved_search_hits_once ON saved_search_hits (saved_search_id, listing_id);
CREATE INDEX saved_search_hits_pending ON saved_search_hits (notified_at, saved_search_id);

-- Listings published (or changed while published) whose alerts are still to be worked
-- out: written in the publishing transaction (an outbox), evaluated once the listing is
-- in the search index, then deleted.
CREATE TABLE alert_checks (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    listing_id BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    available_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX alert_checks_due ON alert_checks (available_at, id);
