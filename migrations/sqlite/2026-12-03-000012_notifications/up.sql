-- Domain events waiting to become notifications: written in the transaction of the change
-- (an outbox), fanned out to users by the notification worker, then deleted.
CREATE TABLE notification_events (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    message TEXT NOT NULL,
    dedupe_key TEXT,
    attempts INTEGER NOT NULL,
    available_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notification_events_due ON notification_events (available_at, id);

-- Each user's inbox; (user_id, dedupe_key) makes a notification land once, however often
-- its event or a daily sweep is processed.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    body_zh TEXT NOT NULL,
    body_en TEXT NOT NULL,
    link TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    read_at TIMESTAMP,
    digested_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, dedupe_key);
CREATE INDEX notifications_inbox ON notifications (user_id, read_at, id);

-- How a user wants each kind: inbox only (no row), inbox + immediate email, or a digest.
CREATE TABLE notification_settings (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX notification_settings_one ON notification_settings (user_id, kind);

-- Emails to send: one row per notification (or per user and digest day), so an email is
-- queued once; sent by the mail worker with retries, marked sent once the server took it.
CREATE TABLE email_deliveries (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    dedupe_key TEXT NOT NULL,
    to_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    available_at TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX email_deliveries_once ON email_deliveries (dedupe_key);
CREATE INDEX email_deliveries_due ON email_deliveries (status, available_at);

-- The daily sweep of time-based notifications (due milestones, follow-ups, expiring
-- listings) and digests: one scheduler job that moves itself to the next day.
INSERT INTO scheduled_jobs (kind, ref_id, due_at, attempts, created_at)
VALUES ('notify.sweep', 0, CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP);
