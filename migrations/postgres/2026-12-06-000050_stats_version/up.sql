-- The version of everything `/api/v1/stats/turnover` reads: one row, bumped by triggers in
-- the same transaction as any change of the rollups, the contracts (requests the rollups
-- cannot answer scan them), an org's name or a user's name (the labels of `seller_org` and
-- `broker`). A server caches rendered turnover answers per version (`stats::cache`); the
-- triggers make the bump impossible to forget on any write path, the CLI's included.
-- Statement-level and BEFORE: once per statement, and the version row is locked before
-- the statement's own row locks, so writers queue on it in one order.
-- Keep in step with migrations/sqlite (a test compares the resulting schemas).

CREATE TABLE stats_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO stats_version (id, version) VALUES (1, 1);

CREATE FUNCTION stats_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stats_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER stats_version_rollups BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON turnover_rollups FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump();
CREATE TRIGGER stats_version_contracts BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON contracts FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump();
CREATE TRIGGER stats_version_orgs BEFORE UPDATE OF name OR DELETE OR TRUNCATE
    ON orgs FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump();
CREATE TRIGGER stats_version_users BEFORE UPDATE OF name OR DELETE OR TRUNCATE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION stats_version_bump();
