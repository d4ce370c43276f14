-- Access tokens carry the epoch they were issued in; ending every session of a user
-- (password change, disabling) moves it on, so older access tokens stop working at once.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
