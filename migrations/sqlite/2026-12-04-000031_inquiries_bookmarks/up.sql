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

-- A question about a listing: a thread between the asking org and the listing's org, one
-- per (listing, asking org); read by the two orgs and admins only.
CREATE TABLE inquiries (
    id INTEGER PRIMARY KEY NOT NULL,
    listing_kind TEXT NOT NULL,
    listing_id BIGINT NOT NULL,
    asker_org_id BIGINT NOT NULL REFERENCES orgs (id),
    owner_org_id BIGINT NOT NULL REFERENCES orgs (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    last_message_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX inquiries_once ON inquiries (listing_kind, listing_id, asker_org_id);
CREATE INDEX inquiries_of_asker ON inquiries (asker_org_id, last_message_at);
CREATE INDEX inquiries_of_owner ON inquiries (owner_org_id, last_message_at);

-- The messages of an inquiry, oldest first; author_id also counts a user's rate.
CREATE TABLE inquiry_messages (
    id INTEGER PRIMARY KEY NOT NULL,
    inquiry_id BIGINT NOT NULL REFERENCES inquiries (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    author_org_id BIGINT NOT NULL REFERENCES orgs (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX inquiry_messages_thread ON inquiry_messages (inquiry_id, id);
CREATE INDEX inquiry_messages_rate ON inquiry_messages (author_id, created_at);
