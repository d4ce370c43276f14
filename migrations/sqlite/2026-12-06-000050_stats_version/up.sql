-- The version of everything `/api/v1/stats/turnover` reads: one row, bumped by triggers in
-- the same transaction as any change of the rollups, the contracts (requests the rollups
-- cannot answer scan them), an org's name or a user's name (the labels of `seller_org` and
-- `broker`). A server caches rendered turnover answers per version (`stats::cache`); the
-- triggers make the bump impossible to forget on any write path, the CLI's included.
-- Keep in step with migrations/postgres (a test compares the resulting schemas).

CREATE TABLE stats_version (
    id INTEGER PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL
);
INSERT INTO stats_version (id, version) VALUES (1, 1);

CREATE TRIGGER stats_version_rollups_insert AFTER INSERT ON turnover_rollups
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_rollups_update AFTER UPDATE ON turnover_rollups
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_rollups_delete AFTER DELETE ON turnover_rollups
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_contracts_insert AFTER INSERT ON contracts
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_contracts_update AFTER UPDATE ON contracts
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_contracts_delete AFTER DELETE ON contracts
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_orgs_name AFTER UPDATE OF name ON orgs
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_orgs_delete AFTER DELETE ON orgs
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_users_name AFTER UPDATE OF name ON users
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER stats_version_users_delete AFTER DELETE ON users
BEGIN UPDATE stats_version SET version = version + 1 WHERE id = 1; END;
