-- How often a published listing was read by people outside its org and the exchange's
-- staff, per day. The org sees the counts, never who read it. Rows are written in batches
-- from counts kept in memory, so a listing read thousands of times costs a few upserts.
CREATE TABLE listing_views (
    listing_kind TEXT NOT NULL,
    listing_id BIGINT NOT NULL,
    day DATE NOT NULL,
    views BIGINT NOT NULL,
    PRIMARY KEY (listing_kind, listing_id, day)
);
