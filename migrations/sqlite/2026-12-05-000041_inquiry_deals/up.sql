-- The deal a broker opened from the inquiry (POST /api/v1/deals with inquiry_id): the
-- thread's two orgs see it on the inquiry.
ALTER TABLE inquiries ADD COLUMN deal_id BIGINT REFERENCES deals (id);
