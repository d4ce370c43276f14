DROP TABLE stats_targets;
