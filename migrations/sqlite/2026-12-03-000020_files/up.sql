-- Files (issue 17): the bytes once per SHA-256 (file_blobs), each upload with its own name
-- and org (files), and where files are attached (file_attachments). The bytes live in the
-- file store (local directory or S3), keyed by the hash; a collector removes files that
-- nothing references after a grace period, then blobs no file uses.
-- Times are UTC. Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE file_blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    size BIGINT NOT NULL,
    -- Set when an upload of these bytes starts, so the collector leaves them alone while
    -- the upload runs (it only removes blobs untouched for the grace period).
    touched_at TIMESTAMP NOT NULL
);

CREATE TABLE files (
    id INTEGER PRIMARY KEY NOT NULL,
    sha256 TEXT NOT NULL REFERENCES file_blobs (sha256),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs (id),
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    thumbnail_sha256 TEXT REFERENCES file_blobs (sha256),
    created_at TIMESTAMP NOT NULL,
    -- When it was last detached: the collector's grace period runs from then too.
    released_at TIMESTAMP
);
CREATE INDEX files_sha256 ON files (sha256);
CREATE INDEX files_thumbnail ON files (thumbnail_sha256);
CREATE INDEX files_org_sha256 ON files (org_id, sha256);

CREATE TABLE file_attachments (
    id INTEGER PRIMARY KEY NOT NULL,
    file_id BIGINT NOT NULL REFERENCES files (id),
    parent TEXT NOT NULL,
    parent_id BIGINT NOT NULL,
    slot TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX file_attachments_once ON file_attachments (parent, parent_id, slot, file_id);
CREATE INDEX file_attachments_file ON file_attachments (file_id);
