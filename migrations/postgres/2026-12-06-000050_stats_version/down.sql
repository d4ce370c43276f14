DROP TRIGGER stats_version_rollups ON turnover_rollups;
DROP TRIGGER stats_version_contracts ON contracts;
DROP TRIGGER stats_version_orgs ON orgs;
DROP TRIGGER stats_version_users ON users;
DROP FUNCTION stats_version_bump();
DROP TABLE stats_version;
