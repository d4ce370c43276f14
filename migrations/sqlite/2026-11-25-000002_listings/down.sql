DROP TABLE pool_entries;
DROP TABLE status_changes;
DROP TABLE demands;
DROP TABLE achievements;
