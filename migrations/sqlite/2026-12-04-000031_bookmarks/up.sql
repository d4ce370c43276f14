-- Listings a user keeps for later: one row per (user, kind, listing). The listing's org
-- sees how many bookmarks it has, never whose.
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    listing_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX bookmarks_once ON bookmarks (user_id, kind, listing_id);
CREATE INDEX bookmarks_of_listing ON bookmarks (kind, listing_id);
