DROP TABLE login_failures;
DROP TABLE audit_log;
DROP TABLE invitations;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE orgs;
